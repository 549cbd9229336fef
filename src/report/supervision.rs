//! Supervision coverage (监督覆盖, clauses 八, 十, 二十二): how far the year's
//! minimum contacts with lower-level units and their top leaders are met,
//! and every gap. Pure: the check comes from `aggregate::supervision`.

use super::inputs::{Inputs, n, pct};
use super::model::{Figure, Report, Section, Table};
use crate::aggregate::supervision::{Coverage, Minimum, SupervisionCheck};
use crate::model::SupervisingBody;

fn minimum(i: &Inputs<'_>, m: Minimum) -> String {
    i.wording.s(&format!("supervision.min_{}", m.code()))
}

fn body(i: &Inputs<'_>, b: Option<SupervisingBody>) -> String {
    match b {
        Some(b) if i.zh() => b.label_zh().to_string(),
        Some(b) => b.label_en().to_string(),
        None => i.wording.s("supervision.any_body"),
    }
}

/// Met and required over every body, for one minimum.
fn total(c: &SupervisionCheck, m: Minimum) -> (f64, f64) {
    c.coverage
        .iter()
        .filter(|x| x.minimum == m)
        .fold((0.0, 0.0), |(met, req), x| {
            (met + f64::from(x.met), req + f64::from(x.required))
        })
}

fn coverage_row(i: &Inputs<'_>, x: &Coverage) -> Vec<String> {
    vec![
        minimum(i, x.minimum),
        body(i, x.body),
        n(f64::from(x.required)),
        n(f64::from(x.met)),
        pct(f64::from(x.met), f64::from(x.required)),
    ]
}

pub fn build(i: &Inputs<'_>, c: &SupervisionCheck) -> Report {
    let w = i.wording;
    let q = i.quarter_label(i.quarter);
    let rate = |m: Minimum| {
        let (met, req) = total(c, m);
        pct(met, req)
    };
    let period = w.t(
        if c.final_ {
            "supervision.period_final"
        } else {
            "supervision.period_to_date"
        },
        &[("year", &c.year), ("date", &c.as_of)],
    );
    let mut summary = vec![
        w.t(
            "supervision.summary_scope",
            &[
                ("period", &period),
                ("units", &c.units),
                ("activities", &c.activities),
            ],
        ),
        w.t(
            "supervision.summary_rates",
            &[
                ("talk", &rate(Minimum::Talk)),
                ("attendance", &rate(Minimum::Attendance)),
                ("life", &rate(Minimum::DemocraticLife)),
                ("appointment", &rate(Minimum::AppointmentTalk)),
            ],
        ),
        w.t("supervision.summary_gaps", &[("gaps", &c.gaps.len())]),
    ];
    if !c.final_ {
        summary.push(w.s("supervision.summary_not_final"));
    }
    let gap_rows: Vec<Vec<String>> = c
        .gaps
        .iter()
        .map(|g| {
            let note = match (g.minimum, g.since) {
                (Minimum::AppointmentTalk, Some(since)) => {
                    w.t("supervision.note_appointment", &[("since", &since)])
                }
                (Minimum::DemocraticLife, _) => w.t(
                    "supervision.note_life",
                    &[("done", &g.done), ("required", &g.required)],
                ),
                _ => w.t(
                    "supervision.note_count",
                    &[("done", &g.done), ("required", &g.required)],
                ),
            };
            vec![
                minimum(i, g.minimum),
                body(i, g.body),
                if g.unit_name.is_empty() {
                    w.s("supervision.all_units")
                } else {
                    g.unit_name.clone()
                },
                g.person_id.clone().unwrap_or_default(),
                note,
            ]
        })
        .collect();
    Report {
        zh: i.zh(),
        id: "supervision".into(),
        title: w.t("supervision.title", &[("quarter", &q), ("scope", &i.scope)]),
        issuer: i.site.to_string(),
        dateline: i.dateline(),
        summary,
        figures: vec![
            Figure {
                label: w.s("supervision.fig_talk"),
                value: rate(Minimum::Talk),
            },
            Figure {
                label: w.s("supervision.fig_attendance"),
                value: rate(Minimum::Attendance),
            },
            Figure {
                label: w.s("supervision.fig_appointment"),
                value: rate(Minimum::AppointmentTalk),
            },
            Figure {
                label: w.s("supervision.fig_gaps"),
                value: c.gaps.len().to_string(),
            },
        ],
        sections: vec![
            Section {
                heading: w.s("supervision.h_coverage"),
                paragraphs: vec![w.s("supervision.coverage_note")],
                table: Some(Table {
                    title: w.s("supervision.h_coverage"),
                    headers: [
                        "supervision.col_minimum",
                        "supervision.col_body",
                        "supervision.col_required",
                        "supervision.col_met",
                        "supervision.col_rate",
                    ]
                    .map(|k| w.s(k))
                    .to_vec(),
                    rows: c.coverage.iter().map(|x| coverage_row(i, x)).collect(),
                }),
                ..Default::default()
            },
            Section {
                heading: w.s("supervision.h_gaps"),
                paragraphs: if gap_rows.is_empty() {
                    vec![w.s("supervision.none")]
                } else {
                    vec![]
                },
                table: (!gap_rows.is_empty()).then(|| Table {
                    title: w.s("supervision.h_gaps"),
                    headers: [
                        "supervision.col_minimum",
                        "supervision.col_body",
                        "common.unit",
                        "supervision.col_person",
                        "supervision.col_note",
                    ]
                    .map(|k| w.s(k))
                    .to_vec(),
                    rows: gap_rows,
                }),
                ..Default::default()
            },
        ],
    }
}
