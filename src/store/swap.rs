//! Moving a finished folder into place without ever deleting the only
//! complete copy, and repairing a move that a crash cut short.
//!
//! A swap of `X` by a process `P` goes through three states:
//! 1. `.X.staging-P` written in full beside `X`;
//! 2. `X` renamed to `.X.old-P`;
//! 3. `.X.staging-P` renamed to `X`; then `.X.old-P` is removed.
//!
//! A crash between 2 and 3 leaves no `X`: the next run finds `.X.old-P`
//! of a process that is gone and renames it back to `X` (the staged copy
//! was never published, and the run makes it again).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where a test may stop the process in a swap, as a crash would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapPoint {
    /// The previous folder moved aside, the new one not yet in place.
    OldMoved,
    /// The new folder in place, the previous one not yet removed.
    NewMoved,
}

/// What a swap replaces: a store dataset or a publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapKind {
    Store,
    Publication,
}

static ABORT_AT: OnceLock<(SwapKind, SwapPoint)> = OnceLock::new();

/// For tests of crash safety: end the process at `point` of the first swap
/// of `kind`, as a kill would.
pub fn abort_at(kind: SwapKind, point: SwapPoint) {
    let _ = ABORT_AT.set((kind, point));
}

fn checkpoint(kind: SwapKind, point: SwapPoint) {
    if ABORT_AT.get() == Some(&(kind, point)) {
        eprintln!("aborting in a swap ({kind:?}, {point:?})");
        std::process::abort();
    }
}

/// `.name.staging-pid` beside `target`.
pub fn staging_path(target: &Path, pid: u32) -> PathBuf {
    beside(target, "staging", pid)
}

fn beside(target: &Path, what: &str, pid: u32) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.{what}-{pid}"))
}

/// Moves `staging` into place at `target`; the previous `target` stays
/// whole (as `.target.old-pid`) until the new one is there.
pub fn swap_in(staging: &Path, target: &Path, kind: SwapKind) -> io::Result<()> {
    let old = beside(target, "old", std::process::id());
    let had_old = target.exists();
    if had_old {
        fs::rename(target, &old)?;
        checkpoint(kind, SwapPoint::OldMoved);
    }
    if let Err(e) = fs::rename(staging, target) {
        if had_old {
            fs::rename(&old, target)?;
        }
        return Err(e);
    }
    checkpoint(kind, SwapPoint::NewMoved);
    if had_old {
        fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// Whether process `pid` is alive on this machine (Linux: /proc; elsewhere
/// every process is taken as alive, and nothing is repaired).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// `.name.what-pid` split into (name, what, pid).
fn parse(file: &str) -> Option<(&str, &str, u32)> {
    let rest = file.strip_prefix('.')?;
    let (head, pid) = rest.rsplit_once('-')?;
    let (name, what) = head.rsplit_once('.')?;
    Some((name, what, pid.parse().ok()?))
}

/// Repairs what swaps of processes that are gone left in `dir`: a folder
/// moved aside whose replacement never came is moved back; staged and
/// superseded copies are removed. Says what it did, a line each.
pub fn repair(dir: &Path) -> io::Result<Vec<String>> {
    let mut said = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(said);
    };
    let mut found: Vec<(PathBuf, String, String, u32)> = entries
        .flatten()
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            let (name, what, pid) = parse(&file)?;
            ["staging", "old"]
                .contains(&what)
                .then(|| (e.path(), name.to_string(), what.to_string(), pid))
        })
        .filter(|(_, _, _, pid)| *pid != std::process::id() && !alive(*pid))
        .collect();
    // Moved-aside copies first: they are restored before anything is removed.
    found.sort_by_key(|(_, _, what, _)| what != "old");
    for (path, name, what, pid) in found {
        let target = dir.join(&name);
        if what == "old" && !target.exists() {
            fs::rename(&path, &target)?;
            said.push(format!(
                "restored {} from {}, moved aside by process {pid}, which stopped before its replacement was in place",
                target.display(),
                path.display()
            ));
        } else {
            fs::remove_dir_all(&path)?;
            said.push(format!(
                "removed {} left by process {pid}, which is gone",
                path.display()
            ));
        }
    }
    Ok(said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_parsed_and_a_cut_swap_is_undone() {
        assert_eq!(parse(".2024Q4.old-12"), Some(("2024Q4", "old", 12)));
        assert_eq!(
            parse(".petitions.staging-7"),
            Some(("petitions", "staging", 7))
        );
        assert_eq!(parse("2024Q4"), None);
        let dir = std::env::temp_dir().join(format!("yanpan-swap-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join(".2024Q4.old-4294967294")).expect("old");
        fs::write(dir.join(".2024Q4.old-4294967294/a.txt"), "previous").expect("file");
        fs::create_dir_all(dir.join(".2024Q4.staging-4294967294")).expect("staging");
        let said = repair(&dir).expect("repair");
        assert_eq!(said.len(), 2, "{said:?}");
        assert_eq!(
            fs::read_to_string(dir.join("2024Q4/a.txt")).expect("restored"),
            "previous"
        );
        assert!(!dir.join(".2024Q4.staging-4294967294").exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
