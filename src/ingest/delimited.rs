//! Delimited text (CSV, TSV, semicolons) in any of the usual encodings.
//!
//! A large file is parsed on every core: after the header, the text is cut
//! at line breaks into pieces parsed at once. A cut may fall inside a
//! quoted field (a summary with a line break); each piece's parser runs on
//! past its end to the first record that starts at or after the next cut,
//! so the cut is proven a record boundary (by induction from the first
//! piece, which starts after the header) or the file is parsed again in
//! one pass. Either way the rows, row numbers and rejections are those of
//! one sequential pass.

use std::path::Path;

use rayon::prelude::*;

use super::decode;
use super::header::HEADER_SEARCH_ROWS;
use super::quarantine::Rejection;
use super::raw_table::RawTable;
use super::read::{Builder, ReadError, ReadOutcome};
use crate::config::Source;

/// Texts shorter than this are parsed in one pass.
const PARALLEL_BYTES: usize = 8 << 20;

/// The delimiter used most in the first line: comma, tab or semicolon.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| (first.matches(char::from(*d)).count(), *d == b','))
        .unwrap_or(b',')
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
}

pub(super) fn read_csv(
    path: &Path,
    bytes: &[u8],
    source: &Source,
) -> Result<ReadOutcome, ReadError> {
    let file = path.display().to_string();
    let (text, detected) =
        decode::decode(bytes, source.encoding).map_err(|source| ReadError::Decode {
            file: file.clone(),
            source,
        })?;
    let (table, rejected) = parse(path, &text, source, PARALLEL_BYTES)?;
    Ok(ReadOutcome {
        table,
        rejected,
        encoding: Some(detected),
    })
}

/// Parses `text`, in parallel pieces when it is at least `parallel_bytes` long.
fn parse(
    path: &Path,
    text: &str,
    source: &Source,
    parallel_bytes: usize,
) -> Result<(RawTable, Vec<Rejection>), ReadError> {
    let delimiter = sniff_delimiter(text);
    if text.len() >= parallel_bytes
        && let Some(done) = parse_parallel(path, text, source, delimiter)
    {
        return Ok(done);
    }
    let mut builder = Builder::new(path, None, source);
    feed(&mut builder, reader(text, delimiter), 0, usize::MAX, 0).map_err(|message| {
        ReadError::Csv {
            file: path.display().to_string(),
            message,
        }
    })?;
    builder.finish()
}

/// How a piece's parse ended.
enum Ended {
    /// At the end of the text.
    Eof,
    /// At the first record starting at or after the piece's end, at this offset.
    At(usize),
}

/// Feeds the records of `reader` (reading the text from offset `start`)
/// that start before `end` to `builder`; `lines_before` is the number of
/// line breaks before `start`.
fn feed(
    builder: &mut Builder<'_>,
    mut reader: csv::Reader<&[u8]>,
    start: usize,
    end: usize,
    lines_before: u64,
) -> Result<Ended, String> {
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {
                let (byte, line) = record
                    .position()
                    .map_or((0, 0), |p| (p.byte() as usize, p.line()));
                let at = start + byte;
                if at >= end {
                    return Ok(Ended::At(at));
                }
                builder.push(lines_before + line, record.iter());
            }
            Ok(false) => return Ok(Ended::Eof),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The parallel parse, or `None` when it cannot be shown to equal one pass.
fn parse_parallel(
    path: &Path,
    text: &str,
    source: &Source,
    delimiter: u8,
) -> Option<(RawTable, Vec<Rejection>)> {
    // The header: the first rows, in one pass, as the sequential reader
    // would take them.
    let mut head = Builder::new(path, None, source);
    let mut r = reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    let mut taken = 0;
    while taken < HEADER_SEARCH_ROWS && r.read_record(&mut record).ok()? {
        let line = record.position()?.line();
        head.push(line, record.iter());
        taken += 1;
    }
    let headers = head.headers()?.to_vec();
    let data = r.position().byte() as usize;
    let bytes = text.as_bytes();
    let pieces = decode::split_at_newlines(bytes, data, rayon::current_num_threads() * 2);
    let newlines = |a: usize, b: usize| bytes[a..b].iter().filter(|&&c| c == b'\n').count() as u64;
    let counts: Vec<u64> = pieces.par_iter().map(|&(a, b)| newlines(a, b)).collect();
    let mut before = newlines(0, data);
    let mut lines_before = Vec::with_capacity(pieces.len());
    for c in &counts {
        lines_before.push(before);
        before += c;
    }
    let parsed: Vec<Option<(RawTable, Vec<Rejection>)>> = pieces
        .par_iter()
        .zip(&lines_before)
        .map(|(&(start, end), &lines)| {
            let mut b = Builder::below(path, None, source, headers.clone());
            let ended = feed(&mut b, reader(&text[start..], delimiter), start, end, lines).ok()?;
            let boundary = match ended {
                Ended::Eof => end == bytes.len() || text[end..].trim().is_empty(),
                // Blank lines between records are skipped by the parser.
                Ended::At(at) => at == end || text[end..at].trim().is_empty(),
            };
            boundary.then_some(())?;
            b.finish().ok()
        })
        .collect();
    let (mut table, mut rejected) = head.finish().ok()?;
    let mut parts = Vec::with_capacity(parsed.len());
    for piece in parsed {
        let (t, r) = piece?;
        parts.push(t);
        rejected.extend(r);
    }
    table.extend(parts);
    Some((table, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dataset;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter("a;b;c\n"), b';');
        assert_eq!(sniff_delimiter("single\n"), b',');
    }

    fn cells(t: &RawTable) -> Vec<(u64, Vec<Option<String>>)> {
        (0..t.len())
            .map(|i| {
                (
                    t.row_numbers[i],
                    (0..t.width())
                        .map(|c| t.cell(i, c).map(str::to_string))
                        .collect(),
                )
            })
            .collect()
    }

    /// A title row, quoted fields with commas and line breaks, blank lines,
    /// a stray quote inside an unquoted field and rows too wide: the
    /// parallel parse gives exactly the rows, row numbers and rejections of
    /// one pass.
    #[test]
    fn the_parallel_parse_equals_one_pass() {
        let source = Source {
            dataset: Dataset::Units,
            pattern: String::new(),
            format: None,
            encoding: crate::config::Encoding::Auto,
            sheet: None,
            columns: Default::default(),
        };
        let sample = |break_in_quotes: bool| {
            let mut text = String::from("组织单位名册\n单位编码,单位名称,上级单位编码,层级\n");
            let cut = if break_in_quotes { "\n" } else { " " };
            for i in 0..4000 {
                text.push_str(&match i % 7 {
                    0 => format!("U{i},\"名称，含逗号{cut}和换行{i}\",C0,区\n"),
                    1 => format!("U{i},单位\"引号{i},C0,街道\n"),
                    2 => format!("U{i},太宽,C0,区,多余\n\n"),
                    3 => format!("U{i},\"\"\"引\"\"号\",,市级\r\n"),
                    _ => format!("U{i},单位{i},C0,委办局\n"),
                });
            }
            text
        };
        let path = Path::new("units.csv");
        // Without line breaks in quoted fields every cut is a record
        // boundary: the pieces are used, not parsed again.
        assert!(parse_parallel(path, &sample(false), &source, b',').is_some());
        for text in [sample(false), sample(true)] {
            let (one, one_rejected) = parse(path, &text, &source, usize::MAX).expect("one pass");
            let rows = |r: &[Rejection]| {
                r.iter()
                    .map(|x| (x.row, x.reason.code()))
                    .collect::<Vec<_>>()
            };
            for min in [0, 1000] {
                let (many, rejected) = parse(path, &text, &source, min).expect("parallel");
                assert_eq!(cells(&many), cells(&one));
                assert_eq!(rows(&rejected), rows(&one_rejected));
            }
            // Every seventh row is too wide; the header and title are not rows.
            assert_eq!(one.len(), 4000 - 4000 / 7 - 1);
            assert_eq!(one_rejected.len(), 4000 / 7 + 1);
        }
    }
}
