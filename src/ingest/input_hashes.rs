//! Each input's SHA-256, kept with what the file system says of the file
//! when it was hashed (`store/.input_hashes.json`), so that an export not
//! touched since is not read again only to be hashed: a decade of exports
//! is 9 GB.
//!
//! A kept hash is used only when the file's size, modification time,
//! status-change time, inode and device are all as they were. Writing a
//! file, replacing it, copying over it or touching it changes at least one
//! of them; the status-change time cannot be set back by any tool. A hash
//! taken within two seconds of the file's last change is not kept, since
//! a file system with coarse times could record a second change within
//! the same tick (the rule git uses for its index). `yanpan run
//! --recompute` and `yanpan ingest` hash every input again.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// The file in the store (hidden: not part of the store's fingerprint).
pub const FILE: &str = ".input_hashes.json";

/// A hash this close to the file's last change is not kept.
const SETTLED: Duration = Duration::from_secs(2);

/// What the file system says of a file: size, times (ns since the
/// epoch), inode and device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    size: u64,
    modified_ns: i128,
    changed_ns: i128,
    inode: u64,
    device: u64,
}

impl Stamp {
    /// The file's stamp now; None where the platform gives no
    /// status-change time or inode.
    pub fn of(path: &Path) -> std::io::Result<Option<Stamp>> {
        let meta = fs::metadata(path)?;
        Ok(stamp(&meta))
    }

    /// The file's last change, of content or status.
    fn last_change_ns(&self) -> i128 {
        self.modified_ns.max(self.changed_ns)
    }
}

#[cfg(unix)]
fn stamp(meta: &fs::Metadata) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
    Some(Stamp {
        size: meta.size(),
        modified_ns: ns(meta.mtime(), meta.mtime_nsec()),
        changed_ns: ns(meta.ctime(), meta.ctime_nsec()),
        inode: meta.ino(),
        device: meta.dev(),
    })
}

#[cfg(not(unix))]
fn stamp(_: &fs::Metadata) -> Option<Stamp> {
    None
}

/// `file`'s SHA-256 read now, and what to keep of it (None when the file
/// changed while it was read, or had just changed).
fn hashed(file: &Path) -> std::io::Result<(String, Option<Kept>)> {
    let before = Stamp::of(file)?;
    let hashed_at = now_ns();
    let sha256 = crate::store::sha256_file(file)?;
    let keep = before
        .filter(|b| Stamp::of(file).ok().flatten() == Some(*b))
        .filter(|b| hashed_at - b.last_change_ns() > SETTLED.as_nanos() as i128)
        .map(|stamp| Kept {
            stamp,
            sha256: sha256.clone(),
        });
    Ok((sha256, keep))
}

/// An input's SHA-256: the kept one when it holds, else taken beside the
/// run's other work (on the thread pool) from the moment the input is
/// listed, so that reading the input need not wait for it. Asking for it
/// waits until it is taken.
#[derive(Debug, Clone)]
pub struct Digest(Arc<Taken>);

#[derive(Debug)]
struct Taken {
    file: PathBuf,
    /// The hash and what to keep of it, or why the file could not be read.
    sha256: OnceLock<Result<(String, Option<Kept>), String>>,
}

impl Digest {
    /// `file`'s digest, begun now unless `known` keeps a hash that holds.
    pub fn of(known: &InputHashes, file: &Path) -> std::io::Result<Digest> {
        let sha256 = match known.holding(file)? {
            Some(kept) => OnceLock::from(Ok((kept.sha256.clone(), Some(kept.clone())))),
            None => OnceLock::new(),
        };
        let digest = Digest(Arc::new(Taken {
            file: file.to_path_buf(),
            sha256,
        }));
        if digest.0.sha256.get().is_none() {
            // On the shared pool, so that many inputs do not make many
            // threads: a hash not begun when it is asked for is taken by
            // the thread that asks.
            let behind = digest.clone();
            rayon::spawn(move || {
                let _ = behind.taken();
            });
        }
        Ok(digest)
    }

    fn taken(&self) -> &Result<(String, Option<Kept>), String> {
        self.0
            .sha256
            .get_or_init(|| hashed(&self.0.file).map_err(|e| e.to_string()))
    }

    /// The SHA-256 (hex).
    pub fn sha256(&self) -> std::io::Result<&str> {
        match self.taken() {
            Ok((sha256, _)) => Ok(sha256),
            Err(e) => Err(std::io::Error::other(e.clone())),
        }
    }

    /// The hash to keep, if any.
    pub fn kept(&self) -> Option<&Kept> {
        self.taken()
            .as_ref()
            .ok()
            .and_then(|(_, kept)| kept.as_ref())
    }
}

/// One kept hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub stamp: Stamp,
    pub sha256: String,
}

/// The kept hashes, by file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputHashes {
    files: BTreeMap<PathBuf, Kept>,
}

impl InputHashes {
    /// What the store keeps (none when there is no file or it cannot be
    /// read: every input is then hashed).
    pub fn read(store: &Path) -> InputHashes {
        fs::read(store.join(FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// The kept hash of `file`, when the file is as it was.
    fn holding(&self, file: &Path) -> std::io::Result<Option<&Kept>> {
        let now = Stamp::of(file)?;
        Ok(self.files.get(file).filter(|k| Some(k.stamp) == now))
    }

    /// The hashes to keep for `files` (those of other files are dropped).
    pub fn of<'a>(files: impl IntoIterator<Item = (&'a Path, Option<&'a Kept>)>) -> InputHashes {
        InputHashes {
            files: files
                .into_iter()
                .filter_map(|(f, k)| Some((f.to_path_buf(), k?.clone())))
                .collect(),
        }
    }

    /// Writes them into the store, unless it keeps exactly these.
    pub fn keep(&self, store: &Path) -> std::io::Result<()> {
        if *self == Self::read(store) {
            return Ok(());
        }
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::store::write_atomically(&store.join(FILE), &text)
    }
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::store::sha256_hex;

    /// `file`'s hash as a run takes it, and what to keep.
    fn taken(known: &InputHashes, file: &Path) -> (String, Option<Kept>) {
        let digest = Digest::of(known, file).expect("stat");
        let sha256 = digest.sha256().expect("hash").to_string();
        (sha256, digest.kept().cloned())
    }

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("yanpan-hashes-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("dir");
        d
    }

    #[test]
    fn a_kept_hash_is_used_only_while_the_file_is_as_it_was() {
        let d = dir("kept");
        let file = d.join("petitions.csv");
        fs::write(&file, "编号,摘要\n1,甲\n").expect("write");
        // Hashed at once: the file has just changed, so nothing is kept.
        let (sha, keep) = taken(&InputHashes::default(), &file);
        assert_eq!(sha, sha256_hex("编号,摘要\n1,甲\n".as_bytes()));
        assert!(keep.is_none(), "a file changed this instant is not kept");

        // A kept hash that is wrong for the file's content shows whether
        // it was used or the file read again.
        let forged = |stamp: Stamp| {
            InputHashes::of([(
                file.as_path(),
                Some(&Kept {
                    stamp,
                    sha256: "forged".into(),
                }),
            )])
        };
        let stamp = Stamp::of(&file).expect("stat").expect("unix");
        assert_eq!(taken(&forged(stamp), &file).0, "forged");

        // Same size, new content: the times differ, so it is read again.
        std::thread::sleep(Duration::from_millis(20));
        fs::write(&file, "编号,摘要\n2,乙\n").expect("write");
        let (sha, _) = taken(&forged(stamp), &file);
        assert_eq!(sha, sha256_hex("编号,摘要\n2,乙\n".as_bytes()));

        // Its modification time set back to the stamp's: the status
        // change still tells.
        let f = fs::File::options().write(true).open(&file).expect("open");
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_nanos(stamp.modified_ns as u64))
            .expect("set time");
        drop(f);
        assert_ne!(taken(&forged(stamp), &file).0, "forged");
        fs::remove_dir_all(&d).expect("clean");
    }

    #[test]
    fn hashes_are_kept_in_the_store_and_read_back() {
        let d = dir("store");
        let file = d.join("cases.csv");
        fs::write(&file, "a,b\n").expect("write");
        // A file's status-change time cannot be set back: wait.
        std::thread::sleep(SETTLED + Duration::from_millis(100));
        let (sha, keep) = taken(&InputHashes::default(), &file);
        let keep = keep.expect("a settled file's hash is kept");
        let hashes = InputHashes::of([(file.as_path(), Some(&keep))]);
        hashes.keep(&d).expect("keep");
        let back = InputHashes::read(&d);
        assert_eq!(back, hashes);
        assert_eq!(taken(&back, &file), (sha, Some(keep)));
        fs::remove_dir_all(&d).expect("clean");
    }
}
