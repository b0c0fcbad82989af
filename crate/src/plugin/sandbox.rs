//! A plugin module in wasmi, natively, with the ABI's limits: fuel for time, the store's limit
//! for memory, and only the `retouch` host functions to call. [`super::instance`] drives it.

use super::abi::{self, HOST_MEMORY_CAP_MIB, HOST_TIME_CAP_MS};
use super::instance::{plugin_error, ModuleRuntime, PluginInstance};
use crate::{Error, Result};
use wasmi::{
    Caller, Config, Engine, Func, Instance, Linker, Memory, Module, Store, StoreLimits, Val,
};

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

/// A module instantiated in wasmi.
pub struct Sandbox {
    plugin: String,
    store: Store<HostState>,
    instance: Instance,
    memory: Memory,
    time_limit_ms: u32,
    /// The memory's declared maximum, in 64 KiB pages.
    max_memory_pages: u64,
}

impl Sandbox {
    /// Instantiates `wasm` (checked by [`abi::inspect_module`] here again) with
    /// `memory_limit_mib` and a budget of `time_limit_ms` (both capped by the host) for
    /// everything it runs, and checks its ABI version.
    pub fn instantiate(
        plugin: &str,
        wasm: &[u8],
        memory_limit_mib: u32,
        time_limit_ms: u32,
    ) -> Result<PluginInstance<Sandbox>> {
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
            // changes only after the last tile); the browser's Worker is terminated instead.
            .and_then(|l| l.func_wrap(abi::HOST_NAMESPACE, "cancelled", || -> i32 { 0 }))
            .expect("the host functions are defined once");
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| run_error(plugin, time_limit_ms, "starting", e))?;
        let memory = instance
            .get_memory(&store, "memory")
            .expect("inspect_module checked the memory export");
        let sandbox = Sandbox {
            plugin: plugin.to_string(),
            store,
            instance,
            memory,
            time_limit_ms,
            max_memory_pages: info.max_memory_pages,
        };
        PluginInstance::new(plugin, sandbox)
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

    fn out_of_bounds(&self, at: usize, len: usize) -> Error {
        plugin_error(
            &self.plugin,
            format!(
                "its buffer at {at} ({len} bytes) lies outside its {} bytes of memory",
                self.memory_len()
            ),
        )
    }
}

impl ModuleRuntime for Sandbox {
    fn call(&mut self, export: &'static str, args: &[i32]) -> Result<i32> {
        let function: Func = self
            .instance
            .get_func(&self.store, export)
            .expect("inspect_module checked the ABI exports");
        let params: Vec<Val> = args.iter().map(|a| Val::I32(*a)).collect();
        let mut result = [Val::I32(0)];
        function
            .call(&mut self.store, &params, &mut result)
            .map_err(|e| self.error(export, e))?;
        match result[0] {
            Val::I32(value) => Ok(value),
            _ => unreachable!("inspect_module checked the ABI signatures"),
        }
    }

    fn write(&mut self, at: usize, bytes: &[u8]) -> Result<()> {
        self.memory
            .write(&mut self.store, at, bytes)
            .map_err(|_| self.out_of_bounds(at, bytes.len()))
    }

    fn read(&mut self, at: usize, out: &mut [u8]) -> Result<()> {
        self.memory
            .read(&self.store, at, out)
            .map_err(|_| self.out_of_bounds(at, out.len()))
    }

    fn memory_len(&self) -> usize {
        self.memory.data_size(&self.store)
    }

    fn log(&self) -> String {
        self.store.data().log.clone()
    }
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
