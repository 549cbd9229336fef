//! The CJK font every chart uses. The subset of Noto Sans CJK SC in
//! `assets/fonts` (GB 2312 and common symbols, SIL OFL 1.1) is embedded in
//! the binary. plotters measures text with it for the layout, and resvg
//! draws the PNG's text from a font database that holds it first and the
//! system's fonts after it, for characters the subset lacks. Nothing reads
//! fontconfig's libraries or the network.

use std::sync::{Arc, OnceLock};

use plotters::style::FontStyle;
use resvg::usvg::fontdb;

use crate::assets::Packed;

/// The family name charts ask for.
pub const FAMILY: &str = "Yanpan Noto Sans SC";
/// Installed families a browser tries for characters the subset lacks.
pub const FALLBACKS: &[&str] = &[
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
];

static REGULAR_FILE: Packed = Packed::new(include_bytes!(
    "../../assets/fonts/YanpanNotoSansSC-Regular.otf.zst"
));
static BOLD_FILE: Packed = Packed::new(include_bytes!(
    "../../assets/fonts/YanpanNotoSansSC-Bold.otf.zst"
));

/// The regular face.
pub fn regular() -> &'static [u8] {
    REGULAR_FILE.bytes()
}

/// The bold face.
pub fn bold() -> &'static [u8] {
    BOLD_FILE.bytes()
}

/// Registers the embedded font with plotters, once; false if it cannot be
/// read (a damaged build).
pub fn register() -> bool {
    static DONE: OnceLock<bool> = OnceLock::new();
    *DONE.get_or_init(|| {
        [(FontStyle::Normal, regular()), (FontStyle::Bold, bold())]
            .into_iter()
            .all(|(style, font)| {
                measuring_copy(font)
                    .is_some_and(|copy| plotters::style::register_font(FAMILY, style, copy).is_ok())
            })
    })
}

/// The em plotters lays text out in: its SVG writes `font-size` as the
/// style's size divided by this.
const PLOTTERS_EM: f64 = 1.24;

/// A copy of `font` for plotters to measure text with. plotters (through
/// ab_glyph) scales glyph advances by the font's ascent minus descent, and
/// its SVG sets the font size to the style's size over [`PLOTTERS_EM`]; the
/// copy's `hhea` ascent is moved so the two agree, and a measured width is
/// the width the SVG shows. Only the measuring copy is changed.
fn measuring_copy(font: &'static [u8]) -> Option<&'static [u8]> {
    let face = ttf_parser::RawFace::parse(font, 0).ok()?;
    let offset = |table: &[u8]| table.as_ptr() as usize - font.as_ptr() as usize;
    let head = face.table(ttf_parser::Tag::from_bytes(b"head"))?;
    let hhea = face.table(ttf_parser::Tag::from_bytes(b"hhea"))?;
    let units_per_em = u16::from_be_bytes([*head.get(18)?, *head.get(19)?]);
    let descender = i16::from_be_bytes([*hhea.get(6)?, *hhea.get(7)?]);
    let ascender = (f64::from(units_per_em) * PLOTTERS_EM).round() as i16 + descender;
    let at = offset(hhea) + 4;
    let mut copy = font.to_vec();
    copy.get_mut(at..at + 2)?
        .copy_from_slice(&ascender.to_be_bytes());
    Some(Box::leak(copy.into_boxed_slice()))
}

/// The fonts resvg draws with: the embedded ones, then the system's.
pub fn database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        for data in [regular(), bold()] {
            db.load_font_source(fontdb::Source::Binary(Arc::new(data)));
        }
        db.load_system_fonts();
        db.set_sans_serif_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Whether the subset has a glyph for every character of `text`.
pub fn covers(text: &str) -> bool {
    static FACE: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    match FACE.get_or_init(|| ttf_parser::Face::parse(regular(), 0).ok()) {
        Some(face) => text
            .chars()
            .all(|c| c.is_control() || face.glyph_index(c).is_some()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::{IntoFont, TextStyle};

    /// The measured width of a line is the width the SVG draws: advances
    /// at `size / 1.24` pixels per em.
    #[test]
    fn measured_widths_are_the_drawn_widths() {
        assert!(register());
        let face = ttf_parser::Face::parse(regular(), 0).expect("font");
        let text = "信访举报（2024年）";
        let size = 24.8;
        let advances: f64 = text
            .chars()
            .map(|c| {
                let id = face.glyph_index(c).expect("glyph");
                f64::from(face.glyph_hor_advance(id).expect("advance"))
            })
            .sum();
        let drawn = advances * (size / PLOTTERS_EM) / f64::from(face.units_per_em());
        let style: TextStyle = (FAMILY, size).into_font().into();
        let (measured, _) = style.font.box_size(text).expect("measured");
        assert!(
            (f64::from(measured) - drawn).abs() <= 1.0,
            "measured {measured}, drawn {drawn:.1}"
        );
    }
}
