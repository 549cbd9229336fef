//! Text decoding of CSV exports: BOM first, then strict UTF-8, then a
//! detector with the Chinese hint, and GB18030 last (it accepts most bytes,
//! so trying it before UTF-8 would turn UTF-8 into mojibake).

use std::borrow::Cow;

use super::Encoding;

/// The encoding a file was read in, for messages and the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    Utf8,
    Utf8Bom,
    Gb18030,
    Utf16Le,
    Utf16Be,
}

impl Detected {
    pub fn name(self) -> &'static str {
        match self {
            Detected::Utf8 => "UTF-8",
            Detected::Utf8Bom => "UTF-8 (BOM)",
            Detected::Gb18030 => "GBK/GB18030",
            Detected::Utf16Le => "UTF-16LE",
            Detected::Utf16Be => "UTF-16BE",
        }
    }
}

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error(
        "declared UTF-8, but byte {offset} is not valid UTF-8; set encoding = \"gbk\" or \"auto\" for this source"
    )]
    NotUtf8 { offset: usize },
    #[error(
        "declared GBK, but the bytes are not valid GBK/GB18030; set encoding = \"utf-8\" or \"auto\" for this source"
    )]
    NotGbk,
    #[error(
        "the file is neither UTF-8 nor GBK/GB18030 (detector guessed {guess}); its first byte that is not UTF-8 is on line {line}. If the file mixes encodings, save it whole as UTF-8 or GBK and declare the encoding; if it is not text (a workbook, an archive), set format in its [[source]]"
    )]
    Unknown { guess: &'static str, line: usize },
}

/// Decoded text, as pieces in order, each but the last ending just after a
/// line break: a large GB18030 file is decoded in pieces on every core, and
/// the pieces are parsed as they are, never copied into one string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<'a> {
    pieces: Vec<Cow<'a, str>>,
}

impl<'a> Text<'a> {
    pub fn whole(text: impl Into<Cow<'a, str>>) -> Self {
        Text {
            pieces: vec![text.into()],
        }
    }

    /// Pieces as given (each but the last ending after a line break).
    #[cfg(test)]
    pub fn from_pieces(pieces: Vec<String>) -> Text<'static> {
        assert!(pieces.iter().rev().skip(1).all(|p| p.ends_with('\n')));
        Text {
            pieces: pieces.into_iter().map(Cow::Owned).collect(),
        }
    }

    pub fn pieces(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().map(AsRef::as_ref)
    }

    pub fn len(&self) -> usize {
        self.pieces.iter().map(|p| p.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first piece (where the header is).
    pub fn first(&self) -> &str {
        self.pieces.first().map_or("", AsRef::as_ref)
    }

    /// The text from byte `from` cut at line breaks into about `n` chunks
    /// (the pieces, themselves cut where they are large).
    pub fn chunks(&self, from: usize, n: usize) -> Vec<&str> {
        let total = self.len().saturating_sub(from).max(1);
        let mut skip = from;
        let mut out = Vec::new();
        for piece in self.pieces() {
            if skip >= piece.len() {
                skip -= piece.len();
                continue;
            }
            let rest = piece.len() - skip;
            let k = (n * rest).div_ceil(total).max(1);
            for (a, b) in split_at_newlines(piece.as_bytes(), skip, k) {
                out.push(&piece[a..b]);
            }
            skip = 0;
        }
        out
    }

    /// Line breaks in the first `at` bytes.
    pub fn newlines_before(&self, at: usize) -> u64 {
        let mut left = at;
        let mut n = 0;
        for p in self.pieces() {
            let take = left.min(p.len());
            n += p.as_bytes()[..take].iter().filter(|&&c| c == b'\n').count() as u64;
            left -= take;
        }
        n
    }

    /// The whole text as one string.
    #[cfg(test)]
    pub fn joined(&self) -> Cow<'_, str> {
        match self.pieces.as_slice() {
            [one] => Cow::Borrowed(one.as_ref()),
            many => Cow::Owned(many.concat()),
        }
    }
}

/// A cursor over a sequence of text chunks read as one stream of bytes.
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    chunks: &'a [&'a str],
    chunk: usize,
    offset: usize,
    at: usize,
}

impl<'a> Chunks<'a> {
    pub fn new(chunks: &'a [&'a str]) -> Self {
        Chunks {
            chunks,
            chunk: 0,
            offset: 0,
            at: 0,
        }
    }

    /// Bytes passed since the start.
    pub fn at(&self) -> usize {
        self.at
    }

    /// The rest of the current chunk (empty at the end of the text).
    pub fn rest(&mut self) -> &'a [u8] {
        while let Some(c) = self.chunks.get(self.chunk) {
            if self.offset < c.len() {
                return &c.as_bytes()[self.offset..];
            }
            self.chunk += 1;
            self.offset = 0;
        }
        &[]
    }

    /// Passes `n` bytes of [`Chunks::rest`].
    pub fn consume(&mut self, n: usize) {
        self.offset += n;
        self.at += n;
    }
}

impl std::io::Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.rest();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Cuts `bytes[from..]` into about `n` pieces of similar size, each but the
/// last ending just after a newline: (start, end) offsets into `bytes`.
pub(crate) fn split_at_newlines(bytes: &[u8], from: usize, n: usize) -> Vec<(usize, usize)> {
    let step = (bytes.len().saturating_sub(from) / n.max(1)).max(1);
    let mut out = Vec::new();
    let mut start = from;
    while start < bytes.len() {
        let target = start.saturating_add(step).min(bytes.len());
        let end = bytes[target..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |k| target + k + 1);
        out.push((start, end));
        start = end;
    }
    out
}

/// Files larger than this are decoded in pieces on every core.
const PARALLEL_BYTES: usize = 8 << 20;

/// Decodes GB18030 (a superset of GBK). A newline byte is never part of a
/// multi-byte GB18030 character (trail bytes are 0x30–0x39 or 0x40–0xFE),
/// so a large file is cut at newlines and the pieces decoded in parallel.
fn gb18030(bytes: &[u8]) -> Option<Text<'static>> {
    use rayon::prelude::*;
    let decode = |b: &[u8]| gb18030_piece(b).map(Cow::Owned);
    if bytes.len() < PARALLEL_BYTES {
        return decode(bytes).map(Text::whole);
    }
    let pieces = split_at_newlines(bytes, 0, rayon::current_num_threads() * 2);
    let pieces = pieces
        .par_iter()
        .map(|&(a, b)| decode(&bytes[a..b]))
        .collect::<Option<_>>()?;
    Some(Text { pieces })
}

/// One piece of GB18030 as UTF-8, or None if it is not GB18030.
fn gb18030_piece(bytes: &[u8]) -> Option<String> {
    let mut text = String::new();
    gb18030_into(bytes, &mut text).then_some(text)
}

/// Decodes GB18030 `bytes` into `text`, replacing what it held (its room
/// is kept, so a buffer decoded into again needs no fresh memory); false
/// if they are not GB18030. Room is reserved for what a Chinese export
/// needs (a two-byte character becomes three bytes) and grown only for
/// rarer sequences: reserving for the worst case (three bytes for one)
/// and shrinking after would copy the text into fresh memory again.
pub(crate) fn gb18030_into(bytes: &[u8], text: &mut String) -> bool {
    use encoding_rs::DecoderResult;
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    text.clear();
    text.reserve(bytes.len() + bytes.len() / 2 + 16);
    let mut read = 0;
    loop {
        let (result, n) = decoder.decode_to_string_without_replacement(&bytes[read..], text, true);
        read += n;
        match result {
            DecoderResult::InputEmpty => return true,
            DecoderResult::OutputFull => text.reserve((bytes.len() - read) / 2 + 16),
            DecoderResult::Malformed(..) => return false,
        }
    }
}

/// Whether [`decode_owned`] reads `bytes` as GB18030: declared so, or
/// undeclared, with no byte-order mark, not UTF-8, and detected as
/// Chinese. (Whether they are valid GB18030 is the decoder's to say.)
pub fn reads_as_gb18030(bytes: &[u8], declared: Encoding) -> bool {
    match declared {
        Encoding::Gbk => true,
        Encoding::Utf8 => false,
        Encoding::Auto => {
            let bom = [UTF8_BOM, b"\xFF\xFE", b"\xFE\xFF"];
            !bom.iter().any(|b| bytes.starts_with(b))
                && std::str::from_utf8(bytes).is_err()
                && [encoding_rs::GBK, encoding_rs::GB18030, encoding_rs::UTF_8]
                    .contains(&detect(bytes))
        }
    }
}

/// How a large export's pieces are decoded, as [`decode_owned`] decodes
/// the whole file when every piece decodes: decided from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PieceEncoding {
    Gb18030,
    Utf8 { bom: bool },
}

impl PieceEncoding {
    /// From the file's first lines; `None` when the file is for the
    /// whole-file reader (a UTF-16 byte-order mark, or neither encoding).
    pub(crate) fn of(start: &[u8], declared: Encoding) -> Option<Self> {
        if reads_as_gb18030(start, declared) {
            return Some(Self::Gb18030);
        }
        let bom = start.starts_with(UTF8_BOM);
        std::str::from_utf8(start)
            .is_ok()
            .then_some(Self::Utf8 { bom })
    }

    /// Decodes one piece (`first`: the file's first) into `text`,
    /// replacing what it held; false if it is not in this encoding.
    pub(crate) fn decode_into(self, bytes: &[u8], first: bool, text: &mut String) -> bool {
        match self {
            Self::Gb18030 => gb18030_into(bytes, text),
            Self::Utf8 { .. } => {
                // A byte-order mark can only open the first.
                let bytes = if first {
                    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
                } else {
                    bytes
                };
                let Ok(s) = std::str::from_utf8(bytes) else {
                    return false;
                };
                text.clear();
                text.push_str(s);
                true
            }
        }
    }

    /// As the whole-file reader names it.
    pub(crate) fn detected(self) -> Detected {
        match self {
            Self::Gb18030 => Detected::Gb18030,
            Self::Utf8 { bom: false } => Detected::Utf8,
            Self::Utf8 { bom: true } => Detected::Utf8Bom,
        }
    }
}

/// How much of a file the encoding detector reads, at most: tens of
/// kilobytes tell a Chinese export's encoding as well as the whole file,
/// and the detector reads about 4 MB a second.
const DETECT_BYTES: usize = 64 << 10;

/// A UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes `bytes` as declared, or detects the encoding, taking the
/// bytes: text in another encoding is decoded and the bytes freed at once,
/// and UTF-8 becomes the text without a copy, checked once. A large export
/// is then held once while it is parsed, not twice.
pub fn decode_owned(
    bytes: Vec<u8>,
    declared: Encoding,
) -> Result<(Text<'static>, Detected), DecodeError> {
    if declared == Encoding::Gbk {
        return decode_other(&bytes, declared);
    }
    let bom = bytes.starts_with(UTF8_BOM);
    match String::from_utf8(bytes) {
        Ok(mut whole) if bom => {
            whole.drain(..UTF8_BOM.len());
            Ok((Text::whole(whole), Detected::Utf8Bom))
        }
        Ok(whole) => Ok((Text::whole(whole), Detected::Utf8)),
        Err(e) if bom => Err(DecodeError::NotUtf8 {
            offset: e.utf8_error().valid_up_to(),
        }),
        Err(e) => decode_other(&e.into_bytes(), declared),
    }
}

/// Decodes `bytes` as declared, or detects the encoding.
pub fn decode(bytes: &[u8], declared: Encoding) -> Result<(Text<'_>, Detected), DecodeError> {
    if declared != Encoding::Gbk {
        if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
            return std::str::from_utf8(rest)
                .map(|s| (Text::whole(s), Detected::Utf8Bom))
                .map_err(|e| DecodeError::NotUtf8 {
                    offset: e.valid_up_to() + UTF8_BOM.len(),
                });
        }
        if let Ok(s) = std::str::from_utf8(bytes) {
            return Ok((Text::whole(s), Detected::Utf8));
        }
    }
    decode_other(bytes, declared)
}

/// Decodes `bytes` that are not to be read as UTF-8 (not UTF-8, or
/// declared GBK): UTF-16 by its byte-order mark, GB18030 as declared or
/// detected, or the error that says why not. No UTF-16 byte-order mark is
/// UTF-8 (0xFE and 0xFF never occur in it).
fn decode_other(
    bytes: &[u8],
    declared: Encoding,
) -> Result<(Text<'static>, Detected), DecodeError> {
    for (bom, enc, det) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE, Detected::Utf16Le),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE, Detected::Utf16Be),
    ] {
        if declared == Encoding::Auto && bytes.starts_with(bom) {
            let (text, had_errors) = enc.decode_without_bom_handling(&bytes[2..]);
            if !had_errors {
                return Ok((Text::whole(text.into_owned()), det));
            }
        }
    }
    // Where UTF-8 stops, as a line number, for the message.
    let line = || {
        let at = std::str::from_utf8(bytes)
            .err()
            .map_or(0, |e| e.valid_up_to());
        1 + bytes[..at].iter().filter(|&&b| b == b'\n').count()
    };
    match declared {
        Encoding::Utf8 => Err(DecodeError::NotUtf8 {
            offset: std::str::from_utf8(bytes)
                .err()
                .map_or(bytes.len(), |e| e.valid_up_to()),
        }),
        Encoding::Gbk => gb18030(bytes)
            .map(|s| (s, Detected::Gb18030))
            .ok_or(DecodeError::NotGbk),
        Encoding::Auto => {
            let guess = detect(bytes);
            if guess == encoding_rs::GBK
                || guess == encoding_rs::GB18030
                || guess == encoding_rs::UTF_8
            {
                gb18030(bytes)
                    .map(|s| (s, Detected::Gb18030))
                    .ok_or(DecodeError::Unknown {
                        guess: guess.name(),
                        line: line(),
                    })
            } else {
                Err(DecodeError::Unknown {
                    guess: guess.name(),
                    line: line(),
                })
            }
        }
    }
}

/// The detector's guess from the start of `bytes`, cut after a line break
/// so that no character is split. No top-level domain is given: with `.cn`
/// the detector answers GBK for any bytes that are valid GBK, Big5 and
/// Shift_JIS among them, which would then be read as mojibake.
fn detect(bytes: &[u8]) -> &'static encoding_rs::Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let whole = bytes.len() <= DETECT_BYTES;
    let head = if whole {
        bytes
    } else {
        let head = &bytes[..DETECT_BYTES];
        head.iter()
            .rposition(|&b| b == b'\n')
            .map_or(head, |at| &head[..=at])
    };
    det.feed(head, whole);
    det.guess(None, chardetng::Utf8Detection::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_gbk_file_decodes_in_pieces_as_one() {
        let line = "单位,反映内容\r\nD1,\"某局，“工程”问题\"\n";
        let text: String = line.repeat(2 * PARALLEL_BYTES / line.len());
        let (bytes, _, _) = encoding_rs::GBK.encode(&text);
        assert!(bytes.len() > PARALLEL_BYTES);
        let decoded = gb18030(&bytes).expect("gbk");
        assert!(decoded.pieces().count() > 1);
        assert!(decoded.pieces().all(|p| p.ends_with('\n')));
        assert_eq!(decoded.joined(), text.as_str());
    }

    #[test]
    fn a_piece_decodes_as_the_one_call_decoder_does() {
        // 0x80 is one byte for a three-byte character (€), beyond the room
        // reserved for a Chinese export; 0x81 0x30 0x81 0x30 is four bytes
        // for one; 0xFF is no GB18030 at all.
        let chinese = encoding_rs::GBK.encode("某局“工程”问题，约35万元\n").0;
        for bytes in [
            vec![0x80; 1000],
            [chinese.as_ref(), &[0x80; 300], &[0x81, 0x30, 0x81, 0x30]].concat(),
            chinese.repeat(50),
            b"plain ASCII\n".to_vec(),
            Vec::new(),
        ] {
            let (expected, errors) = encoding_rs::GB18030.decode_without_bom_handling(&bytes);
            assert!(!errors);
            assert_eq!(gb18030_piece(&bytes).as_deref(), Some(expected.as_ref()));
        }
        let broken = [chinese.as_ref(), &[0xFF], chinese.as_ref()].concat();
        assert_eq!(gb18030_piece(&broken), None);
    }

    #[test]
    fn detects_utf8_bom_and_gbk() {
        let text = "受理日期,单位\n2024-01-02,东湖区\n";
        let (s, d) = decode(text.as_bytes(), Encoding::Auto).expect("utf-8");
        assert_eq!((s.joined().as_ref(), d), (text, Detected::Utf8));
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let (s, d) = decode(&bom, Encoding::Auto).expect("bom");
        assert_eq!((s.joined().as_ref(), d), (text, Detected::Utf8Bom));
        let gbk = encoding_rs::GBK.encode(text).0.into_owned();
        let (s, d) = decode(&gbk, Encoding::Auto).expect("gbk");
        assert_eq!((s.joined().as_ref(), d), (text, Detected::Gb18030));
        let (s, _) = decode(&gbk, Encoding::Gbk).expect("declared gbk");
        assert_eq!(s.joined(), text);
    }

    #[test]
    fn taking_the_bytes_decodes_as_borrowing_them() {
        let text = "受理日期,单位\n2024-01-02,东湖区\n";
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let gbk = encoding_rs::GBK.encode(text).0.into_owned();
        let utf16 = [
            b"\xFF\xFE".as_slice(),
            &text
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>(),
        ]
        .concat();
        for (bytes, declared) in [
            (text.as_bytes().to_vec(), Encoding::Utf8),
            (bom.clone(), Encoding::Utf8),
            (gbk.clone(), Encoding::Gbk),
            (utf16.clone(), Encoding::Auto),
        ] {
            for declared in [Encoding::Auto, declared] {
                let (borrowed, d1) = decode(&bytes, declared).expect("decodes");
                let (owned, d2) = decode_owned(bytes.clone(), declared).expect("decodes");
                assert_eq!(
                    (owned.joined(), d2),
                    (borrowed.joined(), d1),
                    "{declared:?}"
                );
                assert_eq!(owned.joined(), text);
            }
        }
        let e = decode_owned(encoding_rs::GBK.encode(text).0.into_owned(), Encoding::Utf8);
        assert!(matches!(e, Err(DecodeError::NotUtf8 { .. })));
    }

    #[test]
    fn other_legacy_encodings_are_refused_not_misread() {
        // Valid GBK bytes all, so only the detector can tell them apart.
        let big5 = "受理日期,被反映單位,反映內容摘要\n2024-01-02,東湖區住房和城鄉建設局,反映該局局長在工程建設項目審批中收受好處費，違規插手招投標。\n";
        let sjis = "受付日,部署,内容\n2024-01-02,東京都建設局,工事の入札で不正があったと報告されています。\n";
        for (text, enc) in [(big5, encoding_rs::BIG5), (sjis, encoding_rs::SHIFT_JIS)] {
            for copies in [1, 2 * DETECT_BYTES / text.len()] {
                let text = text.repeat(copies);
                let (bytes, _, unmappable) = enc.encode(&text);
                assert!(!unmappable);
                assert!(gb18030(&bytes).is_some(), "{}", enc.name());
                let e = decode(&bytes, Encoding::Auto).expect_err(enc.name());
                assert_eq!(
                    e,
                    DecodeError::Unknown {
                        guess: enc.name(),
                        line: 1
                    }
                );
            }
        }
    }

    #[test]
    fn gbk_is_detected_from_a_head_cut_at_a_line_break() {
        // One byte of ASCII first, so that the characters straddle the
        // detector's limit.
        let line = "2024-01-02,东湖区住房和城乡建设局,反映局长违规插手招投标\n";
        for lead in ["", "a"] {
            let text = format!("{lead}{}", line.repeat(2 * DETECT_BYTES / line.len()));
            let gbk = encoding_rs::GBK.encode(&text).0.into_owned();
            assert!(gbk.len() > DETECT_BYTES);
            let (s, d) = decode(&gbk, Encoding::Auto).expect("gbk");
            assert_eq!((s.joined().as_ref(), d), (text.as_str(), Detected::Gb18030));
        }
        assert_eq!(detect(b"\xB6\xAB\xBA\xFE"), encoding_rs::GBK);
    }

    #[test]
    fn wrong_declaration_says_what_to_change() {
        let gbk = encoding_rs::GBK.encode("受理日期").0.into_owned();
        let e = decode(&gbk, Encoding::Utf8).expect_err("not utf-8");
        assert!(e.to_string().contains("encoding = \"gbk\""), "{e}");
    }
}
