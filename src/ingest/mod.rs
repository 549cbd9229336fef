//! Ingest: read every source, map its headers to the contract, coerce and
//! validate each row, pseudonymise reporter identity, and put every row
//! that breaks a rule in the quarantine with its reason. Per file,
//! `rows read = rows accepted + rows quarantined`.

pub mod coerce;
pub mod decode;
mod delimited;
mod excel;
pub mod header;
pub mod input_hashes;
pub mod pseudonym;
pub mod quarantine;
mod raw_table;
pub mod read;
mod settings;
mod stage;
pub mod state;
mod typed;
pub mod validate;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::model::{Dataset, Kind, Quarter, schema::col};
pub use pseudonym::Pseudonymiser;
pub use quarantine::{Quarantine, Reason, Rejection};
pub use raw_table::RawTable;
pub use settings::{
    EARLIEST_DATE, Encoding, Format, IngestSettings, KeySource, MAX_QUARANTINE_SHARE,
    NOTICE_QUARANTINE_SHARE, Source, TOTALS_LABELS, default_totals_labels,
};
pub use stage::{Reread, Stored, ingest_stage, log_report};

/// What one file contributed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SourceReport {
    pub dataset: String,
    pub file: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub encoding: Option<String>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    /// Totals rows (合计 …) skipped, not counted as rows read.
    #[serde(default)]
    pub totals_rows: u64,
    /// Control characters (other than tab and line feed) removed from cells.
    #[serde(default)]
    pub control_chars_removed: u64,
    /// Rows at the foot skipped (`skip_footer`), not counted as rows read.
    #[serde(default)]
    pub footer_rows: u64,
    /// A text file's lines: rows above the header, empty lines and rows,
    /// lines continuing a quoted field (with the header, the rows read,
    /// totals and footer rows they add up to `lines`).
    #[serde(default)]
    pub lines: u64,
    #[serde(default)]
    pub title_rows: u64,
    #[serde(default)]
    pub empty_lines: u64,
    #[serde(default)]
    pub empty_rows: u64,
    #[serde(default)]
    pub continuation_lines: u64,
    /// Excel cells with a formula and no saved value, read as empty
    /// (at most the first 20, as `C5`).
    #[serde(default)]
    pub formulas_without_value: Vec<String>,
    pub unused_columns: Vec<String>,
}

/// The accepted rows of every dataset, typed to the contract.
#[derive(Debug)]
pub struct Ingested {
    pub tables: BTreeMap<Dataset, DataFrame>,
    pub quarantine: Quarantine,
    pub sources: Vec<SourceReport>,
}

impl Ingested {
    pub fn table(&self, d: Dataset) -> Option<&DataFrame> {
        self.tables.get(&d)
    }

    pub fn rows_read(&self) -> u64 {
        self.sources.iter().map(|s| s.rows_read).sum()
    }

    pub fn rows_quarantined(&self) -> u64 {
        self.sources.iter().map(|s| s.rows_quarantined).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("no file matches {pattern} (dataset {dataset}); check path in its [[source]]")]
    NoFiles {
        dataset: &'static str,
        pattern: String,
    },
    #[error("bad path pattern {pattern}: {message}")]
    Pattern { pattern: String, message: String },
    #[error(transparent)]
    Read(#[from] read::ReadError),
    #[error(transparent)]
    Columns(#[from] header::MissingColumns),
    #[error(
        "{file} has a reporter column (举报人) but the pipeline names no key to pseudonymise it; set reporter_key_file or reporter_key_env under [store]"
    )]
    NoKey { file: String },
    #[error("reporter key: {0}")]
    Key(String),
    #[error(
        "no units source: add a [[source]] with dataset = \"units\"; every record must name a known unit"
    )]
    NoUnits,
    #[error(
        "no {dataset} to analyse: its sources ({files}) have a header and no rows, and the store has none from earlier runs; nothing was written. Export the records, or point the [[source]] at the export that holds them"
    )]
    NothingToAnalyse {
        dataset: &'static str,
        files: String,
    },
    #[error(
        "the unit tree is broken at {count} units: {units}. Every parent_id must name a unit, and no unit may be its own ancestor; correct the units export. Nothing was written"
    )]
    UnitTree { count: usize, units: String },
    #[error(
        "{file}: {quarantined} of {read} rows ({share:.1}%) were quarantined, above the limit of {max:.1}% for one file ([ingest] max_quarantine_share); nothing was loaded. Most common reasons: {reasons}"
    )]
    TooManyRejected {
        file: String,
        quarantined: u64,
        read: u64,
        share: f64,
        max: f64,
        reasons: String,
    },
    #[error("polars: {0}")]
    Polars(#[from] PolarsError),
}

/// Reads the reporter key named in the pipeline (the edge).
pub fn load_key(source: &KeySource) -> Result<Pseudonymiser, IngestError> {
    let bytes = match source {
        KeySource::File(p) => std::fs::read(p)
            .map_err(|e| IngestError::Key(format!("cannot read {}: {e}", p.display())))?,
        KeySource::Env(v) => std::env::var(v)
            .map_err(|_| IngestError::Key(format!("environment variable {v} is not set")))?
            .into_bytes(),
    };
    Pseudonymiser::new(&bytes).ok_or_else(|| {
        IngestError::Key(format!(
            "the key must be at least {} bytes",
            pseudonym::MIN_KEY_BYTES
        ))
    })
}

/// The files a source's pattern matches, sorted.
pub fn files_of(source: &Source) -> Result<Vec<PathBuf>, IngestError> {
    let pattern_err = |e: glob::PatternError| IngestError::Pattern {
        pattern: source.pattern.clone(),
        message: e.to_string(),
    };
    let mut files: Vec<PathBuf> = glob::glob(&source.pattern)
        .map_err(pattern_err)?
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(IngestError::NoFiles {
            dataset: source.dataset.name(),
            pattern: source.pattern.clone(),
        });
    }
    Ok(files)
}

/// One file read and typed, before cross-row rules.
#[derive(Debug)]
pub struct Loaded {
    pub report: SourceReport,
    /// Typed rows with provenance columns.
    pub frame: DataFrame,
    pub rejected: Vec<Rejection>,
}

/// Reads, maps and types one file's bytes (`path` names it in messages
/// and picks the format by extension). It takes the bytes, so that they
/// are freed once decoded. The fuzzing harness calls this.
pub fn load_bytes(
    path: &Path,
    bytes: Vec<u8>,
    source: &Source,
    key: Option<&Pseudonymiser>,
) -> Result<Loaded, IngestError> {
    let byte_count = bytes.len() as u64;
    let outcome = read::read(path, bytes, source)?;
    loaded(path, byte_count, outcome, source, key)
}

/// Reads, types and pseudonymises one file of `source`: a large GB18030
/// CSV a piece at a time, any other file read whole first.
pub fn load_file(
    path: &Path,
    source: &Source,
    key: Option<&Pseudonymiser>,
) -> Result<Loaded, IngestError> {
    let io = read::ReadError::io(path);
    match read::read_in_pieces(path, source)? {
        Some(outcome) => {
            let byte_count = std::fs::metadata(path).map_err(io)?.len();
            loaded(path, byte_count, outcome, source, key)
        }
        None => load_bytes(path, std::fs::read(path).map_err(io)?, source, key),
    }
}

/// A file's rows as read (`byte_count` bytes), typed and pseudonymised.
fn loaded(
    path: &Path,
    byte_count: u64,
    outcome: read::ReadOutcome,
    source: &Source,
    key: Option<&Pseudonymiser>,
) -> Result<Loaded, IngestError> {
    let formulas = outcome.formulas_without_value;
    if !formulas.is_empty() {
        log::warn!(
            "{}{}: {} formula cells have no saved value and are read as empty ({}); open the workbook in Excel or WPS and save it, so their values are stored",
            path.display(),
            source
                .sheet
                .as_ref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default(),
            formulas.len(),
            formulas
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let table = outcome.table;
    let mapping = header::map_headers(
        source.dataset,
        &source.columns,
        &table.headers,
        &table.origin(),
    )?;
    let has_identity = source
        .dataset
        .columns()
        .iter()
        .any(|c| c.kind == Kind::Pseudonym && mapping.by_column.contains_key(c.name));
    if has_identity && key.is_none() {
        return Err(IngestError::NoKey {
            file: path.display().to_string(),
        });
    }
    let typed = typed::typed(source.dataset, &table, &mapping, key, &source.values)?;
    let mut rejected = outcome.rejected;
    let read_rows = (table.len() + rejected.len()) as u64;
    rejected.extend(typed.rejected);
    Ok(Loaded {
        report: SourceReport {
            dataset: source.dataset.name().to_string(),
            file: path.to_path_buf(),
            sha256: String::new(),
            bytes: byte_count,
            encoding: outcome.encoding.map(|e| e.name().to_string()),
            rows_read: read_rows,
            rows_accepted: 0,
            rows_quarantined: 0,
            totals_rows: table.totals_rows.len() as u64,
            control_chars_removed: table.control_chars,
            footer_rows: table.footer_rows.len() as u64,
            lines: table.lines,
            title_rows: table.title_rows,
            empty_lines: table.empty_lines,
            empty_rows: table.empty_rows,
            continuation_lines: table.continuation_lines,
            formulas_without_value: formulas.into_iter().take(20).collect(),
            unused_columns: mapping.unused,
        },
        frame: typed.frame,
        rejected,
    })
}

/// Adds the `quarter` column from the dataset's quarter date.
fn with_quarter(dataset: Dataset, df: DataFrame) -> PolarsResult<DataFrame> {
    let Some(date_col) = dataset.quarter_date() else {
        return Ok(df);
    };
    // Records fall on few distinct days: each day's quarter label is made once.
    let mut labels: PlHashMap<i32, String> = PlHashMap::new();
    let days = df.column(date_col)?.date()?.physical().clone();
    for d in days.iter().flatten() {
        labels.entry(d).or_insert_with(|| {
            NaiveDate::from_epoch_days(d).map_or_else(String::new, |d| Quarter::of(d).to_string())
        });
    }
    let mut b = StringChunkedBuilder::new(col::QUARTER.into(), days.len());
    for d in days.iter() {
        b.append_option(d.and_then(|d| labels.get(&d)));
    }
    let mut df = df;
    df.with_column(b.finish().into_column())?;
    Ok(df)
}

fn drop_provenance(df: DataFrame) -> PolarsResult<DataFrame> {
    Ok(df.drop_many([typed::SOURCE_FILE, typed::SOURCE_ROW, typed::SOURCE_SHEET]))
}

/// Files already in the store, to be skipped: (path, SHA-256), and the
/// unit ids of the store (the unit files are among the skipped ones).
#[derive(Debug, Clone, Default)]
pub struct Unchanged {
    pub files: HashSet<(PathBuf, String)>,
    pub units: HashSet<String>,
}

/// SHA-256 of input files the caller has begun to take, by path.
pub type KnownSha = BTreeMap<PathBuf, input_hashes::Digest>;

/// Ingests every source of the pipeline. `today` bounds "not in the future".
pub fn ingest(
    settings: &IngestSettings,
    today: NaiveDate,
    progress: &mut dyn FnMut(&SourceReport),
) -> Result<Ingested, IngestError> {
    ingest_changed(settings, today, None, &KnownSha::new(), progress)
}

/// Ingests the sources' files, except those in `unchanged` (the same
/// content is already in the store). Only dataset files may be skipped:
/// the caller passes `None` when a unit or leader file changed.
pub fn ingest_changed(
    settings: &IngestSettings,
    today: NaiveDate,
    unchanged: Option<&Unchanged>,
    known: &KnownSha,
    progress: &mut dyn FnMut(&SourceReport),
) -> Result<Ingested, IngestError> {
    let key = settings.reporter_key.as_ref().map(load_key).transpose()?;
    let mut by_dataset: BTreeMap<Dataset, Vec<Loaded>> = BTreeMap::new();
    for source in &settings.sources {
        for path in files_of(source)? {
            let sha = || match known.get(&path) {
                Some(digest) => digest.sha256().map(str::to_string),
                None => crate::store::sha256_file(&path),
            };
            // Only a file the last ingest read from the same path may be
            // skipped: the hash of any other is not waited for here.
            if let Some(u) = unchanged
                && u.files.iter().any(|(f, _)| *f == path)
                && u.files
                    .contains(&(path.clone(), sha().map_err(read::ReadError::io(&path))?))
            {
                continue;
            }
            let mut loaded = load_file(&path, source, key.as_ref())?;
            loaded.report.sha256 = sha().map_err(read::ReadError::io(&path))?;
            by_dataset.entry(source.dataset).or_default().push(loaded);
        }
    }
    let units_known = unchanged.is_some_and(|u| !u.units.is_empty());
    if !by_dataset.contains_key(&Dataset::Units) && !units_known {
        return Err(IngestError::NoUnits);
    }
    let mut tables = BTreeMap::new();
    let mut quarantine = Quarantine::default();
    let mut sources = Vec::new();
    let mut units: HashSet<String> = unchanged.map(|u| u.units.clone()).unwrap_or_default();
    // BTreeMap order is contract order: units first.
    for (dataset, loaded) in by_dataset {
        let mut frames = Vec::new();
        let mut rejected = Vec::new();
        let mut reports = Vec::new();
        for l in loaded {
            frames.push(l.frame);
            rejected.extend(l.rejected);
            reports.push(l.report);
        }
        let mut all = frames.remove(0);
        for f in frames {
            all.vstack_mut(&f)?;
        }
        let dates = validate::DateBounds {
            earliest: settings.earliest_date,
            today,
        };
        let (valid, broken) = validate::validate(dataset, all, &units, dates)?;
        if dataset == Dataset::Units {
            tree_intact(&broken)?;
        }
        rejected.extend(broken);
        if dataset == Dataset::Units {
            units = valid
                .column("unit_id")?
                .str()?
                .iter()
                .flatten()
                .map(str::to_string)
                .collect();
        }
        for r in &mut reports {
            let rows: BTreeSet<(Option<&String>, u64)> = rejected
                .iter()
                .filter(|x| x.file == r.file)
                .map(|x| (x.sheet.as_ref(), x.row))
                .collect();
            r.rows_quarantined = rows.len() as u64;
            r.rows_accepted = r.rows_read - r.rows_quarantined;
            progress(r);
        }
        sources.extend(reports);
        quarantine.rows.extend(rejected);
        tables.insert(dataset, drop_provenance(with_quarter(dataset, valid)?)?);
    }
    let ingested = Ingested {
        tables,
        quarantine,
        sources,
    };
    check_share(&ingested, settings.max_quarantine_share.get())?;
    Ok(ingested)
}

/// Refuses a unit tree with a cycle or a parent that is not a unit: the
/// records of those units (and of the units below them) would otherwise
/// be left out of every roll-up.
fn tree_intact(rejected: &[Rejection]) -> Result<(), IngestError> {
    let broken: Vec<String> = rejected
        .iter()
        .filter(|r| matches!(r.reason, Reason::Cycle | Reason::UnknownParent))
        .map(|r| {
            format!(
                "{} row {} (parent {}: {})",
                r.file.display(),
                r.row,
                r.value,
                r.reason.en()
            )
        })
        .collect();
    if broken.is_empty() {
        return Ok(());
    }
    Err(IngestError::UnitTree {
        count: broken.len(),
        units: broken.into_iter().take(10).collect::<Vec<_>>().join("; "),
    })
}

/// Refuses the ingest when one file's quarantined share is above `max`,
/// naming the file and its most common reasons. Each file is held to the
/// limit on its own, so a dataset's share (a mean of its files') is too,
/// and a small bad file is not hidden among large good ones.
fn check_share(ing: &Ingested, max: f64) -> Result<(), IngestError> {
    for source in &ing.sources {
        let (read, quarantined) = (source.rows_read, source.rows_quarantined);
        let share = if read == 0 {
            0.0
        } else {
            quarantined as f64 / read as f64
        };
        if share <= max {
            continue;
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for r in ing.quarantine.rows.iter().filter(|r| r.file == source.file) {
            *counts
                .entry(format!("{} ({})", r.reason.en(), r.column))
                .or_default() += 1;
        }
        let mut top: Vec<(String, usize)> = counts.into_iter().collect();
        top.sort_by_key(|t| std::cmp::Reverse(t.1));
        let reasons = top
            .iter()
            .take(3)
            .map(|(r, n)| format!("{r} x{n}"))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(IngestError::TooManyRejected {
            file: source.file.display().to_string(),
            quarantined,
            read,
            share: share * 100.0,
            max: max * 100.0,
            reasons,
        });
    }
    Ok(())
}
