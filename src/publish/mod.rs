//! Publish (the edge): a quarter's outputs are written into a staging
//! folder beside `reports/<quarter>/` and moved into place only when every
//! stage has succeeded; the previous publication stays untouched until then.

pub mod manifest;
pub mod xlsx;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use manifest::Manifest;

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

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
        let dir = output.join(format!(".{name}.staging-{}", std::process::id()));
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
        let mut out = Vec::new();
        let mut stack = vec![self.dir.clone()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d)? {
                let p = e?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(rel) = p.strip_prefix(&self.dir) {
                    out.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Moves the staging folder into place; the old publication is removed
    /// only after the new one is there.
    pub fn commit(self) -> io::Result<PathBuf> {
        let old = self.target.with_file_name(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let had_old = self.target.exists();
        if had_old {
            fs::rename(&self.target, &old)?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.target) {
            if had_old {
                fs::rename(&old, &self.target)?;
            }
            return Err(e);
        }
        if had_old {
            fs::remove_dir_all(&old)?;
        }
        Ok(self.target.clone())
    }
}
