//! The memory budget: every command and document operation works out its
//! peak memory from the sizes involved before it allocates, and refuses
//! with a message saying how much it needs when that would pass the budget,
//! instead of being killed (natively) or trapping (wasm32, whose whole
//! address space is 4 GiB) half way.
//!
//! The budget is, natively, half the machine's physical memory, or
//! `RETOUCH_MEMORY_BUDGET` (bytes, or with a K, M or G suffix); in wasm32
//! it is [`WASM_BUDGET`], leaving the rest of the 4 GiB for the runtime's
//! own allocations. Estimates count image buffers (the large allocations)
//! and a fixed allowance for everything else ([`BASE_BYTES`]); the CLI's
//! peak-memory tests hold the measured peaks to them.

use crate::{Error, Result};

/// What a process needs besides its image buffers (code, the allocator,
/// decoders' and encoders' row buffers, zip and PNG state).
pub const BASE_BYTES: u64 = 64 << 20;
/// The budget in wasm32: the 4 GiB address space less room for the
/// runtime's own allocations and fragmentation.
pub const WASM_BUDGET: u64 = 3 << 30;
/// Assumed physical memory where it cannot be read.
#[cfg(not(target_arch = "wasm32"))]
const UNKNOWN_PHYSICAL: u64 = 8 << 30;

/// Bytes of an RGBA8 image.
pub fn rgba8(width: u32, height: u32) -> u64 {
    u64::from(width) * u64::from(height) * 4
}

/// Bytes of an 8-bit mask.
pub fn gray8(width: u32, height: u32) -> u64 {
    u64::from(width) * u64::from(height)
}

#[cfg(test)]
thread_local! {
    /// A budget set by [`with_budget`] for this test thread.
    static TEST_BUDGET: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Runs `work` with the budget set to `bytes` on this thread: tests of the
/// refusals, without the environment (shared by all test threads).
#[cfg(test)]
pub(crate) fn with_budget<R>(bytes: u64, work: impl FnOnce() -> R) -> R {
    TEST_BUDGET.with(|b| b.set(Some(bytes)));
    let result = work();
    TEST_BUDGET.with(|b| b.set(None));
    result
}

/// The budget in bytes (see the module docs).
pub fn budget() -> u64 {
    #[cfg(test)]
    if let Some(bytes) = TEST_BUDGET.with(|b| b.get()) {
        return bytes;
    }
    #[cfg(target_arch = "wasm32")]
    {
        WASM_BUDGET
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::env::var("RETOUCH_MEMORY_BUDGET")
            .ok()
            .and_then(|text| parse_bytes(&text))
            .unwrap_or_else(|| physical_memory() / 2)
    }
}

/// Physical memory in bytes, from the OS.
#[cfg(not(target_arch = "wasm32"))]
fn physical_memory() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads system constants.
        let (pages, page_size) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        if pages > 0 && page_size > 0 {
            return pages as u64 * page_size as u64;
        }
    }
    UNKNOWN_PHYSICAL
}

/// `1234`, `512K`, `800M`, `2.5G` (binary units) as bytes.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_uppercase()),
        _ => (text, 'B'),
    };
    let scale = match unit {
        'B' => 1u64,
        'K' => 1 << 10,
        'M' => 1 << 20,
        'G' => 1 << 30,
        _ => return None,
    };
    let value: f64 = number.trim().parse().ok()?;
    if value.is_finite() && value > 0.0 {
        Some((value * scale as f64) as u64)
    } else {
        None
    }
}

/// Refuses `operation` when its estimated peak, `bytes` of buffers plus
/// [`BASE_BYTES`], would pass the [`budget`].
pub fn check(operation: &str, bytes: u64) -> Result<()> {
    check_within(operation, bytes, budget())
}

/// [`check`] against an explicit budget (tests, callers with their own).
pub fn check_within(operation: &str, bytes: u64, budget: u64) -> Result<()> {
    let needed = bytes.saturating_add(BASE_BYTES);
    if needed <= budget {
        return Ok(());
    }
    Err(Error::TooLarge(format!(
        "{operation} would need about {} of memory, more than the {} budget \
         (natively half the physical memory, or RETOUCH_MEMORY_BUDGET; \
         in the browser 3 GiB); make the image smaller first",
        show(needed),
        show(budget)
    )))
}

/// Bytes as MiB or GiB, one decimal.
fn show(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
    } else {
        format!("{:.0} MiB", bytes as f64 / f64::from(1u32 << 20))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_bytes("1234"), Some(1234));
        assert_eq!(parse_bytes("512K"), Some(512 << 10));
        assert_eq!(parse_bytes("800m"), Some(800 << 20));
        assert_eq!(parse_bytes("2.5G"), Some(5 << 29));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("0"), None);
        assert_eq!(parse_bytes("-3G"), None);
        assert_eq!(parse_bytes("3T"), None);
    }

    #[test]
    fn a_need_past_the_budget_is_refused_with_both_sizes() {
        let image = rgba8(16384, 16384);
        assert!(check_within("export", image, 2 * image).is_ok());
        let err = check_within("export 16384×16384", 3 * image, 2 * image)
            .unwrap_err()
            .to_string();
        assert!(err.contains("export 16384×16384"), "{err}");
        assert!(err.contains("3.1 GiB"), "{err}");
        assert!(err.contains("2.0 GiB budget"), "{err}");
    }

    #[test]
    fn the_native_budget_is_a_part_of_physical_memory() {
        let physical = physical_memory();
        assert!(physical >= 256 << 20, "{physical}");
        if std::env::var_os("RETOUCH_MEMORY_BUDGET").is_none() {
            assert_eq!(budget(), physical / 2);
        }
    }
}
