//! The house style in one place: palette (Okabe–Ito, colour-blind safe; each
//! series also has its own marker and dash so it reads in greyscale), font
//! sizes and canvas sizes fit for an A4 page.

use plotters::style::RGBColor;

/// Okabe–Ito: blue, vermillion, bluish green, orange, sky blue, reddish purple, black.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(204, 121, 167),
    RGBColor(0, 0, 0),
];
pub const GRID: RGBColor = RGBColor(225, 225, 225);
pub const MUTED: RGBColor = RGBColor(90, 90, 90);

/// SVG canvas in CSS pixels: 16 cm wide at 96 dpi, a page-width figure.
pub const SVG_SIZE: (u32, u32) = (800, 450);
/// PNG is drawn at twice the SVG size, for print.
pub const PNG_SCALE: u32 = 2;

pub const TITLE_PX: f64 = 20.0;
pub const LABEL_PX: f64 = 13.0;
pub const TICK_PX: f64 = 12.0;
pub const NOTE_PX: f64 = 11.0;

/// Height under the plot for the legend and up to two footnote lines.
pub const FOOTER_PX: f64 = 66.0;

/// Longest label drawn in full (in characters); longer ones are cut with "…".
pub const MAX_LABEL_CHARS: usize = 12;

/// `s` cut to `max` characters with an ellipsis.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_long_names_with_an_ellipsis() {
        assert_eq!(truncate("东湖区", 12), "东湖区");
        assert_eq!(
            truncate("市机场集团（股份）有限公司第二分公司", 8),
            "市机场集团（股…"
        );
    }
}
