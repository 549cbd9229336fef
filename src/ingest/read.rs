//! Readers (the edge of ingest): CSV in any of the usual encodings and
//! delimiters, Excel workbooks with title rows above the header, Parquet and
//! NDJSON. Each yields a [`RawTable`] of text cells with user-visible row
//! numbers; rows that cannot be split into the header's columns are
//! rejected here with their line number.

use std::path::Path;

use polars::prelude::*;

use super::decode::{self, Detected};
use super::header;
use super::quarantine::{Reason, Rejection};
use super::raw_table::RawTable;
use super::{Format, Source};

/// A file that cannot be read at all: nothing from it is loaded.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: cannot read: {cause}")]
    Io { file: String, cause: std::io::Error },
    #[error("{file}: {cause}")]
    Decode {
        file: String,
        cause: decode::DecodeError,
    },
    #[error("{file}: not a readable CSV file: {message}")]
    Csv { file: String, message: String },
    #[error(
        "{file}: not a readable Excel workbook ({message}); if it is a CSV or another format under an .xlsx name, set format = \"csv\" (or the format it is) in its [[source]]"
    )]
    Excel { file: String, message: String },
    #[error(
        "{file}: sheet \"{sheet}\" not found; the workbook's sheets are: {sheets}. Set sheet = \"…\" in this [[source]]"
    )]
    NoSheet {
        file: String,
        sheet: String,
        sheets: String,
    },
    #[error("{file}: not a readable {format} file: {message}")]
    Frame {
        file: String,
        format: &'static str,
        message: String,
    },
    #[error(
        "{file}: line {line}: a quoted field opens here and is never closed, so the {lines} lines after it would be read as one cell. Close the quote (a quote inside a quoted field is written twice: \"\"), then run again"
    )]
    UnclosedQuote { file: String, line: u64, lines: u64 },
    #[error(
        "{file}: row {row} (header_row) is not in the file or is empty; set header_row to the row that holds the column names"
    )]
    NoHeaderRow { file: String, row: u64 },
    #[error(
        "{file}: the file has {lines} lines, but its rows account for {accounted}; nothing from it was loaded. Check the file's quotes and line ends, or report it with the file"
    )]
    Unaccounted {
        file: String,
        lines: u64,
        accounted: u64,
    },
    #[error("{file}: the file has no header row")]
    Empty { file: String },
    #[error(
        "{file}: cannot tell the format from the extension; set format = \"csv\", \"xlsx\", \"parquet\" or \"ndjson\" in its [[source]]"
    )]
    UnknownFormat { file: String },
}

/// Runs a third-party parser on untrusted bytes; a panic inside it (seen
/// in the Parquet metadata decoder on corrupt files) becomes an error that
/// names the file instead of ending the run.
pub(super) fn guarded<T>(
    file: &str,
    format: &'static str,
    f: impl FnOnce() -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(ReadError::Frame {
            file: file.to_string(),
            format,
            message: "the file is corrupt (its parser gave up)".into(),
        })
    })
}

/// What a reader gives back.
#[derive(Debug)]
pub struct ReadOutcome {
    pub table: RawTable,
    pub rejected: Vec<Rejection>,
    /// The text encoding, for CSV.
    pub encoding: Option<Detected>,
    /// Excel cells with a formula but no saved value (read as empty), as
    /// `C5`.
    pub formulas_without_value: Vec<String>,
}

/// Reads one file of `source` with the format it declares or its extension implies.
pub fn read(path: &Path, bytes: Vec<u8>, source: &Source) -> Result<ReadOutcome, ReadError> {
    let file = path.display().to_string();
    match source.format.or_else(|| Format::from_path(path)) {
        Some(Format::Csv) => super::delimited::read_csv(path, bytes, source),
        Some(Format::Xlsx) => super::excel::read_excel(path, &bytes, source),
        Some(f @ (Format::Parquet | Format::Ndjson)) => read_frame(path, &bytes, f, source),
        None => Err(ReadError::UnknownFormat { file }),
    }
}

impl ReadError {
    /// The error of reading the file at `path` that `cause` stopped.
    pub fn io(path: &Path) -> impl Fn(std::io::Error) -> ReadError + Copy + '_ {
        |cause| ReadError::Io {
            file: path.display().to_string(),
            cause,
        }
    }
}

/// Reads the file at `path` without holding it whole, where its format
/// allows (a large GB18030 CSV); `None` for a file to read whole with
/// [`read`].
pub fn read_in_pieces(path: &Path, source: &Source) -> Result<Option<ReadOutcome>, ReadError> {
    match source.format.or_else(|| Format::from_path(path)) {
        Some(Format::Csv) => super::delimited::read_csv_in_pieces(path, source),
        _ => Ok(None),
    }
}

/// Builds a table from rows of cells: keeps the first rows until the
/// header row is found among them, then appends rows as they come without
/// copying cells.
pub(super) struct Builder<'a> {
    path: &'a Path,
    sheet: Option<String>,
    source: &'a Source,
    head: Vec<(u64, Vec<String>)>,
    table: Option<RawTable>,
    rejected: Vec<Rejection>,
    /// The last rows seen, held back while they may be the footer
    /// (`skip_footer`).
    held: std::collections::VecDeque<(u64, Vec<String>)>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(path: &'a Path, sheet: Option<String>, source: &'a Source) -> Self {
        Builder {
            path,
            sheet,
            source,
            head: Vec::new(),
            table: None,
            rejected: Vec::new(),
            held: std::collections::VecDeque::new(),
        }
    }

    pub(super) fn push<'c>(&mut self, n: u64, cells: impl Iterator<Item = &'c str> + Clone) {
        if self.table.is_some() {
            self.hold_or_append(n, cells);
            return;
        }
        self.head.push((n, cells.map(str::to_string).collect()));
        let reached = match self.source.header_row {
            Some(row) => n >= row,
            None => self.head.len() == header::HEADER_SEARCH_ROWS,
        };
        if reached {
            self.decide();
        }
    }

    /// Appends a data row, or holds it back while it may be one of the
    /// `skip_footer` rows at the foot.
    fn hold_or_append<'c>(&mut self, n: u64, cells: impl Iterator<Item = &'c str> + Clone) {
        let footer = self.source.skip_footer;
        if footer == 0 {
            self.append(n, cells);
            return;
        }
        if cells.clone().all(|c| c.trim().is_empty()) {
            if let Some(t) = self.table.as_mut() {
                t.empty_rows += 1;
            }
            return;
        }
        self.held
            .push_back((n, cells.map(str::to_string).collect()));
        if self.held.len() > footer
            && let Some((n, row)) = self.held.pop_front()
        {
            self.append(n, row.iter().map(String::as_str));
        }
    }

    /// Picks the header among the rows kept so far and appends the rest.
    fn decide(&mut self) {
        let h = match self.source.header_row {
            Some(row) => self.head.iter().position(|(n, _)| *n == row),
            None => {
                let cells: Vec<Vec<String>> = self.head.iter().map(|(_, c)| c.clone()).collect();
                header::find_header_row(self.source.dataset, &self.source.columns, &cells)
            }
        };
        let Some(h) = h else {
            return;
        };
        let head = std::mem::take(&mut self.head);
        let headers = head[h].1.iter().map(|s| s.trim().to_string()).collect();
        let mut table = RawTable::new(self.path.to_path_buf(), self.sheet.clone(), headers);
        table.title_rows = h as u64;
        self.table = Some(table);
        for (n, row) in head.iter().skip(h + 1) {
            self.hold_or_append(*n, row.iter().map(String::as_str));
        }
    }

    fn append<'c>(&mut self, n: u64, cells: impl Iterator<Item = &'c str> + Clone) {
        // Control characters are removed (and counted); the rest is as read.
        if cells.clone().any(has_control) {
            let clean: Vec<String> = cells
                .map(|c| {
                    let kept: String = c.chars().filter(|&ch| !is_control(ch)).collect();
                    if let Some(t) = self.table.as_mut() {
                        t.control_chars += (c.chars().count() - kept.chars().count()) as u64;
                    }
                    kept
                })
                .collect();
            return self.append_clean(n, clean.iter().map(String::as_str));
        }
        self.append_clean(n, cells);
    }

    fn append_clean<'c>(&mut self, n: u64, cells: impl Iterator<Item = &'c str> + Clone) {
        let Some(table) = self.table.as_mut() else {
            return;
        };
        if cells.clone().all(|c| c.trim().is_empty()) {
            table.empty_rows += 1;
            return;
        }
        // A totals row at the foot of an export: its first non-empty cell
        // is a totals label (合计, 总计, 小计 or the source's own).
        if let Some(first) = cells.clone().map(str::trim).find(|c| !c.is_empty())
            && self.source.totals_labels.iter().any(|l| l == first)
        {
            table.totals_rows.push(n);
            return;
        }
        let width = table.width();
        if cells.clone().skip(width).any(|c| !c.trim().is_empty()) {
            self.rejected.push(Rejection {
                dataset: self.source.dataset.name(),
                file: self.path.to_path_buf(),
                sheet: self.sheet.clone(),
                row: n,
                column: String::new(),
                value: String::new(),
                reason: Reason::FieldCount {
                    expected: width,
                    found: cells.count(),
                },
            });
            return;
        }
        if let Some((k, cell)) = cells
            .clone()
            .enumerate()
            .find(|(_, c)| c.len() > MAX_CELL_CHARS && c.chars().count() > MAX_CELL_CHARS)
        {
            self.rejected.push(Rejection {
                dataset: self.source.dataset.name(),
                file: self.path.to_path_buf(),
                sheet: self.sheet.clone(),
                row: n,
                column: table.headers.get(k).cloned().unwrap_or_default(),
                value: cell.chars().take(40).collect::<String>() + "…",
                reason: Reason::TooLong {
                    chars: cell.chars().count(),
                },
            });
            return;
        }
        table.push_row(n, cells);
    }

    /// A builder for rows below a header already found (a later piece of a
    /// file read in parallel).
    pub(super) fn below(
        path: &'a Path,
        sheet: Option<String>,
        source: &'a Source,
        headers: Vec<String>,
    ) -> Self {
        let table = Some(RawTable::new(path.to_path_buf(), sheet.clone(), headers));
        Builder {
            table,
            ..Builder::new(path, sheet, source)
        }
    }

    /// Room for `ratio` times the rows appended so far (see
    /// [`RawTable::reserve_for`]).
    pub(super) fn reserve_for(&mut self, ratio: f64) {
        if let Some(t) = self.table.as_mut() {
            t.reserve_for(ratio);
        }
    }

    /// The header, once found.
    pub(super) fn headers(&self) -> Option<&[String]> {
        self.table.as_ref().map(|t| t.headers.as_slice())
    }

    pub(super) fn finish(mut self) -> Result<(RawTable, Vec<Rejection>), ReadError> {
        if self.table.is_none() {
            self.decide();
        }
        let file = self.path.display().to_string();
        let mut table = match (self.table, self.source.header_row) {
            (Some(t), _) => t,
            (None, Some(row)) => return Err(ReadError::NoHeaderRow { file, row }),
            (None, None) => return Err(ReadError::Empty { file }),
        };
        table.footer_rows = self.held.iter().map(|(n, _)| *n).collect();
        Ok((table, self.rejected))
    }
}

/// Checks that `lines` (a sheet's rows, a file's records) are the title
/// rows, the header, the rows read (kept or rejected), totals, footer and
/// empty rows, and nothing else.
pub(super) fn rows_add_up(
    path: &Path,
    table: &RawTable,
    rejected: &[Rejection],
    lines: u64,
) -> Result<(), ReadError> {
    let rejected_rows: std::collections::BTreeSet<u64> = rejected.iter().map(|r| r.row).collect();
    let accounted = table.title_rows
        + 1
        + table.len() as u64
        + rejected_rows.len() as u64
        + table.totals_rows.len() as u64
        + table.footer_rows.len() as u64
        + table.empty_rows
        + table.empty_lines
        + table.continuation_lines;
    if accounted == lines {
        return Ok(());
    }
    Err(ReadError::Unaccounted {
        file: path.display().to_string(),
        lines,
        accounted,
    })
}

/// The most characters a cell may hold (a spreadsheet cell's limit).
pub const MAX_CELL_CHARS: usize = 32_767;

/// A control character that is not a tab or a line break (C0 but tab and
/// line feed, DEL, C1): invisible in a report and a hazard on a terminal.
fn is_control(ch: char) -> bool {
    ch.is_control() && ch != '\t' && ch != '\n'
}

/// Whether `cell` holds a control character: its bytes first (C0 and DEL
/// are single bytes; every C1 character's UTF-8 starts with 0xC2), the
/// characters only when one of those bytes is there.
fn has_control(cell: &str) -> bool {
    // Every byte looked at (no early exit): the compiler checks many at once.
    let suspect = |b: u8| (b < 0x20 && b != b'\t' && b != b'\n') || b == 0x7f || b == 0xc2;
    cell.bytes().fold(false, |any, b| any | suspect(b)) && cell.chars().any(is_control)
}

fn read_frame(
    path: &Path,
    bytes: &[u8],
    format: Format,
    source: &Source,
) -> Result<ReadOutcome, ReadError> {
    let file = path.display().to_string();
    let name = if format == Format::Parquet {
        "Parquet"
    } else {
        "NDJSON"
    };
    let err = |e: PolarsError| ReadError::Frame {
        file: file.clone(),
        format: name,
        message: e.to_string(),
    };
    let cursor = std::io::Cursor::new(bytes);
    let df = match format {
        Format::Parquet => guarded(&file, name, || {
            // Decoded on this thread: a panic in the decoder on a corrupt
            // file then unwinds to `guarded` instead of aborting in a worker.
            ParquetReader::new(cursor)
                .read_parallel(ParallelStrategy::None)
                .finish()
                .map_err(err)
        })?,
        _ => guarded(&file, name, || {
            JsonReader::new(cursor)
                .with_json_format(JsonFormat::JsonLines)
                .finish()
                .map_err(err)
        })?,
    };
    let headers: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cols: Vec<Series> = df
        .columns()
        .iter()
        .map(|c| c.as_materialized_series().cast(&DataType::String))
        .collect::<PolarsResult<_>>()
        .map_err(err)?;
    let strs: Vec<&StringChunked> = cols
        .iter()
        .map(|s| s.str())
        .collect::<PolarsResult<_>>()
        .map_err(err)?;
    // The header is the schema itself: feed it as the first row.
    let mut builder = Builder::new(path, None, source);
    builder.push(0, headers.iter().map(String::as_str));
    // Rows up to the longest column: a damaged file can give columns of
    // different lengths, and a short column reads as empty cells.
    let rows = strs.iter().map(|s| s.len()).max().unwrap_or(0);
    for i in 0..rows {
        let cells = strs.iter().map(move |s| {
            if i < s.len() {
                s.get(i).unwrap_or("")
            } else {
                ""
            }
        });
        builder.push(i as u64 + 1, cells);
    }
    let (mut table, rejected) = builder.finish()?;
    // NDJSON: one record a non-empty line; Parquet: the file's rows. The
    // schema stands in for the header.
    table.lines = match format {
        Format::Ndjson => bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.trim_ascii().is_empty())
            .count() as u64,
        _ => df.height() as u64,
    };
    rows_add_up(path, &table, &rejected, table.lines + 1)?;
    Ok(ReadOutcome {
        table,
        rejected,
        encoding: None,
        formulas_without_value: Vec::new(),
    })
}
