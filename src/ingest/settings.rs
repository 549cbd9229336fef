//! The ingest stage's settings: the sources, the reporter key and the
//! quarantine limits (`[[source]]`, `[store]` key, `[ingest]`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::{Dataset, Ratio};

/// Above this share of quarantined rows ingest stops, by default.
pub const MAX_QUARANTINE_SHARE: f64 = 0.05;
/// Above this share of quarantined rows a run ends with warnings, by default.
pub const NOTICE_QUARANTINE_SHARE: f64 = 0.01;

/// What ingest reads and how strictly.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    pub sources: Vec<Source>,
    /// The key that pseudonymises reporter identity (举报人).
    pub reporter_key: Option<KeySource>,
    /// The key is the public demo key shipped with the sample.
    pub reporter_key_is_demo: bool,
    /// Above this share of quarantined rows ingest stops (exit 2).
    pub max_quarantine_share: Ratio,
    /// Above this share of quarantined rows a run ends with warnings (exit 1).
    pub notice_quarantine_share: Ratio,
    /// Dates before this are quarantined as implausible (`[ingest]
    /// earliest_date`, default 1990-01-01).
    pub earliest_date: chrono::NaiveDate,
}

/// The earliest plausible date of a record, by default.
pub const EARLIEST_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(1990, 1, 1) {
    Some(d) => d,
    None => chrono::NaiveDate::MIN,
};

impl IngestSettings {
    /// The quarantine limits of `[ingest]`, or their defaults, each a share.
    pub fn limits(max: Option<f64>, notice: Option<f64>) -> Result<(Ratio, Ratio), String> {
        Ok((
            crate::model::setting::ratio(
                "[ingest] max_quarantine_share",
                max,
                MAX_QUARANTINE_SHARE,
            )?,
            crate::model::setting::ratio(
                "[ingest] notice_quarantine_share",
                notice,
                NOTICE_QUARANTINE_SHARE,
            )?,
        ))
    }
}

/// How a source file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Parquet,
    Ndjson,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "xlsx" | "xls" | "xlsm" | "excel" => Some(Format::Xlsx),
            "parquet" => Some(Format::Parquet),
            "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
            _ => None,
        }
    }

    /// The format a file's extension implies.
    pub fn from_path(path: &Path) -> Option<Self> {
        Self::parse(path.extension()?.to_str()?)
    }
}

/// A declared text encoding, or detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Auto,
    Utf8,
    Gbk,
}

/// Where the reporter-identity key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    Env(String),
}

/// The first cells that mark a totals row, by default.
pub const TOTALS_LABELS: [&str; 3] = ["合计", "总计", "小计"];

/// [`TOTALS_LABELS`] as a source's list.
pub fn default_totals_labels() -> Vec<String> {
    TOTALS_LABELS.iter().map(|l| l.to_string()).collect()
}

/// One `[[source]]`: files of one dataset.
#[derive(Debug, Clone)]
pub struct Source {
    pub dataset: Dataset,
    /// Absolute glob pattern.
    pub pattern: String,
    pub format: Option<Format>,
    pub encoding: Encoding,
    pub sheet: Option<String>,
    /// Source header -> contract column name.
    pub columns: BTreeMap<String, String>,
    /// A row whose first non-empty cell is one of these is a totals row:
    /// skipped and counted apart (`totals_labels`, default 合计, 总计, 小计).
    pub totals_labels: Vec<String>,
    /// The field delimiter (`delimiter`); none: the one the first lines use
    /// most (comma, tab or semicolon).
    pub delimiter: Option<u8>,
    /// The header's row number (`header_row`, from 1); none: found among
    /// the first rows.
    pub header_row: Option<u64>,
    /// Rows at the foot of each file skipped and counted apart
    /// (`skip_footer`: notes, signatures).
    pub skip_footer: usize,
    /// Per contract column, export labels read as contract labels
    /// (`[source.values.<column>]`, e.g. 写信 = 来信).
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}
