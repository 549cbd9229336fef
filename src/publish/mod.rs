//! Publish (the edge): a quarter's outputs are written into a staging
//! folder beside `reports/<quarter>/` and moved into place only when every
//! stage has succeeded; the previous publication stays untouched until then.

pub mod manifest;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use manifest::Manifest;

/// A staging folder for one quarter's publication.
#[derive(Debug)]
pub struct Staging {
    pub dir: PathBuf,
    target: PathBuf,
}

impl Staging {
    /// Creates `<output>/.<name>.staging-<pid>` (emptied if left by a crash).
    pub fn new(output: &Path, name: &str) -> io::Result<Self> {
        fs::create_dir_all(output)?;
        let dir = crate::store::swap::staging_path(&output.join(name), std::process::id());
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&dir)?;
        Ok(Staging {
            dir,
            target: output.join(name),
        })
    }

    /// A path inside the staging folder, its parent folders created.
    pub fn path(&self, rel: &str) -> io::Result<PathBuf> {
        let p = self.dir.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)?;
        }
        Ok(p)
    }

    /// Writes `bytes` at `rel`.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let p = self.path(rel)?;
        fs::write(&p, bytes)?;
        Ok(p)
    }

    /// Every file in the staging folder, relative, sorted.
    pub fn files(&self) -> io::Result<Vec<String>> {
        relative_files(&self.dir)
    }

    /// Moves the staging folder into place; the previous publication stays
    /// whole until the new one is there.
    pub fn commit(self) -> io::Result<PathBuf> {
        crate::store::swap::swap_in(
            &self.dir,
            &self.target,
            crate::store::swap::SwapKind::Publication,
        )?;
        Ok(self.target)
    }
}

/// Every file under `dir`, relative, with `/` between folders, sorted.
pub fn relative_files(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The publication's files, by path relative to its folder.
pub type Files = std::collections::BTreeMap<String, Vec<u8>>;

/// Writes `files` into a staging folder beside `output/<name>`, then the
/// manifest that `manifest` makes of their hashes, then moves the folder
/// into place. Returns where the publication is.
pub fn publish_stage(
    output: &Path,
    name: &str,
    files: &Files,
    manifest: impl FnOnce(Vec<manifest::Output>) -> Manifest,
) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    use rayon::prelude::*;
    let staging = Staging::new(output, name)
        .with_context(|| format!("creating staging folder in {}", output.display()))?;
    let staged = staging.dir.clone();
    let written = (|| -> anyhow::Result<PathBuf> {
        // Written and hashed on every core (a year's publication holds
        // files of tens of megabytes), listed in the order of `files`.
        let outputs = files
            .par_iter()
            .map(|(rel, bytes)| {
                staging.write(rel, bytes)?;
                Ok(manifest::Output {
                    path: rel.clone(),
                    bytes: bytes.len() as u64,
                    sha256: crate::store::sha256_hex(bytes),
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        staging.write(
            "manifest.json",
            serde_json::to_string_pretty(&manifest(outputs))?.as_bytes(),
        )?;
        staging
            .commit()
            .context("moving the publication into place")
    })();
    written.with_context(|| {
        format!(
            "the previous publication {} is unchanged; this run's partial output is in {}",
            output.join(name).display(),
            staged.display()
        )
    })
}
