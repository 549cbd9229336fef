//! Funnel plot: each unit's petitions per 100 staff against its headcount,
//! for one level of the unit tree in one quarter, with the level's rate and
//! 95% and 99.8% limits widened for overdispersion (Spiegelhalter 2005:
//! the spread of winsorised z-scores); flagged units are labelled.

use std::collections::HashSet;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use polars::prelude::*;

use super::draw::{Painted, font, legend};
use super::style::{self, GRID, MUTED, PALETTE};
use crate::aggregate::uq;
use crate::model::Quarter;

#[derive(Debug, Clone, PartialEq)]
pub struct FunnelPoint {
    pub unit_id: String,
    pub name: String,
    pub headcount: f64,
    /// Petitions per 100 staff.
    pub rate: f64,
    /// What the level's rate gives for the headcount.
    pub expected: f64,
    /// Observed / expected shrunk toward 1 as the heatmap's cells are.
    pub shrunk: f64,
    /// Fewer expected than the chart's minimum: drawn hollow, as too few
    /// to read.
    pub few: bool,
    pub flagged: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunnelChart {
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub points: Vec<FunnelPoint>,
    /// The level's rate per 100 staff.
    pub centre: f64,
    /// Variance multiplier over Poisson (>= 1).
    pub overdispersion: f64,
    /// Legend: the points, the centre, the 95% and the 99.8% limits.
    pub legend: [String; 4],
    pub footnote: String,
}

impl FunnelChart {
    /// The limit at `z` standard errors for a unit of `headcount`.
    pub fn limit(&self, headcount: f64, z: f64) -> f64 {
        let p = self.centre / 100.0;
        (self.centre + z * 100.0 * (self.overdispersion * p / headcount).sqrt()).max(0.0)
    }
}

/// Words of the funnel plot.
#[derive(Debug, Clone)]
pub struct FunnelLabels {
    /// File stem under `charts/`.
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub legend: [String; 4],
    pub footnote: String,
}

/// Multiplicative overdispersion from z-scores winsorised at their 10th and
/// 90th percentiles (at least 1).
pub fn overdispersion(points: &[(f64, f64)], p: f64) -> f64 {
    let mut z: Vec<f64> = points
        .iter()
        .filter(|(_, n)| *n > 0.0)
        .map(|(y, n)| (y - n * p) / (n * p).sqrt())
        .filter(|z| z.is_finite())
        .collect();
    if z.len() < 3 {
        return 1.0;
    }
    let mut sorted = z.clone();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let (lo, hi) = (at(0.1), at(0.9));
    for v in &mut z {
        *v = v.clamp(lo, hi);
    }
    (z.iter().map(|v| v * v).sum::<f64>() / z.len() as f64).max(1.0)
}

/// The funnel plot of `level` in `quarter` from a unit × quarter table;
/// units expecting fewer than `min_expected` are marked as too few.
#[allow(clippy::too_many_arguments)]
pub fn funnel(
    table: &DataFrame,
    quarter: Quarter,
    level: &str,
    metric: &str,
    flagged: &HashSet<String>,
    scope: Option<&HashSet<String>>,
    min_expected: f64,
    labels: FunnelLabels,
) -> PolarsResult<FunnelChart> {
    let q = quarter.to_string();
    let df = table
        .clone()
        .lazy()
        .filter(
            col(uq::QUARTER)
                .eq(lit(q.as_str()))
                .and(col(uq::LEVEL).cast(DataType::String).eq(lit(level)))
                .and(col(uq::HEADCOUNT).gt(lit(0))),
        )
        .select([
            col(uq::UNIT_ID),
            col(uq::NAME),
            col(uq::HEADCOUNT).cast(DataType::Float64),
            col(metric).cast(DataType::Float64),
        ])
        .sort([uq::UNIT_ID], Default::default())
        .collect()?;
    let (ids, names) = (df.column(uq::UNIT_ID)?.str()?, df.column(uq::NAME)?.str()?);
    let (hc, n) = (df.column(uq::HEADCOUNT)?.f64()?, df.column(metric)?.f64()?);
    let mut raw = Vec::new();
    for i in 0..df.height() {
        if let (Some(id), Some(h), Some(y)) = (ids.get(i), hc.get(i), n.get(i)) {
            raw.push((id.to_string(), names.get(i).unwrap_or(id).to_string(), h, y));
        }
    }
    let (sy, sh) = raw.iter().fold((0.0, 0.0), |(a, b), r| (a + r.3, b + r.2));
    let p = if sh > 0.0 { sy / sh } else { 0.0 };
    let pairs: Vec<(f64, f64)> = raw.iter().map(|r| (r.3, r.2)).collect();
    let cells: Vec<(f64, f64)> = raw.iter().map(|r| (r.3, r.2 * p)).collect();
    let shape = super::heatmap::gamma_shape(&cells);
    Ok(FunnelChart {
        id: labels.id,
        title: labels.title,
        x_label: labels.x_label,
        y_label: labels.y_label,
        // The level's rate and spread come from every unit of the level;
        // a scope keeps the points of its own units.
        points: raw
            .into_iter()
            .filter(|r| scope.is_none_or(|s| s.contains(&r.0)))
            .map(|(unit_id, name, h, y)| FunnelPoint {
                flagged: flagged.contains(&unit_id),
                unit_id,
                name,
                headcount: h,
                rate: y / h * 100.0,
                expected: h * p,
                shrunk: super::heatmap::shrunk(y, h * p, shape),
                few: h * p < min_expected,
            })
            .collect(),
        centre: p * 100.0,
        overdispersion: if p > 0.0 {
            overdispersion(&pairs, p)
        } else {
            1.0
        },
        legend: labels.legend,
        footnote: labels.footnote,
    })
}

pub(super) fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &FunnelChart,
    k: f64,
) -> Painted {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let px = |v: f64| (v * k) as u32;
    let (plot, bottom) = super::draw::with_footer(root, k);
    let (x_min, x_max) = spec
        .points
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), p| {
            (a.min(p.headcount), b.max(p.headcount))
        });
    let (x_min, x_max) = if x_min.is_finite() && x_max > x_min {
        (x_min * 0.8, x_max * 1.25)
    } else {
        (1.0, 10.0)
    };
    let y_top = spec
        .points
        .iter()
        .map(|p| p.rate)
        .fold(spec.limit(x_min, 3.09), f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&plot)
        .caption(&spec.title, font(style::TITLE_PX, k))
        .margin(px(12.0))
        .margin_right(px(24.0))
        .x_label_area_size(px(40.0))
        .y_label_area_size(px(56.0))
        .build_cartesian_2d((x_min..x_max).log_scale(), 0f64..y_top.max(1.0))
        .map_err(e)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .disable_x_mesh()
        .x_label_formatter(&|_| String::new())
        .x_desc(&spec.x_label)
        .y_desc(&spec.y_label)
        .y_label_formatter(&|v| format!("{v:.1}"))
        .label_style(font(style::TICK_PX, k))
        .axis_desc_style(font(style::LABEL_PX, k))
        .draw()
        .map_err(e)?;
    // A log axis gets 1-2-5 ticks: plotters would name only the powers of ten.
    let tick_style = font(style::TICK_PX, k).pos(Pos::new(HPos::Center, VPos::Top));
    for x in log_ticks(x_min, x_max) {
        let area = chart.plotting_area();
        let (px_x, bottom_y) = area.map_coordinate(&(x, 0.0));
        let (_, top_y) = area.map_coordinate(&(x, y_top.max(1.0)));
        root.draw(&PathElement::new(
            vec![(px_x, top_y), (px_x, bottom_y)],
            GRID.stroke_width(1),
        ))
        .map_err(e)?;
        root.draw(&PathElement::new(
            vec![(px_x, bottom_y), (px_x, bottom_y + px(5.0) as i32)],
            BLACK.stroke_width(1),
        ))
        .map_err(e)?;
        root.draw_text(
            &format!("{x:.0}"),
            &tick_style,
            (px_x, bottom_y + px(7.0) as i32),
        )
        .map_err(e)?;
    }
    let xs: Vec<f64> = (0..=80)
        .map(|i| x_min * (x_max / x_min).powf(f64::from(i) / 80.0))
        .collect();
    let thin = px(1.0).max(1);
    chart
        .draw_series(LineSeries::new(
            [(x_min, spec.centre), (x_max, spec.centre)],
            MUTED.stroke_width(px(1.5).max(1)),
        ))
        .map_err(e)?;
    for (z, colour, dash) in [(1.96, PALETTE[4], 4.0), (3.09, PALETTE[1], 8.0)] {
        for sign in [1.0, -1.0] {
            let pts: Vec<(f64, f64)> = xs.iter().map(|&x| (x, spec.limit(x, sign * z))).collect();
            chart
                .draw_series(DashedLineSeries::new(
                    pts,
                    px(dash),
                    px(4.0),
                    colour.stroke_width(thin),
                ))
                .map_err(e)?;
        }
    }
    let r = px(3.0).max(2) as i32;
    chart
        .draw_series(spec.points.iter().map(|p| {
            let style = if p.flagged {
                PALETTE[6].filled()
            } else if p.few {
                PALETTE[0].stroke_width(px(1.0).max(1))
            } else {
                PALETTE[0].mix(0.6).filled()
            };
            Circle::new(
                (p.headcount, p.rate),
                if p.flagged { r + 1 } else { r },
                style,
            )
        }))
        .map_err(e)?;
    // Labels of flagged units, to the left of points near the right edge.
    let area = chart.plotting_area();
    let x_edge = area.get_pixel_range().0.end;
    for p in spec.points.iter().filter(|p| p.flagged) {
        let (x, y) = area.map_coordinate(&(p.headcount, p.rate));
        let text = style::truncate(&p.name, style::MAX_LABEL_CHARS);
        let ts = font(style::TICK_PX, k);
        let (tw, _) = root.estimate_text_size(&text, &ts).map_err(e)?;
        let left = x + tw as i32 + px(8.0) as i32 > x_edge;
        let (anchor, dx) = if left {
            (HPos::Right, -(px(6.0) as i32))
        } else {
            (HPos::Left, px(6.0) as i32)
        };
        root.draw_text(&text, &ts.pos(Pos::new(anchor, VPos::Center)), (x + dx, y))
            .map_err(e)?;
    }
    let items = vec![
        (spec.legend[0].clone(), false, PALETTE[0]),
        (spec.legend[1].clone(), false, MUTED),
        (spec.legend[2].clone(), true, PALETTE[4]),
        (spec.legend[3].clone(), true, PALETTE[1]),
    ];
    legend(&bottom, &items, &spec.footnote, k, false)
}

/// Ticks at round multiples of the powers of ten within `lo..=hi`: four
/// to ten of them where the range allows.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo) {
        return Vec::new();
    }
    let within = |steps: &[f64]| -> Vec<f64> {
        let mut out = Vec::new();
        let mut p = 10f64.powi(lo.log10().floor() as i32);
        while p <= hi {
            out.extend(steps.iter().map(|s| s * p).filter(|v| *v >= lo && *v <= hi));
            p *= 10.0;
        }
        out
    };
    // The sparsest 1-2-5-like set with at least four ticks and at most ten.
    let sets: [&[f64]; 4] = [
        &[1.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0],
        &[1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0],
    ];
    let mut best = within(sets[0]);
    for steps in sets {
        let ticks = within(steps);
        if ticks.len() > 10 {
            break;
        }
        best = ticks;
        if best.len() >= 4 {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::log_ticks;

    #[test]
    fn log_ticks_are_round_and_four_to_ten() {
        assert_eq!(log_ticks(15.0, 900.0), [20.0, 50.0, 100.0, 200.0, 500.0]);
        assert_eq!(log_ticks(1.0, 1e6).len(), 7);
        assert_eq!(
            log_ticks(2400.0, 20500.0),
            [3000.0, 5000.0, 7000.0, 10000.0, 15000.0, 20000.0]
        );
        assert!(log_ticks(0.0, 10.0).is_empty());
    }
}
