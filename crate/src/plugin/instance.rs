//! The ABI (`docs/plugin-abi.md`) driven over whichever WebAssembly engine holds the plugin:
//! wasmtime natively ([`super::sandbox`]), the browser's own engine in a Worker (`crate::wasm`).
//! The engine only offers calls and memory access ([`ModuleRuntime`]); the checks that make a
//! tile trustworthy (ABI version, buffer bounds, halo range, return code, the output canary)
//! live here once, so both hosts refuse the same plugins with the same messages.

use super::abi::ABI_VERSION;
use crate::{Error, Result};

/// What the host needs of an instantiated plugin module. Errors are already in user terms
/// ([`Error::Plugin`]: "stopped at its time limit", "trapped in retouch_filter: …").
pub trait ModuleRuntime {
    /// Calls the exported function `export` with `args`, returning its `i32` result.
    fn call(&mut self, export: &'static str, args: &[i32]) -> Result<i32>;
    /// Copies `bytes` into the module's memory at `at` (checked against its size).
    fn write(&mut self, at: usize, bytes: &[u8]) -> Result<()>;
    /// Copies `out.len()` bytes of the module's memory from `at` into `out`.
    fn read(&mut self, at: usize, out: &mut [u8]) -> Result<()>;
    /// The module's memory itself, where the engine can lend it (natively): tiles are then
    /// gathered into it and placed out of it directly, without a copy through the host's own
    /// buffers each way. `None` where it lives elsewhere (the browser's engine).
    fn memory_mut(&mut self) -> Option<&mut [u8]>;
    /// The module's memory size in bytes now.
    fn memory_len(&self) -> usize;
    /// What the plugin logged so far (through `retouch.log`).
    fn log(&self) -> String;
}

/// Where a run's buffers live in the module's memory.
#[derive(Debug, Clone, Copy)]
pub struct Buffers {
    pub input: usize,
    pub input_len: usize,
    pub output: usize,
    pub output_len: usize,
    pub params: usize,
    pub params_len: usize,
}

/// One tile to filter: the input's size (with its halo), the output's and where it sits.
#[derive(Debug, Clone, Copy)]
pub struct TileCall {
    pub input_size: (u32, u32),
    pub output_size: (u32, u32),
    pub halo: u32,
    /// The output tile's corner in layer coordinates.
    pub origin: (u32, u32),
    /// The layer's size.
    pub image_size: (u32, u32),
}

/// A plugin module that answered the ABI version check, ready to filter tiles.
pub struct PluginInstance<R> {
    plugin: String,
    runtime: R,
    /// A tile's bytes on their way in or out, for an engine that does not lend its memory.
    staging: Vec<u8>,
}

impl<R: ModuleRuntime> PluginInstance<R> {
    /// Wraps an instantiated module of plugin `plugin` and checks its ABI version.
    pub fn new(plugin: &str, mut runtime: R) -> Result<Self> {
        let found = runtime.call("retouch_abi_version", &[])?;
        if found != ABI_VERSION {
            return Err(plugin_error(
                plugin,
                format!("it was built for plugin ABI {found}; this host runs ABI {ABI_VERSION}"),
            ));
        }
        Ok(PluginInstance {
            plugin: plugin.to_string(),
            runtime,
            staging: Vec::new(),
        })
    }

    /// What the plugin logged so far.
    pub fn log(&self) -> String {
        self.runtime.log()
    }

    /// Asks the module for `len` bytes of its memory.
    fn alloc(&mut self, len: usize) -> Result<usize> {
        let ptr = self.runtime.call("retouch_alloc", &[len as i32])?;
        let end = (ptr as u32 as usize).checked_add(len);
        if ptr == 0 || end.is_none_or(|end| end > self.runtime.memory_len()) {
            return Err(plugin_error(
                &self.plugin,
                format!(
                    "retouch_alloc({len}) returned no usable buffer (out of memory within the \
                     plugin's limit?)"
                ),
            ));
        }
        Ok(ptr as u32 as usize)
    }

    /// Allocates a run's buffers once: the largest input tile, output tile and the params.
    pub fn buffers(
        &mut self,
        input_len: usize,
        output_len: usize,
        params: &[u8],
    ) -> Result<Buffers> {
        let buffers = Buffers {
            input: self.alloc(input_len)?,
            input_len,
            output: self.alloc(output_len)?,
            output_len,
            params: self.alloc(params.len().max(4))?,
            params_len: params.len(),
        };
        self.runtime.write(buffers.params, params)?;
        Ok(buffers)
    }

    /// The halo the module asks for with the parameters in `buffers`.
    pub fn halo(&mut self, buffers: &Buffers) -> Result<u32> {
        let args = [buffers.params as i32, buffers.params_len as i32];
        let halo = self.runtime.call("retouch_halo", &args)?;
        let max = super::manifest::MAX_HALO as i32;
        if !(0..=max).contains(&halo) {
            return Err(plugin_error(
                &self.plugin,
                format!("retouch_halo returned {halo}; a halo must be between 0 and {max}"),
            ));
        }
        Ok(halo as u32)
    }

    /// Filters one tile: `gather` writes its input (`input_size` pixels) into the input buffer,
    /// the output buffer is filled with a canary (so that a plugin that never writes it is
    /// caught), `retouch_filter` runs, and `place` receives the checked output. Where the engine
    /// lends its memory, both happen in it directly.
    pub fn filter_tile(
        &mut self,
        buffers: &Buffers,
        tile: &TileCall,
        gather: impl FnOnce(&mut [u8]),
        place: impl FnOnce(&[u8]),
    ) -> Result<()> {
        let input_len = (tile.input_size.0 * tile.input_size.1 * 4) as usize;
        let output_len = (tile.output_size.0 * tile.output_size.1 * 4) as usize;
        assert!(
            input_len <= buffers.input_len && output_len <= buffers.output_len,
            "a tile larger than the buffers allocated for the run"
        );
        let canary = canary(output_len);
        if let Some(memory) = self.runtime.memory_mut() {
            // `alloc` checked both buffers against the memory, which never shrinks.
            gather(&mut memory[buffers.input..][..input_len]);
            memory[buffers.output..][..output_len].copy_from_slice(canary);
        } else {
            self.staging.resize(input_len, 0);
            gather(&mut self.staging);
            self.runtime.write(buffers.input, &self.staging)?;
            self.runtime.write(buffers.output, canary)?;
        }
        let args = [
            buffers.input as i32,
            tile.input_size.0 as i32,
            tile.input_size.1 as i32,
            buffers.output as i32,
            tile.output_size.0 as i32,
            tile.output_size.1 as i32,
            tile.halo as i32,
            buffers.params as i32,
            buffers.params_len as i32,
            tile.origin.0 as i32,
            tile.origin.1 as i32,
            tile.image_size.0 as i32,
            tile.image_size.1 as i32,
        ];
        let code = self.runtime.call("retouch_filter", &args)?;
        if code != 0 {
            let log = self.log();
            return Err(plugin_error(
                &self.plugin,
                format!(
                    "retouch_filter returned error code {code} on the tile at {},{}{}",
                    tile.origin.0,
                    tile.origin.1,
                    if log.is_empty() {
                        String::new()
                    } else {
                        format!(" (log: {log})")
                    }
                ),
            ));
        }
        let output: &[u8] = match self.runtime.memory_mut() {
            Some(memory) => &memory[buffers.output..][..output_len],
            None => {
                self.staging.resize(output_len, 0);
                self.runtime.read(buffers.output, &mut self.staging)?;
                &self.staging
            }
        };
        if let Some(row) = unwritten_row(output, tile.output_size.0) {
            return Err(plugin_error(
                &self.plugin,
                format!(
                    "retouch_filter returned 0 but never wrote row {row} of its {}×{} output \
                     tile at {},{} (no output, or one of the wrong size)",
                    tile.output_size.0, tile.output_size.1, tile.origin.0, tile.origin.1
                ),
            ));
        }
        place(output);
        Ok(())
    }
}

/// The canary an output tile holds before the plugin runs: a byte pattern no image fill
/// produces by chance (byte `i` is `(i mod 251) xor 0xA5`, repeating across rows), for the
/// first `len` bytes (at most a whole tile's). Built once: filling and checking it is a copy
/// and a comparison, not a division per byte, on the host's hot path.
pub(crate) fn canary(len: usize) -> &'static [u8] {
    static PATTERN: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        let tile = (super::filter_host::TILE * super::filter_host::TILE * 4) as usize;
        (0..tile).map(|i| (i % 251) as u8 ^ 0xA5).collect()
    });
    &pattern[..len]
}

/// The first row of a `width`-pixel tile that still holds the canary whole: a plugin that wrote
/// nothing, or fewer rows or narrower rows than asked for. (A whole row matching by chance
/// after a real write is beyond any likelihood.)
pub(crate) fn unwritten_row(bytes: &[u8], width: u32) -> Option<usize> {
    let row_len = width as usize * 4;
    let canary = canary(bytes.len());
    bytes
        .chunks_exact(row_len)
        .zip(canary.chunks_exact(row_len))
        .position(|(pixels, untouched)| pixels == untouched)
}

/// An error that names the plugin.
pub fn plugin_error(plugin: &str, message: impl Into<String>) -> Error {
    Error::Plugin {
        plugin: plugin.to_string(),
        message: message.into(),
    }
}
