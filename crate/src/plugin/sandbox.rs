//! A plugin module compiled by wasmtime (Cranelift), natively, with the ABI's limits: a clock
//! for time (epoch interruption, counting only the time the plugin runs), a resource limiter for
//! memory, and only the `retouch` host functions to call. [`super::instance`] drives it.

use super::abi::{self, HOST_MEMORY_CAP_MIB, HOST_TIME_CAP_MS};
use super::instance::{plugin_error, ModuleRuntime, PluginInstance};
use crate::{Error, Result};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use wasmtime::{
    Caller, Config, Engine, Func, Instance, Linker, Memory, Module, Store, StoreLimits, Trap, Val,
};

/// How often the sandbox's clock ticks: the time limit is kept to within about this much.
const TICK: Duration = Duration::from_millis(1);

/// The most log text kept from one run.
const LOG_CAP: usize = 4096;

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
    /// Advances the engine's epoch while the sandbox lives (declared last: dropped after the
    /// store, it stops its thread).
    _clock: Clock,
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
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| failed("cannot start wasmtime", e))?;
        let module =
            Module::new(&engine, wasm).map_err(|e| failed("cannot compile the module", e))?;
        let memory_bytes = (memory_limit_mib.min(HOST_MEMORY_CAP_MIB) as usize) << 20;
        let limits = wasmtime::StoreLimitsBuilder::new()
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
        let time_limit_ms = time_limit_ms.min(HOST_TIME_CAP_MS);
        let mut time_left = Duration::from_millis(time_limit_ms.into());
        let clock = Clock::start(engine);
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

/// A thread that advances an engine's epoch every [`TICK`] until it is dropped, so a plugin
/// stuck in a loop reaches its deadline and is stopped there (wasmtime checks the epoch at
/// every function entry and loop back-edge).
struct Clock {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Clock {
    fn start(engine: Engine) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("plugin clock".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    engine.increment_epoch();
                }
            })
            .expect("a thread for the plugin's clock");
        Clock {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
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
