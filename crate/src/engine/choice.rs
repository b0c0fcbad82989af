//! The backend rule, as a pure function of what the caller asked for and
//! what kind of adapter exists: `auto` takes a hardware GPU but not a
//! software one (Mesa's llvmpipe/lavapipe, SwiftShader, WARP, a browser's
//! fallback adapter), which runs the kernels 10–20× slower than the CPU path;
//! forcing the GPU takes whatever adapter there is.

use super::{Backend, BackendPreference};
use crate::{Error, Result};

/// What an adapter request found, reduced to what the rule needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterFound {
    /// No adapter could be had; the text says why.
    None(String),
    /// A software renderer. `api` names where it came from ("WebGPU",
    /// "Vulkan", …) and `name` the renderer ("SwiftShader", "llvmpipe", …).
    Software { api: String, name: String },
    /// A hardware GPU, or an adapter that does not say it is not one.
    Hardware,
}

/// Why an engine runs where it does, in a form a page can map to its own
/// short label ([`Reason::code`]) and a sentence for people ([`Reason::text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A hardware GPU runs the kernels: nothing to explain.
    HardwareGpu,
    /// The caller asked for the CPU.
    CpuRequested,
    /// `auto` found only a software adapter and chose the CPU.
    SoftwareSkipped { api: String, name: String },
    /// `auto` found no adapter at all.
    NoAdapter(String),
    /// The caller forced the GPU and the adapter is a software one.
    SoftwareForced { api: String, name: String },
}

impl Reason {
    /// A stable key for pages and scripts: "" (hardware GPU),
    /// "cpu-requested", "software-skipped", "no-adapter" or "software-forced".
    pub fn code(&self) -> &'static str {
        match self {
            Reason::HardwareGpu => "",
            Reason::CpuRequested => "cpu-requested",
            Reason::SoftwareSkipped { .. } => "software-skipped",
            Reason::NoAdapter(_) => "no-adapter",
            Reason::SoftwareForced { .. } => "software-forced",
        }
    }

    /// One sentence saying why, empty when a hardware GPU is used.
    pub fn text(&self) -> String {
        match self {
            Reason::HardwareGpu => String::new(),
            Reason::CpuRequested => "the CPU was requested".into(),
            Reason::SoftwareSkipped { api, name } => format!(
                "Auto chose the CPU: the only {api} adapter is a software one ({name}), \
                 slower than the CPU path; choose the gpu backend to use it anyway"
            ),
            Reason::NoAdapter(why) => format!("Auto chose the CPU: {why}"),
            Reason::SoftwareForced { api, name } => format!(
                "GPU forced: the {api} adapter is a software one ({name}), \
                 slower than the CPU path"
            ),
        }
    }
}

/// The backend and why. Forcing the GPU with no adapter is an error (the
/// text of [`AdapterFound::None`]); every other case has an answer.
pub fn decide(preference: BackendPreference, found: &AdapterFound) -> Result<(Backend, Reason)> {
    match (preference, found) {
        (BackendPreference::Cpu, _) => Ok((Backend::Cpu, Reason::CpuRequested)),
        (_, AdapterFound::Hardware) => Ok((Backend::Gpu, Reason::HardwareGpu)),
        (BackendPreference::Auto, AdapterFound::Software { api, name }) => Ok((
            Backend::Cpu,
            Reason::SoftwareSkipped {
                api: api.clone(),
                name: name.clone(),
            },
        )),
        (BackendPreference::Gpu, AdapterFound::Software { api, name }) => Ok((
            Backend::Gpu,
            Reason::SoftwareForced {
                api: api.clone(),
                name: name.clone(),
            },
        )),
        (BackendPreference::Auto, AdapterFound::None(why)) => {
            Ok((Backend::Cpu, Reason::NoAdapter(why.clone())))
        }
        (BackendPreference::Gpu, AdapterFound::None(why)) => Err(Error::Gpu(why.clone())),
    }
}

/// Software renderers that may not say so through their device type (or
/// whose name is clearer than the type), by a lower-case fragment of the
/// adapter's name, vendor or architecture, with the name to show.
const SOFTWARE_RENDERERS: &[(&str, &str)] = &[
    ("swiftshader", "SwiftShader"),
    ("llvmpipe", "llvmpipe"),
    ("lavapipe", "lavapipe"),
    ("softpipe", "softpipe"),
    ("microsoft basic render", "WARP"),
    ("warp", "WARP"),
];

/// The software renderer `text` (an adapter's name, vendor or architecture)
/// names, if it names one.
pub fn software_renderer(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    SOFTWARE_RENDERERS
        .iter()
        .find(|(fragment, _)| {
            // "warp" only as a whole word: "Warpath GPU" is not WARP.
            if *fragment == "warp" {
                lower
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|word| word == "warp")
            } else {
                lower.contains(fragment)
            }
        })
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn software(api: &str, name: &str) -> AdapterFound {
        AdapterFound::Software {
            api: api.into(),
            name: name.into(),
        }
    }

    #[test]
    fn auto_takes_a_hardware_gpu_and_says_nothing() {
        let (backend, reason) = decide(BackendPreference::Auto, &AdapterFound::Hardware).unwrap();
        assert_eq!(backend, Backend::Gpu);
        assert_eq!(reason, Reason::HardwareGpu);
        assert_eq!(reason.text(), "");
        assert_eq!(reason.code(), "");
    }

    #[test]
    fn auto_skips_a_software_adapter_and_says_why() {
        for (api, name) in [("WebGPU", "SwiftShader"), ("Vulkan", "llvmpipe")] {
            let (backend, reason) = decide(BackendPreference::Auto, &software(api, name)).unwrap();
            assert_eq!(backend, Backend::Cpu);
            assert_eq!(reason.code(), "software-skipped");
            let text = reason.text();
            assert!(text.starts_with("Auto chose the CPU"), "{text}");
            assert!(text.contains(&format!("only {api} adapter is a software one")));
            assert!(text.contains(name), "{text}");
        }
    }

    #[test]
    fn auto_without_an_adapter_runs_on_the_cpu_and_says_why() {
        let found = AdapterFound::None("WebGPU is not available in this browser".into());
        let (backend, reason) = decide(BackendPreference::Auto, &found).unwrap();
        assert_eq!(backend, Backend::Cpu);
        assert_eq!(reason.code(), "no-adapter");
        assert_eq!(
            reason.text(),
            "Auto chose the CPU: WebGPU is not available in this browser"
        );
    }

    #[test]
    fn forcing_the_gpu_takes_a_software_adapter_and_notes_it() {
        let (backend, reason) =
            decide(BackendPreference::Gpu, &software("Vulkan", "llvmpipe")).unwrap();
        assert_eq!(backend, Backend::Gpu);
        assert_eq!(reason.code(), "software-forced");
        assert!(reason.text().contains("llvmpipe"), "{}", reason.text());
        let (backend, reason) = decide(BackendPreference::Gpu, &AdapterFound::Hardware).unwrap();
        assert_eq!((backend, reason), (Backend::Gpu, Reason::HardwareGpu));
    }

    #[test]
    fn forcing_the_gpu_without_an_adapter_is_an_error() {
        let found = AdapterFound::None("no GPU adapter: none found".into());
        let error = decide(BackendPreference::Gpu, &found).unwrap_err();
        assert!(error.to_string().contains("no GPU adapter"), "{error}");
    }

    #[test]
    fn asking_for_the_cpu_always_gets_it() {
        for found in [
            AdapterFound::Hardware,
            software("WebGPU", "SwiftShader"),
            AdapterFound::None("none".into()),
        ] {
            let (backend, reason) = decide(BackendPreference::Cpu, &found).unwrap();
            assert_eq!(backend, Backend::Cpu);
            assert_eq!(reason.code(), "cpu-requested");
        }
    }

    #[test]
    fn software_renderers_are_recognised_by_name() {
        assert_eq!(
            software_renderer("llvmpipe (LLVM 15.0.6, 256 bits)"),
            Some("llvmpipe")
        );
        assert_eq!(software_renderer("swiftshader"), Some("SwiftShader"));
        assert_eq!(
            software_renderer("SwiftShader Device (Subzero)"),
            Some("SwiftShader")
        );
        assert_eq!(
            software_renderer("Microsoft Basic Render Driver"),
            Some("WARP")
        );
        assert_eq!(software_renderer("WARP"), Some("WARP"));
        assert_eq!(software_renderer("NVIDIA GeForce RTX 4090"), None);
        assert_eq!(software_renderer("AMD Radeon Warpath"), None);
        assert_eq!(software_renderer(""), None);
    }
}
