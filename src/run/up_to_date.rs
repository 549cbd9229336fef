//! A publication that is up to date is confirmed, not made again.
//!
//! When a full run has published a quarter, the store keeps (in
//! `published.json`) a fingerprint of everything the publication was made
//! from, as it stood when the run ended:
//!
//! - the program: the SHA-256 of the running executable;
//! - the pipeline file's SHA-256 and every file of its wording folder;
//! - the quarter and the date treated as today;
//! - every input file's SHA-256 (kept while the file is untouched: see
//!   `ingest::input_hashes`);
//! - every file of the store: its path, size and modification time (only
//!   yanpan writes the store, under its lock);
//!
//! and the SHA-256 of the publication's `manifest.json`. A later full run
//! whose fingerprint is the same, and whose publication still holds exactly
//! the files its manifest lists, each with its SHA-256, recomputes nothing:
//! the same program on the same inputs, settings and store would write the
//! same files. The run adds its confirmation to the manifest and reports
//! the publication's flags and warnings. `yanpan run --recompute` runs every
//! stage regardless.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Pipeline;
use crate::ingest::state::Input;
use crate::model::Quarter;
use crate::publish::relative_files;
use crate::store::write_atomically;
use crate::store::{sha256_file, sha256_hex};

/// The store file that keeps each published quarter's fingerprint.
pub const RECORD: &str = "published.json";

/// The publication of one quarter, as the run that made it left things.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    publication: PathBuf,
    manifest_sha256: String,
}

/// What a run is made from; see the module documentation.
#[derive(Debug, Clone)]
pub struct Basis<'a> {
    pub pipeline: &'a Pipeline,
    pub quarter: Quarter,
    pub today: NaiveDate,
    pub inputs: &'a [Input],
}

impl Basis<'_> {
    /// The fingerprint of the program, settings, inputs and store now.
    pub fn fingerprint(&self) -> Result<String> {
        let mut h = Sha256::new();
        let mut line = |k: &str, v: &str| {
            h.update(k.as_bytes());
            h.update(b"\t");
            h.update(v.as_bytes());
            h.update(b"\n");
        };
        line("program", program_sha256()?);
        line("pipeline", &self.pipeline.file_hash);
        if let Some(dir) = &self.pipeline.templates {
            for (rel, sha) in wording_files(dir)? {
                line(&format!("wording {rel}"), &sha);
            }
        }
        line("quarter", &self.quarter.to_string());
        line("today", &self.today.to_string());
        for i in self.inputs {
            line(
                &format!("input {} {}", i.dataset, i.file.display()),
                i.sha256()
                    .with_context(|| format!("reading {}", i.file.display()))?,
            );
        }
        for (rel, size, modified) in store_files(&self.pipeline.store)? {
            line(&format!("store {rel}"), &format!("{size} {modified}"));
        }
        Ok(format!("{:x}", h.finalize()))
    }

    fn publication(&self) -> PathBuf {
        self.pipeline.output.join(self.quarter.to_string())
    }
}

/// The publication this run would make, when it is already there and up
/// to date (see the module documentation); `None` otherwise.
pub fn confirmed(basis: &Basis) -> Result<Option<PathBuf>> {
    let Some(entry) = read_record(&basis.pipeline.store)
        .remove(&basis.quarter.to_string())
        .filter(|e| e.publication == basis.publication())
    else {
        return Ok(None);
    };
    if entry.fingerprint != basis.fingerprint()? || !intact(&entry) {
        return Ok(None);
    }
    Ok(Some(entry.publication))
}

/// Records the fingerprint of the publication just made (the run's last
/// write to the store).
pub fn record(basis: &Basis) -> Result<()> {
    let publication = basis.publication();
    let entry = Entry {
        fingerprint: basis.fingerprint()?,
        manifest_sha256: sha256_file(&publication.join("manifest.json"))?,
        publication,
    };
    let mut all = read_record(&basis.pipeline.store);
    all.insert(basis.quarter.to_string(), entry);
    write_record(&basis.pipeline.store, &all)
}

/// Adds this run's confirmation to the publication's manifest; returns the
/// manifest as it now reads.
pub fn confirm(basis: &Basis, started_at: &str, seconds: f64) -> Result<serde_json::Value> {
    let publication = basis.publication();
    let path = publication.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(&fs::read(&path)?)
        .with_context(|| format!("reading {}", path.display()))?;
    let confirmation = serde_json::json!({
        "started_at": started_at,
        "finished_at": chrono::Utc::now().to_rfc3339(),
        "seconds": seconds,
    });
    match manifest.get_mut("confirmed_by") {
        Some(serde_json::Value::Array(runs)) => runs.push(confirmation),
        _ => manifest["confirmed_by"] = serde_json::json!([confirmation]),
    }
    let text = serde_json::to_string_pretty(&manifest)?;
    write_atomically(&path, text.as_bytes())?;
    let mut all = read_record(&basis.pipeline.store);
    if let Some(e) = all.get_mut(&basis.quarter.to_string()) {
        e.manifest_sha256 = sha256_hex(text.as_bytes());
    }
    write_record(&basis.pipeline.store, &all)?;
    Ok(manifest)
}

/// The publication holds exactly the files its manifest lists, each with
/// the size and SHA-256 listed, and the manifest is the one recorded.
fn intact(entry: &Entry) -> bool {
    let manifest_path = entry.publication.join("manifest.json");
    let Ok(bytes) = fs::read(&manifest_path) else {
        return false;
    };
    if sha256_hex(&bytes) != entry.manifest_sha256 {
        return false;
    }
    #[derive(Deserialize)]
    struct Listing {
        outputs: Vec<crate::publish::manifest::Output>,
    }
    let Ok(listing) = serde_json::from_slice::<Listing>(&bytes) else {
        return false;
    };
    let listed: BTreeSet<&str> = listing
        .outputs
        .iter()
        .map(|o| o.path.as_str())
        .chain(["manifest.json"])
        .collect();
    let present = relative_files(&entry.publication).unwrap_or_default();
    if present.iter().map(String::as_str).collect::<BTreeSet<_>>() != listed {
        return false;
    }
    listing.outputs.par_iter().all(|o| {
        let p = entry.publication.join(&o.path);
        fs::metadata(&p).is_ok_and(|m| m.len() == o.bytes)
            && sha256_file(&p).is_ok_and(|s| s == o.sha256)
    })
}

/// The SHA-256 of the running executable, computed once per process.
fn program_sha256() -> Result<&'static str> {
    static SHA: OnceLock<String> = OnceLock::new();
    if let Some(s) = SHA.get() {
        return Ok(s);
    }
    let exe = std::env::current_exe().context("locating the running program")?;
    let sha = sha256_file(&exe).with_context(|| format!("hashing {}", exe.display()))?;
    Ok(SHA.get_or_init(|| sha))
}

/// Every file of the wording folder with its SHA-256.
fn wording_files(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for rel in relative_files(dir)? {
        let sha = sha256_file(&dir.join(&rel))?;
        out.push((rel, sha));
    }
    Ok(out)
}

/// Every file of the store but its lock, staging folders and this record:
/// path, size and modification time in nanoseconds.
fn store_files(store: &Path) -> Result<Vec<(String, u64, u128)>> {
    let mut out = Vec::new();
    for rel in relative_files(store)? {
        if rel == RECORD || rel.split('/').any(|part| part.starts_with('.')) {
            continue;
        }
        let meta = fs::metadata(store.join(&rel))?;
        let modified = meta
            .modified()?
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        out.push((rel, meta.len(), modified));
    }
    Ok(out)
}

fn read_record(store: &Path) -> BTreeMap<String, Entry> {
    fs::read(store.join(RECORD))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn write_record(store: &Path, all: &BTreeMap<String, Entry>) -> Result<()> {
    let path = store.join(RECORD);
    write_atomically(&path, serde_json::to_string_pretty(all)?.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}
