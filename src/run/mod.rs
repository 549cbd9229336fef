//! `yanpan run`: the stages in the order of the data, under the store's
//! lock, each a function from a typed input to a typed output:
//!
//! ```text
//! ingest → Stored → aggregate → Tables → detect → Detected
//!        → render → Charts → compose → Composed → publish → Publication
//! ```
//!
//! Stages not chosen with `--stages` are stood in for by the store.

mod housekeeping;
mod plan;
mod stage;
pub mod up_to_date;

use crate::detect::continuity::{self, RecordedFlag};
use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::DataFrame;

use crate::aggregate::{Keeping, Tables, aggregate_stage, stored_tables};
use crate::config::Pipeline;
use crate::detect::{DetectSettings, Detected, detect_stage};
use crate::ingest::input_hashes::InputHashes;
use crate::ingest::state::{Input, current_inputs, keep_hashes};
use crate::ingest::{Reread, Stored, ingest_stage};
use crate::model::{Quarter, QuarterArg};
use crate::publish::{Manifest, publish_stage};
use crate::render::inputs::problem_units;
use crate::render::{Charts, Marked, SetSources, render_stage};
use crate::report::{Composed, Sources, compose_reports, table_files::table_files};
use crate::store::{Store, frame::polars_ctx, lock::RunLock};
pub use stage::{Stage, Stages, Timings};

/// What `yanpan run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunArgs {
    pub pipeline: PathBuf,
    pub quarter: QuarterArg,
    pub today: Option<NaiveDate>,
    /// The stages to run; the store stands in for the others.
    pub stages: Stages,
    /// Say what would be read and written, and stop.
    pub dry_run: bool,
    /// For tests of atomicity: abort the process (as a kill would) after
    /// this stage.
    pub abort_after: Option<Stage>,
    /// Run every stage even when the publication is up to date.
    pub recompute: bool,
}

impl RunArgs {
    /// Whether an up-to-date publication may stand (see [`up_to_date`]):
    /// a full run, not asked to recompute or to abort.
    fn may_confirm(&self) -> bool {
        !self.recompute && self.stages == Stages::default() && self.abort_after.is_none()
    }
}

/// What a finished run reports on its last screen.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub quarter: Quarter,
    /// None when the publish stage did not run.
    pub publication: Option<PathBuf>,
    pub rows_read: u64,
    pub rows_quarantined: u64,
    /// Inputs unchanged since the store's last ingest (not read again).
    pub inputs_unchanged: bool,
    pub flags_per_detector: BTreeMap<String, usize>,
    pub packets: Vec<PathBuf>,
    pub timings: Timings,
    pub warnings: Vec<String>,
    /// For `--dry-run`: what would be read and written.
    pub plan: Vec<String>,
    /// The publication was up to date: confirmed, nothing recomputed.
    pub confirmed: bool,
}

/// The date treated as today: the flag, the pipeline's setting, or the clock.
pub fn today_of(flag: Option<NaiveDate>, p: &Pipeline) -> NaiveDate {
    flag.or(p.today)
        .unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// The quarter `--quarter` names: `auto` is the last closed one.
pub fn quarter_of(arg: QuarterArg, today: NaiveDate) -> Quarter {
    match arg {
        QuarterArg::Auto => Quarter::last_closed(today),
        QuarterArg::Given(q) => q,
    }
}

/// How many quarters the tables hold, ending at the reported one: the
/// report's trend and the concentration history each with the year before
/// them (for the year-on-year changes), and every quarter a detector reads
/// (for the quarters whose flags the loop follows too, when `followed`
/// quarters are recomputed: see `detect::follow`).
pub fn table_span(report_quarters: usize, detect: &DetectSettings, followed: usize) -> usize {
    const YEAR: usize = 4;
    [
        report_quarters + YEAR,
        detect.concentration.history_quarters.get() as usize + 1 + YEAR,
        detect.quarters_read() + followed,
    ]
    .into_iter()
    .max()
    .unwrap_or(1)
}

/// The quarters the tables hold, ending at `quarter` (see [`table_span`]).
pub fn table_quarters(p: &Pipeline, quarter: Quarter) -> Vec<Quarter> {
    let follows = p
        .ingest
        .sources
        .iter()
        .any(|s| s.dataset == crate::model::Dataset::Dispositions);
    // Saved charts may show more quarters than the reports.
    let shown = p
        .charts
        .iter()
        .filter_map(|c| c.quarters)
        .chain([p.report_history_quarters.get() as usize])
        .max()
        .unwrap_or(1);
    let span = table_span(
        shown,
        &p.detect_settings(),
        if follows {
            p.loop_rules.lookback_quarters as usize
        } else {
            0
        },
    );
    quarter.offset(1 - span as i32).through(quarter).collect()
}

/// Ends the process as a kill would, after `stage`, when asked to (tests).
fn checkpoint(args: &RunArgs, stage: Stage) {
    if args.abort_after == Some(stage) {
        eprintln!("aborting after {stage} (--abort-after)");
        std::process::abort();
    }
}

/// Runs the chosen stages for one quarter and publishes `reports/<quarter>/`.
pub fn run(args: &RunArgs) -> Result<RunSummary> {
    let started_at = chrono::Utc::now().to_rfc3339();
    let mut clock = Timings::default();
    let pipeline = Pipeline::load(&args.pipeline)?;
    let today = today_of(args.today, &pipeline);
    let quarter = quarter_of(args.quarter, today);
    housekeeping::preflight(&pipeline)?;
    // `--recompute` hashes every input again.
    let known = if args.recompute {
        InputHashes::default()
    } else {
        InputHashes::read(&pipeline.store)
    };
    let inputs = current_inputs(&pipeline.ingest, &known)?;
    if args.dry_run {
        return Ok(plan::dry_run(&pipeline, args.stages, quarter, &inputs));
    }
    let lock = RunLock::acquire(&pipeline.store)?;
    if let Some(t) = &lock.took_over {
        log::info!("notice: {t}");
    }
    housekeeping::repair(&pipeline)?;
    let notices = housekeeping::notices(&pipeline);
    log::info!(
        "yanpan {} — {} — quarter {quarter}",
        env!("CARGO_PKG_VERSION"),
        pipeline.file.display()
    );
    let basis = up_to_date::Basis {
        pipeline: &pipeline,
        quarter,
        today,
        inputs: &inputs,
    };
    if args.may_confirm()
        && let Some(publication) = up_to_date::confirmed(&basis)?
    {
        keep_hashes(&pipeline.store, &inputs)?;
        return confirmed_run(&basis, publication, &started_at, clock);
    }
    let stored = ingest(args, &pipeline, today, &inputs)?;
    // The hashes taken while the inputs were read.
    keep_hashes(&pipeline.store, &inputs)?;
    let warnings = housekeeping::quarantine_warnings(&pipeline, &stored);
    clock.lap(Stage::Ingest);
    checkpoint(args, Stage::Ingest);
    let mut summary = RunSummary {
        quarter,
        publication: None,
        rows_read: stored.rows_read(),
        rows_quarantined: stored.rows_quarantined(),
        inputs_unchanged: stored.unchanged,
        flags_per_detector: BTreeMap::new(),
        packets: Vec::new(),
        timings: clock.clone(),
        warnings: warnings.clone(),
        plan: Vec::new(),
        confirmed: false,
    };
    if !args.stages.aggregate && !args.stages.publish {
        return Ok(summary);
    }
    let (tables, keeping) = aggregate(args, &pipeline, &stored.store, quarter)?;
    // The matters are kept while the later stages run; a run that ends or
    // stops here waits for them.
    let ends_here = !args.stages.publish || args.abort_after == Some(Stage::Aggregate);
    let keeping = match keeping {
        Some(k) if ends_here => {
            k.done()?;
            None
        }
        k => k,
    };
    clock.lap(Stage::Aggregate);
    checkpoint(args, Stage::Aggregate);
    if !args.stages.publish {
        summary.timings = clock;
        return Ok(summary);
    }
    let record = flag_record(&stored.store)?;
    let detected = polars_ctx(
        detect_stage(&pipeline.detect_settings(), &tables, &record),
        "detection",
    )?;
    log::info!(target: "detect", "{} flags", detected.flags.len());
    clock.lap(Stage::Detect);
    checkpoint(args, Stage::Detect);
    let shown = shown_quarters(&pipeline, quarter);
    let charts = render(&pipeline, &tables, &detected, &shown)?;
    clock.lap(Stage::Render);
    checkpoint(args, Stage::Render);
    let composed = compose(&pipeline, &stored, &tables, &detected, &charts, &shown)?;
    keeping.map(Keeping::done).transpose()?;
    clock.lap(Stage::Compose);
    checkpoint(args, Stage::Compose);
    let per_detector = detected.flags_per_detector();
    let publication = publish_stage(
        &pipeline.output,
        &quarter.to_string(),
        &composed,
        |outputs| {
            clock.lap(Stage::Publish);
            Manifest {
                yanpan_version: env!("CARGO_PKG_VERSION"),
                quarter: quarter.to_string(),
                pipeline_file: pipeline.file.display().to_string(),
                pipeline_sha256: pipeline.file_hash.clone(),
                started_at,
                finished_at: chrono::Utc::now().to_rfc3339(),
                inputs: stored.sources.clone(),
                inputs_unchanged: stored.unchanged,
                store: stored.upserts.clone(),
                flags_per_detector: per_detector.clone(),
                stage_seconds: clock.named(),
                warnings,
                notices,
                outputs,
            }
        },
    )?;
    keep_flag_record(&stored.store, quarter, &record, &detected.flags)?;
    if args.stages == Stages::default() {
        up_to_date::record(&basis)?;
    }
    drop(lock);
    summary.packets = pipeline
        .packets
        .iter()
        .map(|r| publication.join("packets").join(&r.id).join("packet.pdf"))
        .collect();
    summary.publication = Some(publication);
    summary.flags_per_detector = per_detector;
    summary.timings = clock;
    Ok(summary)
}

/// The summary of a run that found its publication up to date: the
/// publication's own flags and warnings, its confirmation in the manifest.
fn confirmed_run(
    basis: &up_to_date::Basis,
    publication: PathBuf,
    started_at: &str,
    mut clock: Timings,
) -> Result<RunSummary> {
    let p = basis.pipeline;
    let elapsed = clock.since_start();
    let manifest = up_to_date::confirm(basis, started_at, elapsed)?;
    log::info!(
        "{} is up to date: made by this program from the same settings, inputs and store; nothing recomputed",
        publication.display()
    );
    clock.lap(Stage::Publish);
    let stored = Stored::as_left(Store::open(&p.store)?, basis.inputs)?;
    let listed = |key: &str| manifest.get(key).cloned().unwrap_or_default();
    Ok(RunSummary {
        quarter: basis.quarter,
        rows_read: stored.rows_read(),
        rows_quarantined: stored.rows_quarantined(),
        inputs_unchanged: stored.unchanged,
        flags_per_detector: serde_json::from_value(listed("flags_per_detector"))
            .unwrap_or_default(),
        packets: p
            .packets
            .iter()
            .map(|r| publication.join("packets").join(&r.id).join("packet.pdf"))
            .collect(),
        publication: Some(publication),
        timings: clock,
        warnings: serde_json::from_value(listed("warnings")).unwrap_or_default(),
        plan: Vec::new(),
        confirmed: true,
    })
}

/// The records behind each flag, read from the store (edge).
fn flag_records(
    p: &Pipeline,
    store: &Store,
    quarter: Quarter,
    detected: &Detected,
) -> Result<DataFrame> {
    let selectors = crate::detect::behind::selectors(
        &detected.flags,
        &detected.follow_up.items,
        &crate::store::queries::children(store)?,
        p.top_leader_clue_deadline_days.get(),
    );
    logged_time("the records behind the flags read", || {
        crate::aggregate::records_read::records(store, &selectors, quarter.last_day())
    })
}

/// The flags published before, as the store keeps them (none yet: empty).
/// A record that cannot be read is set aside with a warning: the flags are
/// then published without their standing, and the record starts again.
fn flag_record(store: &Store) -> Result<Vec<RecordedFlag>> {
    let path = store.derived_path(continuity::RECORD);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let read = crate::store::read_parquet(&path)
        .map_err(anyhow::Error::from)
        .and_then(|df| polars_ctx(continuity::read_record(&df), "flag record"));
    Ok(read.unwrap_or_else(|e| {
        log::warn!(
            target: "detect",
            "{} cannot be read ({e:#}): flags are published without their standing this run",
            path.display()
        );
        Vec::new()
    }))
}

/// The record with this quarter's published flags in place of any before.
fn keep_flag_record(
    store: &Store,
    quarter: Quarter,
    record: &[RecordedFlag],
    flags: &[crate::model::Flag],
) -> Result<()> {
    let kept = continuity::recorded(record, quarter, flags);
    let df = polars_ctx(continuity::record_frame(&kept), "flag record")?;
    store.write_derived(continuity::RECORD, df)?;
    Ok(())
}

/// Ingest, or the store as the last ingest left it.
fn ingest(args: &RunArgs, p: &Pipeline, today: NaiveDate, inputs: &[Input]) -> Result<Stored> {
    let store = Store::open(&p.store)?;
    if args.stages.ingest {
        ingest_stage(&p.ingest, today, store, inputs, Reread::Changed)
    } else {
        Ok(Stored::as_left(store, inputs)?)
    }
}

/// Aggregate (the derived tables then kept in the store, the matters
/// while the run goes on), or the derived tables as the last aggregate
/// left them.
fn aggregate(
    args: &RunArgs,
    p: &Pipeline,
    store: &Store,
    quarter: Quarter,
) -> Result<(Tables, Option<Keeping>)> {
    let quarters = table_quarters(p, quarter);
    let settings = p.aggregate_settings();
    if !args.stages.aggregate {
        return Ok((stored_tables(store, &settings, &quarters)?, None));
    }
    let mut tables = aggregate_stage(store, &settings, &quarters)?;
    let keeping = crate::aggregate::keep_tables(store, &mut tables)?;
    log::info!(
        target: "aggregate",
        "{} unit-quarter rows, {} person-quarter rows",
        tables.unit_quarter.0.height(),
        tables.person_quarter.height()
    );
    Ok((tables, Some(keeping)))
}

/// The quarters the report's trends show.
fn shown_quarters(p: &Pipeline, quarter: Quarter) -> Vec<Quarter> {
    let shown = p.report_history_quarters.get() as i32;
    quarter.offset(1 - shown).through(quarter).collect()
}

fn render(p: &Pipeline, t: &Tables, detected: &Detected, shown: &[Quarter]) -> Result<Charts> {
    let charts = render_stage(SetSources {
        settings: &p.render_settings(),
        quarter: t.quarter,
        quarters: shown,
        own: &t.unit_quarter.0,
        rollup: &t.rollup.0,
        persons: Some(&t.person_quarter),
        citywide: &t.citywide,
        marked: Marked::of(&detected.flags),
        clue_days: &t.facts.clue_days,
        profiles: problem_units(&detected.flags),
        follow_up: Some(&detected.follow_up),
    })?;
    log::info!(target: "render", "{} charts", charts.svgs.len());
    Ok(charts)
}

/// The reports and packets, the records behind the flags, the explorer
/// page and the published tables.
fn compose(
    p: &Pipeline,
    stored: &Stored,
    t: &Tables,
    detected: &Detected,
    charts: &Charts,
    shown: &[Quarter],
) -> Result<Composed> {
    let settings = p.compose_settings();
    let not_tested = detected.not_tested(crate::detect::concentration::NAME);
    let sources = Sources {
        settings: &settings,
        quarter: t.quarter,
        quarters: shown,
        own: &t.unit_quarter.0,
        flags: &detected.flags,
        clue_days: &t.facts.clue_days,
        charts: &charts.svgs,
        chart_data: &charts.data,
        repeats: &t.facts.repeats,
        tenures: &t.facts.tenures,
        linking: &t.facts.agreement,
        portfolios: &t.facts.portfolios,
        supervision: t.facts.supervision.as_ref(),
        chain: &t.facts.chain,
        not_tested: &not_tested,
        history: &detected.history,
        follow_up: &detected.follow_up,
        recommendations: t
            .facts
            .ledger
            .recommendations
            .as_deref()
            .unwrap_or_default(),
        has_records: true,
    };
    // In three steps, so that no step waits on a core the one beside it
    // holds: the records behind the flags are read from the store on
    // every core (the store's scans slow several times over beside the
    // reports); the reports and the explorer page, on every core; then
    // the two large workbooks, each written on one core, side by side.
    let records = flag_records(p, &stored.store, t.quarter, detected)?;
    let mut files = logged_time("the reports and packets", || compose_reports(&sources))?;
    files.extend(charts.files.clone());
    files.insert("explorer.html".into(), explorer(p, t, detected, shown)?);
    let title = format!("{}{}预警对应记录", p.site_name, t.quarter.label_zh());
    let (records, tables) = rayon::join(
        || {
            logged_time("the records behind the flags written", || {
                crate::report::flag_records::files(&records, &title)
            })
        },
        || {
            logged_time("the published tables", || {
                table_files(t, detected, &p.risk_score, &stored.quarantine, shown)
            })
        },
    );
    files.extend(tables?);
    files.extend(records?);
    Ok(files)
}

/// The explorer page: the roll-up table and the flags, for analysts.
fn explorer(p: &Pipeline, t: &Tables, detected: &Detected, shown: &[Quarter]) -> Result<Vec<u8>> {
    let title = format!("{}{}数据浏览", p.site_name, t.quarter.label_zh());
    let page = logged_time("the explorer page", || {
        crate::report::explorer::page(
            &title,
            &t.rollup.0,
            shown,
            &detected.flags,
            p.chart_min_expected,
        )
    })?;
    Ok(page.into_bytes())
}

/// Runs one part of composing and logs how long it took.
fn logged_time<T>(what: &str, part: impl FnOnce() -> Result<T>) -> Result<T> {
    let clock = std::time::Instant::now();
    let out = part()?;
    log::info!(target: "compose", "{what} in {:.2} s", clock.elapsed().as_secs_f64());
    Ok(out)
}
