//! Updating a project file in place without losing anyone's work.
//!
//! A read-modify-write (`retouch project add-layer` and the like) that races
//! another one would otherwise report success while the other's rename
//! throws its change away. [`ProjectFile::open_for_update`] takes an
//! exclusive lock on the file it read (an OS file lock, released when the
//! process ends however it ends, so no stale lock can be left behind) and
//! re-opens the path when the file it waited on was replaced meanwhile; it
//! waits at most the given time, then refuses. [`ProjectFile::save`] writes
//! through [`crate::atomic_write`] and, just before the rename, checks the
//! path still names the file that was read, unchanged: a program that does
//! not take the lock (another editor saving the file) makes the save fail
//! with a message instead of being overwritten.

use super::ora::LoadLimits;
use super::Document;
use crate::atomic_write::write_atomic_checked_with;
use crate::{Error, Result};
use std::fs::{File, Metadata};
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How long a command waits for another one updating the same project.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(20);
/// Pause between attempts to take the lock.
const RETRY_EVERY: Duration = Duration::from_millis(20);

/// A project file read under an exclusive lock, to be saved back in place.
pub struct ProjectFile {
    path: PathBuf,
    /// Holds the lock until the save has replaced the file (or is dropped).
    locked: File,
    identity: FileIdentity,
}

/// What tells one version of a file from another: which file the path names
/// (device and inode on unix) and its size and modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileIdentity {
    #[cfg(unix)]
    device_inode: (u64, u64),
    len: u64,
    modified: Option<SystemTime>,
}

impl FileIdentity {
    fn of(meta: &Metadata) -> Self {
        FileIdentity {
            #[cfg(unix)]
            device_inode: {
                use std::os::unix::fs::MetadataExt;
                (meta.dev(), meta.ino())
            },
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

impl ProjectFile {
    /// Opens `path` for an update, waiting up to `wait` while another
    /// update holds it.
    pub fn open_for_update(path: &Path, wait: Duration) -> Result<ProjectFile> {
        let io = |e: std::io::Error| Error::Io(format!("cannot read {}: {e}", path.display()));
        let deadline = Instant::now() + wait;
        loop {
            let file = File::open(path).map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        return Err(Error::Io(format!(
                            "{} is being changed by another command (waited {} s); \
                             nothing was written, run this again",
                            path.display(),
                            wait.as_secs()
                        )));
                    }
                    std::thread::sleep(RETRY_EVERY);
                    continue;
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
            let identity = FileIdentity::of(&file.metadata().map_err(io)?);
            // While we waited, the holder may have renamed a new version
            // over the path: lock that one instead.
            if FileIdentity::of(&std::fs::metadata(path).map_err(io)?) != identity {
                continue;
            }
            return Ok(ProjectFile {
                path: path.to_path_buf(),
                locked: file,
                identity,
            });
        }
    }

    /// The locked file from its start, read as it is needed (a project is
    /// never held whole).
    pub fn reader(&self) -> Result<BufReader<&File>> {
        let io = |e: std::io::Error| Error::Io(format!("cannot read {}: {e}", self.path.display()));
        let mut file = &self.locked;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        Ok(BufReader::new(file))
    }

    /// Loads the project from the locked file.
    pub fn load(&self) -> Result<Document> {
        Document::read_ora(self.reader()?, &LoadLimits::default())
    }

    /// Saves `doc` over the file, refusing (and writing nothing) if the file
    /// was replaced or changed since it was read.
    pub fn save(self, doc: &mut Document) -> Result<()> {
        self.write(|file| doc.write_ora(file))
    }

    /// Writes `bytes` as the new contents (the tests' way in).
    #[cfg(test)]
    fn write_bytes(self, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        self.write(|file| file.write_all(bytes).map_err(|e| Error::Io(e.to_string())))
    }

    fn write(
        self,
        contents: impl FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> Result<()>,
    ) -> Result<()> {
        let path = &self.path;
        write_atomic_checked_with(path, contents, || {
            let now = std::fs::metadata(path).map(|meta| FileIdentity::of(&meta));
            if now.as_ref().ok() == Some(&self.identity) {
                Ok(())
            } else {
                Err(Error::Io(format!(
                    "{} was changed by another program since it was read; \
                     nothing was written (run this again to apply it to the new version)",
                    path.display()
                )))
            }
        })?;
        drop(self.locked);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the update read.
    fn contents(update: &ProjectFile) -> Vec<u8> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut update.reader().unwrap(), &mut bytes).unwrap();
        bytes
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "retouch-project-file-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("p.ora")
    }

    #[test]
    fn a_change_made_meanwhile_is_not_overwritten() {
        let path = scratch("changed");
        std::fs::write(&path, b"version 1").unwrap();
        let update = ProjectFile::open_for_update(&path, Duration::ZERO).unwrap();
        assert_eq!(contents(&update), b"version 1");
        // Another program (not taking the lock) saves a new version.
        std::fs::write(path.with_extension("new"), b"their version").unwrap();
        std::fs::rename(path.with_extension("new"), &path).unwrap();
        let error = update.write_bytes(b"our version").unwrap_err().to_string();
        assert!(error.contains("was changed by another program"), "{error}");
        assert!(error.contains("p.ora"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), b"their version");
    }

    #[test]
    fn a_held_lock_is_waited_for_then_refused() {
        let path = scratch("locked");
        std::fs::write(&path, b"v1").unwrap();
        let first = ProjectFile::open_for_update(&path, Duration::ZERO).unwrap();
        let error = ProjectFile::open_for_update(&path, Duration::from_millis(50))
            .err()
            .expect("the second update must not get the lock")
            .to_string();
        assert!(
            error.contains("being changed by another command"),
            "{error}"
        );
        // Once the first is saved, the next update sees its version.
        first.write_bytes(b"v2").unwrap();
        let second = ProjectFile::open_for_update(&path, Duration::ZERO).unwrap();
        assert_eq!(contents(&second), b"v2");
        second.write_bytes(b"v3").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"v3");
    }

    #[test]
    fn a_waiting_update_follows_the_replaced_file() {
        let path = scratch("follow");
        std::fs::write(&path, b"v1").unwrap();
        let first = ProjectFile::open_for_update(&path, Duration::ZERO).unwrap();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let update = ProjectFile::open_for_update(&path, Duration::from_secs(60)).unwrap();
                let mut next = contents(&update);
                next.extend_from_slice(b"+b");
                update.write_bytes(&next).unwrap();
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        first.write_bytes(b"v1+a").unwrap();
        waiter.join().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"v1+a+b");
    }
}
