//! Backend choice. An [`Engine`] runs kernels on the GPU (wgpu: WebGPU in the
//! browser, Vulkan/Metal/DX12 natively) when a hardware adapter can be had,
//! otherwise on the CPU; a software adapter (llvmpipe, SwiftShader, a
//! browser's fallback adapter) is slower than the CPU path, so `auto` skips
//! it (see [`choice`]). Callers may force either backend.

pub mod choice;
mod gpu;
pub mod tiling;

pub use choice::{AdapterFound, Reason};
pub use gpu::{Dispatch, FoundAdapter, GpuContext};

use crate::{Error, Result};
use std::fmt;

/// The backend an engine runs its kernels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Cpu,
    Gpu,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
        })
    }
}

/// What the caller asks for when creating an engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendPreference {
    /// A hardware GPU when one exists, else the CPU (a software adapter is
    /// skipped: it is slower than the CPU path).
    #[default]
    Auto,
    /// CPU only, even when a GPU exists.
    Cpu,
    /// Any GPU adapter, software ones included, or an error: never falls
    /// back silently.
    Gpu,
}

impl BackendPreference {
    /// Parses `auto`, `cpu` or `gpu`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "gpu" => Ok(Self::Gpu),
            other => Err(Error::param(
                "backend",
                format!("'{other}' is not one of: auto, cpu, gpu"),
            )),
        }
    }
}

/// Runs kernels on the chosen backend.
pub struct Engine {
    gpu: Option<GpuContext>,
    /// Why the engine runs where it does (shown to the user).
    reason: Reason,
}

impl Engine {
    /// An engine that runs everything on the CPU.
    pub fn cpu() -> Engine {
        Engine {
            gpu: None,
            reason: Reason::CpuRequested,
        }
    }

    /// Creates an engine honouring `preference` by the rule in
    /// [`choice::decide`]: with [`BackendPreference::Gpu`] it fails when no
    /// adapter can be had; with `Auto` it falls back to the CPU when there is
    /// none or only a software one.
    pub async fn new(preference: BackendPreference) -> Result<Engine> {
        if preference == BackendPreference::Cpu {
            return Ok(Engine::cpu());
        }
        let (found, adapter) = match FoundAdapter::request().await {
            Ok(adapter) => {
                let found = match adapter.software_renderer() {
                    Some(name) => AdapterFound::Software {
                        api: adapter.api(),
                        name,
                    },
                    None => AdapterFound::Hardware,
                };
                (found, Some(adapter))
            }
            Err(Error::Gpu(why)) => (AdapterFound::None(why), None),
            Err(e) => (AdapterFound::None(e.to_string()), None),
        };
        let (backend, reason) = choice::decide(preference, &found)?;
        let gpu = match (backend, adapter) {
            (Backend::Gpu, Some(adapter)) => match GpuContext::open(adapter).await {
                Ok(gpu) => Some(gpu),
                Err(Error::Gpu(why)) if preference == BackendPreference::Auto => {
                    return Ok(Engine {
                        gpu: None,
                        reason: Reason::NoAdapter(why),
                    })
                }
                Err(e) => return Err(e),
            },
            _ => None,
        };
        Ok(Engine { gpu, reason })
    }

    /// The backend kernels run on.
    pub fn backend(&self) -> Backend {
        if self.gpu.is_some() {
            Backend::Gpu
        } else {
            Backend::Cpu
        }
    }

    /// A one-line description of the adapter, or "CPU".
    pub fn adapter_description(&self) -> String {
        match &self.gpu {
            Some(gpu) => gpu.description(),
            None if cfg!(target_arch = "wasm32") => "CPU (WebAssembly)".into(),
            None => "CPU".into(),
        }
    }

    /// Why the engine runs where it does: empty on a hardware GPU, else one
    /// sentence ("Auto chose the CPU: the only WebGPU adapter is a software
    /// one (SwiftShader), …").
    pub fn reason(&self) -> String {
        self.reason.text()
    }

    /// The reason as a stable key ([`Reason::code`]): "" on a hardware GPU,
    /// "software-skipped", "no-adapter", "cpu-requested" or "software-forced".
    pub fn reason_code(&self) -> &'static str {
        self.reason.code()
    }

    /// The GPU context, when the engine runs on the GPU.
    pub fn gpu(&self) -> Option<&GpuContext> {
        self.gpu.as_ref()
    }
}

/// The GPU engine shared by the tests, or `None` when no adapter exists.
/// With `RETOUCH_REQUIRE_GPU=1` (set by `./build.sh test`) a missing adapter
/// fails the test instead, so CI can never pass by skipping GPU checks.
#[cfg(test)]
pub(crate) fn test_gpu_engine() -> Option<&'static Engine> {
    use std::sync::OnceLock;
    static ENGINE: OnceLock<Option<Engine>> = OnceLock::new();
    let engine = ENGINE
        .get_or_init(|| pollster::block_on(Engine::new(BackendPreference::Gpu)).ok())
        .as_ref();
    if engine.is_none() && std::env::var("RETOUCH_REQUIRE_GPU").is_ok_and(|v| v == "1") {
        panic!("RETOUCH_REQUIRE_GPU=1 but no GPU adapter could be opened");
    }
    if engine.is_none() {
        eprintln!(
            "note: no GPU adapter; GPU parity checks not run (set RETOUCH_REQUIRE_GPU=1 to fail)"
        );
    }
    engine
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On this machine's best adapter, `auto` and `gpu` follow the rule:
    /// with only a software adapter (llvmpipe/lavapipe on CI) `auto` runs on
    /// the CPU and says why while `gpu` still opens the software adapter; with
    /// a hardware GPU both use it.
    #[test]
    fn auto_skips_a_software_adapter_that_gpu_still_takes() {
        let found = match pollster::block_on(FoundAdapter::request()) {
            Ok(found) => found,
            Err(e) => {
                if std::env::var("RETOUCH_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                    panic!("RETOUCH_REQUIRE_GPU=1 but no GPU adapter: {e}");
                }
                eprintln!("note: no GPU adapter ({e}); backend choice not checked on one");
                return;
            }
        };
        let software = found.software_renderer();
        let description = found.description();
        drop(found);
        let auto = pollster::block_on(Engine::new(BackendPreference::Auto)).unwrap();
        let forced = pollster::block_on(Engine::new(BackendPreference::Gpu)).unwrap();
        assert_eq!(forced.backend(), Backend::Gpu);
        assert_eq!(forced.adapter_description(), description);
        match software {
            Some(name) => {
                assert_eq!(auto.backend(), Backend::Cpu, "auto took {description}");
                assert_eq!(auto.reason_code(), "software-skipped");
                assert!(auto.reason().starts_with("Auto chose the CPU"));
                assert!(auto.reason().contains(&name), "{}", auto.reason());
                assert_eq!(forced.reason_code(), "software-forced");
                assert!(forced.reason().contains(&name), "{}", forced.reason());
            }
            None => {
                assert_eq!(auto.backend(), Backend::Gpu);
                assert_eq!(auto.adapter_description(), description);
                assert_eq!(auto.reason(), "");
                assert_eq!(forced.reason(), "");
            }
        }
    }

    #[test]
    fn the_cpu_engine_says_it_was_asked_for() {
        let engine = pollster::block_on(Engine::new(BackendPreference::Cpu)).unwrap();
        assert_eq!(engine.backend(), Backend::Cpu);
        assert_eq!(engine.adapter_description(), "CPU");
        assert_eq!(engine.reason_code(), "cpu-requested");
    }
}
