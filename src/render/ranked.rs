//! Ranked units as horizontal bars, largest at the top: the Pareto of
//! excess petitions (with the cumulative share as a line on a top axis) and
//! the units whose share of one key field stands out (with the citywide
//! share as a reference line). Names run along the left, so long unit names
//! never collide.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::draw::{Painted, font, legend};
use super::style::{self, GRID, PALETTE};

#[derive(Debug, Clone, PartialEq)]
pub struct RankedRow {
    pub unit_id: String,
    pub name: String,
    pub value: f64,
    /// Drawn dark and named in the legend (e.g. flagged units).
    pub highlight: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RankedChart {
    pub id: String,
    pub title: String,
    pub x_label: String,
    /// Largest first.
    pub rows: Vec<RankedRow>,
    /// How values are printed at the bar ends (decimals).
    pub decimals: usize,
    /// A vertical reference line at this value, with its name.
    pub reference: Option<(String, f64)>,
    /// The cumulative share (0..=1) after each row, drawn on a top axis.
    pub cumulative: Option<(String, Vec<f64>)>,
    /// Legend names of ordinary and highlighted bars.
    pub legend: [String; 2],
    /// The rows are leaders, not units (the numbers' headers say so).
    pub of_persons: bool,
    pub footnote: String,
}

/// Rows shown at most.
pub const MAX_ROWS: usize = 15;

impl RankedChart {
    pub fn size(&self) -> (u32, u32) {
        let rows = self.rows.len().clamp(5, MAX_ROWS) as u32;
        (800, 170 + 22 * rows + style::FOOTER_PX as u32)
    }
}

const BAR: RGBColor = PALETTE[0];
const HIGHLIGHT: RGBColor = PALETTE[6];

pub(super) fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &RankedChart,
    k: f64,
) -> Painted {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let px = |v: f64| (v * k) as u32;
    let (plot, bottom) = super::draw::with_footer(root, k);
    let n = spec.rows.len().max(1);
    let top = spec
        .rows
        .iter()
        .map(|r| r.value)
        .chain(spec.reference.iter().map(|r| r.1))
        .fold(0.0f64, f64::max);
    let x_max = (top * 1.18).max(1e-9);
    // A leader's label (code, unit and role) gets twice a unit's room.
    let room = style::MAX_LABEL_CHARS * if spec.of_persons { 2 } else { 1 };
    let names: Vec<String> = spec
        .rows
        .iter()
        .map(|r| style::truncate(&r.name, room))
        .collect();
    let label_w = names
        .iter()
        .map(|t| {
            root.estimate_text_size(t, &font(style::TICK_PX, k))
                .map_or(0, |s| s.0)
        })
        .max()
        .unwrap_or(0)
        + px(14.0);
    let mut builder = ChartBuilder::on(&plot);
    builder
        .caption(&spec.title, font(style::TITLE_PX, k))
        .margin(px(12.0))
        .margin_right(px(28.0))
        .x_label_area_size(px(40.0))
        .y_label_area_size(label_w);
    if spec.cumulative.is_some() {
        builder.top_x_label_area_size(px(30.0));
    }
    let mut chart = builder
        .build_cartesian_2d(0f64..x_max, (0..n as i32 - 1).into_segmented())
        .map_err(e)?
        .set_secondary_coord(0f64..100.0, (0..n as i32 - 1).into_segmented());
    // Row i is drawn at y = n - 1 - i so the largest is at the top.
    let y_of = |i: usize| (n - 1 - i) as i32;
    let decimals = spec.decimals;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .y_label_formatter(&|_| String::new())
        .x_desc(&spec.x_label)
        // Counts get whole-number ticks only.
        .x_label_formatter(&|v| {
            if decimals == 0 && v.fract().abs() > 1e-9 {
                String::new()
            } else {
                format!("{v:.decimals$}")
            }
        })
        .label_style(font(style::TICK_PX, k))
        .axis_desc_style(font(style::LABEL_PX, k))
        .draw()
        .map_err(e)?;
    let area = chart.plotting_area().clone();
    for (i, r) in spec.rows.iter().enumerate() {
        let colour = if r.highlight { HIGHLIGHT } else { BAR };
        let (l, t) = area.map_coordinate(&(0.0, SegmentValue::Exact(y_of(i) + 1)));
        let (rx, b) = area.map_coordinate(&(r.value.max(0.0), SegmentValue::Exact(y_of(i))));
        let pad = ((b - t) as f64 * 0.18) as i32;
        root.draw(&Rectangle::new(
            [(l, t + pad), (rx.max(l + 1), b - pad)],
            colour.filled(),
        ))
        .map_err(e)?;
        // Names drawn here, not by the mesh, which skips a single row.
        let name = font(style::TICK_PX, k).pos(Pos::new(HPos::Right, VPos::Center));
        root.draw_text(&names[i], &name, (l - px(8.0) as i32, (t + b) / 2))
            .map_err(e)?;
        let ts = font(style::NOTE_PX, k).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw_text(
            &format!("{:.decimals$}", r.value),
            &ts,
            (rx + px(4.0) as i32, (t + b) / 2),
        )
        .map_err(e)?;
    }
    let mut items = vec![(spec.legend[0].clone(), false, BAR)];
    if spec.rows.iter().any(|r| r.highlight) {
        items.push((spec.legend[1].clone(), false, HIGHLIGHT));
    }
    if let Some((name, x)) = &spec.reference {
        let (x, y0) = area.map_coordinate(&(*x, SegmentValue::Exact(n as i32)));
        let (_, y1) = area.map_coordinate(&(0.0, SegmentValue::Exact(0)));
        root.draw(&PathElement::new(
            vec![(x, y0), (x, y1)],
            PALETTE[1].stroke_width(px(2.0).max(1)),
        ))
        .map_err(e)?;
        items.push((name.clone(), false, PALETTE[1]));
    }
    if let Some((name, shares)) = &spec.cumulative {
        chart
            .configure_secondary_axes()
            .x_labels(6)
            .x_label_formatter(&|v| format!("{v:.0}%"))
            .label_style(font(style::TICK_PX, k).color(&PALETTE[1]))
            .draw()
            .map_err(e)?;
        let pts: Vec<(f64, SegmentValue<i32>)> = shares
            .iter()
            .enumerate()
            .map(|(i, s)| (s * 100.0, SegmentValue::CenterOf(y_of(i))))
            .collect();
        let stroke = PALETTE[1].stroke_width(px(2.0).max(1));
        chart
            .draw_secondary_series(LineSeries::new(pts.clone(), stroke))
            .map_err(e)?;
        let r = px(3.0).max(2) as i32;
        chart
            .draw_secondary_series(
                pts.iter()
                    .map(|p| TriangleMarker::new(p.clone(), r + 1, PALETTE[1].filled())),
            )
            .map_err(e)?;
        items.push((name.clone(), false, PALETTE[1]));
    }
    legend(&bottom, &items, &spec.footnote, k, true)
}
