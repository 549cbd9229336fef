//! The commands beside `yanpan run`: ingest and validate, aggregate,
//! chart, explain, eval, init, sample and synth. Each reads its settings
//! from the pipeline file and calls the stages.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use chrono::NaiveDate;

use crate::config::Pipeline;
use crate::ingest::{self, Reread};
use crate::model::{Quarter, QuarterArg};
use crate::run::{quarter_of, table_quarters, today_of};
use crate::store::Store;

pub(crate) mod chart;
mod eval;
mod eval_matters;
mod explain;
mod init;
mod sample;
pub use chart::{chart, chart_metrics};
pub use eval::eval;
pub use eval_matters::eval_matters;
pub use explain::explain;
pub use init::init;
pub use sample::{SampleSummary, sample};

pub use crate::model::UsageError;

/// What `yanpan ingest` and `yanpan validate` found.
#[derive(Debug, Clone)]
pub struct IngestSummary {
    pub rows_read: u64,
    pub rows_quarantined: u64,
    /// The first rejections, for the screen.
    pub first_rejections: Vec<String>,
    /// Where the quarantine table was written (`ingest` only).
    pub quarantine_file: Option<PathBuf>,
}

/// `yanpan ingest` (`write`: every input read into the store, with the
/// store's record of what was read) and `yanpan validate` (every input
/// checked, nothing written).
pub fn ingest_only(
    pipeline: &Path,
    today: Option<NaiveDate>,
    write: bool,
) -> Result<IngestSummary> {
    let p = Pipeline::load(pipeline)?;
    let today = today_of(today, &p);
    let (rows_read, rows_quarantined, quarantine) = if write {
        let _lock = crate::store::lock::RunLock::acquire(&p.store)?;
        for line in crate::store::swap::repair(&p.store)? {
            log::info!("notice: {line}");
        }
        // Every input is read, so every one is hashed again.
        let inputs = ingest::state::current_inputs(&p.ingest, &Default::default())?;
        let stored = ingest::ingest_stage(
            &p.ingest,
            today,
            Store::open(&p.store)?,
            &inputs,
            Reread::All,
        )?;
        ingest::state::keep_hashes(&p.store, &inputs)?;
        (
            stored.rows_read(),
            stored.rows_quarantined(),
            stored.quarantine,
        )
    } else {
        let ingested = ingest::ingest(&p.ingest, today, &mut ingest::log_report)?;
        (
            ingested.rows_read(),
            ingested.rows_quarantined(),
            ingested.quarantine.to_frame()?,
        )
    };
    Ok(IngestSummary {
        rows_read,
        rows_quarantined,
        first_rejections: first_rejections(&quarantine, 20)?,
        quarantine_file: (write && rows_quarantined > 0)
            .then(|| p.store.join(crate::store::QUARANTINE_CSV)),
    })
}

/// The first `n` rejected rows, one line each for the screen.
fn first_rejections(q: &polars::prelude::DataFrame, n: usize) -> Result<Vec<String>> {
    use crate::store::frame::strings;
    let column = |c| -> Result<Vec<String>> { Ok(strings(q, c)?.into_iter().take(n).collect()) };
    let (file, sheet, row, col, value, zh, en) = (
        column("file")?,
        column("sheet")?,
        column("row")?,
        column("column")?,
        column("value")?,
        column("reason_zh")?,
        column("reason_en")?,
    );
    Ok((0..file.len())
        .map(|i| {
            let sheet = if sheet[i].is_empty() {
                String::new()
            } else {
                format!(" [{}]", sheet[i])
            };
            format!(
                "{}{sheet} row {} column {}: {} / {} (value: {})",
                file[i], row[i], col[i], zh[i], en[i], value[i]
            )
        })
        .collect())
}

/// What `yanpan aggregate` did.
#[derive(Debug, Clone)]
pub struct AggregateSummary {
    pub quarters: (Quarter, Quarter),
    pub unit_quarter_rows: usize,
    pub person_quarter_rows: usize,
    /// Seconds per table built, and for writing them.
    pub stage_seconds: Vec<(String, f64)>,
    pub seconds: f64,
    pub derived: PathBuf,
}

/// `yanpan aggregate`: rebuilds the derived tables from the store as it
/// is, for the quarters a run for `quarter` would use (no ingest, no report).
pub fn aggregate_only(
    pipeline: &Path,
    quarter: QuarterArg,
    today: Option<NaiveDate>,
) -> Result<AggregateSummary> {
    let started = Instant::now();
    let pipeline = Pipeline::load(pipeline)?;
    let quarter = quarter_of(quarter, today_of(today, &pipeline));
    let _lock = crate::store::lock::RunLock::acquire(&pipeline.store)?;
    let store = Store::open(&pipeline.store)?;
    let quarters = table_quarters(&pipeline, quarter);
    let mut tables =
        crate::aggregate::aggregate_stage(&store, &pipeline.aggregate_settings(), &quarters)?;
    let written = Instant::now();
    crate::aggregate::keep_tables(&store, &mut tables)?.done()?;
    let mut stage_seconds = tables.seconds.clone();
    stage_seconds.push(("written".into(), written.elapsed().as_secs_f64()));
    Ok(AggregateSummary {
        quarters: (quarters[0], quarter),
        unit_quarter_rows: tables.unit_quarter.0.height(),
        person_quarter_rows: tables.person_quarter.height(),
        stage_seconds,
        seconds: started.elapsed().as_secs_f64(),
        derived: store.derived_path("unit_quarter"),
    })
}

/// `yanpan synth`: writes a synthetic city into `out`.
pub fn synth(
    spec: &crate::synth::SynthSpec,
    out: &Path,
    petitions_xlsx: bool,
) -> Result<crate::synth::ExportSummary> {
    let mut sink = crate::synth::ExportSink::new(out, petitions_xlsx)?;
    crate::synth::generate(spec, &mut sink)?;
    Ok(sink.summary)
}
