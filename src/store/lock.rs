//! One run at a time per store: a lock file created exclusively in the
//! store folder, naming the process and when it started. A lock whose
//! process is gone (a crashed or killed run) is taken over, not obeyed.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const FILE: &str = ".yanpan-run.lock";

/// Another run holds the store.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another run started at {started_at} by process {pid} on {host} holds the store {store}; wait for it to finish (if that process is gone, remove {file})"
    )]
    Held {
        store: PathBuf,
        file: PathBuf,
        pid: u32,
        host: String,
        started_at: String,
    },
    #[error("cannot lock the store {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
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
    /// A stale lock of a process that is gone, taken over.
    pub took_over: Option<String>,
}

fn host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "this machine".into())
}

/// Whether process `pid` is alive on this machine (Linux: /proc; elsewhere
/// a lock is assumed alive).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

impl RunLock {
    pub fn acquire(store: &Path) -> Result<RunLock, LockError> {
        let io = |source| LockError::Io {
            path: store.to_path_buf(),
            source,
        };
        fs::create_dir_all(store).map_err(io)?;
        let path = store.join(FILE);
        let me = Holder {
            pid: std::process::id(),
            host: host(),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let mut took_over = None;
        for _ in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let text = serde_json::to_string(&me).unwrap_or_default();
                    f.write_all(text.as_bytes()).map_err(io)?;
                    return Ok(RunLock { path, took_over });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let held: Option<Holder> = fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| serde_json::from_str(&t).ok());
                    match held {
                        Some(h) if h.host == me.host && !alive(h.pid) => {
                            took_over = Some(format!(
                                "took over the lock of process {} (started at {}), which is gone",
                                h.pid, h.started_at
                            ));
                            fs::remove_file(&path).map_err(io)?;
                        }
                        Some(h) => {
                            return Err(LockError::Held {
                                store: store.to_path_buf(),
                                file: path.clone(),
                                pid: h.pid,
                                host: h.host,
                                started_at: h.started_at,
                            });
                        }
                        // Unreadable: being written this instant, or damaged.
                        None => {
                            return Err(LockError::Held {
                                store: store.to_path_buf(),
                                file: path.clone(),
                                pid: 0,
                                host: "an unknown host".into(),
                                started_at: "an unknown time".into(),
                            });
                        }
                    }
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(io(std::io::Error::other(
            "the lock changed hands while taking it over",
        )))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
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
