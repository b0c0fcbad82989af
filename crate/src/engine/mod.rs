//! Backend choice. An [`Engine`] runs kernels on the GPU (wgpu: WebGPU in the
//! browser, Vulkan/Metal/DX12 natively) when a hardware adapter can be had,
//! otherwise on the CPU; a software adapter (llvmpipe, SwiftShader, a
//! browser's fallback adapter) is slower than the CPU path, so `auto` skips
//! it (see [`choice`]). Callers may force either backend.

pub mod choice;
mod gpu;
pub mod tiling;

pub use choice::{AdapterFound, Reason};
pub use gpu::{read_as, Dispatch, FoundAdapter, GpuContext};

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

    /// The GPU context, when the engine runs on the GPU: `None` on the CPU
    /// engine, and once the device was lost ([`GpuContext::lost`]), so that
    /// what comes after runs on the CPU instead of failing.
    pub fn gpu(&self) -> Option<&GpuContext> {
        self.gpu.as_ref().filter(|gpu| !gpu.is_lost())
    }
}

/// The GPU engine shared by the GPU tests. Those tests are ignored (listed
/// as such, with the reason) unless `RETOUCH_REQUIRE_GPU=1` compiles them in
/// (see `build.rs`), so a machine without an adapter never reports a GPU
/// check as passed; once asked for, a missing adapter fails the test.
#[cfg(test)]
pub(crate) fn test_gpu_engine() -> &'static Engine {
    use std::sync::OnceLock;
    static ENGINE: OnceLock<std::result::Result<Engine, String>> = OnceLock::new();
    match ENGINE.get_or_init(|| {
        pollster::block_on(Engine::new(BackendPreference::Gpu)).map_err(|e| e.to_string())
    }) {
        Ok(engine) => engine,
        Err(e) => panic!("a GPU test ran but no GPU adapter could be opened: {e}"),
    }
}

/// A GPU engine of the test's own, for a test that counts read-backs: on
/// the shared one other tests' would be counted too.
#[cfg(test)]
pub(crate) fn own_test_gpu_engine() -> Engine {
    pollster::block_on(Engine::new(BackendPreference::Gpu))
        .unwrap_or_else(|e| panic!("a GPU test ran but no GPU adapter could be opened: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A released device reports its loss, to those who asked before and
    /// after, and runs nothing more: its engine's work goes to the CPU.
    #[test]
    #[cfg_attr(
        not(gpu_tests),
        ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
    )]
    fn a_lost_device_is_reported_and_runs_nothing_more() {
        let engine = own_test_gpu_engine();
        let gpu = engine.gpu().expect("a GPU engine");
        assert_eq!(gpu.lost(), None);
        let early = gpu.when_lost();
        gpu.release();
        let why = pollster::block_on(early);
        assert_eq!(why.as_deref(), Some("the GPU device was released"));
        assert_eq!(gpu.lost(), why);
        assert_eq!(pollster::block_on(gpu.when_lost()), why);
        let image = image::RgbaImage::from_pixel(8, 8, image::Rgba([9, 8, 7, 255]));
        let options = crate::ops::blend::CompositeOptions::default();
        assert!(engine.gpu().is_none(), "no GPU to run on");
        let blended = crate::ops::blend::composite(&engine, &image, &image, None, &options);
        let on_cpu = crate::ops::blend::composite_cpu(&image, &image, None, &options);
        assert!(pollster::block_on(blended).unwrap() == on_cpu.unwrap());
    }

    /// On this machine's best adapter, `auto` and `gpu` follow the rule:
    /// with only a software adapter (llvmpipe/lavapipe on CI) `auto` runs on
    /// the CPU and says why while `gpu` still opens the software adapter; with
    /// a hardware GPU both use it.
    #[test]
    #[cfg_attr(
        not(gpu_tests),
        ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
    )]
    fn auto_skips_a_software_adapter_that_gpu_still_takes() {
        let found = pollster::block_on(FoundAdapter::request())
            .unwrap_or_else(|e| panic!("a GPU test ran but no GPU adapter was found: {e}"));
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
