//! One thematic report per key field (重点领域专题报告, clause 十七):
//! volume and trend, units that stand out, problems common to many units,
//! related findings and cases. Pure.

use polars::prelude::*;

use super::inputs::{Inputs, n, pct, sums, unit_rows};
use super::model::{ChartRef, Figure, Report, Section, Table};
use crate::detect::{common_problem, key_field};
use crate::model::KeyField;

pub fn build(i: &Inputs<'_>, field: KeyField) -> PolarsResult<Report> {
    let w = i.wording;
    let name = if i.zh() {
        field.label_zh()
    } else {
        field.label_en()
    };
    let code = field.code();
    let cols = [
        format!("petitions_field_{code}"),
        "petitions".to_string(),
        format!("findings_field_{code}"),
        format!("cases_field_{code}"),
    ];
    let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
    let rows = unit_rows(i.own, i.quarters, &cols)?;
    let by_quarter = sums(&rows, i.quarters, cols.len());
    let now = by_quarter.last().cloned().unwrap_or_else(|| vec![0.0; 4]);
    let before = by_quarter.len().checked_sub(5).map(|k| by_quarter[k][0]);
    let q = i.quarter_label(i.quarter);
    let change = match before {
        Some(b) if b > 0.0 => w.t(
            "common.change_year",
            &[("pct", &format!("{:+.1}%", (now[0] - b) / b * 100.0))],
        ),
        _ => w.s("common.no_comparison"),
    };
    let stand_out: Vec<_> = i
        .flags_of(key_field::NAME)
        .into_iter()
        .filter(|f| f.field == Some(field))
        .collect();
    let common: Vec<_> = i
        .flags_of(common_problem::NAME)
        .into_iter()
        .filter(|f| f.field == Some(field))
        .collect();
    let summary = vec![
        w.t(
            "field.summary_volume",
            &[
                ("quarter", &q),
                ("field", &name),
                ("petitions", &n(now[0])),
                ("share", &pct(now[0], now[1])),
                ("change", &change),
            ],
        ),
        w.t(
            "field.summary_findings",
            &[("findings", &n(now[2])), ("cases", &n(now[3]))],
        ),
        if stand_out.is_empty() {
            w.s("field.summary_no_units")
        } else {
            w.t("field.summary_units", &[("units", &stand_out.len())])
        },
        if common.is_empty() {
            w.s("field.summary_no_common")
        } else {
            w.s("field.summary_common")
        },
    ];
    let trend = Table {
        title: w.s("field.table_trend"),
        headers: [
            "common.quarter",
            "field.col_petitions",
            "field.col_share",
            "field.col_findings",
            "field.col_cases",
        ]
        .map(|k| w.s(k))
        .to_vec(),
        rows: i
            .quarters
            .iter()
            .zip(&by_quarter)
            .map(|(q, v)| {
                vec![
                    i.quarter_label(*q),
                    n(v[0]),
                    pct(v[0], v[1]),
                    n(v[2]),
                    n(v[3]),
                ]
            })
            .collect(),
    };
    let units = Table {
        title: w.s("field.table_units"),
        headers: [
            "common.unit",
            "field.col_source",
            "field.col_observed",
            "field.col_expected",
            "common.q",
        ]
        .map(|k| w.s(k))
        .to_vec(),
        rows: stand_out
            .iter()
            .map(|f| {
                let mut parts = f.unit_name.split(" · ");
                let unit = parts.next().unwrap_or("").to_string();
                let source = parts.next().unwrap_or("").to_string();
                vec![
                    unit,
                    source,
                    n(f.evidence.observed),
                    format!("{:.1}", f.evidence.expected),
                    format!("{:.3}", f.evidence.q_value),
                ]
            })
            .collect(),
    };
    let this: Vec<_> = rows
        .iter()
        .filter(|r| r.quarter == i.quarter.to_string() && (r.values[2] > 0.0 || r.values[3] > 0.0))
        .collect();
    let mut related = this.clone();
    related.sort_by(|a, b| {
        (b.values[2] + b.values[3])
            .total_cmp(&(a.values[2] + a.values[3]))
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    related.truncate(15);
    Ok(Report {
        zh: i.zh(),
        id: format!("field_{code}"),
        title: w.t(
            "field.title",
            &[("quarter", &q), ("field", &name), ("scope", &i.scope)],
        ),
        issuer: i.site.to_string(),
        dateline: i.dateline(),
        summary,
        figures: vec![
            Figure {
                label: w.s("field.col_petitions"),
                value: n(now[0]),
            },
            Figure {
                label: w.s("field.col_share"),
                value: pct(now[0], now[1]),
            },
            Figure {
                label: w.s("field.col_findings"),
                value: n(now[2]),
            },
            Figure {
                label: w.s("field.col_cases"),
                value: n(now[3]),
            },
        ],
        sections: vec![
            Section {
                heading: w.s("field.h_volume"),
                chart: Some(ChartRef {
                    path: i.chart(&format!("field_{code}")),
                    caption: w.t("field.chart", &[("field", &name)]),
                }),
                table: Some(trend),
                ..Default::default()
            },
            Section {
                heading: w.s("field.h_units"),
                paragraphs: if stand_out.is_empty() {
                    vec![w.s("field.none_units")]
                } else {
                    stand_out.iter().map(|f| i.sentence(f)).collect()
                },
                table: (!stand_out.is_empty()).then_some(units),
                ..Default::default()
            },
            Section {
                heading: w.s("field.h_common"),
                paragraphs: if common.is_empty() {
                    vec![w.s("field.none_common")]
                } else {
                    common.iter().map(|f| i.sentence(f)).collect()
                },
                ..Default::default()
            },
            Section {
                heading: w.s("field.h_related"),
                paragraphs: vec![w.t(
                    "field.related",
                    &[("findings", &n(now[2])), ("cases", &n(now[3]))],
                )],
                table: (!related.is_empty()).then(|| Table {
                    title: w.s("field.table_related"),
                    headers: [
                        "common.unit",
                        "common.level",
                        "field.col_findings",
                        "field.col_cases",
                    ]
                    .map(|k| w.s(k))
                    .to_vec(),
                    rows: related
                        .iter()
                        .map(|r| {
                            vec![
                                r.name.clone(),
                                i.level_label(&r.level),
                                n(r.values[2]),
                                n(r.values[3]),
                            ]
                        })
                        .collect(),
                }),
                ..Default::default()
            },
        ],
    })
}
