//! Readers (the edge of ingest): CSV in any of the usual encodings and
//! delimiters, Excel workbooks with title rows above the header, Parquet and
//! NDJSON. Each yields a [`RawTable`] of text cells with user-visible row
//! numbers; rows that cannot be split into the header's columns are
//! rejected here with their line number.

use std::path::Path;

use calamine::{Data, Reader};
use polars::prelude::*;

use super::decode::{self, Detected};
use super::header;
use super::quarantine::{Reason, Rejection};
use super::raw_table::RawTable;
use crate::config::{Format, Source};

/// A file that cannot be read at all: nothing from it is loaded.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {source}")]
    Decode {
        file: String,
        source: decode::DecodeError,
    },
    #[error("{file}: not a readable CSV file: {message}")]
    Csv { file: String, message: String },
    #[error("{file}: not a readable Excel workbook: {message}")]
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
    #[error("{file}: the file has no header row")]
    Empty { file: String },
    #[error(
        "{file}: cannot tell the format from the extension; set format = \"csv\", \"xlsx\", \"parquet\" or \"ndjson\" in its [[source]]"
    )]
    UnknownFormat { file: String },
}

/// What a reader gives back.
#[derive(Debug)]
pub struct ReadOutcome {
    pub table: RawTable,
    pub rejected: Vec<Rejection>,
    /// The text encoding, for CSV.
    pub encoding: Option<Detected>,
}

/// Reads one file of `source` with the format it declares or its extension implies.
pub fn read(path: &Path, bytes: &[u8], source: &Source) -> Result<ReadOutcome, ReadError> {
    let file = path.display().to_string();
    match source.format.or_else(|| Format::from_path(path)) {
        Some(Format::Csv) => read_csv(path, bytes, source),
        Some(Format::Xlsx) => read_excel(path, source),
        Some(f @ (Format::Parquet | Format::Ndjson)) => read_frame(path, bytes, f, source),
        None => Err(ReadError::UnknownFormat { file }),
    }
}

/// The delimiter used most in the first line: comma, tab or semicolon.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| (first.matches(char::from(*d)).count(), *d == b','))
        .unwrap_or(b',')
}

/// Turns rows of cells (header somewhere near the top) into a table;
/// `rows` yields (row number, cells).
fn tabulate(
    path: &Path,
    sheet: Option<String>,
    source: &Source,
    mut rows: impl Iterator<Item = (u64, Vec<String>)>,
) -> Result<(RawTable, Vec<Rejection>), ReadError> {
    let file = path.display().to_string();
    let mut head: Vec<(u64, Vec<String>)> =
        rows.by_ref().take(header::HEADER_SEARCH_ROWS).collect();
    let cells: Vec<Vec<String>> = head.iter().map(|(_, c)| c.clone()).collect();
    let h = header::find_header_row(source.dataset, &source.columns, &cells)
        .ok_or(ReadError::Empty { file })?;
    let rest = head.split_off(h + 1);
    let headers: Vec<String> = head
        .pop()
        .map(|(_, c)| c)
        .unwrap_or_default()
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let mut table = RawTable::new(path.to_path_buf(), sheet.clone(), headers);
    let mut rejected = Vec::new();
    for (n, cells) in rest.into_iter().chain(rows) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let extra = cells
            .iter()
            .skip(table.width())
            .any(|c| !c.trim().is_empty());
        if extra {
            rejected.push(Rejection {
                dataset: source.dataset.name(),
                file: path.to_path_buf(),
                sheet: sheet.clone(),
                row: n,
                column: String::new(),
                value: String::new(),
                reason: Reason::FieldCount {
                    expected: table.width(),
                    found: cells.len(),
                },
            });
            continue;
        }
        table.push_row(n, cells.iter().map(String::as_str));
    }
    Ok((table, rejected))
}

fn read_csv(path: &Path, bytes: &[u8], source: &Source) -> Result<ReadOutcome, ReadError> {
    let file = path.display().to_string();
    let (text, detected) =
        decode::decode(bytes, source.encoding).map_err(|source| ReadError::Decode {
            file: file.clone(),
            source,
        })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(&text))
        .from_reader(text.as_bytes());
    let mut err = None;
    let rows = reader.records().map_while(|r| match r {
        Ok(rec) => {
            let line = rec.position().map_or(0, |p| p.line());
            Some((line, rec.iter().map(str::to_string).collect::<Vec<_>>()))
        }
        Err(e) => {
            err = Some(e.to_string());
            None
        }
    });
    let (table, rejected) = tabulate(path, None, source, rows)?;
    if let Some(message) = err {
        return Err(ReadError::Csv { file, message });
    }
    Ok(ReadOutcome {
        table,
        rejected,
        encoding: Some(detected),
    })
}

/// A cell as text; Excel dates become `YYYY-MM-DD` (or with a time).
fn excel_cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => {
                t.date().format("%Y-%m-%d").to_string()
            }
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_excel(path: &Path, source: &Source) -> Result<ReadOutcome, ReadError> {
    let file = path.display().to_string();
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| ReadError::Excel {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let names = wb.sheet_names();
    let sheet = match &source.sheet {
        Some(s) => names
            .iter()
            .find(|n| n.trim() == s.trim())
            .cloned()
            .ok_or_else(|| ReadError::NoSheet {
                file: file.clone(),
                sheet: s.clone(),
                sheets: names.join(", "),
            })?,
        None => names
            .first()
            .cloned()
            .ok_or(ReadError::Empty { file: file.clone() })?,
    };
    let range = wb.worksheet_range(&sheet).map_err(|e| ReadError::Excel {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let rows = range.rows().enumerate().map(|(i, r)| {
        // Pad on the left so column letters stay aligned when the used range starts past A.
        let cells = std::iter::repeat_n(String::new(), first_col)
            .chain(r.iter().map(excel_cell))
            .collect();
        (first_row + i as u64 + 1, cells)
    });
    let (table, rejected) = tabulate(path, Some(sheet.clone()), source, rows)?;
    Ok(ReadOutcome {
        table,
        rejected,
        encoding: None,
    })
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
        Format::Parquet => ParquetReader::new(cursor).finish().map_err(err)?,
        _ => JsonReader::new(cursor)
            .with_json_format(JsonFormat::JsonLines)
            .finish()
            .map_err(err)?,
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
    let rows = (0..df.height()).map(|i| {
        let cells = strs
            .iter()
            .map(|s| s.get(i).unwrap_or("").to_string())
            .collect();
        (i as u64 + 1, cells)
    });
    // The header is the schema itself: feed it as the first row.
    let all = std::iter::once((0, headers)).chain(rows);
    let (table, rejected) = tabulate(path, None, source, all)?;
    Ok(ReadOutcome {
        table,
        rejected,
        encoding: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter("a;b;c\n"), b';');
        assert_eq!(sniff_delimiter("single\n"), b',');
    }
}
