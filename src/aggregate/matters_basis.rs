//! What the stored matters were decided from, so that a later run can tell
//! from the file system alone that every petition they name is still
//! stored: the matters file and each stored petitions partition, by size,
//! modification time and (on Unix) inode. The store writes a changed
//! partition as a new file and carries the others over as hard links, so
//! an unchanged partition keeps all three, and a quarter's new petitions
//! arrive as a partition of their own. When a recorded file differs or is
//! gone, the stored matters are checked row by row instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::model::Dataset;
use crate::store::{Store, write_atomically};

/// The record's file name, beside the matters in the store's derived tables.
pub const FILE: &str = "matters.basis.json";

/// The files the stored matters were decided from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basis {
    matters: FileId,
    /// Each petitions partition, by its path under the store.
    petitions: BTreeMap<PathBuf, FileId>,
}

/// A file as the file system describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct FileId {
    bytes: u64,
    modified_ns: u128,
    inode: u64,
}

impl FileId {
    fn of(path: &Path) -> std::io::Result<FileId> {
        let meta = std::fs::metadata(path)?;
        let modified_ns = meta
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Ok(FileId {
            bytes: meta.len(),
            modified_ns,
            inode: inode(&meta),
        })
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// The store's matters file and petitions partitions as they are now.
fn now(store: &Store) -> Result<Basis> {
    let matters = FileId::of(&store.derived_path(super::link_read::MATTERS))?;
    let mut petitions = BTreeMap::new();
    for path in store.partitions(Dataset::Petitions)? {
        let id = FileId::of(&path)?;
        let under = path.strip_prefix(store.root()).unwrap_or(&path);
        petitions.insert(under.to_path_buf(), id);
    }
    Ok(Basis { matters, petitions })
}

/// Beside the matters table, wherever the store keeps it.
fn path(store: &Store) -> PathBuf {
    store
        .derived_path(super::link_read::MATTERS)
        .with_file_name(FILE)
}

/// Records the stored matters' basis: call once the stored matters hold
/// for the petitions stored now (decided or checked by this run).
pub fn record(store: &Store) -> Result<()> {
    let basis = now(store)?;
    write_atomically(
        &path(store),
        serde_json::to_string_pretty(&basis)?.as_bytes(),
    )?;
    Ok(())
}

/// Whether the stored matters and every partition they were decided from
/// are the files recorded (new partitions may have come beside them). No
/// record, or one that cannot be read: false.
pub fn holds(store: &Store) -> bool {
    let recorded: Option<Basis> = std::fs::read(path(store))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let (Some(recorded), Ok(now)) = (recorded, now(store)) else {
        return false;
    };
    recorded.matters == now.matters
        && recorded
            .petitions
            .iter()
            .all(|(p, id)| now.petitions.get(p) == Some(id))
}
