//! Delimited text (CSV, TSV, semicolons) in any of the usual encodings.
//!
//! A large file is parsed on every core: after the header, the text (as
//! the decoder's pieces, never joined) is cut at line breaks into pieces
//! parsed at once. A cut may fall inside a quoted field (a summary with a
//! line break); each piece's parser runs on past its end to the first
//! record that starts at or after the next cut, so the cut is proven a
//! record boundary (by induction from the first piece, which starts after
//! the header) or the file is parsed again in one pass. Either way the
//! rows, row numbers and rejections are those of one sequential pass.
//!
//! A large GB18030 export is instead cut where records end before it is
//! decoded, and each piece decoded and parsed at once ([`pieces`]).
//!
//! A record starts at its first byte after the line ends before it (a
//! CRLF's line feed, blank lines), and its row number is the line it
//! starts on, as a text editor shows it, whatever the line ends.

mod pieces;

use std::path::Path;

use rayon::prelude::*;

use super::Source;
use super::decode::{self, Text};
use super::header::HEADER_SEARCH_ROWS;
use super::quarantine::Rejection;
use super::raw_table::RawTable;
use super::read::{Builder, ReadError, ReadOutcome};

/// Texts shorter than this are parsed in one pass.
const PARALLEL_BYTES: usize = 8 << 20;

/// Lines the delimiter is sniffed from (a title row may stand above the
/// header).
const SNIFF_LINES: usize = 10;

/// The delimiter that splits one of the first lines most: comma, tab or
/// semicolon (comma on a tie).
fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| {
            let most = lines
                .iter()
                .map(|l| l.matches(char::from(*d)).count())
                .max()
                .unwrap_or(0);
            (most, *d == b',')
        })
        .unwrap_or(b',')
}

/// The line breaks in `bytes`: each line feed, and each carriage return
/// not followed by one (a file from a system that ends lines with CR
/// alone); `next` is the byte after `bytes`, if any.
fn line_breaks(bytes: &[u8], next: Option<u8>) -> u64 {
    let lone_returns = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1).copied().or(next) != Some(b'\n'))
        .count();
    line_feeds(bytes) + lone_returns as u64
}

/// The line feeds in `bytes`.
fn line_feeds(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Whether a carriage return ends a line alone somewhere in `bytes` (not
/// before a line feed).
fn lone_cr(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'))
}

/// What a text's lines hold, as the CSV reader reads quotes (a quote opens
/// a quoted field only at a field's start; two quotes inside it stand for
/// one; a line ends at a line feed or a carriage return alone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct LineScan {
    /// Physical lines.
    lines: u64,
    /// Lines with nothing on them (outside quoted fields): the reader
    /// skips them.
    empty: u64,
    /// Line breaks inside quoted fields: a record's further lines.
    continuation: u64,
    /// A quoted field that opens and is never closed: its line and the
    /// lines after it.
    unclosed: Option<(u64, u64)>,
}

/// The state of [`scan_lines`] between bytes.
struct Scanner {
    scan: LineScan,
    delimiter: u8,
    line: u64,
    opened: u64,
    last: u8,
    field_start: bool,
    quoted: bool,
    quote_seen: bool,
    content: bool,
}

impl Scanner {
    /// A line ends: inside a quoted field it continues the record.
    fn end_line(&mut self, quoted: bool) {
        if quoted {
            self.scan.continuation += 1;
        } else if !self.content {
            self.scan.empty += 1;
        }
        self.content = false;
        self.line += 1;
    }

    fn step(&mut self, b: u8) {
        if self.last == b'\r' && b != b'\n' {
            self.end_line(self.quoted && !self.quote_seen);
        }
        self.last = b;
        if self.quoted {
            if self.quote_seen {
                self.quote_seen = false;
                if b == b'"' {
                    return;
                }
                self.quoted = false;
                // The record goes on after its quoted field.
                self.content = true;
            } else {
                if b == b'"' {
                    self.quote_seen = true;
                } else if b == b'\n' {
                    self.end_line(true);
                }
                return;
            }
        }
        match b {
            b'"' if self.field_start => {
                self.quoted = true;
                self.opened = self.line;
                self.content = true;
            }
            b'\n' => self.end_line(false),
            b'\r' => {}
            _ => self.content = true,
        }
        self.field_start = matches!(b, b'\n' | b'\r') || b == self.delimiter;
    }
}

fn scan_lines(chunks: &[&str], delimiter: u8) -> LineScan {
    let mut scanner = LineScanner::new(delimiter);
    for c in chunks {
        scanner.push(c.as_bytes(), |_, _| {});
    }
    scanner.finish()
}

/// A [`Scanner`] stepped over a text given a chunk at a time. In GB18030
/// no byte of a multi-byte character is a quote, a line break or a
/// delimiter below 0x40, so its bytes scan as its text does.
struct LineScanner {
    m: Scanner,
    any: bool,
}

impl LineScanner {
    fn new(delimiter: u8) -> Self {
        LineScanner {
            m: Scanner {
                scan: LineScan::default(),
                delimiter,
                line: 1,
                opened: 0,
                last: b'\n',
                field_start: true,
                quoted: false,
                quote_seen: false,
                content: false,
            },
            any: false,
        }
    }

    /// Steps over the next chunk; `at_line_feed` is called after each line
    /// feed with its offset in the chunk and the state it leaves.
    fn push(&mut self, chunk: &[u8], mut at_line_feed: impl FnMut(usize, &Scanner)) {
        let m = &mut self.m;
        self.any |= !chunk.is_empty();
        let mut i = 0;
        while i < chunk.len() {
            // A run of other bytes changes the state only by its first
            // byte and its last: the rest are stepped over.
            let next =
                memchr::memchr3(b'"', b'\n', b'\r', &chunk[i..]).map_or(chunk.len(), |k| i + k);
            if next > i {
                m.step(chunk[i]);
                if next - i > 1 {
                    m.step(chunk[next - 1]);
                }
            }
            if let Some(&b) = chunk.get(next) {
                m.step(b);
                if b == b'\n' {
                    at_line_feed(next, m);
                }
            }
            i = next + 1;
        }
    }

    fn finish(self) -> LineScan {
        let mut m = self.m;
        if m.last == b'\r' {
            m.end_line(m.quoted && !m.quote_seen);
        }
        // The last line, when no line break ends it.
        let open_last = self.any && !matches!(m.last, b'\n' | b'\r');
        let mut s = m.scan;
        s.lines = m.line - 1 + u64::from(open_last);
        if m.quoted && !m.quote_seen {
            s.unclosed = Some((m.opened, m.line - m.opened - u64::from(!open_last)));
        }
        s
    }
}

/// The line (from 1) where a quoted field opens and is never closed, and
/// the number of lines after it.
#[cfg(test)]
fn unclosed_quote(chunks: &[&str], delimiter: u8) -> Option<(u64, u64)> {
    scan_lines(chunks, delimiter).unclosed
}

/// The records of a text given as chunks, each with where it truly starts.
/// The CSV reader dates a record from the end of the one before: a CRLF's
/// line feed (the reader ends a record at the carriage return) and blank
/// lines count as the next record's start. Here the start is moved past
/// them and its line counted from the text, so a row number is the line a
/// text editor shows, and a piece's records are those starting in it.
struct Records<'a> {
    reader: csv::Reader<decode::Chunks<'a>>,
    record: csv::StringRecord,
    walker: Walker<'a>,
}

impl<'a> Records<'a> {
    fn new(chunks: &'a [&'a str], delimiter: u8) -> Self {
        Records {
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(decode::Chunks::new(chunks)),
            record: csv::StringRecord::new(),
            walker: Walker::new(chunks),
        }
    }

    /// The next record: its start (bytes from the text's start) and line
    /// (from 1).
    fn next(&mut self) -> Result<Option<(usize, u64)>, String> {
        if !self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| e.to_string())?
        {
            return Ok(None);
        }
        let dated = self.record.position().map_or(0, |p| p.byte() as usize);
        self.walker.advance_to(dated);
        self.walker.skip_line_ends();
        Ok(Some((self.walker.cursor.at(), 1 + self.walker.newlines)))
    }

    /// The rows the header is looked for in, into `head`, in one pass as
    /// the sequential reader takes them: how many (fewer where the text
    /// ends first), or `None` on a record the reader refuses.
    fn header_rows(&mut self, head: &mut Builder<'_>) -> Option<usize> {
        let mut taken = 0;
        while taken < HEADER_SEARCH_ROWS
            && let Some((_, line)) = self.next().ok()?
        {
            head.push(line, self.record.iter());
            taken += 1;
        }
        Some(taken)
    }

    /// The text's bytes read so far.
    fn read(&self) -> usize {
        self.reader.position().byte() as usize
    }
}

/// A cursor over chunked text that counts the line feeds it passes.
struct Walker<'a> {
    cursor: decode::Chunks<'a>,
    newlines: u64,
}

impl<'a> Walker<'a> {
    fn new(chunks: &'a [&'a str]) -> Self {
        Walker {
            cursor: decode::Chunks::new(chunks),
            newlines: 0,
        }
    }

    fn advance_to(&mut self, target: usize) {
        while self.cursor.at() < target {
            let rest = self.cursor.rest();
            if rest.is_empty() {
                return;
            }
            let take = rest.len().min(target - self.cursor.at());
            self.newlines += line_breaks(&rest[..take], rest.get(take).copied());
            self.cursor.consume(take);
        }
    }

    fn skip_line_ends(&mut self) {
        while let [b'\r' | b'\n', ..] = self.cursor.rest() {
            self.advance_to(self.cursor.at() + 1);
        }
    }
}

pub(super) use pieces::read_file as read_csv_in_pieces;

pub(super) fn read_csv(
    path: &Path,
    bytes: Vec<u8>,
    source: &Source,
) -> Result<ReadOutcome, ReadError> {
    let file = path.display().to_string();
    let (text, detected) =
        decode::decode_owned(bytes, source.encoding).map_err(|source| ReadError::Decode {
            file: file.clone(),
            cause: source,
        })?;
    let (table, rejected) = parse(path, &text, source, PARALLEL_BYTES)?;
    Ok(ReadOutcome {
        table,
        rejected,
        encoding: Some(detected),
        formulas_without_value: Vec::new(),
    })
}

/// Parses `text`, in parallel pieces when it is at least `parallel_bytes` long.
fn parse(
    path: &Path,
    text: &Text<'_>,
    source: &Source,
    parallel_bytes: usize,
) -> Result<(RawTable, Vec<Rejection>), ReadError> {
    let delimiter = source
        .delimiter
        .unwrap_or_else(|| sniff_delimiter(text.first()));
    let all: Vec<&str> = text.pieces().collect();
    let scan = scan_lines(&all, delimiter);
    if let Some((line, lines)) = scan.unclosed {
        return Err(ReadError::UnclosedQuote {
            file: path.display().to_string(),
            line,
            lines,
        });
    }
    // Rows held back as a footer are the file's last, and pieces are cut
    // at line feeds: one pass for those files.
    let parallel = (text.len() >= parallel_bytes
        && source.skip_footer == 0
        && !lone_cr(text.first().as_bytes()))
    .then(|| parse_parallel(path, text, source, delimiter))
    .flatten();
    let (mut table, rejected) = match parallel {
        Some(done) => done,
        None => {
            let mut builder = Builder::new(path, None, source);
            feed(&mut builder, &all, delimiter, usize::MAX, 0).map_err(|message| {
                ReadError::Csv {
                    file: path.display().to_string(),
                    message,
                }
            })?;
            builder.finish()?
        }
    };
    account(path, &scan, &mut table, &rejected)?;
    Ok((table, rejected))
}

/// Checks that the file's lines add up: empty lines, lines that continue a
/// quoted field, title rows, the header, the rows read (kept or rejected),
/// totals, footer and empty rows. Records the line counts in the table.
fn account(
    path: &Path,
    scan: &LineScan,
    table: &mut RawTable,
    rejected: &[Rejection],
) -> Result<(), ReadError> {
    table.lines = scan.lines;
    table.empty_lines = scan.empty;
    table.continuation_lines = scan.continuation;
    super::read::rows_add_up(path, table, rejected, scan.lines)
}

/// How a piece's parse ended.
enum Ended {
    /// At the end of the text.
    Eof,
    /// At the first record starting at or after the piece's end, at this
    /// offset from the piece's start.
    At(usize),
}

/// Feeds the records of `chunks` (a piece and the text after it) that
/// start before `end` (an offset from the piece's start) to `builder`;
/// `lines_before` is the number of line breaks before the piece.
fn feed(
    builder: &mut Builder<'_>,
    chunks: &[&str],
    delimiter: u8,
    end: usize,
    lines_before: u64,
) -> Result<Ended, String> {
    let mut records = Records::new(chunks, delimiter);
    let mut foreseen = end == usize::MAX;
    while let Some((at, line)) = records.next()? {
        if at >= end {
            return Ok(Ended::At(at));
        }
        builder.push(lines_before + line, records.record.iter());
        // A piece's rows foreseen from its first part, with a margin.
        if !foreseen && at >= FORESEEN_AFTER {
            builder.reserve_for(1.05 * end as f64 / at as f64);
            foreseen = true;
        }
    }
    Ok(Ended::Eof)
}

/// Bytes of a piece read before its rows are foreseen.
const FORESEEN_AFTER: usize = 1 << 20;

/// Whether the `len` bytes of `chunks` after the first `skip` are blank.
fn blank(chunks: &[&str], mut skip: usize, mut len: usize) -> bool {
    for c in chunks {
        if skip >= c.len() {
            skip -= c.len();
            continue;
        }
        let take = len.min(c.len() - skip);
        if !c.as_bytes()[skip..skip + take]
            .iter()
            .all(u8::is_ascii_whitespace)
        {
            return false;
        }
        len -= take;
        skip = 0;
        if len == 0 {
            break;
        }
    }
    true
}

/// The parallel parse, or `None` when it cannot be shown to equal one pass.
fn parse_parallel(
    path: &Path,
    text: &Text<'_>,
    source: &Source,
    delimiter: u8,
) -> Option<(RawTable, Vec<Rejection>)> {
    // The header: the first rows, in one pass, as the sequential reader
    // would take them.
    let all: Vec<&str> = text.pieces().collect();
    let mut head = Builder::new(path, None, source);
    let mut records = Records::new(&all, delimiter);
    records.header_rows(&mut head)?;
    let headers = head.headers()?.to_vec();
    let data = records.read();
    let chunks = text.chunks(data, rayon::current_num_threads() * 2);
    let counts: Vec<u64> = chunks
        .par_iter()
        .map(|c| line_feeds(c.as_bytes()))
        .collect();
    let mut before = text.newlines_before(data);
    let mut lines_before = Vec::with_capacity(chunks.len());
    for c in &counts {
        lines_before.push(before);
        before += c;
    }
    let parsed: Vec<Option<(RawTable, Vec<Rejection>)>> = (0..chunks.len())
        .into_par_iter()
        .map(|i| {
            let mut b = Builder::below(path, None, source, headers.clone());
            let end = chunks[i].len();
            let ended = feed(&mut b, &chunks[i..], delimiter, end, lines_before[i]).ok()?;
            let boundary = match ended {
                // Blank lines between records are skipped by the parser.
                Ended::Eof => blank(&chunks[i..], end, usize::MAX),
                Ended::At(at) => blank(&chunks[i..], end, at - end),
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
pub(super) mod tests {
    use super::*;
    use crate::model::Dataset;

    #[test]
    fn an_unclosed_quote_is_found_where_it_opens() {
        let at = |text: &str| unclosed_quote(&[text], b',');
        assert_eq!(at("a,b\n1,\"x\n2,y\n3,z\n"), Some((2, 2)));
        assert_eq!(at("a,b\n1,\"x\n2,y\n3,z"), Some((2, 2)));
        // Closed quotes, doubled quotes, line breaks inside them, quotes
        // inside unquoted fields: nothing open.
        assert_eq!(at("a,b\n1,\"x \"\"q\"\" \n y\"\n2,ab\"c\n"), None);
        assert_eq!(at("a,b\r\n1,\"x\"\r\n"), None);
        // Split across the decoder's pieces.
        assert_eq!(
            unclosed_quote(&["a,b\n1,\"x", "y\n2,z\n"], b','),
            Some((2, 1))
        );
    }

    #[test]
    fn lines_are_counted_empty_continued_or_held() {
        let s = scan_lines(&["t\n\nh,x\n1,\"a\nb\"\n\r\n2,y"], b',');
        assert_eq!((s.lines, s.empty, s.continuation), (7, 2, 1));
    }

    #[test]
    fn a_carriage_return_alone_ends_a_line() {
        assert_eq!(line_breaks(b"a\rb\r\nc\nd", None), 3);
        assert_eq!(line_breaks(b"a\r", Some(b'\n')), 0);
        assert_eq!(line_breaks(b"a\r", None), 1);
        assert_eq!(unclosed_quote(&["a,b\r1,\"x\r2,y\r"], b','), Some((2, 1)));
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter("a;b;c\n"), b';');
        assert_eq!(sniff_delimiter("single\n"), b',');
        // A title row above the header.
        assert_eq!(
            sniff_delimiter("2024年巡察发现问题台账\na;b;c\n1;2;3\n"),
            b';'
        );
    }

    /// A units source with the encoding declared.
    pub(in crate::ingest) fn units_source(encoding: crate::ingest::Encoding) -> Source {
        Source {
            dataset: Dataset::Units,
            pattern: String::new(),
            format: None,
            encoding,
            sheet: None,
            columns: Default::default(),
            totals_labels: crate::ingest::default_totals_labels(),
            delimiter: None,
            header_row: None,
            skip_footer: 0,
            values: Default::default(),
        }
    }

    pub(in crate::ingest) fn cells(t: &RawTable) -> Vec<(u64, Vec<Option<String>>)> {
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
        let source = units_source(crate::ingest::Encoding::Auto);
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
        // The text as a decoder in pieces gives it: cut after about every
        // 997th line break (not after a blank line), inside quoted fields
        // too when they hold line breaks.
        let in_pieces = |text: &str| {
            let mut pieces = vec![String::new()];
            let (mut since, mut after_blank) = (0, false);
            for line in text.split_inclusive('\n') {
                since += 1;
                if since >= 997 && !after_blank {
                    pieces.push(String::new());
                    since = 0;
                }
                after_blank = line.trim().is_empty();
                pieces.last_mut().expect("a piece").push_str(line);
            }
            Text::from_pieces(pieces)
        };
        // Without line breaks in quoted fields every cut is a record
        // boundary: the pieces are used, not parsed again.
        let crlf = sample(false).replace("\r\n", "\n").replace('\n', "\r\n");
        for text in [
            Text::whole(sample(false)),
            in_pieces(&sample(false)),
            in_pieces(&crlf),
        ] {
            assert!(parse_parallel(path, &text, &source, b',').is_some());
        }
        for text in [
            Text::whole(sample(false)),
            Text::whole(sample(true)),
            in_pieces(&sample(false)),
            in_pieces(&sample(true)),
            in_pieces(&crlf),
        ] {
            let one_pass = Text::whole(text.joined().into_owned());
            let (one, one_rejected) =
                parse(path, &one_pass, &source, usize::MAX).expect("one pass");
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

    /// Rows are numbered by the line they start on, whatever the line
    /// ends (CRLF from Windows, LF), blank lines and line breaks in quoted
    /// fields.
    #[test]
    fn row_numbers_are_the_lines_a_text_editor_shows() {
        let source = units_source(crate::ingest::Encoding::Auto);
        let lf = "单位编码,单位名称,上级单位编码,层级\nU1,甲,,市级\n\nU2,\"乙\n单位\",U1,区\nU3,丙,U1,区\n";
        for text in [lf.to_string(), lf.replace('\n', "\r\n")] {
            let (t, rejected) = parse(
                Path::new("u.csv"),
                &Text::whole(text.clone()),
                &source,
                usize::MAX,
            )
            .expect("parsed");
            assert!(rejected.is_empty(), "{rejected:?}");
            assert_eq!(t.row_numbers, vec![2, 4, 6], "{text:?}");
        }
    }

    /// A Windows export as it comes: GBK, CRLF, over the size read in
    /// parallel, quoted fields with line breaks. Decoded in pieces and
    /// parsed across them, it gives the rows and row numbers of one pass
    /// over the whole text, and the row numbers are the lines.
    #[test]
    fn a_large_gbk_crlf_export_reads_as_one_pass() {
        let source = units_source(crate::ingest::Encoding::Gbk);
        let mut text = String::from("单位编码,单位名称,上级单位编码,层级\r\n");
        let mut i = 0;
        while text.len() < 2 * PARALLEL_BYTES {
            text.push_str(&if i % 5 == 0 {
                format!("U{i},\"名称\r\n第二行{i}\",C0,区\r\n")
            } else {
                format!("U{i},单位名称{i},C0,街道\r\n")
            });
            i += 1;
        }
        let (bytes, _, _) = encoding_rs::GBK.encode(&text);
        assert!(bytes.len() > PARALLEL_BYTES);
        let path = Path::new("units.csv");
        let read = read_csv(path, bytes.to_vec(), &source).expect("read");
        let (one, _) = parse(path, &Text::whole(text.clone()), &source, usize::MAX).expect("one");
        assert_eq!(read.table.len(), i);
        assert_eq!(cells(&read.table), cells(&one));
        // From the file, a piece at a time.
        let file = std::env::temp_dir().join(format!("yanpan-gbk-{}.csv", std::process::id()));
        std::fs::write(&file, &bytes).expect("write");
        let streamed = read_csv_in_pieces(&file, &source);
        std::fs::remove_file(&file).expect("remove");
        let streamed = streamed.expect("read").expect("read in pieces");
        assert_eq!(cells(&streamed.table), cells(&one));
        assert_eq!(streamed.table.lines, read.table.lines);
        // Row U{k} starts on line 2 + k + (rows with a line break before it).
        let last = i - 1;
        assert_eq!(
            read.table.row_numbers[last],
            (2 + last + last.div_ceil(5)) as u64
        );
    }
}
