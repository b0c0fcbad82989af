//! Backend choice. An [`Engine`] runs kernels on the GPU (wgpu: WebGPU in the
//! browser, Vulkan/Metal/DX12 natively) when an adapter can be had, otherwise
//! on the CPU. Callers may force either backend.

mod gpu;
pub mod tiling;

pub use gpu::{Dispatch, GpuContext};

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
    /// GPU when an adapter exists, else CPU.
    #[default]
    Auto,
    /// CPU only, even when a GPU exists.
    Cpu,
    /// GPU or an error: never falls back silently.
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
    /// Why the GPU is not used, when it is not (shown to the user).
    cpu_reason: String,
}

impl Engine {
    /// An engine that runs everything on the CPU.
    pub fn cpu() -> Engine {
        Engine {
            gpu: None,
            cpu_reason: "CPU backend requested".into(),
        }
    }

    /// Creates an engine honouring `preference`. With [`BackendPreference::Gpu`]
    /// it fails when no adapter can be had; with `Auto` it falls back to the CPU.
    pub async fn new(preference: BackendPreference) -> Result<Engine> {
        if preference == BackendPreference::Cpu {
            return Ok(Engine::cpu());
        }
        match GpuContext::new().await {
            Ok(gpu) => Ok(Engine {
                gpu: Some(gpu),
                cpu_reason: String::new(),
            }),
            Err(e) if preference == BackendPreference::Auto => Ok(Engine {
                gpu: None,
                cpu_reason: e.to_string(),
            }),
            Err(e) => Err(e),
        }
    }

    /// The backend kernels run on.
    pub fn backend(&self) -> Backend {
        if self.gpu.is_some() {
            Backend::Gpu
        } else {
            Backend::Cpu
        }
    }

    /// A one-line description of the adapter, or why the CPU is used.
    pub fn adapter_description(&self) -> String {
        match &self.gpu {
            Some(gpu) => gpu.description(),
            None => format!("CPU ({})", self.cpu_reason),
        }
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
