//! The ingest stage: the sources into the store, with the store's record
//! of what was read. Inputs whose content the last ingest already read are
//! not read again (unless every input is to be read).

use chrono::NaiveDate;
use polars::prelude::*;

use super::state::{self, IngestState, Input};
use super::{IngestError, IngestSettings, KnownSha, SourceReport, ingest_changed};
use crate::model::Dataset;
use crate::store::{Store, StoreError, Upsert};

/// The store after ingest, and what each input contributed.
#[derive(Debug)]
pub struct Stored {
    pub store: Store,
    /// Every input's reconciliation, in ingest order (those not read again
    /// as the last ingest left them).
    pub sources: Vec<SourceReport>,
    /// Every rejected row of every input.
    pub quarantine: DataFrame,
    /// What each dataset's upsert did (empty when nothing was read).
    pub upserts: Vec<Upsert>,
    /// Every input was unchanged since the last ingest: nothing was read.
    pub unchanged: bool,
}

impl Stored {
    pub fn rows_read(&self) -> u64 {
        self.sources.iter().map(|s| s.rows_read).sum()
    }

    pub fn rows_quarantined(&self) -> u64 {
        self.sources.iter().map(|s| s.rows_quarantined).sum()
    }

    /// The store as the last ingest left it (the stage did not run).
    pub fn as_left(store: Store, inputs: &[Input]) -> Result<Stored, StoreError> {
        let state = IngestState::read(store.root()).unwrap_or_default();
        Ok(Stored {
            quarantine: state::kept_quarantine(store.root())?,
            unchanged: state.covers(inputs),
            sources: state.sources,
            store,
            upserts: Vec::new(),
        })
    }
}

/// Logs one file's reconciliation.
pub fn log_report(r: &SourceReport) {
    log::info!(
        target: "ingest",
        "{:<9} {}: read {}, accepted {}, quarantined {}{}{}{}",
        r.dataset,
        r.file.display(),
        r.rows_read,
        r.rows_accepted,
        r.rows_quarantined,
        if r.totals_rows > 0 {
            format!("; {} totals rows skipped", r.totals_rows)
        } else {
            String::new()
        },
        if r.control_chars_removed > 0 {
            format!("; {} control characters removed", r.control_chars_removed)
        } else {
            String::new()
        },
        r.encoding
            .as_ref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    );
}

/// Which inputs the stage reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reread {
    /// Only those whose content changed since the last ingest (`yanpan run`).
    Changed,
    /// Every input (`yanpan ingest`).
    All,
}

/// Reads the inputs into the store and records what was read.
pub fn ingest_stage(
    settings: &IngestSettings,
    today: NaiveDate,
    store: Store,
    inputs: &[Input],
    reread: Reread,
) -> anyhow::Result<Stored> {
    let state = IngestState::read(store.root());
    if reread == Reread::Changed && state.as_ref().is_some_and(|s| s.covers(inputs)) {
        log::info!(
            target: "ingest",
            "every input is unchanged since the last ingest (same SHA-256): the store is used as it is"
        );
        return Ok(Stored::as_left(store, inputs)?);
    }
    let skip = match reread {
        Reread::Changed => state::skippable(&store, state.as_ref(), inputs)?,
        Reread::All => None,
    };
    if let Some(u) = &skip {
        log::info!(
            target: "ingest",
            "{} of {} inputs unchanged since the last ingest: only the others are read",
            u.files.len(),
            inputs.len()
        );
    }
    let known: KnownSha = inputs
        .iter()
        .map(|i| (i.file.clone(), i.digest.clone()))
        .collect();
    let ingested = ingest_changed(settings, today, skip.as_ref(), &known, &mut log_report)?;
    for d in [Dataset::Units, Dataset::Petitions] {
        let empty = ingested.tables.get(&d).is_none_or(|t| t.height() == 0);
        if empty && !store.has(d) && !ingested.sources.iter().all(|s| s.dataset != d.name()) {
            let files: Vec<String> = ingested
                .sources
                .iter()
                .filter(|s| s.dataset == d.name())
                .map(|s| s.file.display().to_string())
                .collect();
            return Err(IngestError::NothingToAnalyse {
                dataset: d.name(),
                files: files.join(", "),
            }
            .into());
        }
    }
    crate::store::format::mark(store.root())?;
    let mut upserts = Vec::new();
    for (d, df) in &ingested.tables {
        let u = store.upsert(*d, df)?;
        log::info!(
            target: "ingest",
            "store {:<9} inserted {}, changed {}, unchanged {}, total {}",
            u.dataset,
            u.inserted,
            u.changed,
            u.unchanged,
            u.total
        );
        upserts.push(u);
    }
    let fresh = ingested.quarantine.to_frame()?;
    // Inputs not read again keep their reports and rejected rows.
    let (mut sources, quarantine) = match (&skip, &state) {
        (Some(u), Some(st)) => (
            st.sources
                .iter()
                .filter(|r| u.files.contains(&(r.file.clone(), r.sha256.clone())))
                .cloned()
                .collect(),
            state::merged_quarantine(fresh, state::kept_quarantine(store.root())?, &u.files)?,
        ),
        _ => (Vec::new(), fresh),
    };
    sources.extend(ingested.sources);
    sources.sort_by_key(|r| {
        inputs
            .iter()
            .position(|i| i.file == r.file)
            .unwrap_or(usize::MAX)
    });
    store.keep_ingest_record(
        &quarantine,
        &serde_json::to_string_pretty(&IngestState {
            sources: sources.clone(),
        })?,
    )?;
    Ok(Stored {
        store,
        sources,
        quarantine,
        upserts,
        unchanged: false,
    })
}
