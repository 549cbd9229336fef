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
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex SHA-256 of a file, read a megabyte at a time (an export
/// of hundreds of megabytes is never held whole just to be hashed).
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = io::BufReader::with_capacity(1 << 20, fs::File::open(path)?);
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(digest: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    for b in digest {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_hashed_in_pieces_has_the_hash_of_its_bytes() {
        // Over 2 MB: more than one read of the hasher's buffer.
        let bytes: Vec<u8> = (0..2_500_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let path = std::env::temp_dir().join(format!("yanpan-sha-{}.bin", std::process::id()));
        fs::write(&path, &bytes).expect("write");
        let streamed = sha256_file(&path).expect("hash");
        fs::remove_file(&path).expect("remove");
        assert_eq!(streamed, sha256_hex(&bytes));
        // SHA-256 of "abc" (FIPS 180-2).
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
