//! What a run checks and tidies around the stages: the output folder can
//! be written, staging folders of gone runs are removed, the quarantine's
//! notice level, the demo key.

use std::path::Path;

use anyhow::Result;

use crate::config::Pipeline;
use crate::ingest::{Stored, files_of};
use crate::model::{Dataset, UsageError};

/// Checks, before anything is written, that every source has files, that
/// the datasets a run needs have a source or are in the store, and that
/// the output folder can be written.
pub(super) fn preflight(p: &Pipeline) -> Result<()> {
    for source in &p.ingest.sources {
        files_of(source)?;
    }
    let store = crate::store::Store::open(&p.store)?;
    for d in [Dataset::Units, Dataset::Leaders, Dataset::Petitions] {
        if !store.has(d) && p.ingest.sources.iter().all(|s| s.dataset != d) {
            return Err(UsageError(format!(
                "{}: a run needs {d}, and neither the pipeline's sources nor the store {} hold any: add a [[source]] with dataset = \"{d}\"",
                p.file.display(),
                p.store.display()
            ))
            .into());
        }
    }
    let mut dir = p.output.as_path();
    while !dir.exists() {
        dir = dir.parent().unwrap_or(Path::new("."));
    }
    let probe = dir.join(format!(".yanpan-write-test-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(UsageError(format!(
            "the output folder {} cannot be written ({e}): choose another [report] output or fix its permissions",
            p.output.display()
        ))
        .into()),
    }
}

/// Repairs what runs that are gone left half done in the store and the
/// output folder (a swap cut short is undone, staged copies removed), and
/// says so.
pub(super) fn repair(p: &Pipeline) -> Result<()> {
    for dir in [&p.store, &p.output] {
        for line in crate::store::swap::repair(dir)
            .map_err(|e| anyhow::anyhow!("repairing {}: {e}", dir.display()))?
        {
            log::info!("notice: {line}");
        }
    }
    Ok(())
}

/// Things worth knowing that do not change the exit code.
pub(super) fn notices(p: &Pipeline) -> Vec<String> {
    let mut notices = Vec::new();
    if p.ingest.reporter_key_is_demo {
        let n = "the pipeline uses the demo reporter key shipped with yanpan: fine for sample data, never for real records".to_string();
        log::info!("notice: {n}");
        notices.push(n);
    }
    notices
}

/// A warning for each input whose quarantined share is above the notice
/// level (the run then ends with exit code 1).
pub(super) fn quarantine_warnings(p: &Pipeline, stored: &Stored) -> Vec<String> {
    let level = p.ingest.notice_quarantine_share.get();
    let warnings: Vec<String> = stored
        .sources
        .iter()
        .filter_map(|s| {
            let share = s.rows_quarantined as f64 / s.rows_read.max(1) as f64;
            (share > level).then(|| {
                format!(
                    "{}: {} of {} rows ({:.1}%) quarantined, above the notice level of {:.1}% ([ingest] notice_quarantine_share)",
                    s.file.display(),
                    s.rows_quarantined,
                    s.rows_read,
                    share * 100.0,
                    level * 100.0
                )
            })
        })
        .collect();
    for w in &warnings {
        log::warn!("{w}");
    }
    warnings
}
