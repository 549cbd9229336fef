//! The special analysis of clues about top leaders (clauses 五 and 二十四):
//! received, disposed, waiting, days to disposition, and those past the
//! deadline by unit. Pure.

use polars::prelude::*;

use super::inputs::{Inputs, median, n, unit_rows};
use super::model::{ChartRef, Figure, Report, Section, Table};
use crate::detect::top_leader_clues;

pub fn build(i: &Inputs<'_>) -> PolarsResult<Report> {
    let w = i.wording;
    let cols = [
        "clues_top_leader",
        "clues_top_leader_overdue",
        "clues_open_at_end",
    ];
    let rows = unit_rows(i.own, i.quarters, &cols)?;
    let by_quarter = super::inputs::sums(&rows, i.quarters, cols.len());
    let now = by_quarter.last().cloned().unwrap_or_else(|| vec![0.0; 3]);
    let disposed: Vec<f64> = i
        .clue_days
        .iter()
        .filter(|c| c.disposed)
        .map(|c| f64::from(c.days))
        .collect();
    let open = i.clue_days.iter().filter(|c| !c.disposed).count();
    let (received, overdue) = (now[0], now[1]);
    let med = median(disposed.clone());
    let late_disposed = disposed
        .iter()
        .filter(|d| **d > f64::from(i.deadline_days))
        .count();
    let q = i.quarter_label(i.quarter);
    let deadline = i.deadline_days;
    let mut summary = vec![
        w.t(
            "clues.summary_received",
            &[
                ("quarter", &q),
                ("received", &n(received)),
                ("disposed", &disposed.len()),
                ("open", &open),
            ],
        ),
        w.t(
            "clues.summary_days",
            &[
                ("median", &format!("{med:.0}")),
                ("deadline", &deadline),
                ("late", &late_disposed),
            ],
        ),
    ];
    summary.push(if overdue > 0.0 {
        let units = rows
            .iter()
            .filter(|r| r.quarter == i.quarter.to_string() && r.values[1] > 0.0)
            .count();
        w.t(
            "clues.summary_overdue",
            &[
                ("overdue", &n(overdue)),
                ("units", &units),
                ("deadline", &deadline),
            ],
        )
    } else {
        w.t("clues.summary_none_overdue", &[("deadline", &deadline)])
    });
    let trend = Table {
        title: w.s("clues.table_trend"),
        headers: vec![
            w.s("common.quarter"),
            w.s("clues.col_received"),
            w.s("clues.col_overdue"),
        ],
        rows: i
            .quarters
            .iter()
            .zip(&by_quarter)
            .map(|(q, v)| vec![i.quarter_label(*q), n(v[0]), n(v[1])])
            .collect(),
    };
    let mut late: Vec<_> = rows
        .iter()
        .filter(|r| r.quarter == i.quarter.to_string() && r.values[1] > 0.0)
        .collect();
    late.sort_by(|a, b| {
        b.values[1]
            .total_cmp(&a.values[1])
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    let flags = i.flags_of(top_leader_clues::NAME);
    let by_unit = Section {
        heading: w.s("clues.h_overdue"),
        paragraphs: if late.is_empty() {
            vec![w.t("clues.none_overdue", &[("deadline", &deadline)])]
        } else {
            flags.iter().map(|f| i.sentence(f)).collect()
        },
        table: (!late.is_empty()).then(|| Table {
            title: w.s("clues.table_overdue"),
            headers: vec![
                w.s("common.unit"),
                w.s("common.level"),
                w.s("clues.col_overdue"),
                w.s("clues.col_open"),
            ],
            rows: late
                .iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        i.level_label(&r.level),
                        n(r.values[1]),
                        n(r.values[2]),
                    ]
                })
                .collect(),
        }),
        ..Default::default()
    };
    Ok(Report {
        zh: i.zh(),
        id: "top_leader_clues".into(),
        title: w.t("clues.title", &[("quarter", &q), ("scope", &i.scope)]),
        issuer: i.site.to_string(),
        dateline: i.dateline(),
        summary,
        figures: vec![
            Figure {
                label: w.s("clues.fig_received"),
                value: n(received),
            },
            Figure {
                label: w.s("clues.fig_disposed"),
                value: disposed.len().to_string(),
            },
            Figure {
                label: w.s("clues.fig_open"),
                value: open.to_string(),
            },
            Figure {
                label: w.s("clues.fig_overdue"),
                value: n(overdue),
            },
        ],
        sections: vec![
            Section {
                heading: w.s("clues.h_overall"),
                paragraphs: vec![w.t("clues.method", &[("deadline", &deadline)])],
                chart: Some(ChartRef {
                    path: i.chart("clue_days"),
                    caption: w.s("clues.chart"),
                }),
                table: Some(trend),
                ..Default::default()
            },
            by_unit,
        ],
    })
}
