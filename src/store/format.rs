//! The store's format marker, `store/store.json`: which layout of folders
//! and columns the store holds and which yanpan wrote it. A yanpan reads
//! the formats up to its own and refuses a newer one with a message, so an
//! upgrade never misreads a store and a downgrade never damages one.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file in the store's folder.
pub const FORMAT_FILE: &str = "store.json";
/// The store format this yanpan writes and the newest it reads. Raise it
/// when a stored dataset, column or derived table changes meaning, and
/// teach [`check`] to read the older format (or to name the command that
/// converts it).
pub const FORMAT: u32 = 1;

/// What the marker holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// The store format.
    pub format: u32,
    /// The yanpan version that last wrote the store.
    pub written_by: String,
}

impl Marker {
    /// The marker this yanpan writes.
    pub fn current() -> Self {
        Marker {
            format: FORMAT,
            written_by: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The store cannot be read by this yanpan.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(
        "the store {path} is in format {found}, written by yanpan {written_by}; this yanpan {ours} reads formats 1 to {FORMAT}: run the newer yanpan, or point the pipeline's store at a new folder and ingest the exports again",
        ours = env!("CARGO_PKG_VERSION")
    )]
    Newer {
        path: PathBuf,
        found: u32,
        written_by: String,
    },
    #[error(
        "the store's format marker {path} cannot be read ({cause}): restore it from the backup of the store, or remove it if the store was written by yanpan 0.1"
    )]
    Unreadable { path: PathBuf, cause: String },
    #[error("store {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// Reads the marker of the store at `root`: `None` for a new store, or one
/// written before markers (format 1).
pub fn read(root: &Path) -> Result<Option<Marker>, FormatError> {
    let path = root.join(FORMAT_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(cause) => return Err(FormatError::Io { path, cause }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| FormatError::Unreadable {
            path,
            cause: e.to_string(),
        })
}

/// Checks that this yanpan can read the store at `root`.
pub fn check(root: &Path) -> Result<(), FormatError> {
    checked(root).map(drop)
}

/// The marker of the store at `root`, if this yanpan can read the store.
fn checked(root: &Path) -> Result<Option<Marker>, FormatError> {
    match read(root)? {
        Some(m) if m.format > FORMAT => Err(FormatError::Newer {
            path: root.to_path_buf(),
            found: m.format,
            written_by: m.written_by,
        }),
        marker => Ok(marker),
    }
}

/// Checks the store at `root` and marks it as written by this yanpan.
pub fn mark(root: &Path) -> Result<(), FormatError> {
    let current = Marker::current();
    if checked(root)?.as_ref() == Some(&current) {
        return Ok(());
    }
    let path = root.join(FORMAT_FILE);
    let io = |cause| FormatError::Io {
        path: path.clone(),
        cause,
    };
    fs::create_dir_all(root).map_err(io)?;
    let text = serde_json::to_string_pretty(&current).unwrap_or_default();
    fs::write(&path, text + "\n").map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_format_is_read_and_a_newer_one_refused() {
        let dir = std::env::temp_dir().join(format!("yanpan-format-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        assert!(check(&dir).is_ok(), "a new store is readable");
        mark(&dir).expect("mark");
        assert_eq!(read(&dir).expect("read"), Some(Marker::current()));
        assert!(check(&dir).is_ok());

        let newer = Marker {
            format: FORMAT + 1,
            written_by: "9.0.0".into(),
        };
        fs::write(
            dir.join(FORMAT_FILE),
            serde_json::to_string(&newer).expect("json"),
        )
        .expect("write");
        let message = check(&dir).expect_err("newer format refused").to_string();
        assert!(
            message.contains(&format!("format {}", FORMAT + 1))
                && message.contains("9.0.0")
                && message.contains("run the newer yanpan"),
            "{message}"
        );
        assert!(mark(&dir).is_err(), "a newer store is never overwritten");

        fs::write(dir.join(FORMAT_FILE), "{not json").expect("write");
        let message = check(&dir).expect_err("damaged marker").to_string();
        assert!(message.contains(FORMAT_FILE), "{message}");
        let _ = fs::remove_dir_all(&dir);
    }
}
