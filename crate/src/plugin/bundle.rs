//! `.retouchplugin` bundles: a zip holding `manifest.json`, the module and/or shader, and any
//! icon or README, every one of them listed with its SHA-256 in the manifest. Reading a bundle
//! checks everything before anything runs; each refusal names the file and what is wrong.

use super::abi;
use super::manifest::{Entry, Kind, Manifest};
use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::Path;

/// The largest bundle, packed or unpacked.
pub const MAX_BUNDLE_BYTES: u64 = 16 << 20;
/// The manifest's name inside a bundle.
pub const MANIFEST: &str = "manifest.json";
/// The largest icon or README: both are shown in the plugin manager, not run.
pub const MAX_EXTRA_BYTES: usize = 256 << 10;

/// A bundle that passed every check: its manifest and its files by path.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    pub files: BTreeMap<String, Vec<u8>>,
}

fn refused(why: impl Into<String>) -> Error {
    Error::param("bundle", why.into())
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A path inside a bundle: '/'-separated plain segments, nothing that could point outside it.
fn is_safe_path(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && name.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        })
}

impl Bundle {
    /// Reads and checks a bundle's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Bundle> {
        if bytes.len() as u64 > MAX_BUNDLE_BYTES {
            return Err(refused(format!(
                "it is {} bytes, above the 16 MiB limit",
                bytes.len()
            )));
        }
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| refused(format!("not a zip file: {e}")))?;
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        for i in 0..archive.len() {
            let mut file = archive
                .by_index(i)
                .map_err(|e| refused(format!("cannot read entry {i}: {e}")))?;
            let name = file.name().to_string();
            if file.is_dir() {
                continue;
            }
            if !is_safe_path(&name) {
                return Err(refused(format!(
                    "the entry '{name}' has a path that could escape the bundle (only plain \
                     relative paths are allowed)"
                )));
            }
            total = total.saturating_add(file.size());
            if total > MAX_BUNDLE_BYTES {
                return Err(refused(format!(
                    "its files unpack to more than 16 MiB (at '{name}')"
                )));
            }
            let mut data = Vec::with_capacity(file.size() as usize);
            (&mut file)
                .take(MAX_BUNDLE_BYTES + 1)
                .read_to_end(&mut data)
                .map_err(|e| refused(format!("cannot unpack '{name}': {e}")))?;
            if files.insert(name.clone(), data).is_some() {
                return Err(refused(format!("the entry '{name}' appears twice")));
            }
        }
        let manifest_bytes = files
            .remove(MANIFEST)
            .ok_or_else(|| refused("it has no manifest.json"))?;
        let text = std::str::from_utf8(&manifest_bytes)
            .map_err(|_| refused("manifest.json is not UTF-8 text"))?;
        let manifest = Manifest::from_json(text)?;
        let bundle = Bundle { manifest, files };
        bundle.check()?;
        Ok(bundle)
    }

    /// Reads and checks a bundle file.
    pub fn read(path: &Path) -> Result<Bundle> {
        let size = std::fs::metadata(path)
            .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?
            .len();
        if size > MAX_BUNDLE_BYTES {
            return Err(Error::param(
                path.display().to_string(),
                format!("the bundle is {size} bytes, above the 16 MiB limit"),
            ));
        }
        let bytes =
            std::fs::read(path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
        Bundle::from_bytes(&bytes).map_err(|e| match e {
            Error::InvalidParameter { message, .. } => {
                Error::param(path.display().to_string(), message)
            }
            other => other,
        })
    }

    /// The rules beyond the manifest's own: a filter with a wasm or WGSL entry, its files all
    /// present and listed with matching hashes, its module within the ABI.
    fn check(&self) -> Result<()> {
        let m = &self.manifest;
        if m.kind != Kind::Filter {
            return Err(refused(format!(
                "its kind is '{:?}'; a plugin bundle holds a filter",
                m.kind
            )));
        }
        abi::check_filter_params(&m.params)?;
        let entry_files: Vec<&str> = match &m.entry {
            Entry::Wasm { module, shader, .. } => std::iter::once(module.as_str())
                .chain(shader.as_deref())
                .collect(),
            Entry::Wgsl { shader, .. } => vec![shader.as_str()],
            _ => return Err(refused("its entry must be 'wasm' or 'wgsl'")),
        };
        for name in self.files.keys() {
            if !m.files.contains_key(name) {
                return Err(refused(format!(
                    "the file '{name}' is not listed with its SHA-256 in the manifest's files"
                )));
            }
        }
        for (name, expected) in &m.files {
            let data = self.files.get(name).ok_or_else(|| {
                refused(format!(
                    "the manifest lists '{name}' but the bundle lacks it"
                ))
            })?;
            let actual = sha256_hex(data);
            if &actual != expected {
                return Err(refused(format!(
                    "the SHA-256 of '{name}' is {actual}, not {expected} as the manifest says: \
                     the file was changed or damaged"
                )));
            }
        }
        for name in entry_files {
            if !self.files.contains_key(name) {
                return Err(refused(format!("its entry file '{name}' is missing")));
            }
        }
        if let Some(shader) = self.shader() {
            if std::str::from_utf8(shader).is_err() {
                return Err(refused("its shader is not UTF-8 text"));
            }
        }
        self.check_icon_and_readme()?;
        if let (
            Some(wasm),
            Entry::Wasm {
                memory_limit_mb, ..
            },
        ) = (self.module(), &m.entry)
        {
            abi::inspect_module(wasm, *memory_limit_mb).map_err(|e| match e {
                Error::InvalidParameter { message, .. } => refused(format!("its module {message}")),
                other => other,
            })?;
        }
        Ok(())
    }

    /// The icon and README the manifest names: present, small, and what their names say (a
    /// PNG whose header reads, an SVG document, UTF-8 text).
    fn check_icon_and_readme(&self) -> Result<()> {
        let m = &self.manifest;
        let named = [("icon", &m.icon), ("README", &m.readme)];
        for (what, name) in named {
            let Some(name) = name else { continue };
            let data = self
                .files
                .get(name)
                .ok_or_else(|| refused(format!("its {what} '{name}' is missing")))?;
            if data.len() > MAX_EXTRA_BYTES {
                return Err(refused(format!(
                    "its {what} '{name}' is {} bytes, above the {} KiB limit",
                    data.len(),
                    MAX_EXTRA_BYTES >> 10
                )));
            }
        }
        if let Some((data, kind)) = self.icon() {
            let readable = match kind {
                "image/png" => {
                    data.starts_with(b"\x89PNG\r\n\x1a\n")
                        && crate::image_io::image_dimensions(data).is_ok()
                }
                _ => std::str::from_utf8(data).is_ok_and(|text| text.contains("<svg")),
            };
            if !readable {
                return Err(refused(format!(
                    "its icon '{}' is not a readable {}",
                    m.icon.as_deref().unwrap_or_default(),
                    if kind == "image/png" {
                        "PNG"
                    } else {
                        "SVG document"
                    }
                )));
            }
        }
        if let Some(name) = &m.readme {
            if std::str::from_utf8(&self.files[name]).is_err() {
                return Err(refused(format!("its README '{name}' is not UTF-8 text")));
            }
        }
        Ok(())
    }

    /// The icon's bytes and media type, when the manifest names one.
    pub fn icon(&self) -> Option<(&[u8], &'static str)> {
        let name = self.manifest.icon.as_ref()?;
        let kind = if name.ends_with(".png") {
            "image/png"
        } else {
            "image/svg+xml"
        };
        Some((self.files.get(name)?.as_slice(), kind))
    }

    /// The README's text, when the manifest names one.
    pub fn readme(&self) -> Option<&str> {
        let name = self.manifest.readme.as_ref()?;
        std::str::from_utf8(self.files.get(name)?).ok()
    }

    /// The wasm module, when the bundle has one.
    pub fn module(&self) -> Option<&[u8]> {
        match &self.manifest.entry {
            Entry::Wasm { module, .. } => self.files.get(module).map(Vec::as_slice),
            _ => None,
        }
    }

    /// The WGSL shader, when the bundle has one.
    pub fn shader(&self) -> Option<&[u8]> {
        match &self.manifest.entry {
            Entry::Wasm {
                shader: Some(shader),
                ..
            }
            | Entry::Wgsl { shader, .. } => self.files.get(shader).map(Vec::as_slice),
            _ => None,
        }
    }

    /// Packs a plugin folder: its `manifest.json` (its `files` filled in here) and every other
    /// file in it (hidden ones skipped). The result is checked like any bundle.
    pub fn pack(dir: &Path) -> Result<Vec<u8>> {
        let io = |e: std::io::Error| Error::Io(format!("{}: {e}", dir.display()));
        let manifest_path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(|e| Error::Io(format!("{}: {e}", manifest_path.display())))?;
        let mut manifest = Manifest::from_json(&text)?;
        let mut files = BTreeMap::new();
        let mut stack = vec![(dir.to_path_buf(), String::new())];
        while let Some((folder, prefix)) = stack.pop() {
            for entry in std::fs::read_dir(&folder).map_err(io)? {
                let entry = entry.map_err(io)?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || (prefix.is_empty() && name == MANIFEST) {
                    continue;
                }
                let path = format!("{prefix}{name}");
                if entry.file_type().map_err(io)?.is_dir() {
                    stack.push((entry.path(), format!("{path}/")));
                } else {
                    files.insert(path, std::fs::read(entry.path()).map_err(io)?);
                }
            }
        }
        manifest.files = files
            .iter()
            .map(|(name, data)| (name.clone(), sha256_hex(data)))
            .collect();
        let json = serde_json::to_string_pretty(&manifest).expect("a manifest serializes");
        let zip_error =
            |e: zip::result::ZipError| Error::Io(format!("cannot write the bundle: {e}"));
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in std::iter::once((MANIFEST, json.as_bytes()))
            .chain(files.iter().map(|(n, d)| (n.as_str(), d.as_slice())))
        {
            zip.start_file(name, deflated).map_err(zip_error)?;
            zip.write_all(data)
                .map_err(|e| Error::Io(format!("cannot write the bundle: {e}")))?;
        }
        let bytes = zip.finish().map_err(zip_error)?.into_inner();
        Bundle::from_bytes(&bytes)?;
        Ok(bytes)
    }
}
