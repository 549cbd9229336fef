//! The one orchestrator: puts the stages in order, times them, and hands
//! the outputs to publish. Stages are pure functions; the file system is
//! touched only by ingest, store, render and publish.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use polars::prelude::*;

use crate::aggregate::{self, Facts, UnitQuarter};
use crate::cli::QuarterArg;
use crate::config::{Language, Pipeline};
use crate::detect;
use crate::ingest::{self, Quarantine};
use crate::model::{Dataset, Quarter};
use crate::publish::Staging;
use crate::render::TrendLabels;
use crate::report;
use crate::store::{self, Store};
use crate::text::csv_row;

mod chain;
mod chart;
mod compose;
mod link;
mod run;
mod sample;
mod supervision;
pub use chart::chart;
pub use run::{Stages, run};
pub use sample::{SampleSummary, sample};

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
    pub abort_after: Option<String>,
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
    pub flags: usize,
    pub flags_per_detector: BTreeMap<String, usize>,
    pub packets: Vec<PathBuf>,
    pub stage_seconds: Vec<(String, f64)>,
    pub warnings: Vec<String>,
    /// For `--dry-run`: what would be read and written.
    pub plan: Vec<String>,
}

/// A stage clock.
struct Timings(Vec<(String, f64)>, Instant);

impl Timings {
    fn lap(&mut self, stage: &str) {
        let now = Instant::now();
        self.0
            .push((stage.to_string(), (now - self.1).as_secs_f64()));
        self.1 = now;
    }
}

pub(super) fn polars_ctx<T>(r: PolarsResult<T>, what: &str) -> Result<T> {
    r.map_err(anyhow::Error::new).context(what.to_string())
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A table as CSV for Excel/WPS: UTF-8 with a BOM, every cell as text,
/// formula-looking cells neutralised.
fn frame_csv(df: &DataFrame) -> Result<Vec<u8>> {
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    let mut text = csv_row(names);
    let cols: Vec<Series> = df
        .columns()
        .iter()
        .map(|c| {
            c.cast(&DataType::String)
                .map(|c| c.as_materialized_series().clone())
        })
        .collect::<PolarsResult<_>>()?;
    for i in 0..df.height() {
        let cells: Vec<String> = cols
            .iter()
            .map(|s| {
                s.str()
                    .ok()
                    .and_then(|s| s.get(i))
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        text.push_str(&csv_row(cells.iter().map(String::as_str)));
    }
    Ok([UTF8_BOM, text.as_bytes()].concat())
}

fn quarantine_csv(q: &Quarantine) -> Result<Vec<u8>> {
    frame_csv(&polars_ctx(q.to_frame(), "quarantine table")?)
}

pub(super) fn trend_labels(p: &Pipeline, q: Quarter) -> TrendLabels {
    let as_of = q.last_day();
    match p.language {
        Language::Zh => TrendLabels {
            title: "全市信访举报、问题线索、巡视巡察发现问题和立案季度趋势".into(),
            unit: "件".into(),
            petitions: "信访举报".into(),
            petitions_last_year: "信访举报（去年同期）".into(),
            clues: "问题线索".into(),
            findings: "巡视巡察发现问题".into(),
            cases: "立案".into(),
            footnote: format!(
                "数据来源：{}信访举报、巡视巡察和案件数据；数据截至{}。",
                p.site_name,
                as_of.format("%Y年%-m月%-d日")
            ),
        },
        Language::En => TrendLabels {
            title: "Petitions, clues, inspection findings and cases by quarter".into(),
            unit: "records".into(),
            petitions: "Petitions".into(),
            petitions_last_year: "Petitions (a year earlier)".into(),
            clues: "Clues".into(),
            findings: "Findings".into(),
            cases: "Cases filed".into(),
            footnote: format!(
                "Source: {} petition, inspection and case records, as of {as_of}.",
                p.site_name
            ),
        },
    }
}

fn write_parquet(staging: &Staging, rel: &str, df: DataFrame) -> Result<()> {
    Ok(store::write_parquet(&staging.path(rel)?, df)?)
}

/// The date treated as today: the flag, the pipeline's setting, or the clock.
pub(super) fn today_of(flag: Option<NaiveDate>, p: &Pipeline) -> NaiveDate {
    flag.or(p.today)
        .unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// Ingests every source (printing each file's reconciliation) and, when
/// `write` is set, upserts the accepted rows into the store.
fn ingest_and_store(
    pipeline: &Pipeline,
    today: NaiveDate,
    write: bool,
    unchanged: Option<&ingest::Unchanged>,
    known: &ingest::KnownSha,
    log: &mut dyn FnMut(&str),
) -> Result<(ingest::Ingested, Vec<store::Upsert>)> {
    let ingested = ingest::ingest_changed(pipeline, today, unchanged, known, &mut |r| {
        log(&format!(
            "ingest  {:<9} {}: read {}, accepted {}, quarantined {}{}",
            r.dataset,
            r.file.display(),
            r.rows_read,
            r.rows_accepted,
            r.rows_quarantined,
            r.encoding
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ))
    })?;
    let mut upserts = Vec::new();
    if write {
        let store = Store::new(&pipeline.store);
        for (d, df) in &ingested.tables {
            let u = store.upsert(*d, df)?;
            log(&format!(
                "store   {:<9} inserted {}, changed {}, unchanged {}, total {}",
                u.dataset, u.inserted, u.changed, u.unchanged, u.total
            ));
            upserts.push(u);
        }
    }
    Ok((ingested, upserts))
}

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

/// `yanpan ingest` (`write`: load into the store and keep the quarantine
/// beside it) and `yanpan validate` (check everything, write nothing).
pub fn ingest_only(
    pipeline: &Path,
    today: Option<NaiveDate>,
    write: bool,
    log: &mut dyn FnMut(&str),
) -> Result<IngestSummary> {
    let pipeline = Pipeline::load(pipeline)?;
    let today = today_of(today, &pipeline);
    let (ingested, _) =
        ingest_and_store(&pipeline, today, write, None, &ingest::KnownSha::new(), log)?;
    let first_rejections = ingested
        .quarantine
        .rows
        .iter()
        .take(20)
        .map(|r| {
            let sheet = r
                .sheet
                .as_ref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            format!(
                "{}{sheet} row {} column {}: {} / {} (value: {})",
                r.file.display(),
                r.row,
                r.column,
                r.reason.zh(),
                r.reason.en(),
                r.value
            )
        })
        .collect();
    let quarantine_file = if write && !ingested.quarantine.rows.is_empty() {
        let path = pipeline.store.join("quarantine.csv");
        std::fs::write(&path, quarantine_csv(&ingested.quarantine)?)
            .with_context(|| format!("writing {}", path.display()))?;
        Some(path)
    } else {
        None
    };
    Ok(IngestSummary {
        rows_read: ingested.rows_read(),
        rows_quarantined: ingested.rows_quarantined(),
        first_rejections,
        quarantine_file,
    })
}

/// The tables of the aggregate stage.
#[derive(Debug, Clone)]
pub struct Aggregates {
    pub unit_quarter: UnitQuarter,
    pub rollup: UnitQuarter,
    pub citywide: DataFrame,
    pub person_quarter: DataFrame,
    /// Seconds spent on each table.
    pub seconds: Vec<(String, f64)>,
}

/// The quarters a run's tables span: the report's trend or the detector's
/// history, whichever is longer, plus a year for the changes.
fn table_quarters(p: &Pipeline, quarter: Quarter) -> Vec<Quarter> {
    let shown = p.report_history_quarters.get() as i32;
    let span = shown.max(p.concentration.history_quarters.get() as i32 + 1) + 4;
    quarter.offset(1 - span).through(quarter).collect()
}

/// The aggregate stage: the store's facts to the unit × quarter, roll-up,
/// citywide and person × quarter tables.
fn aggregate_store(p: &Pipeline, store: &Store, quarters: &[Quarter]) -> Result<Aggregates> {
    let facts = Facts {
        units: store.scan(Dataset::Units)?,
        petitions: store.scan(Dataset::Petitions)?,
        findings: store.scan_optional(Dataset::Findings)?,
        cases: store.scan_optional(Dataset::Cases)?,
    };
    let settings = aggregate::Settings {
        top_leader_clue_deadline_days: p.top_leader_clue_deadline_days.get(),
        engine: p.engine,
    };
    let mut clock = Timings(Vec::new(), Instant::now());
    let uq = polars_ctx(
        aggregate::unit_quarter(facts.clone(), quarters, &settings),
        "aggregating unit x quarter",
    )?;
    clock.lap("unit_quarter");
    let people = polars_ctx(
        aggregate::person::person_quarter(
            store.scan(Dataset::Leaders)?,
            facts,
            &quarters.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
            settings.engine,
        ),
        "person x quarter",
    )?;
    clock.lap("person_quarter");
    let tables = Aggregates {
        citywide: polars_ctx(aggregate::citywide(&uq), "citywide totals")?,
        rollup: polars_ctx(aggregate::rollup::rollup(&uq), "rolling up the unit tree")?,
        unit_quarter: uq,
        person_quarter: people,
        seconds: Vec::new(),
    };
    clock.lap("rollup");
    Ok(Aggregates {
        seconds: clock.0,
        ..tables
    })
}

/// The published tables (with rates and changes), by file name, also kept
/// in the store's `derived/` folder for analysts.
fn derive(store: &Store, t: &Aggregates) -> Result<[(&'static str, DataFrame); 3]> {
    let with_changes =
        |t: DataFrame| polars_ctx(aggregate::metrics::with_changes(t), "rates and changes");
    let (own, rolled) = rayon::join(
        || with_changes(t.unit_quarter.0.clone()),
        || with_changes(t.rollup.0.clone()),
    );
    let derived = [
        ("unit_quarter", own?),
        ("unit_quarter_rollup", rolled?),
        ("person_quarter", t.person_quarter.clone()),
    ];
    use rayon::prelude::*;
    derived
        .par_iter()
        .try_for_each(|(name, table)| store.write_derived(name, table.clone()))?;
    Ok(derived)
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
    let quarter = match quarter {
        QuarterArg::Auto => Quarter::last_closed(today_of(today, &pipeline)),
        QuarterArg::Given(q) => q,
    };
    let store = Store::new(&pipeline.store);
    let quarters = table_quarters(&pipeline, quarter);
    let tables = aggregate_store(&pipeline, &store, &quarters)?;
    let written = Instant::now();
    derive(&store, &tables)?;
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

/// A text column of `df` (any type, cast to text), nulls kept.
pub(super) fn text_column(df: &DataFrame, column: &str) -> Result<StringChunked> {
    polars_ctx(
        df.column(column)
            .and_then(|c| c.cast(&DataType::String))
            .and_then(|c| c.str().cloned()),
        column,
    )
}

/// A text column as strings, a null as "".
pub(super) fn strings(df: &DataFrame, column: &str) -> Result<Vec<String>> {
    Ok(text_column(df, column)?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

/// A whole-number or date column as numbers (a date as days since
/// 1970-01-01), a null as `None`.
pub(super) fn ints(df: &DataFrame, column: &str) -> Result<Vec<Option<i32>>> {
    Ok(polars_ctx(
        df.column(column)
            .and_then(|c| c.cast(&DataType::Int32))
            .and_then(|c| c.i32().cloned()),
        column,
    )?
    .iter()
    .collect())
}

/// A date column as dates, a null as `None`.
pub(super) fn dates(df: &DataFrame, column: &str) -> Result<Vec<Option<NaiveDate>>> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    Ok(ints(df, column)?
        .into_iter()
        .map(|d| d.map(|d| epoch + chrono::Duration::days(i64::from(d))))
        .collect())
}

/// The distinct non-null values of a text column.
pub(super) fn text_set(df: &DataFrame, column: &str) -> Result<std::collections::HashSet<String>> {
    Ok(text_column(df, column)?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect())
}

/// The store's derived tables `names`, which must hold every one of
/// `quarters`; `remedy` says how to make them when they are missing or short.
pub(super) fn read_derived<const N: usize>(
    store: &Store,
    names: [&str; N],
    quarters: &[Quarter],
    remedy: &str,
) -> Result<[DataFrame; N]> {
    let mut out = Vec::with_capacity(N);
    for name in names {
        let path = store.derived_path(name);
        if !path.is_file() {
            return Err(UsageError(format!("{} is missing: {remedy}", path.display())).into());
        }
        out.push(store::read_parquet(&path)?);
    }
    if let Some(first) = out.first() {
        let held = text_set(first, "quarter")?;
        if let Some(q) = quarters.iter().find(|q| !held.contains(&q.to_string())) {
            return Err(UsageError(format!("the derived tables do not hold {q}: {remedy}")).into());
        }
    }
    out.try_into()
        .map_err(|_| anyhow::anyhow!("one table for each of {N} names"))
}

/// The store's leaders in office on `day` (started by then, not ended before).
fn leaders_in_office(store: &Store, day: NaiveDate) -> Result<LazyFrame> {
    let d = lit(day).cast(DataType::Date);
    Ok(store.scan(Dataset::Leaders)?.filter(
        col("start_on")
            .lt_eq(d.clone())
            .and(col("end_on").is_null().or(col("end_on").gt_eq(d))),
    ))
}

/// The leaders in office on `day`, with their unit's name, for the
/// rotation watch.
fn tenures(store: &Store, day: NaiveDate) -> Result<Vec<report::rotation::Tenure>> {
    let leaders = polars_ctx(
        leaders_in_office(store, day)?
            .select([
                col("person_id").cast(DataType::String),
                col("unit_id").cast(DataType::String),
                col("role").cast(DataType::String),
                col("start_on"),
            ])
            .sort(["unit_id", "person_id"], Default::default())
            .collect(),
        "leaders in office",
    )?;
    let units = polars_ctx(
        store
            .scan(Dataset::Units)?
            .select([
                col("unit_id").cast(DataType::String),
                col("name").cast(DataType::String),
            ])
            .collect(),
        "unit names",
    )?;
    let names: BTreeMap<String, String> = strings(&units, "unit_id")?
        .into_iter()
        .zip(strings(&units, "name")?)
        .collect();
    Ok(strings(&leaders, "person_id")?
        .into_iter()
        .zip(strings(&leaders, "unit_id")?)
        .zip(strings(&leaders, "role")?)
        .zip(dates(&leaders, "start_on")?)
        .filter_map(|(((person_id, unit_id), role), start)| {
            Some(report::rotation::Tenure {
                unit_name: names
                    .get(&unit_id)
                    .cloned()
                    .unwrap_or_else(|| unit_id.clone()),
                person_id,
                unit_id,
                role,
                start_on: start?,
            })
        })
        .collect())
}

/// Repeat petitions read for the report at most (it lists far fewer).
const MAX_REPEATS_READ: u32 = 5000;

/// The quarter's repeat petitions from the store, by unit and date, with
/// unit names from the unit × quarter table.
fn repeat_petitions(
    store: &Store,
    quarter: Quarter,
    own: &DataFrame,
) -> Result<Vec<report::petitions::RepeatPetition>> {
    let df = polars_ctx(
        store
            .scan(Dataset::Petitions)?
            .filter(
                col("repeat").fill_null(lit(false)).and(
                    col("quarter")
                        .cast(DataType::String)
                        .eq(lit(quarter.to_string())),
                ),
            )
            .select([
                col("petition_id").cast(DataType::String),
                col("unit_id").cast(DataType::String),
                col("received_on").cast(DataType::String),
                col("summary").cast(DataType::String),
            ])
            .sort(
                ["unit_id", "received_on", "petition_id"],
                Default::default(),
            )
            .limit(MAX_REPEATS_READ)
            .collect(),
        "repeat petitions",
    )?;
    let names: BTreeMap<String, String> = strings(own, "unit_id")?
        .into_iter()
        .zip(strings(own, "name")?)
        .collect();
    let (ids, units, dates, summaries) = (
        strings(&df, "petition_id")?,
        strings(&df, "unit_id")?,
        strings(&df, "received_on")?,
        strings(&df, "summary")?,
    );
    Ok(ids
        .into_iter()
        .zip(units)
        .zip(dates.into_iter().zip(summaries))
        .map(
            |((petition_id, unit_id), (received_on, summary))| report::petitions::RepeatPetition {
                unit_name: names
                    .get(&unit_id)
                    .cloned()
                    .unwrap_or_else(|| unit_id.clone()),
                petition_id,
                unit_id,
                received_on,
                summary,
            },
        )
        .collect())
}

/// Each unit's portfolio (分管领导) from the store's units, where given.
fn portfolios(store: &Store) -> Result<BTreeMap<String, String>> {
    let units = polars_ctx(
        store
            .scan(Dataset::Units)?
            .select([col("unit_id"), col("portfolio").cast(DataType::String)])
            .collect(),
        "unit portfolios",
    )?;
    let (ids, ps) = (
        text_column(&units, "unit_id")?,
        text_column(&units, "portfolio")?,
    );
    Ok(ids
        .iter()
        .zip(ps.iter())
        .filter_map(|(u, p)| {
            Some((
                u?.to_string(),
                p.filter(|p| !p.trim().is_empty())?.to_string(),
            ))
        })
        .collect())
}

/// Units with a risk-score flag, the most severe first (at most
/// `MAX_PROFILES`): the run draws each one's profile.
fn problem_units(flags: &[crate::model::Flag]) -> Vec<String> {
    const MAX_PROFILES: usize = 20;
    let mut scored: Vec<&crate::model::Flag> = flags
        .iter()
        .filter(|f| f.detector == detect::risk_score::NAME)
        .collect();
    scored.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.evidence.statistic.total_cmp(&a.evidence.statistic))
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    scored
        .into_iter()
        .take(MAX_PROFILES)
        .map(|f| f.unit_id.clone())
        .collect()
}

/// `yanpan init`: a commented pipeline file for a new site, and a random
/// reporter key beside it (never overwriting either). Returns the files.
pub fn init(path: &Path, site: &str) -> Result<Vec<PathBuf>> {
    use std::io::Read;
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
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut secret))
        .context("reading /dev/urandom for the reporter key")?;
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    std::fs::write(&key, hex).with_context(|| format!("writing {}", key.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(vec![path.to_path_buf(), key])
}

/// A command asked for something that does not exist (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// `yanpan explain`: one detector's method, settings and example, or the list.
pub fn explain(detector: Option<&str>, pipeline: Option<&Path>) -> Result<String> {
    let p = match pipeline {
        Some(path) => Some(Pipeline::load(path)?),
        None => None,
    };
    let settings = match &p {
        Some(p) => detect::DetectSettings::of(p),
        None => detect::DetectSettings::defaults(),
    };
    let names: Vec<&str> = detect::FLAGGING_DETECTORS
        .iter()
        .copied()
        .chain(std::iter::once(detect::risk_score::NAME))
        .collect();
    const RULES: [&str; 4] = ["link", "chain", "rotation", "supervision"];
    let rules = |name: &str| match name {
        "link" => Some(p.as_ref().map(|p| p.link).unwrap_or_default().explain()),
        "chain" => Some(p.as_ref().map(|p| p.chain).unwrap_or_default().explain()),
        "rotation" => Some(p.as_ref().map(|p| p.rotation).unwrap_or_default().explain()),
        "supervision" => Some(
            p.as_ref()
                .map(|p| p.supervision.clone())
                .unwrap_or_default()
                .explain(),
        ),
        _ => None,
    };
    match detector {
        None => Ok(format!(
            "Detectors, in the order a run applies them:\n  {}\n\nRules checked beside them:\n  {}\n\nyanpan explain NAME [--pipeline FILE] for one of them.",
            names.join("\n  "),
            RULES.join("\n  ")
        )),
        Some(name) => detect::explain(&settings, name)
            .or_else(|| rules(name))
            .map(|e| format!("{name}\n\n{e}"))
            .ok_or_else(|| {
                UsageError(format!(
                    "no detector or rule {name}; detectors: {}; rules: {}",
                    names.join(", "),
                    RULES.join(", ")
                ))
                .into()
            }),
    }
}

/// `yanpan eval`: the evaluation table (Markdown); with `out`, also the
/// simulated counts, the planted signals and these rows as CSV.
pub fn eval(seed: u64, units: usize, quarters: usize, out: Option<&Path>) -> Result<String> {
    use crate::synth::panel::{PanelSpec, Planted, simulate};
    if quarters < 24 {
        return Err(UsageError("eval needs at least 24 quarters (20 of history)".into()).into());
    }
    let spec = PanelSpec {
        seed,
        units,
        quarters,
        // Signals everywhere after the first year, so every history holds
        // them at the density of the scored quarters.
        first_signal: 4,
        spike_share: 0.03,
        rise_share: 0.1,
    };
    let sim = simulate(&spec);
    let (panel, planted) = (&sim.panel, &sim.planted);
    // Scored quarters: after 20 quarters, the longest history evaluated.
    let from = 20;
    let base = crate::config::ConcentrationSettings::default();
    let mut rows = Vec::new();
    for h in [4u32, 8, 12, 20] {
        let s = crate::config::ConcentrationSettings {
            history_quarters: std::num::NonZeroU32::new(h).unwrap_or(base.history_quarters),
            ..base.clone()
        };
        let mut row = crate::eval::evaluate(
            &format!("all units, history {h} quarters"),
            panel,
            planted,
            from,
            &s,
            None,
        );
        if s.history_quarters == base.history_quarters {
            row.role = "default";
        }
        rows.push(row);
    }
    // What the windows' weights buy, and what no method could beat.
    let equal = crate::config::ConcentrationSettings {
        window_weights: vec![1.0 / base.windows.len() as f64; base.windows.len()],
        ..base.clone()
    };
    rows.push(crate::eval::evaluate(
        &format!(
            "all units, history {}, windows {:?} equally weighted",
            base.history_quarters, base.windows
        ),
        panel,
        planted,
        from,
        &equal,
        None,
    ));
    // Tests knowing the truth: over the one quarter (spikes), over the
    // detector's windows, and for rises caught within 2 quarters (most of
    // the false-positive rate to the two-quarter window, where a rise's
    // first two quarters add up).
    let (rise_windows, rise_weights) = ([1, 2], [0.3, 0.7]);
    let ceilings: [(&str, String, &[usize], &[f64]); 3] = [
        (
            "ceiling_one_quarter",
            "one-quarter window".into(),
            &[1],
            &[1.0],
        ),
        (
            "ceiling_windows",
            format!(
                "windows {:?} weighted {:?}",
                base.windows, base.window_weights
            ),
            &base.windows,
            &base.window_weights,
        ),
        (
            "ceiling_rises",
            format!("windows {rise_windows:?} weighted {rise_weights:?} (for rises)"),
            &rise_windows,
            &rise_weights,
        ),
    ];
    for (role, what, windows, weights) in ceilings {
        rows.push(crate::eval::EvalRow {
            role,
            ..crate::eval::ceiling(
                &format!("ceiling: every unit's true mean and dispersion known, {what}"),
                &sim,
                from,
                &base,
                (windows, weights),
                None,
            )
        });
    }
    let mut levels: Vec<&str> = panel.units.iter().map(|u| u.group.as_str()).collect();
    levels.sort();
    levels.dedup();
    for level in levels {
        let set: std::collections::HashSet<usize> = panel
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.group == level)
            .map(|(i, _)| i)
            .collect();
        let median = {
            let mut e: Vec<f64> = set.iter().map(|&i| panel.units[i].exposure).collect();
            e.sort_by(f64::total_cmp);
            e.get(e.len() / 2).copied().unwrap_or(0.0)
        };
        rows.push(crate::eval::evaluate(
            &format!(
                "{level} ({} units, median headcount {median:.0}), history {}",
                set.len(),
                base.history_quarters
            ),
            panel,
            planted,
            from,
            &base,
            Some(&set),
        ));
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut counts = csv_row(["unit_id", "level", "headcount", "t", "quarter", "count"]);
        for u in &panel.units {
            for (t, (q, c)) in panel.quarters.iter().zip(&u.counts).enumerate() {
                counts.push_str(&csv_row([
                    u.id.as_str(),
                    u.group.as_str(),
                    &u.exposure.to_string(),
                    &t.to_string(),
                    &q.to_string(),
                    &c.to_string(),
                ]));
            }
        }
        let mut truth = csv_row(["kind", "unit_id", "t", "quarters", "effect"]);
        for p in planted {
            let (kind, u, t, n, e) = match *p {
                Planted::Spike { unit, quarter, sd } => ("spike", unit, quarter, 1, sd),
                Planted::Rise {
                    unit,
                    start,
                    quarters,
                    rr,
                } => ("rise", unit, start, quarters, rr),
            };
            truth.push_str(&csv_row([
                kind,
                panel.units[u].id.as_str(),
                &t.to_string(),
                &n.to_string(),
                &e.to_string(),
            ]));
        }
        std::fs::write(dir.join("counts.csv"), counts)?;
        std::fs::write(dir.join("planted.csv"), truth)?;
        std::fs::write(dir.join("yanpan_eval.csv"), crate::eval::csv(&rows))?;
    }
    Ok(format!(
        "Simulated city: {} units x {} quarters (seed {seed}); signals planted from quarter {} on: {} spikes, {} rises; quarters {from}..{} scored; nominal BH q = {}.\n\n{}",
        units,
        quarters,
        spec.first_signal,
        planted
            .iter()
            .filter(|p| matches!(p, Planted::Spike { .. }))
            .count(),
        planted
            .iter()
            .filter(|p| matches!(p, Planted::Rise { .. }))
            .count(),
        quarters - 1,
        base.q.get(),
        crate::eval::markdown(&rows)
    ))
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
