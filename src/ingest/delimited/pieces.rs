//! A large GB18030 export, decoded and parsed a piece at a time.
//!
//! Its bytes are cut where records end ([`record_cuts`]), each piece is
//! decoded into a buffer its core keeps for the next piece and parsed at
//! once, so the file's text is never held whole: the decoded text (half
//! as large again as the bytes) needs no fresh memory beyond one piece a
//! core. Where this reading cannot be shown to equal one pass (a footer
//! to hold back, carriage returns alone, a delimiter that may be a byte
//! of a character, a header not found in the first piece, bytes that are
//! not GB18030, an unclosed quote), the file is left to the reader that
//! decodes it whole, which also gives those files' errors.

use std::path::Path;

use rayon::prelude::*;

use super::{
    Builder, Ended, HEADER_SEARCH_ROWS, ReadError, ReadOutcome, Records, SNIFF_LINES, Source,
    account, feed, record_cuts, sniff_delimiter,
};
use crate::ingest::decode::{self, Detected};

/// The first piece, in which the header is found: large enough for the
/// rows searched for it.
const HEAD_BYTES: usize = 1 << 20;

/// The other pieces: many a core, so the cores finish together, and each
/// piece's text a small buffer.
const PIECE_BYTES: usize = 16 << 20;

/// Bytes decoded to sniff the delimiter from.
const SNIFF_BYTES: usize = 64 << 10;

/// Reads `bytes` as GB18030 in pieces, or `None` when the file is for
/// the reader that decodes it whole.
pub(super) fn read(
    path: &Path,
    bytes: &[u8],
    source: &Source,
) -> Result<Option<ReadOutcome>, ReadError> {
    if bytes.len() < super::PARALLEL_BYTES {
        return Ok(None);
    }
    read_cut(path, bytes, source, HEAD_BYTES, PIECE_BYTES)
}

/// [`read`], with the first piece cut after `head` bytes and the others
/// after `every`.
fn read_cut(
    path: &Path,
    bytes: &[u8],
    source: &Source,
    head: usize,
    every: usize,
) -> Result<Option<ReadOutcome>, ReadError> {
    if source.skip_footer != 0
        || has_lone_cr(bytes)
        || !decode::reads_as_gb18030(bytes, source.encoding)
    {
        return Ok(None);
    }
    let Some(delimiter) = delimiter(bytes, source) else {
        return Ok(None);
    };
    let (scan, cuts) = record_cuts(bytes, delimiter, head, every);
    if scan.unclosed.is_some() {
        return Ok(None);
    }
    let ends = cuts.iter().map(|c| c.0).chain([bytes.len()]);
    let starts = [(0, 0)].into_iter().chain(cuts.iter().copied());
    let pieces: Vec<(&[u8], u64)> = starts
        .zip(ends)
        .map(|((a, lines), b)| (&bytes[a..b], lines))
        .collect();
    let Some((head, rest)) = pieces.split_first() else {
        return Ok(None);
    };
    let mut text = String::new();
    if !decode::gb18030_into(head.0, &mut text) {
        return Ok(None);
    }
    let Some((mut table, mut rejected)) = parse_head(path, &text, source, delimiter, rest) else {
        return Ok(None);
    };
    let headers = table.headers.clone();
    let parsed: Option<Vec<_>> = rest
        .par_iter()
        .map_init(String::new, |text, &(piece, lines_before)| {
            decode::gb18030_into(piece, text).then_some(())?;
            let mut b = Builder::below(path, None, source, headers.clone());
            let ended = feed(
                &mut b,
                &[text.as_str()],
                delimiter,
                text.len(),
                lines_before,
            );
            matches!(ended, Ok(Ended::Eof)).then_some(())?;
            b.finish().ok()
        })
        .collect();
    let Some(parsed) = parsed else {
        return Ok(None);
    };
    let mut parts = Vec::with_capacity(parsed.len());
    for (t, r) in parsed {
        parts.push(t);
        rejected.extend(r);
    }
    table.extend(parts);
    account(path, &scan, &mut table, &rejected)?;
    Ok(Some(ReadOutcome {
        table,
        rejected,
        encoding: Some(Detected::Gb18030),
        formulas_without_value: Vec::new(),
    }))
}

/// The first piece's rows: the header found among them as one pass finds
/// it, and the rows below it. `None` when the search would read on into
/// the next piece.
fn parse_head(
    path: &Path,
    text: &str,
    source: &Source,
    delimiter: u8,
    rest: &[(&[u8], u64)],
) -> Option<(super::RawTable, Vec<super::Rejection>)> {
    let chunks = [text];
    let mut head = Builder::new(path, None, source);
    let mut records = Records::new(&chunks, delimiter);
    let mut taken = 0;
    while taken < HEADER_SEARCH_ROWS
        && let Some((_, line)) = records.next().ok()?
    {
        head.push(line, records.record.iter());
        taken += 1;
    }
    if taken < HEADER_SEARCH_ROWS && !rest.is_empty() {
        return None;
    }
    let headers = head.headers()?.to_vec();
    let data = records.read();
    let below = &text[data..];
    let lines_before = text.as_bytes()[..data]
        .iter()
        .filter(|&&c| c == b'\n')
        .count() as u64;
    let mut b = Builder::below(path, None, source, headers);
    let ended = feed(&mut b, &[below], delimiter, below.len(), lines_before).ok()?;
    matches!(ended, Ended::Eof).then_some(())?;
    let (mut table, mut rejected) = head.finish().ok()?;
    let (t, r) = b.finish().ok()?;
    table.extend(vec![t]);
    rejected.extend(r);
    Some((table, rejected))
}

/// The delimiter as declared, or as sniffed from the first lines; `None`
/// when it may be a byte of a character (0x40 and above) or the first
/// bytes hold too few lines to sniff it as from the whole first piece.
fn delimiter(bytes: &[u8], source: &Source) -> Option<u8> {
    let d = match source.delimiter {
        Some(d) => d,
        None => {
            let sample = &bytes[..SNIFF_BYTES.min(bytes.len())];
            let sample = &sample[..sample.iter().rposition(|&b| b == b'\n')? + 1];
            let mut text = String::new();
            decode::gb18030_into(sample, &mut text).then_some(())?;
            let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
            (lines >= SNIFF_LINES).then(|| sniff_delimiter(&text))?
        }
    };
    (d < 0x40).then_some(d)
}

/// Whether a carriage return ends a line alone somewhere (not before a
/// line feed).
fn has_lone_cr(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{cells, units_source};
    use super::*;
    use crate::ingest::Encoding;

    /// A title row, quoted fields with delimiters and line breaks, blank
    /// lines, CRLF, a stray quote inside an unquoted field, control
    /// characters, totals and rows too wide, in GBK.
    fn export() -> Vec<u8> {
        let mut text = String::from("组织单位名册\r\n单位编码,单位名称,上级单位编码,层级\r\n");
        for i in 0..3000 {
            text.push_str(&match i % 9 {
                0 => format!("U{i},\"名称，含逗号\r\n和换行{i}\",C0,区\r\n"),
                1 => format!("U{i},单位\"引号{i},C0,街道\r\n"),
                2 => format!("U{i},太宽,C0,区,多余\r\n\r\n"),
                3 => format!("U{i},\"\"\"引\"\"号\n\n\",,市级\r\n"),
                4 => format!("U{i},控\u{7}制{i},C0,区\r\n"),
                5 => "合计,,,\r\n".to_string(),
                _ => format!("U{i},单位{i}€,C0,委办局\r\n"),
            });
        }
        encoding_rs::GB18030.encode(&text).0.into_owned()
    }

    /// Rows, row numbers, rejections and the line accounting of a whole
    /// read.
    fn outcome(o: &ReadOutcome) -> impl PartialEq + std::fmt::Debug {
        let t = &o.table;
        let rejected: Vec<_> = o
            .rejected
            .iter()
            .map(|r| (r.row, r.reason.code()))
            .collect();
        let lines = (t.lines, t.empty_lines, t.continuation_lines, t.title_rows);
        let skipped = (t.totals_rows.clone(), t.empty_rows, t.control_chars);
        (
            cells(t),
            rejected,
            lines,
            skipped,
            t.headers.clone(),
            o.encoding,
        )
    }

    #[test]
    fn pieces_read_as_the_whole_text_does() {
        let bytes = export();
        let path = Path::new("units.csv");
        for encoding in [Encoding::Auto, Encoding::Gbk] {
            let source = units_source(encoding);
            let whole = super::super::read_csv(path, bytes.clone(), &source).expect("whole");
            // Cut after every few hundred bytes, so cuts meet quoted line
            // breaks, blank lines and the header's piece.
            for (head, every) in [(600, 97), (2000, 1), (4096, 5000), (usize::MAX, 1)] {
                let pieces = read_cut(path, &bytes, &source, head, every)
                    .expect("read")
                    .expect("read in pieces");
                assert_eq!(outcome(&pieces), outcome(&whole), "{head} {every}");
            }
        }
        let whole = super::super::read_csv(path, bytes, &units_source(Encoding::Auto));
        let t = whole.expect("whole").table;
        assert_eq!((t.len(), t.totals_rows.len()), (2333, 333));
    }

    #[test]
    fn cuts_fall_where_records_end() {
        let bytes = export();
        let (_, cuts) = record_cuts(&bytes, b',', 0, 1);
        let text = encoding_rs::GB18030.decode(&bytes).0;
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        // Every line feed outside a quoted field, and none inside.
        let holding = |s: &str| lines.iter().filter(|l| l.contains(s)).count();
        let inside = holding("含逗号") + 2 * holding("引\"\"号");
        // The last line feed ends the file: no cut there.
        assert_eq!(cuts.len(), lines.len() - inside - 1);
        for (at, before) in cuts {
            assert_eq!(bytes[at - 1], b'\n');
            assert_eq!(
                bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64,
                before
            );
        }
    }

    #[test]
    fn files_it_cannot_read_as_one_pass_are_left_to_the_whole_reader() {
        let path = Path::new("units.csv");
        let gbk = units_source(Encoding::Gbk);
        let read = |bytes: &[u8], source: &Source| {
            read_cut(path, bytes, source, 4096, 100).expect("no error")
        };
        let bytes = export();
        assert!(read(&bytes, &gbk).is_some());
        // UTF-8, declared or not.
        let utf8 = encoding_rs::GB18030
            .decode(&bytes)
            .0
            .into_owned()
            .into_bytes();
        assert!(read(&utf8, &units_source(Encoding::Auto)).is_none());
        assert!(read(&bytes, &units_source(Encoding::Utf8)).is_none());
        // A footer, a line ended by a carriage return alone, bytes that
        // are not GB18030, an unclosed quote, a delimiter a character may
        // hold.
        let footer = Source {
            skip_footer: 1,
            ..gbk.clone()
        };
        assert!(read(&bytes, &footer).is_none());
        let lone_cr = [&bytes[..], b"U9,a,C0,\r"].concat();
        assert!(read(&lone_cr, &gbk).is_none());
        let broken = [&bytes[..], b"U9,\xFF,C0,\r\n"].concat();
        assert!(read(&broken, &gbk).is_none());
        let unclosed = [&bytes[..], b"U9,\"open,C0,\r\n"].concat();
        assert!(read(&unclosed, &gbk).is_none());
        let piped = Source {
            delimiter: Some(b'|'),
            ..gbk.clone()
        };
        assert!(read(&bytes, &piped).is_none());
        // A header the first piece does not reach.
        assert!(
            read_cut(path, &bytes, &gbk, 100, 100)
                .expect("no error")
                .is_none()
        );
    }
}
