//! `yanpan init`: a commented pipeline file for a new site and a random
//! reporter key beside it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::UsageError;

/// `yanpan init`: a commented pipeline file for a new site, and a random
/// reporter key beside it (never overwriting either). Returns the files.
pub fn init(path: &Path, site: &str) -> Result<Vec<PathBuf>> {
    let key = path.with_file_name("reporter.key");
    for p in [path, key.as_path()] {
        if p.exists() {
            return Err(UsageError(format!(
                "{} exists: yanpan init does not overwrite",
                p.display()
            ))
            .into());
        }
    }
    let file = path
        .file_name()
        .map_or("pipeline.toml".into(), |f| f.to_string_lossy().into_owned());
    let text = include_str!("../../assets/templates/pipeline.toml")
        .replace("{site}", &site.replace(['"', '\\'], ""))
        .replace("{file}", &file);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| anyhow::anyhow!("no random reporter key from the system: {e}"))?;
    let hex = hex::encode(secret);
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    std::fs::write(&key, hex).with_context(|| format!("writing {}", key.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(vec![path.to_path_buf(), key])
}
