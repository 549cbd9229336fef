//! Heatmap of the units of one level × quarters, each cell the ratio of the
//! unit's petitions to what the level's rate per head gives for its
//! headcount that quarter: blue below, vermilion above, white at 1, and the
//! ratio written in the cell so it reads in black and white. Cells flagged
//! by the concentration detector are outlined.

use std::collections::{BTreeMap, HashSet};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use polars::prelude::*;

use super::draw::{Painted, font};
use super::style::{self, MUTED, PALETTE};
use crate::aggregate::uq;
use crate::model::Quarter;

#[derive(Debug, Clone, PartialEq)]
pub struct HeatRow {
    pub unit_id: String,
    pub name: String,
    /// Shrunk observed / expected per quarter (`None`: fewer expected
    /// than the chart's minimum, drawn as —).
    pub ratios: Vec<Option<f64>>,
    pub flagged: Vec<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub id: String,
    pub title: String,
    pub x_labels: Vec<String>,
    pub rows: Vec<HeatRow>,
    pub footnote: String,
}

const ROW_PX: u32 = 20;

impl Heatmap {
    pub fn size(&self) -> (u32, u32) {
        (
            style::SVG_SIZE.0,
            145 + ROW_PX * self.rows.len().max(1) as u32,
        )
    }
}

/// The most rows drawn; a level with more units shows those with the
/// highest ratio in the last quarter (the footnote says so).
pub const MAX_ROWS: usize = 30;

/// The relative risk of a cell shrunk toward 1 as the detector's peer
/// model does (Poisson counts around expectation × a gamma unit effect
/// of shape `a`): (observed + a) / (expected + a).
pub fn shrunk(observed: f64, expected: f64, a: f64) -> f64 {
    (observed + a) / (expected + a)
}

/// The gamma shape of the level's unit effects in one quarter, by
/// moments: Σ E² / Σ ((y − E)² − y); with no spread beyond Poisson
/// noise, a large shape (every ratio shrinks to about 1).
pub fn gamma_shape(cells: &[(f64, f64)]) -> f64 {
    const NO_SPREAD: f64 = 1e6;
    let num: f64 = cells.iter().map(|(_, e)| e * e).sum();
    let den: f64 = cells.iter().map(|(y, e)| (y - e).powi(2) - y).sum();
    if den > 0.0 && num > 0.0 {
        (num / den).min(NO_SPREAD)
    } else {
        NO_SPREAD
    }
}

/// The heatmap of `level` over `quarters` from a unit × quarter table;
/// `flagged` holds (unit, quarter) pairs. Each cell is the shrunk
/// relative risk; cells expecting fewer than `min_expected` are empty
/// (数量过少).
#[allow(clippy::too_many_arguments)]
pub fn heatmap(
    table: &DataFrame,
    quarters: &[Quarter],
    level: &str,
    metric: &str,
    flagged: &HashSet<(String, String)>,
    scope: Option<&HashSet<String>>,
    title: String,
    footnote: String,
    min_expected: f64,
) -> PolarsResult<Heatmap> {
    let names: Vec<String> = quarters.iter().map(|q| q.to_string()).collect();
    let df = table
        .clone()
        .lazy()
        .filter(
            col(uq::LEVEL)
                .cast(DataType::String)
                .eq(lit(level))
                .and(col(uq::HEADCOUNT).gt(lit(0)))
                .and(col(uq::QUARTER).is_in(
                    lit(Series::new("q".into(), names.clone())).implode(false),
                    false,
                )),
        )
        .select([
            col(uq::UNIT_ID),
            col(uq::NAME),
            col(uq::QUARTER),
            col(uq::HEADCOUNT).cast(DataType::Float64),
            col(metric).cast(DataType::Float64),
        ])
        .collect()?;
    let (ids, unit_names, qs) = (
        df.column(uq::UNIT_ID)?.str()?,
        df.column(uq::NAME)?.str()?,
        df.column(uq::QUARTER)?.str()?,
    );
    let (hc, n) = (df.column(uq::HEADCOUNT)?.f64()?, df.column(metric)?.f64()?);
    // The level's rate per head each quarter.
    let mut totals: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let mut cells: BTreeMap<(&str, &str), (f64, f64)> = BTreeMap::new();
    let mut label: BTreeMap<&str, &str> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(u), Some(q), Some(h), Some(y)) = (ids.get(i), qs.get(i), hc.get(i), n.get(i))
        else {
            continue;
        };
        let t = totals.entry(q).or_default();
        t.0 += y;
        t.1 += h;
        cells.insert((u, q), (y, h));
        label.insert(u, unit_names.get(i).unwrap_or(u));
    }
    let expected = |q: &str, h: f64| -> Option<f64> {
        let (ty, th) = totals.get(q)?;
        Some(h * ty / th)
    };
    let mut shape: BTreeMap<&str, f64> = BTreeMap::new();
    for q in &names {
        let level: Vec<(f64, f64)> = cells
            .iter()
            .filter(|((_, cq), _)| cq == q)
            .filter_map(|(_, (y, h))| Some((*y, expected(q, *h)?)))
            .collect();
        shape.insert(q.as_str(), gamma_shape(&level));
    }
    // Expectations and spread come from the whole level; a scope keeps
    // its own units' rows.
    let mut rows: Vec<HeatRow> = label
        .iter()
        .filter(|(u, _)| scope.is_none_or(|s| s.contains(**u)))
        .map(|(u, name)| {
            let ratios = names
                .iter()
                .map(|q| {
                    let (y, h) = cells.get(&(*u, q.as_str()))?;
                    let e = expected(q, *h)?;
                    (e > 0.0 && e >= min_expected).then(|| shrunk(*y, e, shape[q.as_str()]))
                })
                .collect();
            HeatRow {
                unit_id: u.to_string(),
                name: name.to_string(),
                ratios,
                flagged: names
                    .iter()
                    .map(|q| flagged.contains(&(u.to_string(), q.clone())))
                    .collect(),
            }
        })
        .collect();
    if rows.len() > MAX_ROWS {
        let last = |r: &HeatRow| r.ratios.last().copied().flatten().unwrap_or(0.0);
        rows.sort_by(|a, b| {
            last(b)
                .total_cmp(&last(a))
                .then_with(|| a.unit_id.cmp(&b.unit_id))
        });
        rows.truncate(MAX_ROWS);
    }
    rows.sort_by(|a, b| a.unit_id.cmp(&b.unit_id));
    Ok(Heatmap {
        id: chart_id("heatmap", level, metric),
        title,
        x_labels: quarters.iter().map(|q| q.to_string()).collect(),
        rows,
        footnote,
    })
}

/// White at 1, toward blue below (0.5 and less) and vermilion above (2
/// and more), on a log scale.
pub fn colour(ratio: f64) -> RGBColor {
    let t = ratio.max(1e-9).log2().clamp(-1.0, 1.0);
    let (to, t) = if t < 0.0 {
        (PALETTE[0], -t)
    } else {
        (PALETTE[1], t)
    };
    let mix = |a: u8| (255.0 + (f64::from(a) - 255.0) * t * 0.85).round() as u8;
    RGBColor(mix(to.0), mix(to.1), mix(to.2))
}

pub(super) fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Heatmap,
    k: f64,
) -> Painted {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let px = |v: f64| (v * k) as i32;
    let title = font(style::TITLE_PX, k).pos(Pos::new(HPos::Center, VPos::Top));
    let (w, _) = root.dim_in_pixel();
    root.draw_text(&spec.title, &title, (w as i32 / 2, px(10.0)))
        .map_err(e)?;
    let (left, top) = (px(150.0), px(60.0));
    let cols = spec.x_labels.len().max(1) as i32;
    let cell_w = (w as i32 - left - px(20.0)) / cols;
    let cell_h = px(f64::from(ROW_PX));
    let tick = font(style::TICK_PX, k);
    // Column labels shrink to their cell (2024年三季度 is wider than 2024Q3).
    let longest = spec
        .x_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1) as f64;
    let fit = (f64::from(cell_w) / k / (longest * 1.05)).min(style::TICK_PX);
    let column = font(fit, k);
    for (j, q) in spec.x_labels.iter().enumerate() {
        let x = left + cell_w * j as i32 + cell_w / 2;
        root.draw_text(
            q,
            &column.pos(Pos::new(HPos::Center, VPos::Bottom)),
            (x, top - px(4.0)),
        )
        .map_err(e)?;
    }
    let value = font(style::NOTE_PX, k).pos(Pos::new(HPos::Center, VPos::Center));
    for (i, row) in spec.rows.iter().enumerate() {
        let y = top + cell_h * i as i32;
        let name = style::truncate(&row.name, style::MAX_LABEL_CHARS);
        root.draw_text(
            &name,
            &tick.pos(Pos::new(HPos::Right, VPos::Center)),
            (left - px(6.0), y + cell_h / 2),
        )
        .map_err(e)?;
        for (j, r) in row.ratios.iter().enumerate() {
            let x = left + cell_w * j as i32;
            let fill = r.map_or(RGBColor(240, 240, 240), colour);
            root.draw(&Rectangle::new(
                [(x, y), (x + cell_w - 1, y + cell_h - 1)],
                fill.filled(),
            ))
            .map_err(e)?;
            if row.flagged.get(j).copied().unwrap_or(false) {
                root.draw(&Rectangle::new(
                    [(x + 1, y + 1), (x + cell_w - 2, y + cell_h - 2)],
                    BLACK.stroke_width((2.0 * k) as u32),
                ))
                .map_err(e)?;
            }
            let text = r.map_or("—".to_string(), |r| format!("{r:.2}"));
            root.draw_text(&text, &value, (x + cell_w / 2, y + cell_h / 2))
                .map_err(e)?;
        }
    }
    let note = font(style::NOTE_PX, k).color(&MUTED);
    let mut y = top + cell_h * spec.rows.len() as i32 + px(24.0);
    let room = w.saturating_sub((24.0 * k) as u32);
    for line in super::draw::wrap(&spec.footnote, room, &|t: &str| {
        root.estimate_text_size(t, &note).map_or(0, |(w, _)| w)
    }) {
        root.draw_text(&line, &note, (px(12.0), y)).map_err(e)?;
        y += px(style::NOTE_PX * 1.4);
    }
    Ok(())
}

/// File stem of a per-level chart: `funnel_district`, `heatmap_district_cases`.
pub fn chart_id(kind: &str, level: &str, metric: &str) -> String {
    if metric == uq::PETITIONS {
        format!("{kind}_{level}")
    } else {
        format!("{kind}_{level}_{metric}")
    }
}

#[cfg(test)]
mod shrink_tests {
    use super::*;

    #[test]
    fn ratios_shrink_toward_one_by_the_levels_spread() {
        // Counts scattered far beyond Poisson noise: a small shape.
        let spread = [(0.0, 10.0), (30.0, 10.0), (2.0, 10.0), (25.0, 10.0)];
        let a = gamma_shape(&spread);
        assert!(a > 0.5 && a < 5.0, "{a}");
        // Counts as Poisson noise alone would give: no effect to see.
        let noise = [(10.0, 10.0), (12.0, 10.0), (9.0, 10.0), (11.0, 10.0)];
        let b = gamma_shape(&noise);
        assert!(b >= 1e5);
        assert!((shrunk(12.0, 10.0, b) - 1.0).abs() < 1e-3);
        // One record against a tenth expected is not a ratio of 10.
        assert!(shrunk(1.0, 0.1, a) < 1.0 / 0.1 / 2.0);
    }
}
