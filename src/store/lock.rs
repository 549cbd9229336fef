//! One run at a time per store: an exclusive lock (`File::try_lock`, which
//! the system releases when the process ends, however it ends) on a file
//! in the store folder. The file names the holder (process, host, start
//! time); the holder writes it after it holds the lock, and a run that is
//! refused waits a moment for those details rather than print blanks.

use std::fs;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

const FILE: &str = ".yanpan-run.lock";
/// How long a refused run waits for the holder's details.
const DETAILS_WAIT: Duration = Duration::from_secs(2);

/// Another run holds the store.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another run started at {started_at} by process {pid} on {host} holds the store {store} (lock {file}); wait for it to finish"
    )]
    Held {
        store: PathBuf,
        file: PathBuf,
        pid: u32,
        host: String,
        started_at: String,
    },
    #[error("cannot lock the store {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Holder {
    pid: u32,
    host: String,
    started_at: String,
}

/// Held while a run works on a store; released when dropped.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    file: fs::File,
    /// The lock of a run that ended without releasing it, taken over.
    pub took_over: Option<String>,
}

fn host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "this machine".into())
}

/// Whether process `pid` is alive on this machine (Linux: /proc; elsewhere
/// a process is assumed alive).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

fn read_holder(path: &Path) -> Option<Holder> {
    serde_json::from_str(&fs::read_to_string(path).ok()?).ok()
}

/// Whether `file` is still the file at `path` (not removed by a holder
/// that released it while this run was opening it).
#[cfg(unix)]
fn same_file(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &fs::File, path: &Path) -> bool {
    path.exists()
}

impl RunLock {
    pub fn acquire(store: &Path) -> Result<RunLock, LockError> {
        let io = |source| LockError::Io {
            path: store.to_path_buf(),
            cause: source,
        };
        fs::create_dir_all(store).map_err(io)?;
        let path = store.join(FILE);
        loop {
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) if same_file(&file, &path) => return Self::hold(path, file).map_err(io),
                // Released and removed meanwhile: open the new file.
                Ok(()) => continue,
                Err(fs::TryLockError::WouldBlock) => return Err(held(store, &path)),
                Err(fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
    }

    /// Writes this run's details into the locked file.
    fn hold(path: PathBuf, mut file: fs::File) -> std::io::Result<RunLock> {
        let took_over = read_holder(&path).map(|h| {
            format!(
                "took over the lock of process {} (started at {}), which is gone",
                h.pid, h.started_at
            )
        });
        let me = Holder {
            pid: std::process::id(),
            host: host(),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(serde_json::to_string(&me)?.as_bytes())?;
        file.sync_data()?;
        Ok(RunLock {
            path,
            file,
            took_over,
        })
    }
}

/// The refusal, naming the holder once its details are there.
fn held(store: &Path, path: &Path) -> LockError {
    let deadline = Instant::now() + DETAILS_WAIT;
    let holder = loop {
        match read_holder(path) {
            Some(h) if h.host != host() || alive(h.pid) => break Some(h),
            _ if Instant::now() >= deadline => break None,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let h = holder.unwrap_or(Holder {
        pid: 0,
        host: "an unknown host".into(),
        started_at: "an unknown time".into(),
    });
    LockError::Held {
        store: store.to_path_buf(),
        file: path.to_path_buf(),
        pid: h.pid,
        host: h.host,
        started_at: h.started_at,
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Removed while still held, so no run can lock the old file after.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_and_a_dead_holder_is_taken_over() {
        let dir = std::env::temp_dir().join(format!("yanpan-lock-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let first = RunLock::acquire(&dir).expect("first");
        let err = RunLock::acquire(&dir).expect_err("held");
        assert!(
            err.to_string()
                .contains(&format!("process {}", std::process::id())),
            "{err}"
        );
        drop(first);
        // A lock left by a process that no longer exists.
        let dead = Holder {
            pid: u32::MAX - 1,
            host: host(),
            started_at: "2024-01-01T00:00:00Z".into(),
        };
        assert!(!alive(dead.pid));
        fs::write(dir.join(FILE), serde_json::to_string(&dead).expect("json")).expect("write");
        let taken = RunLock::acquire(&dir).expect("taken over");
        assert!(
            taken
                .took_over
                .as_deref()
                .is_some_and(|t| t.contains("gone"))
        );
        drop(taken);
        assert!(!dir.join(FILE).exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
