//! The text of a PDF, in the order it is drawn, read with hayro's PDF
//! interpreter (already in the dependency tree through typst): each glyph's
//! Unicode value from its font's `ToUnicode` map.

use hayro_interpret::font::Glyph;
use hayro_interpret::hayro_syntax::Pdf;
use hayro_interpret::util::TransformExt;
use hayro_interpret::{
    BlendMode, ClipPath, Context, Device, GlyphDrawMode, Image, InterpreterCache,
    InterpreterSettings, Paint, PathDrawMode, SoftMask, interpret_page,
};
use kurbo::{Affine, BezPath, Rect};

/// Collects the Unicode of every glyph drawn.
#[derive(Debug, Default)]
struct TextDevice {
    text: String,
}

impl<'a> Device<'a> for TextDevice {
    fn set_soft_mask(&mut self, _: Option<SoftMask<'a>>) {}
    fn set_blend_mode(&mut self, _: BlendMode) {}
    fn draw_path(&mut self, _: &BezPath, _: Affine, _: &Paint<'a>, _: &PathDrawMode) {}
    fn push_clip_path(&mut self, _: &ClipPath) {}
    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}
    fn draw_glyph(
        &mut self,
        glyph: &Glyph<'a>,
        _: Affine,
        _: Affine,
        _: &Paint<'a>,
        _: &GlyphDrawMode,
    ) {
        use hayro_interpret::hayro_cmap::BfString;
        match glyph.as_unicode() {
            Some(BfString::Char(c)) => self.text.push(c),
            Some(BfString::String(s)) => self.text.push_str(&s),
            None => self.text.push('\u{FFFD}'),
        }
    }
    fn draw_image(&mut self, _: Image<'a, '_>, _: Affine) {}
    fn pop_clip_path(&mut self) {}
    fn pop_transparency_group(&mut self) {}
}

/// Every page's text, concatenated, without whitespace (CJK lines break
/// anywhere).
pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    let pdf = Pdf::new(pdf.to_vec()).expect("a PDF");
    let cache = InterpreterCache::new();
    let mut device = TextDevice::default();
    for page in pdf.pages().iter() {
        let (w, h) = page.render_dimensions();
        let mut context = Context::new(
            page.initial_transform(true).to_kurbo(),
            Rect::new(0.0, 0.0, f64::from(w), f64::from(h)),
            &cache,
            page.xref(),
            InterpreterSettings::default(),
        );
        interpret_page(page, &mut context, &mut device);
    }
    device.text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The titles of the PDF's bookmarks, depth first.
pub(crate) fn pdf_bookmarks(pdf: &[u8]) -> Vec<String> {
    use hayro_interpret::hayro_syntax::object::Dict;
    fn walk(mut item: Option<Dict<'_>>, titles: &mut Vec<String>) {
        while let Some(d) = item {
            let title = d
                .get::<hayro_interpret::hayro_syntax::object::String>(b"Title")
                .expect("a bookmark's title");
            titles.push(text_string(title.as_bytes()));
            walk(d.get::<Dict>(b"First"), titles);
            item = d.get::<Dict>(b"Next");
        }
    }
    let pdf = Pdf::new(pdf.to_vec()).expect("a PDF");
    let xref = pdf.xref();
    let catalog: Dict = xref.get(xref.root_id()).expect("the catalog");
    let mut titles = Vec::new();
    if let Some(outlines) = catalog.get::<Dict>(b"Outlines") {
        walk(outlines.get::<Dict>(b"First"), &mut titles);
    }
    titles
}

/// A PDF text string: UTF-16BE after its byte-order mark, else one byte a
/// character.
fn text_string(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        None => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}
