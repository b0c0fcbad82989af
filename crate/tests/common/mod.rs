//! What the CLI tests share: running the `retouch` binary, a temporary folder per test, and
//! the checks that a failed command wrote nothing (no output, no temporary file left behind).
//!
//! Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the CLI with `args` and returns what it did.
pub fn retouch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retouch"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs the CLI and fails the test, showing its error output, unless it succeeds.
pub fn run_ok(args: &[&str]) {
    let out = retouch(args);
    assert!(out.status.success(), "retouch {args:?}: {}", stderr(&out));
}

/// The command's error output as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The path of one of the sample images in `web/samples`.
pub fn sample(name: &str) -> String {
    format!("{}/../web/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// After a failure: `path` was not written, and no temporary file of an atomic write was
/// left in its folder.
/// One of the test photographs in `crate/tests/photos` (see its README), decoded.
pub fn photo(name: &str) -> image::RgbaImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/photos/{name}.png"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    retouch::image_io::decode_rgba(&bytes).unwrap()
}

pub fn assert_no_output(path: &Path) {
    assert!(
        !path.exists(),
        "{} was written despite the error",
        path.display()
    );
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

/// The command failed with exactly one line of error containing `needle`, and wrote
/// nothing to `output` (see [`assert_no_output`]).
pub fn assert_clean_failure(out: &Output, needle: &str, output: &str) {
    let stderr = stderr(out);
    assert!(!out.status.success(), "succeeded: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "not one line: {stderr}"
    );
    assert!(stderr.contains(needle), "'{needle}' not in: {stderr}");
    assert_no_output(Path::new(output));
}

/// A temporary folder per CLI test, removed when the test ends.
pub struct Scratch(PathBuf);

impl Scratch {
    /// A fresh, empty folder named after the test and the process.
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("retouch-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// The path of `name` in the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The same path as a string, for command-line arguments.
    pub fn arg(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The largest peak resident memory of any child process waited for so far,
/// in MiB (`getrusage(RUSAGE_CHILDREN)`): a test binary that measures it
/// runs only the children it means to measure.
pub fn children_peak_mib() -> u64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage
    };
    // Linux reports kilobytes.
    usage.ru_maxrss as u64 / 1024
}
