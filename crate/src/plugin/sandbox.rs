//! One instance of a plugin module in wasmi, with the ABI's limits: fuel for time, the store's
//! limit for memory, and only the `retouch` host functions to call.

use super::abi::{self, ABI_VERSION, HOST_MEMORY_CAP_MIB, HOST_TIME_CAP_MS};
use crate::{Error, Result};
use wasmi::{Caller, Config, Engine, Linker, Memory, Module, Store, StoreLimits, TypedFunc};

/// Fuel (about one unit per WebAssembly instruction) granted per millisecond of a plugin's time
/// limit: roughly what wasmi executes per millisecond on a slow laptop core, so a plugin is
/// stopped no later than its limit and at the same instruction on every machine.
pub const FUEL_PER_MS: u64 = 200_000;

/// The most log text kept from one run.
const LOG_CAP: usize = 4096;

/// What the host functions see.
struct HostState {
    limits: StoreLimits,
    log: String,
}

type FilterFn = TypedFunc<
    (
        i32,
        i32,
        i32,
        i32,
        i32,
        i32,
        i32,
        i32,
        i32,
        i32,
        i32,
        i32,
        i32,
    ),
    i32,
>;

/// A plugin module instantiated and ready to filter tiles.
pub struct Sandbox {
    plugin: String,
    store: Store<HostState>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    halo: TypedFunc<(i32, i32), i32>,
    filter: FilterFn,
    time_limit_ms: u32,
    /// The memory's declared maximum, in 64 KiB pages.
    max_memory_pages: u64,
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

impl Sandbox {
    /// Instantiates `wasm` (already accepted by [`abi::inspect_module`]) with `memory_limit_mib`
    /// and a budget of `time_limit_ms` (both capped by the host) for everything it runs.
    pub fn new(
        plugin: &str,
        wasm: &[u8],
        memory_limit_mib: u32,
        time_limit_ms: u32,
    ) -> Result<Sandbox> {
        let info = abi::inspect_module(wasm, memory_limit_mib)
            .map_err(|e| plugin_error(plugin, e.to_string()))?;
        let mut config = Config::default();
        config.consume_fuel(true);
        let engine = Engine::new(&config);
        let failed = |what: &str, e: wasmi::Error| plugin_error(plugin, format!("{what}: {e}"));
        let module = Module::new(&engine, wasm).map_err(|e| failed("cannot load the module", e))?;
        let memory_bytes = (memory_limit_mib.min(HOST_MEMORY_CAP_MIB) as usize) << 20;
        let limits = wasmi::StoreLimitsBuilder::new()
            .memory_size(memory_bytes)
            .instances(1)
            .memories(1)
            .build();
        let mut store = Store::new(
            &engine,
            HostState {
                limits,
                log: String::new(),
            },
        );
        store.limiter(|state| &mut state.limits);
        let time_limit_ms = time_limit_ms.min(HOST_TIME_CAP_MS);
        store
            .set_fuel(u64::from(time_limit_ms) * FUEL_PER_MS)
            .expect("fuel metering is on");
        let mut linker = Linker::<HostState>::new(&engine);
        linker
            .func_wrap(
                abi::HOST_NAMESPACE,
                "log",
                |caller: Caller<'_, HostState>, ptr: i32, len: i32| {
                    log_message(caller, ptr, len);
                },
            )
            .and_then(|l| l.func_wrap(abi::HOST_NAMESPACE, "progress", |_: f32| {}))
            // A native run is never cancelled part way (the CLI has no Cancel; a document
            // changes only after the last tile); the browser's Worker answers for real.
            .and_then(|l| l.func_wrap(abi::HOST_NAMESPACE, "cancelled", || -> i32 { 0 }))
            .expect("the host functions are defined once");
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| run_error(plugin, time_limit_ms, "starting", e))?;
        let memory = instance
            .get_memory(&store, "memory")
            .expect("inspect_module checked the memory export");
        let function = |name: &str| format!("the export '{name}' has the wrong type");
        let version: TypedFunc<(), i32> = instance
            .get_typed_func(&store, "retouch_abi_version")
            .map_err(|_| plugin_error(plugin, function("retouch_abi_version")))?;
        let mut sandbox = Sandbox {
            plugin: plugin.to_string(),
            alloc: instance
                .get_typed_func(&store, "retouch_alloc")
                .map_err(|_| plugin_error(plugin, function("retouch_alloc")))?,
            halo: instance
                .get_typed_func(&store, "retouch_halo")
                .map_err(|_| plugin_error(plugin, function("retouch_halo")))?,
            filter: instance
                .get_typed_func(&store, "retouch_filter")
                .map_err(|_| plugin_error(plugin, function("retouch_filter")))?,
            store,
            memory,
            time_limit_ms,
            max_memory_pages: info.max_memory_pages,
        };
        let found = version
            .call(&mut sandbox.store, ())
            .map_err(|e| sandbox.error("retouch_abi_version", e))?;
        if found != ABI_VERSION {
            return Err(plugin_error(
                plugin,
                format!("it was built for plugin ABI {found}; this host runs ABI {ABI_VERSION}"),
            ));
        }
        Ok(sandbox)
    }

    /// What the plugin logged so far.
    pub fn log(&self) -> &str {
        &self.store.data().log
    }

    /// A failed call in user terms; a trap with the memory grown to its maximum is most likely
    /// the plugin running out of memory (`memory.grow` fails there), so the message says so.
    fn error(&self, during: &str, e: wasmi::Error) -> Error {
        let trapped = e
            .as_trap_code()
            .is_some_and(|c| c != wasmi::TrapCode::OutOfFuel);
        let full = self.memory.size(&self.store) >= self.max_memory_pages;
        match run_error(&self.plugin, self.time_limit_ms, during, e) {
            Error::Plugin { plugin, message } if trapped && full => Error::Plugin {
                plugin,
                message: format!(
                    "{message}, with its memory at its limit of {} MiB: it ran out of memory",
                    abi::pages_to_mib(self.max_memory_pages)
                ),
            },
            other => other,
        }
    }

    /// Asks the module for `len` bytes of its memory.
    fn alloc(&mut self, len: usize) -> Result<usize> {
        let ptr = self
            .alloc
            .call(&mut self.store, len as i32)
            .map_err(|e| self.error("retouch_alloc", e))?;
        let end = (ptr as u32 as usize).checked_add(len);
        if ptr == 0 || end.is_none_or(|end| end > self.memory.data_size(&self.store)) {
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

    /// Allocates the run's buffers once: the largest input tile, output tile and the params.
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
        self.memory
            .write(&mut self.store, buffers.params, params)
            .map_err(|e| plugin_error(&self.plugin, e.to_string()))?;
        Ok(buffers)
    }

    /// The halo the module asks for with these parameters.
    pub fn halo(&mut self, buffers: &Buffers) -> Result<u32> {
        let halo = self
            .halo
            .call(
                &mut self.store,
                (buffers.params as i32, buffers.params_len as i32),
            )
            .map_err(|e| self.error("retouch_halo", e))?;
        let max = super::manifest::MAX_HALO as i32;
        if !(0..=max).contains(&halo) {
            return Err(plugin_error(
                &self.plugin,
                format!("retouch_halo returned {halo}; a halo must be between 0 and {max}"),
            ));
        }
        Ok(halo as u32)
    }

    /// Filters one tile: copies `input` in, runs `retouch_filter`, copies the output into
    /// `output`. The output buffer is first filled with a canary so that a plugin that never
    /// writes it is caught.
    #[allow(clippy::too_many_arguments)]
    pub fn filter_tile(
        &mut self,
        buffers: &Buffers,
        input: &[u8],
        input_size: (u32, u32),
        output: &mut [u8],
        output_size: (u32, u32),
        halo: u32,
        origin: (u32, u32),
        image_size: (u32, u32),
    ) -> Result<()> {
        assert!(
            input.len() <= buffers.input_len && output.len() <= buffers.output_len,
            "a tile larger than the buffers allocated for the run"
        );
        let memory = self.memory.data_mut(&mut self.store);
        memory[buffers.input..buffers.input + input.len()].copy_from_slice(input);
        let out = &mut memory[buffers.output..buffers.output + output.len()];
        out.copy_from_slice(canary(out.len()));
        let code = self
            .filter
            .call(
                &mut self.store,
                (
                    buffers.input as i32,
                    input_size.0 as i32,
                    input_size.1 as i32,
                    buffers.output as i32,
                    output_size.0 as i32,
                    output_size.1 as i32,
                    halo as i32,
                    buffers.params as i32,
                    buffers.params_len as i32,
                    origin.0 as i32,
                    origin.1 as i32,
                    image_size.0 as i32,
                    image_size.1 as i32,
                ),
            )
            .map_err(|e| self.error("retouch_filter", e))?;
        if code != 0 {
            let log = self.log();
            return Err(plugin_error(
                &self.plugin,
                format!(
                    "retouch_filter returned error code {code} on the tile at {},{}{}",
                    origin.0,
                    origin.1,
                    if log.is_empty() {
                        String::new()
                    } else {
                        format!(" (log: {log})")
                    }
                ),
            ));
        }
        // The module's memory may have grown (and moved) during the call.
        let memory = self.memory.data(&self.store);
        let written = &memory[buffers.output..buffers.output + output.len()];
        if let Some(row) = unwritten_row(written, output_size.0) {
            return Err(plugin_error(
                &self.plugin,
                format!(
                    "retouch_filter returned 0 but never wrote row {row} of its {}×{} output \
                     tile at {},{} (no output, or one of the wrong size)",
                    output_size.0, output_size.1, origin.0, origin.1
                ),
            ));
        }
        output.copy_from_slice(written);
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

fn log_message(caller: Caller<'_, HostState>, ptr: i32, len: i32) {
    let Some(memory) = caller.get_export("memory").and_then(|e| e.into_memory()) else {
        return;
    };
    let bytes = memory.data(&caller);
    let start = ptr as u32 as usize;
    let end = start.saturating_add(len as u32 as usize).min(bytes.len());
    let text = String::from_utf8_lossy(bytes.get(start..end).unwrap_or_default()).into_owned();
    let mut caller = caller;
    let log = &mut caller.data_mut().log;
    if log.len() < LOG_CAP {
        if !log.is_empty() {
            log.push('\n');
        }
        let room = LOG_CAP - log.len();
        log.extend(text.chars().scan(0, |n, c| {
            *n += c.len_utf8();
            (*n <= room).then_some(c)
        }));
    }
}

pub(crate) fn plugin_error(plugin: &str, message: impl Into<String>) -> Error {
    Error::Plugin {
        plugin: plugin.to_string(),
        message: message.into(),
    }
}

/// A wasmi error in user terms: out of fuel is the time limit, a failed growth the memory limit.
fn run_error(plugin: &str, time_limit_ms: u32, during: &str, e: wasmi::Error) -> Error {
    use wasmi::TrapCode;
    let message = match e.as_trap_code() {
        Some(TrapCode::OutOfFuel) => format!(
            "stopped at its time limit of {time_limit_ms} ms (in {during}): it ran too long"
        ),
        Some(TrapCode::GrowthOperationLimited) => {
            format!("stopped in {during}: it tried to use more memory than its limit allows")
        }
        Some(code) => format!("trapped in {during}: {code}"),
        None if e.to_string().contains("fuel") => format!(
            "stopped at its time limit of {time_limit_ms} ms (in {during}): it ran too long"
        ),
        None => format!("failed in {during}: {e}"),
    };
    plugin_error(plugin, message)
}
