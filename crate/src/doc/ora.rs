//! OpenRaster (.ora) projects, so Krita, GIMP and MyPaint can open our files.
//!
//! A project is a zip holding, in this order: `mimetype` (stored, first, the
//! bytes `image/openraster`), `stack.xml` (the layer stack, top layer first),
//! one PNG per layer in `data/`, `Thumbnails/thumbnail.png` (at most 256 px)
//! and `mergedimage.png` (the composite, for viewers that do not composite).
//!
//! What OpenRaster has no place for goes in attributes of our own namespace
//! ([`NAMESPACE`]) and files under `retouch/`, which other readers ignore: the
//! exact blend mode (ORA only names the W3C ones), layer masks (8-bit PNGs;
//! other readers show the layer unmasked, while `mergedimage.png` shows the
//! masked result) and the selection (`retouch/selection.png`, an 8-bit PNG
//! the canvas's size, named by `retouch:selection` on `<image>`, so a saved
//! selection comes back with the project), the source file's ICC profile and
//! EXIF (so an export from a reopened project can still keep them), each
//! layer's provenance JSON (`retouch/provenance-NNNN.json`, named by
//! `retouch:provenance` on its `<layer>`) and the brand kit
//! (`retouch/brand/kit.json`, named by `retouch:brand-kit` on `<image>`: its
//! style, palette and the entries of its reference images, each a PNG of its
//! own in `retouch/brand/`). A text layer's source is JSON
//! (`retouch/text-NNNN.json`, named by `retouch:text` on its `<layer>`; its
//! pixels are the layer PNG as usual, so other editors show the text), and
//! each font the text layers use is stored once as `retouch/fonts/<SHA-256>`,
//! as are the brand kit's fonts (its `kit.json` lists them with their
//! licences, and its named text styles).
//! Layer locks use the standard `edit-locked` attribute.
//!
//! Loading treats the file as hostile: every zip entry's declared size is
//! checked against per-entry and total caps before it is read, and reading
//! stops at the declared size (a zip bomb cannot expand past the caps); the
//! canvas and every PNG header are checked against the image limits, and the
//! total layer pixels against a cap, before any pixel buffer is allocated.

use super::brand::{self, BrandKit, MAX_REFERENCES};
use super::brand_type::StoredBrandType;
use super::export::Thumbnail;
use super::layer::LayerProperties;
use super::text::{fonts_of, stored_font, FontTable, TextLayer};
use super::{Document, MAX_JSON_BYTES};
use crate::image_io::{
    self, check_dimensions, SourceMetadata, MAX_EXIF_BYTES, MAX_ICC_BYTES, MAX_PIXELS,
};
use crate::ops::blend::BlendMode;
use crate::text::font::MAX_FONT_BYTES;
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};
use std::fmt::Write as _;
use std::io::{Cursor, Read, Seek, Write};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// The MIME type every OpenRaster file starts with.
pub const MIMETYPE: &str = "image/openraster";
/// Our extension namespace in stack.xml.
pub const NAMESPACE: &str = "urn:retouch:openraster:1";
/// Where the selection is stored (named by `retouch:selection` on `<image>`).
pub const SELECTION_SRC: &str = "retouch/selection.png";
/// The source file's ICC profile and EXIF (`retouch:icc-profile`,
/// `retouch:exif` on `<image>`), kept for exports.
pub const ICC_SRC: &str = "retouch/source.icc";
pub const EXIF_SRC: &str = "retouch/source.exif";
/// The brand kit JSON (`retouch:brand-kit` on `<image>`); its reference
/// images sit beside it.
pub const BRAND_KIT_SRC: &str = "retouch/brand/kit.json";
/// Largest reference PNG read from a project (a noisy 1024×1024 RGBA PNG is
/// about 4 MiB).
const MAX_REFERENCE_PNG_BYTES: u64 = 8 << 20;
/// One zip entry after stack.xml, encoded as it is written.
enum Entry<'a> {
    Image(&'a RgbaImage),
    Mask(&'a GrayImage),
    Bytes(Vec<u8>),
}

/// Longest side of the thumbnail OpenRaster asks for.
pub const THUMBNAIL_MAX_SIDE: u32 = 256;

/// Caps applied when loading a project (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadLimits {
    /// Largest decompressed size of one zip entry.
    pub max_entry_bytes: u64,
    /// Largest decompressed size of everything read from the zip.
    pub max_total_bytes: u64,
    pub max_entries: usize,
    pub max_layers: usize,
    /// Largest sum of layer pixels (each layer is also within the image limits).
    pub max_total_pixels: u64,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            // A PNG of a maximal (268 MP) noisy layer is about 1.1 GB.
            max_entry_bytes: 3 << 29,
            max_total_bytes: 4 << 30,
            max_entries: 10_000,
            max_layers: 1_000,
            // 4 GiB of RGBA: four layers of the largest size.
            max_total_pixels: 4 * MAX_PIXELS,
        }
    }
}

/// Largest stack.xml accepted: a thousand layers need well under this.
const MAX_STACK_XML_BYTES: u64 = 4 << 20;

impl Document {
    /// The project as .ora bytes (see [`Document::write_ora`]).
    pub fn to_ora(&self) -> Result<Vec<u8>> {
        let mut out = Cursor::new(Vec::new());
        self.write_ora(&mut out)?;
        Ok(out.into_inner())
    }

    /// Writes the project as .ora to `out`, each entry encoded straight into
    /// the zip (no entry is held whole besides the pixels themselves). The
    /// composite for `mergedimage.png` and the thumbnail is made band by band
    /// as it is encoded (the cached one is used where it is up to date), so
    /// saving never holds a second canvas. Refuses first if saving would pass
    /// the memory budget ([`Document::save_memory`]).
    pub fn write_ora<W: Write + std::io::Seek>(&self, out: W) -> Result<()> {
        crate::memory::check(
            &format!("saving a {}×{} project", self.width(), self.height()),
            self.save_memory(),
        )?;
        let canvas = (self.width(), self.height());
        let mut thumbnail = Thumbnail::new(canvas, THUMBNAIL_MAX_SIDE)?;
        let mut xml = String::new();
        let _ = write!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <image version=\"0.0.5\" w=\"{}\" h=\"{}\" xmlns:retouch=\"{NAMESPACE}\"",
            self.width(),
            self.height()
        );
        // What goes into the zip after stack.xml, in order, encoded as it is written.
        let mut entries: Vec<(String, Entry<'_>)> = Vec::new();
        if let Some(selection) = self.selection() {
            let _ = write!(xml, " retouch:selection=\"{SELECTION_SRC}\"");
            entries.push((SELECTION_SRC.into(), Entry::Mask(selection)));
        }
        let extras = [
            (
                "icc-profile",
                ICC_SRC,
                self.source_metadata().icc_profile.as_deref(),
            ),
            ("exif", EXIF_SRC, self.source_metadata().exif.as_deref()),
        ];
        for (attribute, src, bytes) in extras {
            if let Some(bytes) = bytes {
                let _ = write!(xml, " retouch:{attribute}=\"{src}\"");
                entries.push((src.into(), Entry::Bytes(bytes.to_vec())));
            }
        }
        if !self.brand_kit().is_empty() {
            let _ = write!(xml, " retouch:brand-kit=\"{BRAND_KIT_SRC}\"");
            entries.extend(
                brand_kit_entries(self.brand_kit())?
                    .into_iter()
                    .map(|(name, bytes)| (name, Entry::Bytes(bytes))),
            );
        }
        xml.push_str(">\n<stack>\n");
        // stack.xml lists the top layer first.
        for (index, layer) in self.layers().iter().enumerate().rev() {
            let src = format!("data/layer-{index:04}.png");
            let p = &layer.props;
            let _ = write!(
                xml,
                "<layer name=\"{}\" src=\"{src}\" x=\"{}\" y=\"{}\" opacity=\"{}\" \
                 visibility=\"{}\" composite-op=\"{}\" edit-locked=\"{}\" retouch:blend-mode=\"{}\"",
                escape_attribute(&p.name),
                p.offset.0,
                p.offset.1,
                p.opacity,
                if p.visible { "visible" } else { "hidden" },
                composite_op(p.mode),
                p.locked,
                p.mode.name(),
            );
            entries.push((src, Entry::Image(&layer.pixels)));
            if let Some(mask) = &layer.mask {
                let mask_src = format!("retouch/mask-{index:04}.png");
                let _ = write!(xml, " retouch:mask=\"{mask_src}\"");
                entries.push((mask_src, Entry::Mask(mask)));
            }
            if let Some(text) = &layer.text {
                let src = format!("retouch/text-{index:04}.json");
                let _ = write!(xml, " retouch:text=\"{src}\"");
                entries.push((src, Entry::Bytes(text.to_json().into_bytes())));
            }
            if let Some(json) = self.provenance(layer.id) {
                let src = format!("retouch/provenance-{index:04}.json");
                let _ = write!(xml, " retouch:provenance=\"{src}\"");
                entries.push((src, Entry::Bytes(json.as_bytes().to_vec())));
            }
            xml.push_str("/>\n");
        }
        xml.push_str("</stack>\n</image>\n");
        // Each font the text layers and the brand kit use, once, named by its SHA-256.
        let mut fonts = fonts_of(self.layers());
        fonts.extend(self.brand_kit().font_table());
        for (key, font) in fonts {
            entries.push((font_src(&key), Entry::Bytes(font.bytes().to_vec())));
        }

        let zip_error =
            |e: zip::result::ZipError| Error::Encode(format!("cannot write the project: {e}"));
        let io_error = |e: std::io::Error| Error::Encode(format!("cannot write the project: {e}"));
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let mut zip = zip::ZipWriter::new(out);
        zip.start_file("mimetype", stored).map_err(zip_error)?;
        zip.write_all(MIMETYPE.as_bytes()).map_err(io_error)?;
        zip.start_file("stack.xml", deflated).map_err(zip_error)?;
        zip.write_all(xml.as_bytes()).map_err(io_error)?;
        // PNGs are already compressed: deflating them again only costs time.
        for (name, entry) in entries {
            zip.start_file(name, stored).map_err(zip_error)?;
            match entry {
                Entry::Image(image) => image_io::write_png(image, &mut zip)?,
                Entry::Mask(mask) => image_io::write_mask_png(mask, &mut zip)?,
                Entry::Bytes(bytes) => zip.write_all(&bytes).map_err(io_error)?,
            }
        }
        // One pass over the composite makes both the merged image and the thumbnail.
        zip.start_file("mergedimage.png", stored)
            .map_err(zip_error)?;
        image_io::write_png_in_bands(canvas, &SourceMetadata::default(), &mut zip, |band| {
            self.composite_bands(|rows| {
                thumbnail.push_rows(rows);
                band(rows)
            })
        })?;
        zip.start_file("Thumbnails/thumbnail.png", stored)
            .map_err(zip_error)?;
        image_io::write_png(&thumbnail.finish(), &mut zip)?;
        zip.finish().map_err(zip_error)?;
        Ok(())
    }

    /// The peak memory of saving: the pixels the document holds, the bands
    /// the composite is made in (none when the cached one is current) and
    /// the thumbnail's resampling ([`Thumbnail::memory`]).
    pub fn save_memory(&self) -> u64 {
        let canvas = (self.width(), self.height());
        self.memory_held()
            + self.composite_bands_memory()
            + Thumbnail::memory(canvas, THUMBNAIL_MAX_SIDE)
    }

    /// Loads a project held in memory with the default [`LoadLimits`].
    /// History starts empty.
    pub fn from_ora(bytes: &[u8]) -> Result<Document> {
        Document::read_ora(Cursor::new(bytes), &LoadLimits::default())
    }

    /// Loads a project from `source` (a file, natively: only the entry being
    /// decoded is held, never the whole project), refusing anything beyond
    /// `limits`. History starts empty.
    pub fn read_ora<R: Read + Seek>(source: R, limits: &LoadLimits) -> Result<Document> {
        let mut reader = ProjectReader::open(source, limits)?;
        let mimetype = reader.read("mimetype", 64)?;
        if mimetype != MIMETYPE.as_bytes() {
            return Err(not_ora("its mimetype entry is not image/openraster"));
        }
        let xml = reader.read("stack.xml", MAX_STACK_XML_BYTES)?;
        let xml = std::str::from_utf8(&xml).map_err(|_| not_ora("stack.xml is not UTF-8"))?;
        let tree = parse_stack_xml(xml)?;
        let image = tree.root_element();
        let (width, height, elements) = canvas_and_layers(image, limits)?;
        let mut document = Document::new(width, height)?;
        let mut total_pixels = 0u64;
        let mut fonts = FontTable::new();
        // Bottom layer first: stack.xml lists the top one first.
        for element in elements.into_iter().rev() {
            let props = layer_properties(element)?;
            let src = element
                .attribute("src")
                .ok_or_else(|| not_ora("a layer has no src"))?;
            let png = reader.read(src, limits.max_entry_bytes)?;
            let (w, h) = png_dimensions(&png)?;
            total_pixels += u64::from(w) * u64::from(h);
            if total_pixels > limits.max_total_pixels {
                return Err(Error::TooLarge(format!(
                    "the layers hold more than {} MP in all",
                    limits.max_total_pixels / 1_000_000
                )));
            }
            let pixels = image_io::decode_rgba_as_stored(&png)?;
            let mask = match element.attribute((NAMESPACE, "mask")) {
                Some(mask_src) => Some(read_mask(&mut reader, mask_src, &pixels, limits)?),
                None => None,
            };
            let text = match element.attribute((NAMESPACE, "text")) {
                Some(src) => Some(read_text(&mut reader, src, &mut fonts)?),
                None => None,
            };
            let id = document.add_layer(props, pixels, mask, None)?;
            if let Some(text) = text {
                let last = document.stack.layers.len() - 1;
                document.stack.layers[last].text = Some(Box::new(text));
            }
            if let Some(src) = element.attribute((NAMESPACE, "provenance")) {
                let json = read_json(&mut reader, src)?;
                document.set_provenance(id, Some(json))?;
            }
        }
        if let Some(src) = image.attribute((NAMESPACE, "selection")) {
            let png = reader.read(src, limits.max_entry_bytes)?;
            if png_dimensions(&png)? != (width, height) {
                return Err(Error::SizeMismatch(format!(
                    "the selection '{src}' is not the size of the canvas"
                )));
            }
            let selection = image_io::decode_mask_as_stored(&png)?;
            document.set_selection(Some(selection), "Select")?;
        }
        // The caps every image reader applies, also checked when the
        // metadata was set, so what we wrote always reads back.
        let mut read_extra =
            |attribute: &str, max: usize| match image.attribute((NAMESPACE, attribute)) {
                Some(src) => reader.read(src, max as u64).map(Some),
                None => Ok(None),
            };
        let source = SourceMetadata {
            icc_profile: read_extra("icc-profile", MAX_ICC_BYTES)?,
            exif: read_extra("exif", MAX_EXIF_BYTES)?,
        };
        document.set_source_metadata(source)?;
        if let Some(src) = image.attribute((NAMESPACE, "brand-kit")) {
            document.stack.brand = read_brand_kit(&mut reader, src, &mut fonts)?;
        }
        document.forget_history();
        Ok(document)
    }

    /// Saves to `path` natively through [`crate::atomic_write`]: a
    /// temporary file beside it, flushed to disk, renamed over `path`, so a
    /// crash never leaves a half-written project. (To update a project in
    /// place while others may too, use [`super::project_file::ProjectFile`].)
    #[cfg(not(target_arch = "wasm32"))]
    pub fn save_ora_file(&mut self, path: &std::path::Path) -> Result<()> {
        crate::atomic_write::write_atomic_with(path, |file| self.write_ora(file))
    }
}

/// What `retouch project info` shows, read from `stack.xml` and the layer
/// PNGs' headers alone: no layer is decoded, so a project of huge layers
/// answers at once, in little memory.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectSummary {
    pub width: u32,
    pub height: u32,
    /// Bottom layer first.
    pub layers: Vec<LayerSummary>,
}

/// One layer of a [`ProjectSummary`].
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSummary {
    pub props: LayerProperties,
    /// The size in the layer PNG's header.
    pub width: u32,
    pub height: u32,
    pub masked: bool,
    /// A text layer (its source is stored beside it).
    pub text: bool,
}

/// Reads a project's [`ProjectSummary`] within the default [`LoadLimits`]:
/// stack.xml and the first bytes of each layer PNG only.
pub fn summarize_ora<R: Read + Seek>(source: R) -> Result<ProjectSummary> {
    let limits = LoadLimits::default();
    let mut reader = ProjectReader::open(source, &limits)?;
    let xml = reader.read("stack.xml", MAX_STACK_XML_BYTES)?;
    let xml = std::str::from_utf8(&xml).map_err(|_| not_ora("stack.xml is not UTF-8"))?;
    let tree = parse_stack_xml(xml)?;
    let (width, height, elements) = canvas_and_layers(tree.root_element(), &limits)?;
    let mut layers = Vec::with_capacity(elements.len());
    for element in elements.into_iter().rev() {
        let props = layer_properties(element)?;
        let src = element
            .attribute("src")
            .ok_or_else(|| not_ora("a layer has no src"))?;
        let (width, height) = png_header_dimensions(&reader.read_header(src)?, src)?;
        layers.push(LayerSummary {
            props,
            width,
            height,
            masked: element.attribute((NAMESPACE, "mask")).is_some(),
            text: element.attribute((NAMESPACE, "text")).is_some(),
        });
    }
    Ok(ProjectSummary {
        width,
        height,
        layers,
    })
}

fn parse_stack_xml(xml: &str) -> Result<roxmltree::Document<'_>> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 1 << 16,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(xml, options)
        .map_err(|e| not_ora(&format!("stack.xml is not valid XML: {e}")))
}

/// The canvas size and the `<layer>` elements (top first, as stored) of
/// stack.xml's `<image>`, within `limits`.
fn canvas_and_layers<'a, 'input>(
    image: roxmltree::Node<'a, 'input>,
    limits: &LoadLimits,
) -> Result<(u32, u32, Vec<roxmltree::Node<'a, 'input>>)> {
    if !image.has_tag_name("image") {
        return Err(not_ora("stack.xml has no <image> root"));
    }
    let width = number_attribute::<u32>(image, "w")?;
    let height = number_attribute::<u32>(image, "h")?;
    check_dimensions(width, height)?;
    let stack = image
        .children()
        .find(|n| n.has_tag_name("stack"))
        .ok_or_else(|| not_ora("stack.xml has no <stack>"))?;
    let elements: Vec<roxmltree::Node> = stack.children().filter(|n| n.is_element()).collect();
    if elements.len() > limits.max_layers {
        return Err(Error::TooLarge(format!(
            "the project has {} layers; at most {} are accepted",
            elements.len(),
            limits.max_layers
        )));
    }
    if let Some(other) = elements.iter().find(|e| !e.has_tag_name("layer")) {
        return Err(Error::Decode(format!(
            "<{}> elements (layer groups, text) are not supported yet; \
             flatten them in the other application first",
            other.tag_name().name()
        )));
    }
    Ok((width, height, elements))
}

/// Reads zip entries within the caps (see the module docs).
struct ProjectReader<R> {
    archive: zip::ZipArchive<R>,
    /// Bytes that may still be read in all.
    remaining: u64,
}

impl<R: Read + Seek> ProjectReader<R> {
    fn open(source: R, limits: &LoadLimits) -> Result<Self> {
        let archive = zip::ZipArchive::new(source)
            .map_err(|e| not_ora(&format!("it is not a readable zip file ({e})")))?;
        if archive.len() > limits.max_entries {
            return Err(Error::TooLarge(format!(
                "the project has {} files; at most {} are accepted",
                archive.len(),
                limits.max_entries
            )));
        }
        Ok(ProjectReader {
            archive,
            remaining: limits.max_total_bytes,
        })
    }

    /// The decompressed bytes of entry `name`, at most `max_bytes` long.
    fn read(&mut self, name: &str, max_bytes: u64) -> Result<Vec<u8>> {
        let entry = self
            .archive
            .by_name(name)
            .map_err(|e| not_ora(&format!("cannot open '{name}' ({e})")))?;
        let declared = entry.size();
        if declared > max_bytes || declared > self.remaining {
            return Err(Error::TooLarge(format!(
                "'{name}' expands to {declared} bytes, beyond the limit of {} \
                 (a zip bomb or a damaged file)",
                max_bytes.min(self.remaining)
            )));
        }
        let mut bytes = Vec::new();
        // Never read past the declared size, whatever the compressed stream holds.
        entry
            .take(declared + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Decode(format!("cannot read '{name}' from the project: {e}")))?;
        if bytes.len() as u64 != declared {
            return Err(Error::Decode(format!(
                "'{name}' does not hold the {declared} bytes its header declares"
            )));
        }
        self.remaining -= declared;
        Ok(bytes)
    }

    /// The first bytes of PNG entry `name`: enough for its signature and
    /// header chunk (the dimensions), without inflating the rest.
    fn read_header(&mut self, name: &str) -> Result<Vec<u8>> {
        const PNG_HEADER_BYTES: u64 = 33;
        let entry = self
            .archive
            .by_name(name)
            .map_err(|e| not_ora(&format!("cannot open '{name}' ({e})")))?;
        let mut bytes = Vec::new();
        entry
            .take(PNG_HEADER_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Decode(format!("cannot read '{name}' from the project: {e}")))?;
        Ok(bytes)
    }
}

/// The brand kit as stored: what `kit.json` holds. Unknown fields are
/// ignored, so a newer writer's additions do not make the project unreadable.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredBrandKit {
    #[serde(default)]
    style: String,
    #[serde(default)]
    palette: Vec<String>,
    /// Zip entries of the reference PNGs, in order.
    #[serde(default)]
    references: Vec<String>,
    /// The fonts (stored as `retouch/fonts/<SHA-256>`) and named text styles.
    #[serde(default)]
    typography: Option<StoredBrandType>,
}

/// `kit.json` and one PNG entry per reference image.
fn brand_kit_entries(kit: &BrandKit) -> Result<Vec<(String, Vec<u8>)>> {
    let mut entries = Vec::new();
    let mut stored = StoredBrandKit {
        style: kit.style.clone(),
        palette: kit.palette_hex(),
        references: Vec::new(),
        typography: Some(StoredBrandType::new(&kit.fonts, &kit.text_styles))
            .filter(|t| !t.is_empty()),
    };
    for (index, png) in kit.references.iter().enumerate() {
        let src = format!("retouch/brand/reference-{index:02}.png");
        stored.references.push(src.clone());
        entries.push((src, png.clone()));
    }
    let json = serde_json::to_vec(&stored)
        .map_err(|e| Error::Encode(format!("cannot write the brand kit: {e}")))?;
    entries.push((BRAND_KIT_SRC.into(), json));
    Ok(entries)
}

/// Reads the brand kit, its reference images and fonts (each read once per project, into
/// `fonts`), checked as when set.
fn read_brand_kit(
    reader: &mut ProjectReader<impl Read + Seek>,
    src: &str,
    fonts: &mut FontTable,
) -> Result<BrandKit> {
    let json = read_json(reader, src)?;
    let stored: StoredBrandKit = serde_json::from_str(&json)
        .map_err(|e| not_ora(&format!("the brand kit '{src}' is not valid: {e}")))?;
    brand::check_style(&stored.style)?;
    if stored.references.len() > MAX_REFERENCES {
        return Err(Error::TooLarge(format!(
            "the brand kit lists {} reference images; at most {MAX_REFERENCES} are accepted",
            stored.references.len()
        )));
    }
    let mut references = Vec::with_capacity(stored.references.len());
    for reference in &stored.references {
        let png = reader.read(reference, MAX_REFERENCE_PNG_BYTES)?;
        brand::check_stored_reference(&png)?;
        references.push(png);
    }
    let (kit_fonts, text_styles) = match stored.typography {
        Some(typography) => {
            let keys: Vec<String> = typography.font_keys().map(str::to_owned).collect();
            for key in keys {
                read_font(reader, key, fonts)?;
            }
            typography.resolve(fonts, &format!("'{src}'"))?
        }
        None => Default::default(),
    };
    Ok(BrandKit {
        palette: brand::parse_palette(&stored.palette)?,
        style: stored.style,
        references,
        fonts: kit_fonts,
        text_styles,
    })
}

/// Where a text layer's font is stored.
fn font_src(key: &str) -> String {
    format!("retouch/fonts/{key}")
}

/// Reads a text layer's source and the fonts it names (each read once per
/// project and checked to be the file its SHA-256 names).
fn read_text(
    reader: &mut ProjectReader<impl Read + Seek>,
    src: &str,
    fonts: &mut FontTable,
) -> Result<TextLayer> {
    let json = read_json(reader, src)?;
    let what = format!("'{src}'");
    for key in TextLayer::font_keys(&json, &what)? {
        read_font(reader, key, fonts)?;
    }
    TextLayer::from_json(&json, fonts, &what)
}

/// Reads the font file `key` names into `fonts` unless it is there already, checked to be
/// the file its SHA-256 names.
fn read_font(
    reader: &mut ProjectReader<impl Read + Seek>,
    key: String,
    fonts: &mut FontTable,
) -> Result<()> {
    if let std::collections::btree_map::Entry::Vacant(slot) = fonts.entry(key) {
        let key = slot.key().clone();
        if !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Decode(format!(
                "the project names the font '{key}', which is not a SHA-256"
            )));
        }
        let font_src = font_src(&key);
        let bytes = reader.read(&font_src, MAX_FONT_BYTES as u64)?;
        slot.insert(stored_font(&key, bytes, &format!("'{font_src}'"))?);
    }
    Ok(())
}

/// Reads a provenance or brand-kit JSON file (checked by the caller).
fn read_json(reader: &mut ProjectReader<impl Read + Seek>, src: &str) -> Result<String> {
    let bytes = reader.read(src, MAX_JSON_BYTES as u64)?;
    String::from_utf8(bytes).map_err(|_| not_ora(&format!("'{src}' is not UTF-8 text")))
}

fn read_mask(
    reader: &mut ProjectReader<impl Read + Seek>,
    src: &str,
    pixels: &RgbaImage,
    limits: &LoadLimits,
) -> Result<GrayImage> {
    let png = reader.read(src, limits.max_entry_bytes)?;
    if png_dimensions(&png)? != pixels.dimensions() {
        return Err(Error::SizeMismatch(format!(
            "mask '{src}' is not the size of its layer"
        )));
    }
    image_io::decode_mask_as_stored(&png)
}

/// The dimensions in a PNG header, checked against the image limits.
fn png_dimensions(png: &[u8]) -> Result<(u32, u32)> {
    let (w, h) = image::ImageReader::with_format(Cursor::new(png), image::ImageFormat::Png)
        .into_dimensions()
        .map_err(|e| Error::Decode(format!("a layer is not a readable PNG: {e}")))?;
    check_dimensions(w, h)?;
    Ok((w, h))
}

/// The dimensions in a PNG's IHDR chunk, from the file's first 24 bytes
/// (the decoder would want every chunk up to the pixel data), checked
/// against the image limits.
fn png_header_dimensions(header: &[u8], src: &str) -> Result<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    let field = |at: usize| header.get(at..at + 4);
    match (header.get(..8), field(12), field(16), field(20)) {
        (Some(SIGNATURE), Some(b"IHDR"), Some(w), Some(h)) => {
            let side = |b: &[u8]| u32::from_be_bytes(b.try_into().expect("4 bytes"));
            let (w, h) = (side(w), side(h));
            check_dimensions(w, h)?;
            Ok((w, h))
        }
        _ => Err(Error::Decode(format!(
            "the layer '{src}' is not a readable PNG"
        ))),
    }
}

fn layer_properties(element: roxmltree::Node) -> Result<LayerProperties> {
    let name = element.attribute("name").unwrap_or("Layer").to_string();
    let visible = match element.attribute("visibility").unwrap_or("visible") {
        "visible" => true,
        "hidden" => false,
        other => {
            return Err(not_ora(&format!(
                "visibility '{other}' is not visible/hidden"
            )))
        }
    };
    let opacity = match element.attribute("opacity") {
        Some(_) => number_attribute::<f32>(element, "opacity")?,
        None => 1.0,
    };
    let offset = (
        optional_number(element, "x")?,
        optional_number(element, "y")?,
    );
    let locked = element.attribute("edit-locked") == Some("true");
    // Our exact mode wins; else the ORA composite-op; unknown ops (other
    // applications' private modes) fall back to normal.
    let mode = match element.attribute((NAMESPACE, "blend-mode")) {
        Some(name) => BlendMode::from_name(name)?,
        None => element
            .attribute("composite-op")
            .and_then(mode_of_composite_op)
            .unwrap_or(BlendMode::Normal),
    };
    let props = LayerProperties {
        name,
        visible,
        // Other writers round opacities; clamp tiny excursions like 1.0000001.
        opacity: opacity.clamp(0.0, 1.0),
        mode,
        locked,
        offset,
    };
    props.validate()?;
    Ok(props)
}

fn number_attribute<T: std::str::FromStr>(node: roxmltree::Node, name: &str) -> Result<T> {
    let text = node
        .attribute(name)
        .ok_or_else(|| not_ora(&format!("<{}> has no {name}", node.tag_name().name())))?;
    text.trim()
        .parse()
        .map_err(|_| not_ora(&format!("{name}=\"{text}\" is not a valid number")))
}

fn optional_number(node: roxmltree::Node, name: &str) -> Result<i32> {
    match node.attribute(name) {
        Some(_) => number_attribute(node, name),
        None => Ok(0),
    }
}

/// OpenRaster's composite-op for a mode: the W3C modes have `svg:` names;
/// for the others we write `svg:src-over`, so other readers fall back to
/// normal, and keep the exact mode in our namespace.
fn composite_op(mode: BlendMode) -> &'static str {
    match mode {
        BlendMode::Multiply => "svg:multiply",
        BlendMode::Screen => "svg:screen",
        BlendMode::Overlay => "svg:overlay",
        BlendMode::Darken => "svg:darken",
        BlendMode::Lighten => "svg:lighten",
        BlendMode::ColorDodge => "svg:color-dodge",
        BlendMode::ColorBurn => "svg:color-burn",
        BlendMode::HardLight => "svg:hard-light",
        BlendMode::SoftLight => "svg:soft-light",
        BlendMode::Difference => "svg:difference",
        BlendMode::Color => "svg:color",
        BlendMode::Luminosity => "svg:luminosity",
        BlendMode::Hue => "svg:hue",
        BlendMode::Saturation => "svg:saturation",
        _ => "svg:src-over",
    }
}

fn mode_of_composite_op(op: &str) -> Option<BlendMode> {
    BlendMode::ALL
        .into_iter()
        .find(|&m| composite_op(m) == op && (m == BlendMode::Normal || op != "svg:src-over"))
        .or((op == "svg:plus").then_some(BlendMode::LinearDodge))
}

/// Escapes text for a double-quoted XML attribute, so any layer name comes
/// back byte for byte. Characters XML 1.0 cannot hold become U+FFFD.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Parsers turn raw tabs and newlines in attributes into spaces.
            '\t' | '\n' | '\r' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn not_ora(why: &str) -> Error {
    Error::Decode(format!("not an OpenRaster project: {why}"))
}
