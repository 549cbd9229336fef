//! Drawing chart specs with plotters (the edge of render): SVG text, and
//! that SVG rasterised to PNG at twice the size, in the house style.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentedCoord};
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::fonts::{FALLBACKS, FAMILY};
use super::spec::{Chart, LineChart};
use super::style::{self, GRID, MUTED, PALETTE};

/// A chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("chart {chart}: {message}")]
pub struct DrawError {
    pub chart: String,
    pub message: String,
}

/// The house font at `size` CSS pixels, scaled by `k`.
pub(super) fn font(size: f64, k: f64) -> TextStyle<'static> {
    (FAMILY, size * k).into_font().into()
}

/// The plot area and, under it, the footer for the legend and the footnote.
pub(super) fn with_footer<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    k: f64,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (_, h) = root.dim_in_pixel();
    root.split_vertically(h - (style::FOOTER_PX * k) as u32)
}

/// What painting returns: the error message of the backend.
pub(super) type Painted = Result<(), String>;

/// A legend of `items` (name, dashed, colour) in one row, then the
/// footnote, under the plot so they never cover the data. `boxes`: filled
/// squares (bars) instead of line samples.
pub(super) fn legend<DB: DrawingBackend>(
    bottom: &DrawingArea<DB, Shift>,
    items: &[(String, bool, RGBColor)],
    footnote: &str,
    k: f64,
    boxes: bool,
) -> Painted {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let px = |v: f64| (v * k) as u32;
    let mut x = px(64.0) as i32;
    let y = px(12.0) as i32;
    for (name, dashed, colour) in items {
        let colour = *colour;
        let seg = px(22.0) as i32;
        let style = colour.stroke_width(px(2.0).max(1));
        if boxes && !*dashed {
            let r = px(6.0) as i32;
            bottom
                .draw(&Rectangle::new(
                    [(x + seg / 2 - r, y - r), (x + seg / 2 + r, y + r)],
                    colour.filled(),
                ))
                .map_err(e)?;
        } else if *dashed {
            bottom
                .draw(&PathElement::new(vec![(x, y), (x + seg / 3, y)], style))
                .map_err(e)?;
            bottom
                .draw(&PathElement::new(
                    vec![(x + 2 * seg / 3, y), (x + seg, y)],
                    style,
                ))
                .map_err(e)?;
        } else {
            bottom
                .draw(&PathElement::new(vec![(x, y), (x + seg, y)], style))
                .map_err(e)?;
        }
        let text = style::truncate(name, style::MAX_LABEL_CHARS);
        let ts = font(style::LABEL_PX, k).pos(Pos::new(HPos::Left, VPos::Center));
        bottom
            .draw_text(&text, &ts, (x + seg + px(5.0) as i32, y))
            .map_err(e)?;
        let (tw, _) = bottom.estimate_text_size(&text, &ts).map_err(e)?;
        x += seg + tw as i32 + px(22.0) as i32;
    }
    let note = font(style::NOTE_PX, k).color(&MUTED);
    let (width, _) = bottom.dim_in_pixel();
    let room = width.saturating_sub(px(24.0));
    let mut y = px(30.0) as i32;
    for line in wrap(footnote, room, &|t: &str| {
        bottom.estimate_text_size(t, &note).map_or(0, |(w, _)| w)
    }) {
        bottom
            .draw_text(&line, &note, (px(12.0) as i32, y))
            .map_err(e)?;
        y += px(style::NOTE_PX * 1.4) as i32;
    }
    Ok(())
}

/// `text` cut into lines no wider than `room` (measured by `width`),
/// preferring to break after Chinese or English punctuation.
pub(super) fn wrap(text: &str, room: u32, width: &dyn Fn(&str) -> u32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while !rest.is_empty() {
        let all: String = rest.iter().collect();
        if width(&all) <= room {
            lines.push(all);
            break;
        }
        // The longest prefix that fits, then back to a punctuation mark.
        let mut fit = 1;
        while fit < rest.len() && width(&rest[..=fit].iter().collect::<String>()) <= room {
            fit += 1;
        }
        let cut = (fit / 2..fit)
            .rev()
            .find(|&i| "。；，、;,. ）)".contains(rest[i]))
            .map_or(fit, |i| i + 1);
        lines.push(
            rest[..cut]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string(),
        );
        rest.drain(..cut);
        while rest.first() == Some(&' ') {
            rest.remove(0);
        }
    }
    lines
}

/// Draws `chart` on `root`; `k` scales every size (1 for SVG, 2 for PNG).
fn paint<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart, k: f64) -> Painted {
    root.fill(&WHITE).map_err(|x| x.to_string())?;
    match chart {
        Chart::Line(c) => paint_line(root, c, k)?,
        Chart::Bars(c) => super::bars::paint(root, c, k)?,
        Chart::Funnel(c) => super::funnel::paint(root, c, k)?,
        Chart::Heatmap(c) => super::heatmap::paint(root, c, k)?,
        Chart::Ranked(c) => super::ranked::paint(root, c, k)?,
        Chart::Multiples(c) => super::multiples::paint(root, c, k)?,
    }
    root.present().map_err(|x| x.to_string())
}

/// The chart area the quarter charts share: the title, one segment per
/// quarter label along x, 0..`y_max` along y with a light grid.
pub(super) type QuarterChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<SegmentedCoord<RangedCoordi32>, RangedCoordf64>>;

pub(super) fn quarter_axes<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    x_label: &str,
    x_labels: &[String],
    y_max: f64,
    k: f64,
) -> Result<QuarterChart<'a, DB>, String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let px = |v: f64| (v * k) as u32;
    let n = x_labels.len().max(1);
    let mut chart = ChartBuilder::on(plot)
        .caption(title, font(style::TITLE_PX, k))
        .margin(px(12.0))
        .x_label_area_size(px(if x_label.is_empty() { 34.0 } else { 48.0 }))
        .y_label_area_size(px(56.0))
        .build_cartesian_2d((0..n as i32 - 1).into_segmented(), 0f64..y_max)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .x_labels(n)
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) => x_labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_desc(x_label)
        .y_desc(y_label)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(font(style::TICK_PX, k))
        .axis_desc_style(font(style::LABEL_PX, k))
        .draw()
        .map_err(e)?;
    Ok(chart)
}

/// Draws a line chart.
fn paint_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &LineChart,
    k: f64,
) -> Painted {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let px = |v: f64| (v * k) as u32;
    let (plot, bottom) = with_footer(root, k);
    let y_max = spec
        .lines
        .iter()
        .flat_map(|l| l.values.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let y_max = (y_max * 1.15).max(1.0);
    let mut chart = quarter_axes(
        &plot,
        &spec.title,
        &spec.y_label,
        "",
        &spec.x_labels,
        y_max,
        k,
    )?;
    for (i, line) in spec.lines.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let stroke = colour.stroke_width(px(2.0).max(1));
        let points: Vec<(SegmentValue<i32>, f64)> = line
            .values
            .iter()
            .enumerate()
            .filter_map(|(x, v)| v.map(|v| (SegmentValue::CenterOf(x as i32), v)))
            .collect();
        if line.dashed {
            chart
                .draw_series(DashedLineSeries::new(
                    points.clone(),
                    px(6.0),
                    px(4.0),
                    stroke,
                ))
                .map_err(e)?;
        } else {
            chart
                .draw_series(LineSeries::new(points.clone(), stroke))
                .map_err(e)?;
        }
        let r = px(3.5).max(2) as i32;
        let at = |p: &(SegmentValue<i32>, f64)| EmptyElement::at(p.clone());
        match i % 4 {
            0 => chart
                .draw_series(
                    points
                        .iter()
                        .map(|p| at(p) + Circle::new((0, 0), r, colour.filled())),
                )
                .map_err(e)?,
            1 => chart
                .draw_series(
                    points
                        .iter()
                        .map(|p| at(p) + TriangleMarker::new((0, 0), r + 1, colour.filled())),
                )
                .map_err(e)?,
            2 => chart
                .draw_series(
                    points
                        .iter()
                        .map(|p| at(p) + Rectangle::new([(-r, -r), (r, r)], colour.filled())),
                )
                .map_err(e)?,
            _ => chart
                .draw_series(
                    points
                        .iter()
                        .map(|p| at(p) + Cross::new((0, 0), r, colour.stroke_width(2))),
                )
                .map_err(e)?,
        };
    }
    let names: Vec<(String, bool, RGBColor)> = spec
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.name.clone(), l.dashed, PALETTE[i % PALETTE.len()]))
        .collect();
    legend(&bottom, &names, &spec.footnote, k, false)
}

/// The chart as SVG text. Font families list fallbacks, so a reader
/// without the embedded font still sees Chinese.
pub fn svg(spec: &Chart) -> Result<String, DrawError> {
    super::fonts::register();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, spec.size()).into_drawing_area();
        paint(&root, spec, 1.0).map_err(|message| DrawError {
            chart: spec.id().to_string(),
            message,
        })?;
    }
    let families = std::iter::once(FAMILY)
        .chain(FALLBACKS.iter().copied())
        .chain(["Microsoft YaHei", "PingFang SC", "sans-serif"]);
    let list = families
        .map(|f| {
            if f.contains(' ') {
                format!("'{f}'")
            } else {
                f.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let out = out.replace(
        &format!("font-family=\"{FAMILY}\""),
        &format!("font-family=\"{list}\""),
    );
    // Cut labels keep their full text as a tooltip (and for search).
    let mut out = out;
    for full in spec.long_labels() {
        let cut = style::truncate(&full, style::MAX_LABEL_CHARS);
        if cut != full {
            let (cut, full) = (
                crate::text::escape_html(&cut),
                crate::text::escape_html(&full),
            );
            // plotters writes a text's content on its own line.
            for (open, close) in [(">", "</text>"), (">\n", "\n</text>")] {
                out = out.replace(
                    &format!("{open}{cut}{close}"),
                    &format!("><title>{full}</title>{cut}</text>"),
                );
            }
        }
    }
    let title = format!("<title>{}</title>", crate::text::escape_html(spec.title()));
    Ok(match out.find('>') {
        Some(i) if out.starts_with("<svg") => format!("{}{}{}", &out[..=i], title, &out[i + 1..]),
        _ => out,
    })
}

/// Draws the chart to a PNG file at `PNG_SCALE` times the SVG size.
pub fn png(spec: &Chart, path: &Path) -> Result<(), DrawError> {
    let bytes = rasterise(spec.id(), &svg(spec)?)?;
    std::fs::write(path, bytes).map_err(|e| DrawError {
        chart: spec.id().to_string(),
        message: format!("{}: {e}", path.display()),
    })
}

/// The chart's SVG drawn to PNG at `style::PNG_SCALE` by resvg, with the
/// embedded font: the PNG shows what the SVG shows.
pub fn rasterise(id: &str, svg: &str) -> Result<Vec<u8>, DrawError> {
    use resvg::{tiny_skia, usvg};
    let fail = |message: String| DrawError {
        chart: id.to_string(),
        message,
    };
    let options = usvg::Options {
        fontdb: super::fonts::database(),
        font_family: FAMILY.to_string(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| fail(e.to_string()))?;
    let k = style::PNG_SCALE as f32;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(k)
        .ok_or_else(|| fail("empty canvas".into()))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| fail("empty canvas".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(k, k),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| fail(e.to_string()))
}

/// The SVG with its text drawn as outlines (the embedded font's glyphs):
/// an SVG shown as an image cannot use the page's fonts, so the HTML
/// reports embed this form, which needs no font at all.
pub fn outlined(id: &str, svg: &str) -> Result<String, DrawError> {
    use resvg::usvg;
    let options = usvg::Options {
        fontdb: super::fonts::database(),
        font_family: FAMILY.to_string(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| DrawError {
        chart: id.to_string(),
        message: e.to_string(),
    })?;
    Ok(tree.to_string(&usvg::WriteOptions {
        preserve_text: false,
        coordinates_precision: 2,
        transforms_precision: 4,
        ..usvg::WriteOptions::default()
    }))
}

/// Checks that the chart font is registered and has Chinese glyphs.
pub fn check_font() -> Result<(), DrawError> {
    let fail = |message: String| DrawError {
        chart: "font".into(),
        message,
    };
    if !super::fonts::register() {
        return Err(fail(format!(
            "the embedded chart font {FAMILY} cannot be read"
        )));
    }
    let style: TextStyle = (FAMILY, 12.0).into_font().into();
    let (w, _) = style
        .font
        .box_size("测试")
        .map_err(|e| fail(format!("the chart font {FAMILY} is not available ({e})")))?;
    if w == 0 {
        return Err(fail(format!(
            "the chart font {FAMILY} has no Chinese glyphs"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_after_punctuation_and_keeps_every_character() {
        let w = |t: &str| 10 * t.chars().count() as u32;
        let text = "数据来源：某市纪委监委；数据截至2024年12月31日。";
        let lines = wrap(text, 150, &w);
        assert!(
            lines.len() > 1 && lines.iter().all(|l| w(l) <= 150),
            "{lines:?}"
        );
        assert_eq!(lines.concat(), text);
        assert!(
            lines[0].ends_with('；') || lines[0].ends_with('：'),
            "{lines:?}"
        );
        assert_eq!(wrap("短", 150, &w), ["短"]);
    }
}
