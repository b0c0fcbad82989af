//! Writing files natively so that no reader ever sees half a file, a planted
//! link is never followed and an interrupted write leaves nothing behind.
//!
//! Every file the CLI and the core write goes through [`write_atomic`]: the
//! bytes go to a temporary file in the target's directory, created
//! exclusively under a random name (`create_new`, plus `O_NOFOLLOW` on unix,
//! so a symlink planted at that name makes the open fail instead of being
//! followed), flushed to disk, then renamed over the target. Temporary names
//! start with [`TEMP_PREFIX`] and the writer's PID; the next write to the
//! same folder removes ours that are left over from a process that died (its
//! PID is gone) or that are older than [`STALE_AFTER`].

use crate::{Error, Result};
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How our temporary files' names start: `.retouch-tmp-PID-RANDOM`.
pub const TEMP_PREFIX: &str = ".retouch-tmp-";
/// A temporary file of ours this old is left over whatever its PID says (the
/// PID may have been reused).
pub const STALE_AFTER: Duration = Duration::from_secs(60 * 60);
/// Fresh names tried before giving up (each failure is a name someone else
/// holds, e.g. a planted link).
const NAME_ATTEMPTS: usize = 16;

/// Writes `bytes` to `path` atomically (see the module docs).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_checked(path, bytes, || Ok(()))
}

/// Like [`write_atomic`], with the contents streamed by `write` into the
/// temporary file (so a large output is never held whole in memory). An
/// error from `write` removes the temporary file and leaves `path` as it was.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&mut File>) -> Result<()>,
) -> Result<()> {
    write_atomic_streamed(path, write, || Ok(()), random_names())
}

/// Like [`write_atomic`], calling `before_rename` once the temporary file is
/// on disk and just before it replaces `path`: an error there (for example
/// "the target changed since it was read") removes the temporary file and
/// leaves `path` as it was.
pub fn write_atomic_checked(
    path: &Path,
    bytes: &[u8],
    before_rename: impl FnOnce() -> Result<()>,
) -> Result<()> {
    write_atomic_named(path, bytes, before_rename, random_names())
}

/// [`write_atomic_with`] calling `before_rename` as [`write_atomic_checked`] does.
pub fn write_atomic_checked_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&mut File>) -> Result<()>,
    before_rename: impl FnOnce() -> Result<()>,
) -> Result<()> {
    write_atomic_streamed(path, write, before_rename, random_names())
}

/// [`write_atomic_checked`] with the temporary names drawn from `names`
/// (random ones in use; tests pass a name they planted a link at).
pub(crate) fn write_atomic_named(
    path: &Path,
    bytes: &[u8],
    before_rename: impl FnOnce() -> Result<()>,
    names: impl Iterator<Item = String>,
) -> Result<()> {
    write_atomic_streamed(
        path,
        |file| {
            file.write_all(bytes)
                .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))
        },
        before_rename,
        names,
    )
}

/// The one implementation: `write` fills the temporary file through a
/// buffer, which is flushed and synced before `before_rename` and the rename.
fn write_atomic_streamed(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&mut File>) -> Result<()>,
    before_rename: impl FnOnce() -> Result<()>,
    names: impl Iterator<Item = String>,
) -> Result<()> {
    let cannot = |e: std::io::Error| Error::Io(format!("cannot write {}: {e}", path.display()));
    if path.file_name().is_none() {
        return Err(Error::Io(format!("{} is not a file name", path.display())));
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    remove_stale_temporaries(&dir);
    let (tmp, mut file) = create_exclusive(&dir, names).map_err(cannot)?;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 20, &mut file);
    let streamed = write(&mut buffered).and_then(|()| buffered.flush().map_err(cannot));
    drop(buffered);
    let written = streamed
        .and_then(|()| file.sync_all().map_err(cannot))
        .and_then(|()| before_rename())
        .and_then(|()| std::fs::rename(&tmp, path).map_err(cannot));
    drop(file);
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    } else {
        sync_directory(&dir);
    }
    written
}

/// Creates a new file in `dir` under the first name from `names` nobody
/// holds; never opens an existing file or follows a link.
fn create_exclusive(
    dir: &Path,
    names: impl Iterator<Item = String>,
) -> std::io::Result<(PathBuf, File)> {
    let mut last_error = None;
    for name in names.take(NAME_ATTEMPTS) {
        let tmp = dir.join(name);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW).mode(0o666);
        }
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no temporary name to try")))
}

/// `.retouch-tmp-PID-RANDOM` names, random from the standard library's
/// per-process hash keys, the clock and a counter.
fn random_names() -> impl Iterator<Item = String> {
    let pid = std::process::id();
    (0u64..).map(move |attempt| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(attempt);
        if let Ok(now) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
            hasher.write_u128(now.as_nanos());
        }
        format!("{TEMP_PREFIX}{pid}-{:016x}", hasher.finish())
    })
}

/// The PID in one of our temporary names, if `name` is one.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    rest.split_once('-')?.0.parse().ok()
}

/// Removes our temporary files in `dir` whose writer is gone or that are
/// older than [`STALE_AFTER`]. Best effort: a file that cannot be removed is
/// left for the next write.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if !(meta.file_type().is_file() || meta.file_type().is_symlink()) {
            continue;
        }
        let old = meta
            .modified()
            .ok()
            .and_then(|time| time.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        let orphaned = pid != std::process::id() && !process_is_alive(pid);
        if old || orphaned {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether a process with this PID exists (signal 0 checks without sending).
#[cfg(unix)]
fn process_is_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks for the process; no memory is involved.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Elsewhere only the age tells a temporary file is stale.
#[cfg(not(unix))]
fn process_is_alive(_pid: u32) -> bool {
    true
}

/// Flushes the rename itself to disk (unix; a no-op where directories
/// cannot be opened).
fn sync_directory(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("retouch-atomic-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn our_temporaries(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with(TEMP_PREFIX))
            .collect()
    }

    #[test]
    fn writes_and_replaces_leaving_no_temporary() {
        let dir = scratch("replace");
        let target = dir.join("out.bin");
        write_atomic(&target, b"first").unwrap();
        write_atomic(&target, b"second").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"second");
        assert!(our_temporaries(&dir).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_the_temporary_name_is_not_followed() {
        let dir = scratch("symlink");
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, b"precious").unwrap();
        let planted = format!("{TEMP_PREFIX}{}-planted", std::process::id());
        std::os::unix::fs::symlink(&victim, dir.join(&planted)).unwrap();
        let target = dir.join("out.bin");
        let names = std::iter::once(planted.clone()).chain(random_names());
        write_atomic_named(&target, b"output", || Ok(()), names).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(&target).unwrap(), b"output");
        // Only the planted name was tried and refused; it is still a link.
        assert!(std::fs::symlink_metadata(dir.join(&planted))
            .unwrap()
            .file_type()
            .is_symlink());
        // With nothing but the planted name to try, the write fails and the
        // file behind the link is still untouched.
        let error = write_atomic_named(&target, b"x", || Ok(()), std::iter::once(planted))
            .unwrap_err()
            .to_string();
        assert!(error.contains("out.bin"), "{error}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(&target).unwrap(), b"output");
    }

    #[test]
    fn a_failed_check_leaves_the_target_and_no_temporary() {
        let dir = scratch("check");
        let target = dir.join("out.bin");
        write_atomic(&target, b"kept").unwrap();
        let error = write_atomic_checked(&target, b"lost", || {
            Err(Error::Io("changed meanwhile".into()))
        })
        .unwrap_err();
        assert_eq!(error, Error::Io("changed meanwhile".into()));
        assert_eq!(std::fs::read(&target).unwrap(), b"kept");
        assert!(our_temporaries(&dir).is_empty());
    }

    #[test]
    fn stale_temporaries_are_removed_by_the_next_write() {
        let dir = scratch("stale");
        // A writer that has exited: its PID is gone.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let orphan = format!("{TEMP_PREFIX}{dead}-0123456789abcdef");
        std::fs::write(dir.join(&orphan), b"half a file").unwrap();
        // A live writer's file, but older than the stale age.
        let old = format!("{TEMP_PREFIX}{}-old", std::process::id());
        let file = File::create(dir.join(&old)).unwrap();
        file.set_modified(SystemTime::now() - STALE_AFTER - Duration::from_secs(60))
            .unwrap();
        // A live writer's fresh file, and someone else's file: both kept.
        let live = format!("{TEMP_PREFIX}{}-busy", std::process::id());
        std::fs::write(dir.join(&live), b"in progress").unwrap();
        std::fs::write(dir.join(".other-tmp-1"), b"not ours").unwrap();
        write_atomic(&dir.join("out.bin"), b"x").unwrap();
        assert_eq!(our_temporaries(&dir), [live]);
        assert!(dir.join(".other-tmp-1").exists());
    }

    #[test]
    fn temporary_names_are_ours_and_differ() {
        let names: Vec<String> = random_names().take(3).collect();
        assert!(names
            .iter()
            .all(|n| temp_owner(n) == Some(std::process::id())));
        assert!(names[0] != names[1] && names[1] != names[2]);
        assert_eq!(temp_owner("photo.png"), None);
    }
}
