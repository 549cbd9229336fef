//! A large GB18030 or UTF-8 export, read, decoded and parsed a piece at
//! a time.
//!
//! The file is read in blocks, each cut after the last record that ends
//! in it (the line scan runs on the bytes, so it finds where records end
//! before they are decoded). Each piece is decoded into a buffer its core
//! keeps for the next piece and parsed at once, while the next pieces are
//! read. Neither the file's bytes nor its decoded text (half as large
//! again) is ever held whole, so they need no fresh memory beyond a few
//! pieces. Where this reading cannot be shown to equal one pass (a footer
//! to hold back, carriage returns alone, a delimiter that may be a byte
//! of a character, a header beyond the first piece, text that is neither
//! GB18030 nor UTF-8 throughout, an unclosed quote), the
//! file is left to the reader that decodes it whole, which also gives
//! those files' errors.

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::{
    Builder, Ended, HEADER_SEARCH_ROWS, LineScanner, RawTable, ReadError, ReadOutcome, Records,
    Rejection, SNIFF_LINES, Source, account, feed, line_feeds, lone_cr, sniff_delimiter,
};
use crate::ingest::decode::PieceEncoding;

/// The first block, whose records hold the header: large enough for the
/// rows searched for it.
const HEAD_BYTES: usize = 1 << 20;

/// The other blocks: many a core, so the cores finish together.
const PIECE_BYTES: usize = 16 << 20;

/// Bytes decoded to sniff the delimiter from.
const SNIFF_BYTES: usize = 64 << 10;

/// Reads the file at `path` in pieces, or `None` when it is for the
/// reader that decodes it whole (small files too).
pub(in crate::ingest) fn read_file(
    path: &Path,
    source: &Source,
) -> Result<Option<ReadOutcome>, ReadError> {
    let io = ReadError::io(path);
    let file = std::fs::File::open(path).map_err(io)?;
    if file.metadata().map_err(io)?.len() < super::PARALLEL_BYTES as u64 {
        return Ok(None);
    }
    read(path, file, source, HEAD_BYTES, PIECE_BYTES)
}

/// Reads `input` in pieces: the first cut in its first `head` bytes, the
/// others in blocks of `every`.
fn read(
    path: &Path,
    input: impl Read + Send,
    source: &Source,
    head: usize,
    every: usize,
) -> Result<Option<ReadOutcome>, ReadError> {
    let io = ReadError::io(path);
    if source.skip_footer != 0 {
        return Ok(None);
    }
    let mut blocks = Blocks {
        input,
        scanner: None,
        carry: Vec::new(),
        scanned: 0,
        lines: 0,
        end: false,
    };
    // The start, long enough to detect the encoding as from the whole
    // file (its first 64 KB after the last line break before them).
    let mut first = Vec::new();
    blocks
        .read_more(&mut first, head.max(2 * SNIFF_BYTES))
        .map_err(io)?;
    let start = first
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(&first[..0], |at| &first[..=at]);
    let Some(encoding) = PieceEncoding::of(start, source.encoding) else {
        return Ok(None);
    };
    let Some(delimiter) = delimiter(start, source, encoding) else {
        return Ok(None);
    };
    blocks.scanner = Some(LineScanner::new(delimiter));
    blocks.carry = first;
    let mut piece = Vec::new();
    let Some(lines) = blocks.next(&mut piece, head).map_err(io)? else {
        return Ok(None);
    };
    let mut text = String::new();
    if lone_cr(&piece) || !encoding.decode_into(&piece, true, &mut text) {
        return Ok(None);
    }
    let more = !(blocks.end && blocks.carry.is_empty());
    let Some((mut table, mut rejected)) = parse_head(path, &text, source, delimiter, more) else {
        return Ok(None);
    };
    debug_assert_eq!(lines, 0);
    let headers = table.headers.clone();
    let parse = |piece: &[u8], lines_before: u64, text: &mut String| {
        (!lone_cr(piece) && encoding.decode_into(piece, false, text)).then_some(())?;
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
    };
    // Two sets of pieces: one parsed while the next is read.
    let width = rayon::current_num_threads() * 2;
    let mut reading = Batch::new(width);
    let mut parsing = Batch::new(width);
    let mut texts = vec![String::new(); width];
    let mut parts = Vec::new();
    blocks.fill(&mut parsing, every).map_err(io)?;
    while !parsing.is_empty() {
        let (parsed, read) = rayon::join(
            || parsing.parse(&mut texts, &parse),
            || blocks.fill(&mut reading, every),
        );
        read.map_err(io)?;
        let Some(parsed) = parsed else {
            return Ok(None);
        };
        for (t, r) in parsed {
            parts.push(t);
            rejected.extend(r);
        }
        std::mem::swap(&mut reading, &mut parsing);
    }
    let scan = blocks.scanner.take().map(LineScanner::finish);
    let Some(scan) = scan.filter(|s| s.unclosed.is_none()) else {
        return Ok(None);
    };
    table.extend(parts);
    account(path, &scan, &mut table, &rejected)?;
    Ok(Some(ReadOutcome {
        table,
        rejected,
        encoding: Some(encoding.detected()),
        formulas_without_value: Vec::new(),
    }))
}

/// The input read into pieces of whole records, each with the line
/// breaks before it.
struct Blocks<R> {
    input: R,
    /// Scans each byte once, as it is read (set once the delimiter is
    /// known).
    scanner: Option<LineScanner>,
    /// Bytes read after the last cut, how many of them are scanned, and
    /// the line breaks before them.
    carry: Vec<u8>,
    scanned: usize,
    lines: u64,
    end: bool,
}

impl<R: Read> Blocks<R> {
    /// Reads up to `n` more bytes onto `buf`; notes the end of the input.
    fn read_more(&mut self, buf: &mut Vec<u8>, n: usize) -> std::io::Result<()> {
        buf.reserve(n);
        let got = self.input.by_ref().take(n as u64).read_to_end(buf)?;
        self.end |= got < n;
        Ok(())
    }

    /// The next piece into `piece` (what it held is replaced): the carried
    /// bytes and a block more, cut after the last record ending in them;
    /// the line breaks before it, or `None` at the end of the input. A
    /// block in which no record ends gives an empty piece (and is carried).
    fn next(&mut self, piece: &mut Vec<u8>, block: usize) -> std::io::Result<Option<u64>> {
        piece.clear();
        piece.extend_from_slice(&self.carry);
        let fresh = self.scanned;
        self.carry.clear();
        if !self.end {
            self.read_more(piece, block)?;
        }
        let lines = self.lines;
        if piece.is_empty() {
            return Ok(None);
        }
        let (mut cut, mut cut_lines) = (None, lines);
        if let Some(scanner) = self.scanner.as_mut() {
            scanner.push(&piece[fresh..], |at, m| {
                if !m.quoted {
                    cut = Some(fresh + at + 1);
                    cut_lines = m.line - 1;
                }
            });
        }
        if self.end {
            return Ok(Some(lines));
        }
        let cut = cut.unwrap_or(0);
        self.carry.extend_from_slice(&piece[cut..]);
        self.scanned = self.carry.len();
        piece.truncate(cut);
        self.lines = cut_lines;
        Ok(Some(lines))
    }

    /// Fills `batch` with the next pieces (fewer at the end of the input).
    fn fill(&mut self, batch: &mut Batch, block: usize) -> std::io::Result<()> {
        batch.used = 0;
        for (piece, lines) in batch.pieces.iter_mut().zip(batch.lines.iter_mut()) {
            match self.next(piece, block)? {
                Some(l) => *lines = l,
                None => break,
            }
            batch.used += 1;
        }
        Ok(())
    }
}

/// Pieces read together.
struct Batch {
    pieces: Vec<Vec<u8>>,
    lines: Vec<u64>,
    used: usize,
}

type Parsed = (RawTable, Vec<Rejection>);

impl Batch {
    fn new(width: usize) -> Self {
        Batch {
            pieces: vec![Vec::new(); width],
            lines: vec![0; width],
            used: 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// Each piece parsed with its line breaks before it and one of `texts`
    /// (as many) to decode it into; `None` if any piece cannot be.
    fn parse(
        &self,
        texts: &mut [String],
        parse: &(impl Fn(&[u8], u64, &mut String) -> Option<Parsed> + Sync),
    ) -> Option<Vec<Parsed>> {
        let n = self.used;
        self.pieces[..n]
            .par_iter()
            .zip(&self.lines[..n])
            .zip(&mut texts[..n])
            .map(|((piece, &lines), text)| parse(piece, lines, text))
            .collect()
    }
}

/// The first piece's rows: the header found among them as one pass finds
/// it, and the rows below it. `None` when the search would read on into
/// the pieces after (`more`).
fn parse_head(
    path: &Path,
    text: &str,
    source: &Source,
    delimiter: u8,
    more: bool,
) -> Option<Parsed> {
    let chunks = [text];
    let mut head = Builder::new(path, None, source);
    let mut records = Records::new(&chunks, delimiter);
    let taken = records.header_rows(&mut head)?;
    if taken < HEADER_SEARCH_ROWS && more {
        return None;
    }
    let headers = head.headers()?.to_vec();
    let data = records.read();
    let below = &text[data..];
    let lines_before = line_feeds(&text.as_bytes()[..data]);
    let mut b = Builder::below(path, None, source, headers);
    let ended = feed(&mut b, &[below], delimiter, below.len(), lines_before).ok()?;
    matches!(ended, Ended::Eof).then_some(())?;
    let (mut table, mut rejected) = head.finish().ok()?;
    let (t, r) = b.finish().ok()?;
    table.extend(vec![t]);
    rejected.extend(r);
    Some((table, rejected))
}

/// The delimiter as declared, or as sniffed from the first lines of
/// `start`; `None` when it may be a byte of a character (0x40 and above)
/// or the first bytes hold too few lines to sniff it as from the whole
/// first piece.
fn delimiter(start: &[u8], source: &Source, encoding: PieceEncoding) -> Option<u8> {
    let d = match source.delimiter {
        Some(d) => d,
        None => {
            let sample = &start[..SNIFF_BYTES.min(start.len())];
            let sample = &sample[..sample.iter().rposition(|&b| b == b'\n')? + 1];
            let mut text = String::new();
            encoding
                .decode_into(sample, true, &mut text)
                .then_some(())?;
            let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
            (lines >= SNIFF_LINES).then(|| sniff_delimiter(&text))?
        }
    };
    (d < 0x40).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{cells, units_source};
    use super::*;
    use crate::ingest::Encoding;

    /// A title row, quoted fields with delimiters and line breaks, blank
    /// lines, CRLF, a stray quote inside an unquoted field, control
    /// characters, totals and rows too wide, in GBK: about 1 MB.
    fn export() -> Vec<u8> {
        let mut text = String::from("组织单位名册\r\n单位编码,单位名称,上级单位编码,层级\r\n");
        for i in 0..30_000 {
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

    /// Rows, row numbers, rejections and the line accounting of a read.
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

    fn in_pieces(bytes: &[u8], source: &Source, head: usize, every: usize) -> Option<ReadOutcome> {
        read(Path::new("units.csv"), bytes, source, head, every).expect("no error")
    }

    /// The same export in UTF-8, with a byte-order mark or without.
    fn export_utf8(bom: bool) -> Vec<u8> {
        let text = encoding_rs::GB18030.decode(&export()).0.into_owned();
        let mark: &[u8] = if bom { b"\xEF\xBB\xBF" } else { b"" };
        [mark, text.as_bytes()].concat()
    }

    #[test]
    fn pieces_read_as_the_whole_text_does() {
        let (gbk, utf8, marked) = (export(), export_utf8(false), export_utf8(true));
        for (bytes, encoding) in [
            (&gbk, Encoding::Auto),
            (&gbk, Encoding::Gbk),
            (&utf8, Encoding::Auto),
            (&utf8, Encoding::Utf8),
            (&marked, Encoding::Auto),
            (&marked, Encoding::Utf8),
        ] {
            let source = units_source(encoding);
            let whole = super::super::read_csv(Path::new("units.csv"), bytes.clone(), &source);
            let whole = whole.expect("whole");
            // Blocks of a few bytes to hundreds of kilobytes, so cuts meet
            // quoted line breaks, blank lines and the header's piece.
            for (head, every) in [(0, 61), (1, 997), (4096, 5000), (300_000, 1 << 20)] {
                let pieces = in_pieces(bytes, &source, head, every).expect("read in pieces");
                assert_eq!(
                    outcome(&pieces),
                    outcome(&whole),
                    "{encoding:?} {head} {every}"
                );
            }
        }
        let whole = super::super::read_csv(Path::new("u.csv"), gbk, &units_source(Encoding::Gbk));
        let t = whole.expect("whole").table;
        assert_eq!((t.len(), t.totals_rows.len()), (23_333, 3_333));
    }

    #[test]
    fn pieces_end_where_records_end() {
        let bytes = export();
        let mut blocks = Blocks {
            input: &bytes[..],
            scanner: Some(LineScanner::new(b',')),
            carry: Vec::new(),
            scanned: 0,
            lines: 0,
            end: false,
        };
        // A byte a block: a piece at every record's end, empty between.
        let (mut piece, mut pieces) = (Vec::new(), Vec::new());
        while let Some(lines) = blocks.next(&mut piece, 1).expect("read") {
            if !piece.is_empty() {
                pieces.push((piece.clone(), lines));
            }
        }
        let joined: Vec<u8> = pieces.iter().flat_map(|(p, _)| p.clone()).collect();
        assert_eq!(joined, bytes);
        let text = encoding_rs::GB18030.decode(&bytes).0;
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let holding = |s: &str| lines.iter().filter(|l| l.contains(s)).count();
        let inside = holding("含逗号") + 2 * holding("引\"\"号");
        assert_eq!(pieces.len(), lines.len() - inside);
        let mut before = 0;
        for (piece, lines) in &pieces {
            assert_eq!(*lines, before);
            assert_eq!(piece.last(), Some(&b'\n'));
            before += piece.iter().filter(|&&b| b == b'\n').count() as u64;
        }
    }

    #[test]
    fn files_it_cannot_read_as_one_pass_are_left_to_the_whole_reader() {
        let gbk = units_source(Encoding::Gbk);
        let read = |bytes: &[u8], source: &Source| in_pieces(bytes, source, 4096, 100);
        let bytes = export();
        assert!(read(&bytes, &gbk).is_some());
        // GBK declared UTF-8, UTF-8 that stops being UTF-8 after the
        // start, UTF-16.
        assert!(read(&bytes, &units_source(Encoding::Utf8)).is_none());
        let utf8 = export_utf8(false);
        assert!(read(&utf8, &units_source(Encoding::Auto)).is_some());
        let mixed = [
            &utf8[..],
            "U9,单位,C0,区\r\n".as_bytes(),
            &bytes[bytes.len() - 40..],
        ]
        .concat();
        assert!(read(&mixed, &units_source(Encoding::Auto)).is_none());
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "单位编码,单位名称\r\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert!(read(&utf16, &units_source(Encoding::Auto)).is_none());
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
        // A header below the first piece (blank lines are no rows).
        let declared = Source {
            delimiter: Some(b','),
            ..gbk
        };
        let late = [&b"\r\n".repeat(200_000)[..], &bytes[..]].concat();
        assert!(read(&late, &declared).is_none());
        assert!(in_pieces(&late, &declared, 1 << 20, 100).is_some());
    }
}
