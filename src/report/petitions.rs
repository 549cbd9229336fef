//! The quarterly petition analysis (信访举报分析研判, clause 二十四): volume
//! and change; composition by channel, class, discipline and key field; the
//! units with the most petitions; the units where petitions concentrate,
//! with their evidence; leaders about whom complaints are prominent; and
//! the quarter's repeat petitions. Pure: tables in, a [`Report`] out.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::inputs::{Inputs, UnitRow, n, pct, sums, unit_rows};
use super::model::{ChartRef, Figure, Report, Section, Table};
use crate::aggregate::link::{Agreement, LinkRules};
use crate::aggregate::uq;
use crate::detect::{concentration, prominent};
use crate::model::{Channel, Discipline, EnumValue, KeyField, PetitionClass, Quarter, Sanction};

pub use crate::model::RepeatPetition;

/// What the report says of the concentration detector's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Concentration {
    /// The BH q below which a unit is flagged.
    pub q: f64,
    /// The windows, in quarters.
    pub windows: Vec<usize>,
    /// The subtree test's cap on a child's standardised excess.
    pub child_cap_sd: f64,
}

/// Characters of a summary the list shows.
pub const SUMMARY_CHARS: usize = 120;

/// Repeat petitions listed at most.
pub const MAX_REPEATS_LISTED: usize = 30;

const TREND: [&str; 6] = [
    uq::PETITIONS,
    uq::PETITIONS_TOP_LEADER,
    uq::CLUES,
    uq::FINDINGS,
    uq::CASES,
    uq::REPEAT,
];

/// "增长12.5%" / "+12.5%", or no comparison.
fn change(i: &Inputs<'_>, now: f64, before: Option<f64>) -> String {
    match before {
        Some(b) if b > 0.0 => {
            let p = (now - b) / b * 100.0;
            i.wording.t(
                if p >= 0.0 {
                    "petitions.up"
                } else {
                    "petitions.down"
                },
                &[("pct", &format!("{:.1}%", p.abs()))],
            )
        }
        _ => i.wording.s("petitions.no_comparison"),
    }
}

/// A p- or q-value: three decimals, or scientific when smaller.
pub(crate) fn significant(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

/// One composition table: the count of each value this quarter, its share
/// and its change on the previous quarter.
fn composition(
    i: &Inputs<'_>,
    key: &str,
    prefix: &str,
    values: &[EnumValue],
) -> PolarsResult<Section> {
    let w = i.wording;
    let cols: Vec<String> = values
        .iter()
        .map(|v| format!("{prefix}_{}", v.code))
        .collect();
    let mut all: Vec<&str> = vec![uq::PETITIONS];
    all.extend(cols.iter().map(String::as_str));
    let qs = [i.quarter.prev(), i.quarter];
    let rows = unit_rows(i.own, &qs, &all)?;
    let by = sums(&rows, &qs, all.len());
    let (before, now) = (&by[0], &by[1]);
    let mut table_rows: Vec<(f64, Vec<String>)> = values
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let label = if i.zh() { v.zh } else { v.en };
            (
                now[k + 1],
                vec![
                    label.to_string(),
                    n(now[k + 1]),
                    pct(now[k + 1], now[0]),
                    change(i, now[k + 1], Some(before[k + 1])),
                ],
            )
        })
        .collect();
    table_rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let top = table_rows.first().map(|r| (r.1[0].clone(), r.1[2].clone()));
    Ok(Section {
        heading: w.s(&format!("petitions.h_{key}")),
        paragraphs: top
            .map(|(name, share)| {
                vec![w.t("petitions.largest", &[("name", &name), ("share", &share)])]
            })
            .unwrap_or_default(),
        table: Some(Table {
            title: w.s(&format!("petitions.h_{key}")),
            headers: [
                "petitions.col_category",
                "petitions.col_count",
                "petitions.col_share",
                "petitions.col_change",
            ]
            .map(|k| w.s(k))
            .to_vec(),
            rows: table_rows.into_iter().map(|r| r.1).collect(),
        }),
        ..Default::default()
    })
}

/// From petitions to sanctions in the quarter (cases counted by their
/// export source), and the units whose conversion is far below their
/// level's.
fn chain(i: &Inputs<'_>) -> PolarsResult<Section> {
    let w = i.wording;
    let forms = [
        "cases_form_1",
        "cases_form_2",
        "cases_form_3",
        "cases_form_4",
    ];
    let sanctions: Vec<String> = Sanction::VALUES
        .iter()
        .map(|v| format!("cases_sanction_{}", v.code))
        .collect();
    let mut cols: Vec<&str> = vec![uq::PETITIONS, uq::CLUES, "cases_source_petition", uq::CASES];
    cols.extend(forms);
    cols.extend(sanctions.iter().map(String::as_str));
    let rows = unit_rows(i.own, &[i.quarter], &cols)?;
    let v = sums(&rows, &[i.quarter], cols.len()).remove(0);
    let flags = i.flags_of(crate::detect::conversion::NAME);
    let mut paragraphs = vec![w.t(
        "petitions.chain",
        &[
            ("petitions", &n(v[0])),
            ("clues", &n(v[1])),
            ("clue_share", &pct(v[1], v[0])),
            ("from_petitions", &n(v[2])),
            ("cases", &n(v[3])),
        ],
    )];
    paragraphs.push(if flags.is_empty() {
        w.s("petitions.conversion_none")
    } else {
        w.t("petitions.conversion_found", &[("units", &flags.len())])
    });
    paragraphs.extend(flags.iter().map(|f| i.sentence(f)));
    let mut table_rows = vec![
        vec![w.s("petitions.col_petitions"), n(v[0])],
        vec![w.s("petitions.col_clues"), n(v[1])],
        vec![w.s("petitions.chain_from_petitions"), n(v[2])],
    ];
    for (k, f) in forms.iter().enumerate() {
        let label = if i.zh() {
            crate::aggregate::labels::label_zh(f)
        } else {
            format!("cases in form {}", k + 1)
        };
        table_rows.push(vec![label, n(v[4 + k])]);
    }
    for (k, value) in Sanction::VALUES.iter().enumerate() {
        let label = if i.zh() {
            crate::aggregate::labels::label_zh(&sanctions[k])
        } else {
            format!("sanction: {}", value.en)
        };
        table_rows.push(vec![label, n(v[8 + k])]);
    }
    Ok(Section {
        heading: w.s("petitions.h_chain"),
        paragraphs,
        table: Some(Table {
            title: w.s("petitions.h_chain"),
            headers: vec![w.s("petitions.col_stage"), w.s("petitions.col_count")],
            rows: table_rows,
        }),
        subsections: cohorts(i).into_iter().collect(),
        ..Default::default()
    })
}

/// The petitions of each recent quarter followed through clues and
/// verification to the cases traced back to them, their forms and sanctions.
fn cohorts(i: &Inputs<'_>) -> Option<Section> {
    use crate::aggregate::chain::ChainRow;
    let w = i.wording;
    let mut by_quarter: BTreeMap<&str, ChainRow> = BTreeMap::new();
    for r in i.chain {
        by_quarter.entry(r.quarter.as_str()).or_default().add(r);
    }
    if by_quarter.is_empty() {
        return None;
    }
    let mut total = ChainRow::default();
    let f = |v: u32| n(f64::from(v));
    let rows: Vec<Vec<String>> = by_quarter
        .iter()
        .map(|(q, r)| {
            total.add(r);
            // Sanctions: party or government (轻、重、政务) and prosecution.
            let sanctioned = r.sanctions[1] + r.sanctions[2] + r.sanctions[3];
            vec![
                q.parse::<Quarter>()
                    .map_or_else(|_| q.to_string(), |q| i.quarter_label(q)),
                f(r.petitions),
                f(r.clues),
                f(r.verified),
                f(r.cases),
                pct(f64::from(r.cases), f64::from(r.petitions)),
                f(r.forms[0]),
                f(r.forms[1]),
                f(r.forms[2]),
                f(r.forms[3]),
                f(sanctioned),
                f(r.sanctions[4]),
            ]
        })
        .collect();
    let headers = [
        "petitions.col_cohort",
        "petitions.cohort_petitions",
        "petitions.cohort_clues",
        "petitions.col_verified",
        "petitions.cohort_cases",
        "petitions.col_case_share",
        "petitions.col_form_1",
        "petitions.col_form_2",
        "petitions.col_form_3",
        "petitions.col_form_4",
        "petitions.col_sanctioned",
        "petitions.col_prosecuted",
    ]
    .map(|k| w.s(k))
    .to_vec();
    Some(Section {
        heading: w.s("petitions.h_cohorts"),
        paragraphs: vec![w.t(
            "petitions.cohorts",
            &[
                ("quarters", &by_quarter.len()),
                ("petitions", &f(total.petitions)),
                ("clues", &f(total.clues)),
                ("verified", &f(total.verified)),
                ("cases", &f(total.cases)),
                (
                    "case_share",
                    &pct(f64::from(total.cases), f64::from(total.petitions)),
                ),
            ],
        )],
        table: Some(Table {
            title: w.s("petitions.h_cohorts"),
            headers,
            rows,
        }),
        ..Default::default()
    })
}

fn top_units(i: &Inputs<'_>, rows: &[UnitRow]) -> Vec<Vec<String>> {
    let q = i.quarter.to_string();
    let mut this: Vec<&UnitRow> = rows.iter().filter(|r| r.quarter == q).collect();
    this.sort_by(|a, b| {
        b.values[0]
            .total_cmp(&a.values[0])
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    this.iter()
        .take(10)
        .map(|r| {
            vec![
                r.name.clone(),
                i.level_label(&r.level),
                n(r.values[0]),
                if r.values[1] > 0.0 {
                    format!("{:.2}", r.values[0] / r.values[1] * 100.0)
                } else {
                    String::new()
                },
            ]
        })
        .collect()
}

/// "另有12个单位未作检验：预期信访举报量过少（11个）、同层级单位不足3个（1个）。"
/// Citywide only: a packet's scope does not hold the whole level.
fn not_tested_sentence(i: &Inputs<'_>) -> Option<String> {
    use crate::detect::concentration::NotTested;
    let total: usize = i.not_tested.values().sum();
    if total == 0 || !i.scope.is_empty() {
        return None;
    }
    let reasons: Vec<String> = i
        .not_tested
        .iter()
        .map(|(code, n)| {
            let why = NotTested::from_code(code);
            match (why, i.zh()) {
                (Some(w), true) => format!("{}（{n}个）", w.zh()),
                (Some(w), false) => format!("{} ({n})", w.en()),
                (None, _) => format!("{code} {n}"),
            }
        })
        .collect();
    let sep = if i.zh() { "、" } else { ", " };
    Some(i.wording.t(
        "petitions.not_tested",
        &[("units", &total), ("reasons", &reasons.join(sep))],
    ))
}

/// Builds the report.
pub fn build(
    i: &Inputs<'_>,
    repeats: &[RepeatPetition],
    concentration: &Concentration,
    linking: Option<(&Agreement, LinkRules)>,
) -> PolarsResult<Report> {
    let concentration_q = concentration.q;
    let w = i.wording;
    let q = i.quarter;
    let ql = i.quarter_label(q);
    let span: Vec<Quarter> = {
        let first = i
            .quarters
            .first()
            .copied()
            .unwrap_or(q)
            .offset(-4)
            .min(q.offset(-4));
        first.through(q).collect()
    };
    let rows = unit_rows(i.own, &span, &TREND)?;
    let by = sums(&rows, &span, TREND.len());
    let at = |x: Quarter| span.iter().position(|s| *s == x).map(|k| by[k].clone());
    let now = at(q).unwrap_or_else(|| vec![0.0; TREND.len()]);
    let [petitions, top, clues, _, _, repeat] = [now[0], now[1], now[2], now[3], now[4], now[5]];
    let prev = at(q.prev()).map(|v| v[0]);
    let year = at(q.year_before()).map(|v| v[0]);
    let concentrated = i.flags_of(concentration::NAME);
    let subtrees = i.flags_of(crate::detect::subtree_rise::NAME);
    let leaders = i.flags_of(prominent::NAME);
    let sep = if i.zh() { "、" } else { ", " };
    let names: Vec<&str> = concentrated
        .iter()
        .take(3)
        .map(|f| f.unit_name.as_str())
        .collect();
    let summary = vec![
        w.t(
            "petitions.summary_volume",
            &[
                ("quarter", &ql),
                ("petitions", &n(petitions)),
                ("prev", &change(i, petitions, prev)),
                ("year", &change(i, petitions, year)),
            ],
        ),
        w.t(
            "petitions.summary_top",
            &[
                ("top", &n(top)),
                ("share", &pct(top, petitions)),
                ("clues", &n(clues)),
            ],
        ),
        {
            let mut s = if concentrated.is_empty() {
                w.s("petitions.summary_no_concentration")
            } else {
                w.t(
                    "petitions.summary_concentration",
                    &[("units", &concentrated.len()), ("names", &names.join(sep))],
                )
            };
            if !subtrees.is_empty() {
                let areas: Vec<&str> = subtrees.iter().map(|f| f.unit_name.as_str()).collect();
                s.push_str(&w.t("petitions.summary_subtree", &[("names", &areas.join(sep))]));
            }
            s
        },
        if leaders.is_empty() {
            w.s("petitions.summary_no_prominent")
        } else {
            w.t(
                "petitions.summary_prominent",
                &[("leaders", &leaders.len())],
            )
        },
        w.t(
            "petitions.summary_repeat",
            &[("repeat", &n(repeat)), ("share", &pct(repeat, petitions))],
        ),
    ];
    let trend = Table {
        title: w.s("petitions.table_trend"),
        headers: [
            "common.quarter",
            "petitions.col_petitions",
            "petitions.col_top",
            "petitions.col_clues",
            "petitions.col_findings",
            "petitions.col_cases",
        ]
        .map(|k| w.s(k))
        .to_vec(),
        rows: i
            .quarters
            .iter()
            .map(|x| {
                let v = at(*x).unwrap_or_else(|| vec![0.0; TREND.len()]);
                vec![
                    i.quarter_label(*x),
                    n(v[0]),
                    n(v[1]),
                    n(v[2]),
                    n(v[3]),
                    n(v[4]),
                ]
            })
            .collect(),
    };
    let heads = unit_rows(i.own, &[q], &[uq::PETITIONS, uq::HEADCOUNT])?;
    let threshold = concentration_q;
    let concentration_section = Section {
        heading: w.s("petitions.h_concentration"),
        paragraphs: {
            let mut p = vec![match concentrated.first() {
                Some(f) => w.t(
                    "petitions.concentration_found",
                    &[("q", &threshold), ("tested", &f.evidence.n_tested)],
                ),
                None => w.t("petitions.concentration_none", &[("q", &threshold)]),
            }];
            p.push(w.t(
                "petitions.concentration_method",
                &[("windows", &w.list(&concentration.windows))],
            ));
            p.extend(concentrated.iter().map(|f| i.sentence(f)));
            p.push(if subtrees.is_empty() {
                w.s("petitions.subtree_none")
            } else {
                w.t(
                    "petitions.subtree_found",
                    &[
                        ("units", &subtrees.len()),
                        ("cap", &concentration.child_cap_sd),
                    ],
                )
            });
            p.extend(subtrees.iter().map(|f| i.sentence(f)));
            p.extend(not_tested_sentence(i));
            p
        },
        table: (!concentrated.is_empty()).then(|| Table {
            title: w.s("petitions.h_concentration"),
            headers: [
                "common.flag_id",
                "common.unit",
                "petitions.col_observed",
                "petitions.col_expected",
                "petitions.col_ratio",
                "petitions.col_p",
                "common.q",
                "common.standing",
            ]
            .map(|k| w.s(k))
            .to_vec(),
            rows: concentrated
                .iter()
                .map(|f| {
                    let e = &f.evidence;
                    let standing = i.history.of(f);
                    vec![
                        crate::detect::continuity::flag_id(f),
                        f.unit_name.clone(),
                        n(e.observed),
                        format!("{:.1}", e.expected),
                        format!("{:.2}", e.statistic),
                        significant(e.p_value),
                        significant(e.q_value),
                        if i.zh() { standing.zh() } else { standing.en() },
                    ]
                })
                .collect(),
        }),
        ..Default::default()
    };
    let prominent_section = Section {
        heading: w.s("petitions.h_prominent"),
        paragraphs: if leaders.is_empty() {
            vec![w.s("petitions.prominent_none")]
        } else {
            leaders.iter().map(|f| i.sentence(f)).collect()
        },
        table: (!leaders.is_empty()).then(|| Table {
            title: w.s("petitions.h_prominent"),
            headers: [
                "common.unit",
                "petitions.col_person",
                "petitions.col_observed",
                "petitions.col_expected",
                "common.q",
            ]
            .map(|k| w.s(k))
            .to_vec(),
            rows: leaders
                .iter()
                .map(|f| {
                    vec![
                        f.unit_name.clone(),
                        f.person_id.clone().unwrap_or_default(),
                        n(f.evidence.observed),
                        format!("{:.1}", f.evidence.expected),
                        significant(f.evidence.q_value),
                    ]
                })
                .collect(),
        }),
        ..Default::default()
    };
    let repeat_section = Section {
        heading: w.s("petitions.h_repeat"),
        paragraphs: {
            let mut p = vec![w.t(
                "petitions.repeat",
                &[
                    ("repeat", &n(repeat)),
                    ("share", &pct(repeat, petitions)),
                    ("listed", &repeats.len().min(MAX_REPEATS_LISTED)),
                ],
            )];
            if let Some((a, rules)) = linking {
                p.push(w.t(
                    "petitions.linked",
                    &[
                        ("window", &rules.window_days),
                        ("similarity", &rules.similarity),
                        ("computed", &a.computed),
                        ("marked", &a.marked),
                        ("both", &a.both),
                        ("marked_only", &a.marked_only),
                        ("computed_only", &a.computed_only),
                        ("disagree", &(a.marked_only + a.computed_only)),
                        (
                            "share",
                            &pct((a.marked_only + a.computed_only) as f64, a.petitions as f64),
                        ),
                    ],
                ));
            }
            p
        },
        table: (!repeats.is_empty()).then(|| Table {
            title: w.s("petitions.h_repeat"),
            headers: [
                "petitions.col_id",
                "common.unit",
                "petitions.col_received",
                "petitions.col_summary",
            ]
            .map(|k| w.s(k))
            .to_vec(),
            rows: repeats
                .iter()
                .take(MAX_REPEATS_LISTED)
                .map(|r| {
                    vec![
                        r.petition_id.clone(),
                        r.unit_name.clone(),
                        r.received_on.clone(),
                        r.summary.chars().take(SUMMARY_CHARS).collect(),
                    ]
                })
                .collect(),
        }),
        ..Default::default()
    };
    let chain_section = chain(i)?;
    let mut fields = composition(i, "field", "petitions_field", KeyField::VALUES)?;
    fields.chart = Some(ChartRef {
        path: i.chart("key_fields"),
        caption: w.s("petitions.chart_fields"),
    });
    Ok(Report {
        zh: i.zh(),
        id: "petitions".into(),
        title: w.t("petitions.title", &[("quarter", &ql), ("scope", &i.scope)]),
        issuer: i.site.to_string(),
        dateline: i.dateline(),
        summary,
        figures: vec![
            Figure {
                label: w.s("petitions.col_petitions"),
                value: n(petitions),
            },
            Figure {
                label: w.s("petitions.fig_prev"),
                value: change(i, petitions, prev),
            },
            Figure {
                label: w.s("petitions.col_top"),
                value: n(top),
            },
            Figure {
                label: w.s("petitions.fig_concentrated"),
                // Units where petitions concentrate and areas whose units
                // rose together (比较集中的单位和地区).
                value: concentrated
                    .iter()
                    .chain(&subtrees)
                    .map(|f| f.unit_id.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
                    .to_string(),
            },
        ],
        sections: vec![
            Section {
                heading: w.s("petitions.h_overall"),
                chart: Some(ChartRef {
                    path: i.chart("trend"),
                    caption: w.s("petitions.chart_trend"),
                }),
                table: Some(trend),
                ..Default::default()
            },
            Section {
                heading: w.s("petitions.h_composition"),
                subsections: vec![
                    composition(i, "channel", "petitions_channel", Channel::VALUES)?,
                    composition(i, "class", "petitions_class", PetitionClass::VALUES)?,
                    composition(i, "discipline", "petitions_discipline", Discipline::VALUES)?,
                    fields,
                ],
                ..Default::default()
            },
            Section {
                heading: w.s("petitions.h_top"),
                paragraphs: vec![w.s("petitions.top_note")],
                table: Some(Table {
                    title: w.s("petitions.h_top"),
                    headers: [
                        "common.unit",
                        "common.level",
                        "petitions.col_petitions",
                        "petitions.col_per_100",
                    ]
                    .map(|k| w.s(k))
                    .to_vec(),
                    rows: top_units(i, &heads),
                }),
                ..Default::default()
            },
            concentration_section,
            prominent_section,
            repeat_section,
            chain_section,
        ],
    })
}
