//! Rectification supervision (整改监督): findings due, done on time, late,
//! overdue, and raised again at a follow-up inspection, by unit. Pure.

use polars::prelude::*;

use super::inputs::{Inputs, n, pct, sums, unit_rows};
use super::model::{ChartRef, Figure, Report, Section, Table};
use crate::detect::rectification as detector;

const COLS: [&str; 5] = [
    "rectifications_due",
    "rectifications_due_done_on_time",
    "rectifications_due_done_late",
    "rectifications_overdue_open",
    "findings_repeated_at_follow_up",
];

/// Flag sentences written out; the table lists every unit.
const MAX_SENTENCES: usize = 10;

pub fn build(i: &Inputs<'_>) -> PolarsResult<Report> {
    let w = i.wording;
    let rows = unit_rows(i.own, i.quarters, &COLS)?;
    let by_quarter = sums(&rows, i.quarters, COLS.len());
    let now = by_quarter
        .last()
        .cloned()
        .unwrap_or_else(|| vec![0.0; COLS.len()]);
    let q = i.quarter_label(i.quarter);
    let [due, on_time, late, overdue, repeated] = [now[0], now[1], now[2], now[3], now[4]];
    let this: Vec<_> = rows
        .iter()
        .filter(|r| r.quarter == i.quarter.to_string())
        .collect();
    let units_overdue = this.iter().filter(|r| r.values[3] > 0.0).count();
    let summary = vec![
        w.t(
            "rect.summary_due",
            &[
                ("quarter", &q),
                ("due", &n(due)),
                ("on_time", &n(on_time)),
                ("rate", &pct(on_time, due)),
                ("late", &n(late)),
            ],
        ),
        w.t(
            "rect.summary_overdue",
            &[("overdue", &n(overdue)), ("units", &units_overdue)],
        ),
        w.t("rect.summary_repeated", &[("repeated", &n(repeated))]),
    ];
    let headers = |first: String| {
        let mut h = vec![first];
        h.extend(
            [
                "rect.col_due",
                "rect.col_on_time",
                "rect.col_late",
                "rect.col_overdue",
                "rect.col_repeated",
            ]
            .map(|k| w.s(k)),
        );
        h
    };
    let trend = Table {
        title: w.s("rect.table_trend"),
        headers: headers(w.s("common.quarter")),
        rows: i
            .quarters
            .iter()
            .zip(&by_quarter)
            .map(|(q, v)| {
                std::iter::once(i.quarter_label(*q))
                    .chain(v.iter().map(|x| n(*x)))
                    .collect()
            })
            .collect(),
    };
    let mut lagging: Vec<_> = this
        .iter()
        .filter(|r| r.values[3] > 0.0 || r.values[4] > 0.0)
        .collect();
    lagging.sort_by(|a, b| {
        (b.values[3] + b.values[4])
            .total_cmp(&(a.values[3] + a.values[4]))
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    let flags = i.flags_of(detector::NAME);
    let mut units_headers = headers(w.s("common.unit"));
    units_headers.insert(1, w.s("common.level"));
    Ok(Report {
        zh: i.zh(),
        id: "rectification".into(),
        title: w.t("rect.title", &[("quarter", &q), ("scope", &i.scope)]),
        issuer: i.site.to_string(),
        dateline: i.dateline(),
        summary,
        figures: vec![
            Figure {
                label: w.s("rect.col_due"),
                value: n(due),
            },
            Figure {
                label: w.s("rect.fig_rate"),
                value: pct(on_time, due),
            },
            Figure {
                label: w.s("rect.col_overdue"),
                value: n(overdue),
            },
            Figure {
                label: w.s("rect.col_repeated"),
                value: n(repeated),
            },
        ],
        sections: vec![
            Section {
                heading: w.s("rect.h_overall"),
                paragraphs: vec![w.s("rect.method")],
                chart: Some(ChartRef {
                    path: i.chart("rectification"),
                    caption: w.s("rect.chart"),
                }),
                table: Some(trend),
                ..Default::default()
            },
            Section {
                heading: w.s("rect.h_units"),
                paragraphs: if lagging.is_empty() {
                    vec![w.s("rect.none_lagging")]
                } else {
                    let mut p: Vec<String> = flags
                        .iter()
                        .take(MAX_SENTENCES)
                        .map(|f| i.sentence(f))
                        .collect();
                    if flags.len() > MAX_SENTENCES {
                        p.push(w.t("rect.more", &[("more", &(flags.len() - MAX_SENTENCES))]));
                    }
                    p
                },
                table: (!lagging.is_empty()).then(|| Table {
                    title: w.s("rect.table_units"),
                    headers: units_headers,
                    rows: lagging
                        .iter()
                        .map(|r| {
                            let mut v = vec![r.name.clone(), i.level_label(&r.level)];
                            v.extend(r.values.iter().map(|x| n(*x)));
                            v
                        })
                        .collect(),
                }),
                ..Default::default()
            },
        ],
    })
}
