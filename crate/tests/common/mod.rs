//! A temporary folder per CLI test, removed when the test ends.

use std::path::PathBuf;

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
