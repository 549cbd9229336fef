//! Bar charts over quarters: stacked (key-field composition) or side by
//! side (rectification: due, done on time, done late, overdue).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::draw::{Painted, legend};
use super::style::PALETTE;

/// One series: a value per quarter.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    pub name: String,
    pub values: Vec<f64>,
    /// Drawn in grey (a remainder such as "other"), not a palette colour.
    pub muted: bool,
}

/// The grey of muted series.
const REMAINDER: RGBColor = RGBColor(200, 200, 200);

fn colour_of(s: &BarSeries, j: usize) -> RGBColor {
    if s.muted {
        REMAINDER
    } else {
        PALETTE[j % PALETTE.len()]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub id: String,
    pub title: String,
    pub y_label: String,
    pub x_labels: Vec<String>,
    pub series: Vec<BarSeries>,
    /// Stacked, or side by side.
    pub stacked: bool,
    /// Names the x axis when its labels are not quarters (e.g. "天").
    pub x_label: String,
    /// A vertical line at this x position (in bars from the left edge,
    /// e.g. 6.0 between the sixth and seventh bar), with its legend name.
    pub marker: Option<(f64, String)>,
    pub footnote: String,
}

pub(super) fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &BarChart,
    k: f64,
) -> Painted {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let px = |v: f64| (v * k) as u32;
    let (plot, bottom) = super::draw::with_footer(root, k);
    let n = spec.x_labels.len().max(1);
    let top = (0..n)
        .map(|i| {
            let column = spec
                .series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0.0));
            if spec.stacked {
                column.sum::<f64>()
            } else {
                column.fold(0.0, f64::max)
            }
        })
        .fold(0.0, f64::max);
    let y_max = (top * 1.15).max(1.0);
    let chart = super::draw::quarter_axes(
        &plot,
        &spec.title,
        &spec.y_label,
        &spec.x_label,
        &spec.x_labels,
        y_max,
        k,
    )?;
    let m = spec.series.len().max(1);
    for i in 0..n {
        let mut base = 0.0;
        for (j, s) in spec.series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            let colour = colour_of(s, j);
            // Bars are drawn in the segment's plot coordinates: the
            // segment [i, i+1) is split among the series when side by side.
            let (x0, x1, y0, y1) = if spec.stacked {
                (0.15, 0.85, base, base + v)
            } else {
                let w = 0.8 / m as f64;
                (0.1 + w * j as f64, 0.1 + w * (j as f64 + 1.0), 0.0, v)
            };
            base += v;
            let area = chart.plotting_area();
            let (l, t) = area.map_coordinate(&(SegmentValue::Exact(i as i32), y1));
            let (r, b) = area.map_coordinate(&(SegmentValue::Exact(i as i32 + 1), y0));
            let width = (r - l) as f64;
            let rect = Rectangle::new(
                [(l + (x0 * width) as i32, t), (l + (x1 * width) as i32, b)],
                colour.filled(),
            );
            root.draw(&rect).map_err(e)?;
        }
    }
    let mut names: Vec<(String, bool, RGBColor)> = spec
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), false, colour_of(s, i)))
        .collect();
    if let Some((at, name)) = &spec.marker {
        let area = chart.plotting_area();
        let whole = at.floor() as i32;
        let (l, top) = area.map_coordinate(&(SegmentValue::Exact(whole), y_max));
        let (r, base) = area.map_coordinate(&(SegmentValue::Exact(whole + 1), 0.0));
        let x = l + ((r - l) as f64 * at.fract()) as i32;
        let colour = PALETTE[6];
        let dash = px(6.0) as i32;
        let mut y = top;
        while y < base {
            root.draw(&PathElement::new(
                vec![(x, y), (x, (y + dash).min(base))],
                colour.stroke_width(px(2.0).max(1)),
            ))
            .map_err(e)?;
            y += dash * 2;
        }
        names.push((name.clone(), true, colour));
    }
    legend(&bottom, &names, &spec.footnote, k, true)
}
