//! Small multiples: one unit's main metrics over the quarters, one panel
//! each, with its peers' median beside it (the one-unit profile).

use plotters::coord::Shift;
use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::prelude::*;

use super::draw::{Painted, font, legend};
use super::style::{self, GRID, PALETTE};

#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The metric with its unit, e.g. "信访举报（件）".
    pub name: String,
    pub own: Vec<Option<f64>>,
    pub peers: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Multiples {
    pub id: String,
    pub title: String,
    pub x_labels: Vec<String>,
    pub panels: Vec<Panel>,
    /// Legend: the unit, its peers' median.
    pub legend: [String; 2],
    pub footnote: String,
}

/// Panels per row.
const COLUMNS: usize = 3;

impl Multiples {
    pub fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(COLUMNS).max(1) as u32;
        (800, 60 + 200 * rows + style::FOOTER_PX as u32)
    }
}

pub(super) fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Multiples,
    k: f64,
) -> Painted {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let px = |v: f64| (v * k) as u32;
    let (plot, bottom) = super::draw::with_footer(root, k);
    let plot = plot
        .margin(px(10.0), 0, 0, 0)
        .titled(&spec.title, font(style::TITLE_PX, k))
        .map_err(e)?;
    let rows = spec.panels.len().div_ceil(COLUMNS).max(1);
    let cells = plot.split_evenly((rows, COLUMNS));
    let n = spec.x_labels.len().max(1);
    let (own_c, peer_c) = (PALETTE[0], PALETTE[1]);
    for (panel, cell) in spec.panels.iter().zip(cells.iter()) {
        let top = panel
            .own
            .iter()
            .chain(panel.peers.iter())
            .flatten()
            .fold(0.0f64, |a, b| a.max(*b));
        let y_max = (top * 1.2).max(1.0);
        let mut chart = ChartBuilder::on(cell)
            .caption(&panel.name, font(style::LABEL_PX, k))
            .margin(px(8.0))
            .x_label_area_size(px(22.0))
            .y_label_area_size(px(40.0))
            .build_cartesian_2d((0..n as i32 - 1).into_segmented(), 0f64..y_max)
            .map_err(e)?;
        // Only the first and the last quarter are named: the panels are narrow.
        let last = n as i32 - 1;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .x_labels(n)
            .y_labels(4)
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) if *i == 0 || *i == last => {
                    spec.x_labels.get(*i as usize).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .y_label_formatter(&|v| {
                if y_max < 10.0 {
                    format!("{v:.1}")
                } else {
                    format!("{v:.0}")
                }
            })
            .label_style(font(style::NOTE_PX, k))
            .draw()
            .map_err(e)?;
        let points = |v: &[Option<f64>]| -> Vec<(SegmentValue<i32>, f64)> {
            v.iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (SegmentValue::CenterOf(i as i32), v)))
                .collect()
        };
        let thin = px(1.5).max(1);
        chart
            .draw_series(DashedLineSeries::new(
                points(&panel.peers),
                px(5.0),
                px(3.0),
                peer_c.stroke_width(thin),
            ))
            .map_err(e)?;
        let own = points(&panel.own);
        chart
            .draw_series(LineSeries::new(own.clone(), own_c.stroke_width(px(2.0))))
            .map_err(e)?;
        let r = px(2.5).max(2) as i32;
        chart
            .draw_series(own.into_iter().map(|p| Circle::new(p, r, own_c.filled())))
            .map_err(e)?;
    }
    let items = vec![
        (spec.legend[0].clone(), false, own_c),
        (spec.legend[1].clone(), true, peer_c),
    ];
    legend(&bottom, &items, &spec.footnote, k, false)
}
