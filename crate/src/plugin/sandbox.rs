//! A plugin module compiled by wasmtime (Cranelift), natively, with the ABI's limits: a clock
//! for time (epoch interruption, counting only the time the plugin runs), a resource limiter for
//! memory, and only the `retouch` host functions to call. [`super::instance`] drives it.
//!
//! Every sandbox runs in one engine with one clock, and a module is compiled once per process
//! (the last [`MODULES_KEPT`] kept): a run's bands and the runs after it (a preview, then the
//! apply) instantiate the compiled module instead of compiling it again.

use super::abi::{self, HOST_MEMORY_CAP_MIB, HOST_TIME_CAP_MS};
use super::instance::{plugin_error, ModuleRuntime, PluginInstance};
use crate::{Error, Result};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use wasmtime::{
    Caller, Config, Engine, Func, Instance, Linker, Memory, Module, Store, StoreLimits, Trap, Val,
};

/// How often the sandbox's clock ticks: the time limit is kept to within about this much.
const TICK: Duration = Duration::from_millis(1);

/// The most log text kept from one run.
const LOG_CAP: usize = 4096;

/// How many compiled modules are kept for later runs.
const MODULES_KEPT: usize = 8;

/// What the host functions see.
struct HostState {
    limits: StoreLimits,
    log: String,
}

/// A module compiled and instantiated in wasmtime.
pub struct Sandbox {
    plugin: String,
    store: Store<HostState>,
    instance: Instance,
    memory: Memory,
    time_limit_ms: u32,
    /// What is left of the time limit: only calls into the plugin spend it.
    time_left: Duration,
    /// The memory's declared maximum, in 64 KiB pages.
    max_memory_pages: u64,
    /// Keeps the shared clock ticking while the sandbox lives.
    _clock: ClockUser,
}

impl Sandbox {
    /// Compiles and instantiates `wasm` (checked by [`abi::inspect_module`] here again) with
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
        let failed = |what: &str, e: wasmtime::Error| plugin_error(plugin, format!("{what}: {e}"));
        let runtime = Runtime::get().map_err(|e| plugin_error(plugin, e.clone()))?;
        let module = runtime
            .module(wasm)
            .map_err(|e| failed("cannot compile the module", e))?;
        let memory_bytes = (memory_limit_mib.min(HOST_MEMORY_CAP_MIB) as usize) << 20;
        let limits = wasmtime::StoreLimitsBuilder::new()
            .memory_size(memory_bytes)
            .instances(1)
            .memories(1)
            .build();
        let mut store = Store::new(
            &runtime.engine,
            HostState {
                limits,
                log: String::new(),
            },
        );
        store.limiter(|state| &mut state.limits);
        let mut linker = Linker::<HostState>::new(&runtime.engine);
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
        let time_limit_ms = time_limit_ms.min(HOST_TIME_CAP_MS);
        let mut time_left = Duration::from_millis(time_limit_ms.into());
        let clock = ClockUser::new(runtime);
        let instance = metered(&mut store, &mut time_left, |store| {
            linker.instantiate(store, &module)
        })
        .map_err(|e| run_error(plugin, time_limit_ms, "starting", e))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .expect("inspect_module checked the memory export");
        let sandbox = Sandbox {
            plugin: plugin.to_string(),
            store,
            instance,
            memory,
            time_limit_ms,
            time_left,
            max_memory_pages: info.max_memory_pages,
            _clock: clock,
        };
        PluginInstance::new(plugin, sandbox)
    }

    /// A failed call in user terms; a trap with the memory grown to its maximum is most likely
    /// the plugin running out of memory (`memory.grow` fails there), so the message says so.
    fn error(&self, during: &str, e: wasmtime::Error) -> Error {
        let trapped = e
            .downcast_ref::<Trap>()
            .is_some_and(|t| *t != Trap::Interrupt);
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
            .get_func(&mut self.store, export)
            .expect("inspect_module checked the ABI exports");
        let params: Vec<Val> = args.iter().map(|a| Val::I32(*a)).collect();
        let mut result = [Val::I32(0)];
        metered(&mut self.store, &mut self.time_left, |store| {
            function.call(store, &params, &mut result)
        })
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

    fn memory_mut(&mut self) -> Option<&mut [u8]> {
        Some(self.memory.data_mut(&mut self.store))
    }

    fn memory_len(&self) -> usize {
        self.memory.data_size(&self.store)
    }

    fn log(&self) -> String {
        self.store.data().log.clone()
    }
}

/// Runs `enter` (a call into the plugin) with what is left of its time as the epoch deadline,
/// and takes the time it ran off what is left.
fn metered<T>(
    store: &mut Store<HostState>,
    time_left: &mut Duration,
    enter: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<T>,
) -> wasmtime::Result<T> {
    let ticks = time_left.as_nanos().div_ceil(TICK.as_nanos()).max(1);
    store.set_epoch_deadline(ticks as u64);
    let started = Instant::now();
    let result = enter(store);
    *time_left = time_left.saturating_sub(started.elapsed());
    result
}

/// The engine all sandboxes share, its compiled modules and its clock: a thread that advances
/// the epoch every [`TICK`] while any sandbox lives, so a plugin stuck in a loop reaches its
/// deadline and is stopped there (wasmtime checks the epoch at every function entry and loop
/// back-edge). Deadlines are set relative to the epoch at each call, so one clock serves all.
struct Runtime {
    engine: Engine,
    /// Compiled modules with their bytes, the most recently used last.
    modules: Mutex<Vec<(Vec<u8>, Module)>>,
    /// How many sandboxes are alive; the clock sleeps while none is.
    users: Mutex<usize>,
    wake: Condvar,
}

impl Runtime {
    /// The process's runtime, started on first use (or why it could not be).
    fn get() -> std::result::Result<&'static Runtime, &'static String> {
        static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
        let runtime = RUNTIME.get_or_init(|| {
            let mut config = Config::new();
            config.epoch_interruption(true);
            let engine = Engine::new(&config).map_err(|e| format!("cannot start wasmtime: {e}"))?;
            Ok(Runtime {
                engine,
                modules: Mutex::new(Vec::new()),
                users: Mutex::new(0),
                wake: Condvar::new(),
            })
        });
        let runtime = runtime.as_ref()?;
        static CLOCK: OnceLock<()> = OnceLock::new();
        CLOCK.get_or_init(|| {
            std::thread::Builder::new()
                .name("plugin clock".into())
                .spawn(move || runtime.tick())
                .expect("a thread for the plugins' clock");
        });
        Ok(runtime)
    }

    fn tick(&self) {
        loop {
            drop(
                self.wake
                    .wait_while(lock(&self.users), |users| *users == 0)
                    .unwrap_or_else(|e| e.into_inner()),
            );
            std::thread::sleep(TICK);
            self.engine.increment_epoch();
        }
    }

    /// `wasm` compiled, from the modules kept or now (then kept). Compiling holds the lock, so
    /// bands starting together compile a module once.
    fn module(&self, wasm: &[u8]) -> wasmtime::Result<Module> {
        let mut modules = lock(&self.modules);
        if let Some(at) = modules
            .iter()
            .position(|(bytes, _)| bytes.as_slice() == wasm)
        {
            let kept = modules.remove(at);
            let module = kept.1.clone();
            modules.push(kept);
            return Ok(module);
        }
        let module = Module::new(&self.engine, wasm)?;
        if modules.len() == MODULES_KEPT {
            modules.remove(0);
        }
        modules.push((wasm.to_vec(), module.clone()));
        Ok(module)
    }
}

/// Whether `wasm` is among the modules kept compiled.
#[cfg(test)]
pub(super) fn is_compiled(wasm: &[u8]) -> bool {
    Runtime::get().is_ok_and(|runtime| {
        lock(&runtime.modules)
            .iter()
            .any(|(bytes, _)| bytes.as_slice() == wasm)
    })
}

/// A lock that survives a panic elsewhere (what it guards stays consistent: a list and a count).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps the runtime's clock ticking while it lives.
struct ClockUser(&'static Runtime);

impl ClockUser {
    fn new(runtime: &'static Runtime) -> Self {
        *lock(&runtime.users) += 1;
        runtime.wake.notify_all();
        ClockUser(runtime)
    }
}

impl Drop for ClockUser {
    fn drop(&mut self) {
        *lock(&self.0.users) -= 1;
    }
}

fn log_message(mut caller: Caller<'_, HostState>, ptr: i32, len: i32) {
    let Some(memory) = caller.get_export("memory").and_then(|e| e.into_memory()) else {
        return;
    };
    let bytes = memory.data(&caller);
    let start = ptr as u32 as usize;
    let end = start.saturating_add(len as u32 as usize).min(bytes.len());
    let text = String::from_utf8_lossy(bytes.get(start..end).unwrap_or_default()).into_owned();
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

/// A wasmtime error in user terms: an interrupt is the time limit. (A failed `memory.grow`
/// is no error: it returns −1 to the plugin, and [`Sandbox::error`] names a trap after it.)
fn run_error(plugin: &str, time_limit_ms: u32, during: &str, e: wasmtime::Error) -> Error {
    let message = match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => format!(
            "stopped at its time limit of {time_limit_ms} ms (in {during}): it ran too long"
        ),
        Some(trap) => format!("trapped in {during}: {trap}"),
        None => format!("failed in {during}: {e}"),
    };
    plugin_error(plugin, message)
}
