//! The CJK font of an HTML page, embedded: the glyphs of the characters
//! the page uses, cut from the binary's font by `subsetter` (which keeps
//! the outlines and metrics but, being made for PDF, drops the character
//! map), given back a character map (`cmap`, format 12) and the original
//! `OS/2` table, and inlined as an `@font-face` data URL. A page then
//! shows Chinese on a machine with no Chinese font.

use std::collections::BTreeMap;

use crate::render::fonts::{FAMILY, regular};

/// The `@font-face` rule for the characters of `page` (empty when the
/// font cannot be cut: the page then falls back to installed fonts).
pub fn font_face(page: &str) -> String {
    match subset(regular(), page.chars()) {
        Some(font) => format!(
            "@font-face{{font-family:'{FAMILY}';src:url(data:font/otf;base64,{}) format('opentype');font-weight:400}}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, font)
        ),
        None => String::new(),
    }
}

/// Each character of `chars` once, in order of first use: a page of many
/// megabytes uses a few thousand.
fn distinct(chars: impl Iterator<Item = char>) -> Vec<char> {
    let mut seen = vec![0u64; (char::MAX as usize >> 6) + 1];
    chars
        .filter(|&c| {
            let (word, bit) = (c as usize >> 6, 1u64 << (c as u32 & 63));
            let new = seen[word] & bit == 0;
            seen[word] |= bit;
            new
        })
        .collect()
}

/// The font cut to `chars`, with a character map.
pub fn subset(font: &[u8], chars: impl Iterator<Item = char>) -> Option<Vec<u8>> {
    let face = ttf_parser::Face::parse(font, 0).ok()?;
    let mut remapper = subsetter::GlyphRemapper::new();
    remapper.remap(0);
    let mut map: BTreeMap<u32, u16> = BTreeMap::new();
    for c in distinct(chars) {
        if let Some(g) = face.glyph_index(c) {
            map.entry(u32::from(c))
                .or_insert_with(|| remapper.remap(g.0));
        }
    }
    let cut = subsetter::subset(font, 0, &remapper).ok()?;
    let raw = ttf_parser::RawFace::parse(&cut, 0).ok()?;
    let mut tables: BTreeMap<[u8; 4], Vec<u8>> = raw
        .table_records
        .into_iter()
        .filter_map(|r| Some((r.tag.to_bytes(), raw.table(r.tag)?.to_vec())))
        .collect();
    tables.insert(*b"cmap", cmap(&map));
    let os2 = ttf_parser::Tag::from_bytes(b"OS/2");
    if !tables.contains_key(b"OS/2") {
        tables.insert(*b"OS/2", face.raw_face().table(os2)?.to_vec());
    }
    Some(write_tables(&cut[..4], &tables))
}

/// A `cmap` with one format 12 subtable (Windows, full Unicode) and the
/// same for Unicode platform 0.
fn cmap(map: &BTreeMap<u32, u16>) -> Vec<u8> {
    // Groups of consecutive code points with consecutive glyphs.
    let mut groups: Vec<(u32, u32, u32)> = Vec::new();
    for (&c, &g) in map {
        let g = u32::from(g);
        match groups.last_mut() {
            Some((start, end, start_g)) if c == *end + 1 && g == *start_g + (c - *start) => {
                *end = c;
            }
            _ => groups.push((c, c, g)),
        }
    }
    let mut sub = Vec::new();
    sub.extend(12u16.to_be_bytes());
    sub.extend(0u16.to_be_bytes());
    sub.extend((16 + 12 * groups.len() as u32).to_be_bytes());
    sub.extend(0u32.to_be_bytes());
    sub.extend((groups.len() as u32).to_be_bytes());
    for (start, end, g) in &groups {
        sub.extend(start.to_be_bytes());
        sub.extend(end.to_be_bytes());
        sub.extend(g.to_be_bytes());
    }
    let mut out = Vec::new();
    out.extend(0u16.to_be_bytes()); // version
    out.extend(2u16.to_be_bytes()); // subtables
    let offset = 4 + 8 * 2u32;
    for (platform, encoding) in [(0u16, 4u16), (3, 10)] {
        out.extend(platform.to_be_bytes());
        out.extend(encoding.to_be_bytes());
        out.extend(offset.to_be_bytes());
    }
    out.extend(sub);
    out
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

/// An sfnt of `tables` with the given version tag, tables 4-byte aligned
/// and checksummed, `head`'s checksum adjustment set.
fn write_tables(version: &[u8], tables: &BTreeMap<[u8; 4], Vec<u8>>) -> Vec<u8> {
    let n = tables.len() as u16;
    let mut pow = 1u16;
    let mut log = 0u16;
    while pow * 2 <= n {
        pow *= 2;
        log += 1;
    }
    let mut out = Vec::new();
    out.extend(version);
    out.extend(n.to_be_bytes());
    out.extend((pow * 16).to_be_bytes());
    out.extend(log.to_be_bytes());
    out.extend((n * 16 - pow * 16).to_be_bytes());
    let mut offset = 12 + 16 * u32::from(n);
    let mut body = Vec::new();
    let mut head_at = None;
    for (tag, data) in tables {
        let mut data = data.clone();
        if tag == b"head" && data.len() >= 12 {
            data[8..12].copy_from_slice(&[0; 4]);
            head_at = Some(offset as usize + 8);
        }
        out.extend(tag);
        out.extend(checksum(&data).to_be_bytes());
        out.extend(offset.to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        let padded = data.len().div_ceil(4) * 4;
        data.resize(padded, 0);
        offset += padded as u32;
        body.extend(data);
    }
    out.extend(body);
    if let Some(at) = head_at {
        let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at..at + 4].copy_from_slice(&adjust.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_font_maps_each_character_of_the_page_to_its_glyph() {
        let text = "信访举报比较集中的单位 ABC 123（）";
        let font = subset(regular(), text.chars()).expect("subset");
        assert!(font.len() < regular().len() / 20, "{} bytes", font.len());
        let face = ttf_parser::Face::parse(&font, 0).expect("a valid font");
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            let g = face.glyph_index(c).unwrap_or_else(|| panic!("{c} mapped"));
            assert!(
                face.glyph_hor_advance(g).is_some_and(|a| a > 0),
                "{c} has an advance"
            );
        }
        assert!(
            face.glyph_index('龘').is_none(),
            "only the page's characters"
        );
        assert!(face.tables().os2.is_some());
    }
}
