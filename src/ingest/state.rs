//! The store's record of its last ingest (`ingest_state.json`): every input
//! with its SHA-256 and reconciliation, and the rows it rejected
//! (`quarantine.parquet`). `yanpan ingest` and `yanpan run` keep the same
//! record, so a run never skips an input that an ingest read differently.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::input_hashes::{Digest, InputHashes};
use super::{IngestSettings, SourceReport, files_of};
use crate::model::Dataset;
use crate::store::{self, QUARANTINE_FILE, STATE_FILE, Store, StoreError};

/// What the last ingest read.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct IngestState {
    pub sources: Vec<SourceReport>,
}

impl IngestState {
    /// The store's record, if it has one that can be read.
    pub fn read(store: &Path) -> Option<IngestState> {
        let text = std::fs::read_to_string(store.join(STATE_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Whether `input` has the content the last ingest read (its hash is
    /// waited for only when the last ingest read its file).
    pub fn holds(&self, input: &Input) -> bool {
        self.sources
            .iter()
            .any(|s| s.file == input.file && input.has_sha256(&s.sha256))
    }

    /// Whether every input is exactly what the last ingest read.
    pub fn covers(&self, inputs: &[Input]) -> bool {
        self.sources.len() == inputs.len()
            && self
                .sources
                .iter()
                .zip(inputs)
                .all(|(a, i)| a.file == i.file && i.has_sha256(&a.sha256))
    }
}

/// One input now: its dataset, file and SHA-256, and the hash to keep.
#[derive(Debug, Clone)]
pub struct Input {
    pub dataset: Dataset,
    pub file: PathBuf,
    pub digest: Digest,
}

impl Input {
    /// The file's SHA-256 (hex), waited for if it is still being taken.
    pub fn sha256(&self) -> std::io::Result<&str> {
        self.digest.sha256()
    }

    /// Whether the file's SHA-256 is `sha256` (not, when unreadable).
    fn has_sha256(&self, sha256: &str) -> bool {
        self.sha256().is_ok_and(|s| s == sha256)
    }
}

/// The inputs now, in ingest order, each file's hash begun on the thread
/// pool unless `known` keeps it (see [`super::input_hashes::Digest`]).
pub fn current_inputs(
    settings: &IngestSettings,
    known: &InputHashes,
) -> anyhow::Result<Vec<Input>> {
    let mut inputs = Vec::new();
    for source in &settings.sources {
        for file in files_of(source)? {
            let digest = Digest::of(known, &file)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
            inputs.push(Input {
                dataset: source.dataset,
                file,
                digest,
            });
        }
    }
    Ok(inputs)
}

/// Keeps the inputs' hashes in the store, for the next run (under the
/// store's lock); waits for those being taken.
pub fn keep_hashes(store: &Path, inputs: &[Input]) -> std::io::Result<()> {
    InputHashes::of(inputs.iter().map(|i| (i.file.as_path(), i.digest.kept()))).keep(store)
}

/// The inputs the last ingest read with the same content, when no unit or
/// leader file changed (their rows check every other file's).
pub fn skippable(
    store: &Store,
    state: Option<&IngestState>,
    inputs: &[Input],
) -> Result<Option<super::Unchanged>, StoreError> {
    let Some(state) = state else {
        return Ok(None);
    };
    let reference_changed = inputs
        .iter()
        .any(|i| matches!(i.dataset, Dataset::Units | Dataset::Leaders) && !state.holds(i));
    if reference_changed || !store.has(Dataset::Units) {
        return Ok(None);
    }
    Ok(Some(super::Unchanged {
        files: inputs
            .iter()
            .filter(|i| state.holds(i))
            // An input that holds was hashed.
            .filter_map(|i| Some((i.file.clone(), i.sha256().ok()?.to_string())))
            .collect(),
        units: store.unit_ids()?,
    }))
}

/// The rejected rows the last ingest kept, or none.
pub fn kept_quarantine(store: &Path) -> Result<DataFrame, StoreError> {
    match store.join(QUARANTINE_FILE) {
        p if p.is_file() => store::read_parquet(&p),
        p => super::Quarantine::default()
            .to_frame()
            .map_err(|source| StoreError::Polars {
                path: p,
                cause: source,
            }),
    }
}

/// The quarantine after reading only some inputs: the new rows, and the
/// last ingest's rows of the files not read again, in file, row and
/// column order.
pub fn merged_quarantine(
    fresh: DataFrame,
    kept: DataFrame,
    skipped: &HashSet<(PathBuf, String)>,
) -> PolarsResult<DataFrame> {
    let files: Vec<String> = skipped.iter().map(|f| f.0.display().to_string()).collect();
    let kept = kept
        .lazy()
        .filter(col("file").is_in(lit(Series::new("f".into(), files)).implode(false), false))
        .collect()?;
    fresh
        .vstack(&kept)?
        .lazy()
        .sort(
            ["file", "row", "column"],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .collect()
}
