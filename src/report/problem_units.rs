//! The political-ecology report on problem units (问题突出单位政治生态分析
//! 研判报告, clause 十七): one section per unit whose risk score reaches the
//! threshold, with its figures against its level, its flags and their
//! evidence, rectification and cases, and the follow-up measures the rules
//! in the pipeline file propose. Pure.

use polars::prelude::*;

use super::inputs::{FollowUpRule, Inputs, Measure, UnitRow, median, n, unit_rows};
use super::model::{ChartRef, Figure, Report, Section, Table};
use crate::detect::risk_score;
use crate::model::Flag;

const COLS: [&str; 7] = [
    "petitions",
    "headcount",
    "clues",
    "findings",
    "cases",
    "rectifications_overdue_open",
    "findings_repeated_at_follow_up",
];

/// The measures the rules propose for a unit with `score` and `flags`.
pub fn measures(rules: &[FollowUpRule], score: f64, flags: &[&Flag]) -> Vec<Measure> {
    let mut out: Vec<Measure> = rules
        .iter()
        .filter(|r| score >= r.min_score)
        .filter(|r| {
            r.detectors.is_empty()
                || flags
                    .iter()
                    .any(|f| r.detectors.iter().any(|d| d == f.detector))
        })
        .map(|r| r.measure)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn per_100(r: &UnitRow) -> Option<f64> {
    (r.values[1] > 0.0).then(|| r.values[0] / r.values[1] * 100.0)
}

pub fn build(i: &Inputs<'_>) -> PolarsResult<Report> {
    let w = i.wording;
    let q = i.quarter_label(i.quarter);
    let rows = unit_rows(i.own, &[i.quarter], &COLS)?;
    let mut scored = i.flags_of(risk_score::NAME);
    scored.sort_by(|a, b| {
        b.evidence
            .observed
            .total_cmp(&a.evidence.observed)
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    let mut sections = Vec::new();
    let mut all_measures = Vec::new();
    for f in &scored {
        let Some(me) = rows.iter().find(|r| r.unit_id == f.unit_id) else {
            continue;
        };
        let peers: Vec<&UnitRow> = rows
            .iter()
            .filter(|r| r.level == me.level && r.unit_id != me.unit_id)
            .collect();
        let peer_median = |k: usize| median(peers.iter().map(|r| r.values[k]).collect());
        let peer_rate = median(peers.iter().filter_map(|r| per_100(r)).collect());
        let metric_rows = vec![
            vec![
                w.s("units.m_petitions"),
                n(me.values[0]),
                format!("{:.1}", peer_median(0)),
            ],
            vec![
                w.s("units.m_per_100"),
                per_100(me).map_or("–".into(), |v| format!("{v:.2}")),
                format!("{peer_rate:.2}"),
            ],
            vec![
                w.s("units.m_clues"),
                n(me.values[2]),
                format!("{:.1}", peer_median(2)),
            ],
            vec![
                w.s("units.m_findings"),
                n(me.values[3]),
                format!("{:.1}", peer_median(3)),
            ],
            vec![
                w.s("units.m_cases"),
                n(me.values[4]),
                format!("{:.1}", peer_median(4)),
            ],
            vec![
                w.s("units.m_overdue"),
                n(me.values[5]),
                format!("{:.1}", peer_median(5)),
            ],
        ];
        let own_flags: Vec<&Flag> = i
            .flags
            .iter()
            .filter(|g| {
                g.unit_id == f.unit_id && g.quarter == i.quarter && g.detector != risk_score::NAME
            })
            .collect();
        let proposed = measures(i.follow_up, f.evidence.observed, &own_flags);
        all_measures.extend(proposed.iter().copied());
        let measure_names: Vec<String> = proposed
            .iter()
            .map(|m| w.s(&format!("measures.{}", m.code())))
            .collect();
        let sep = if i.zh() { "、" } else { ", " };
        let mut paragraphs = vec![i.sentence(f)];
        paragraphs.extend(own_flags.iter().map(|g| i.sentence(g)));
        paragraphs.push(super::rotation::unit_line(i, &me.unit_id));
        paragraphs.push(w.t(
            "units.rectification",
            &[
                ("overdue", &n(me.values[5])),
                ("repeated", &n(me.values[6])),
                ("cases", &n(me.values[4])),
            ],
        ));
        paragraphs.push(if proposed.is_empty() {
            w.s("units.no_measures")
        } else {
            w.t("units.measures", &[("measures", &measure_names.join(sep))])
        });
        sections.push(Section {
            heading: if i.zh() {
                format!("{}（{}）", me.name, i.level_label(&me.level))
            } else {
                format!("{} ({})", me.name, i.level_label(&me.level))
            },
            paragraphs,
            chart: Some(ChartRef {
                path: i.chart(&format!(
                    "profile_{}",
                    crate::render::unit_charts::sanitize(&me.unit_id)
                )),
                caption: w.t("units.chart", &[("unit", &me.name)]),
            }),
            table: Some(Table {
                title: me.name.chars().take(20).collect(),
                headers: ["units.col_metric", "units.col_unit", "units.col_peers"]
                    .map(|k| w.s(k))
                    .to_vec(),
                rows: metric_rows,
            }),
            ..Default::default()
        });
    }
    let threshold = scored.first().map_or(0.0, |f| f.evidence.threshold);
    let names: Vec<String> = scored.iter().take(3).map(|f| f.unit_name.clone()).collect();
    let sep = if i.zh() { "、" } else { ", " };
    let summary = vec![
        if scored.is_empty() {
            w.t("units.summary_none", &[("quarter", &q)])
        } else {
            w.t(
                "units.summary_units",
                &[
                    ("quarter", &q),
                    ("units", &scored.len()),
                    ("names", &names.join(sep)),
                ],
            )
        },
        w.s("units.summary_method"),
        w.t(
            "units.summary_measures",
            &[
                (
                    "talks",
                    &all_measures
                        .iter()
                        .filter(|m| **m == Measure::TalkReminder)
                        .count(),
                ),
                (
                    "interviews",
                    &all_measures
                        .iter()
                        .filter(|m| **m == Measure::Interview)
                        .count(),
                ),
                (
                    "follow_ups",
                    &all_measures
                        .iter()
                        .filter(|m| **m == Measure::FollowUpInspection)
                        .count(),
                ),
                (
                    "special",
                    &all_measures
                        .iter()
                        .filter(|m| **m == Measure::SpecialSupervision)
                        .count(),
                ),
            ],
        ),
    ];
    let rules = Section {
        heading: w.s("units.h_rules"),
        paragraphs: i
            .follow_up
            .iter()
            .map(|r| {
                w.t(
                    "units.rule",
                    &[
                        ("measure", &w.s(&format!("measures.{}", r.measure.code()))),
                        ("score", &format!("{:.0}", r.min_score)),
                        (
                            "detectors",
                            &if r.detectors.is_empty() {
                                w.s("units.any_flag")
                            } else {
                                r.detectors
                                    .iter()
                                    .map(|d| {
                                        if i.zh() {
                                            risk_score::detector_zh(d).to_string()
                                        } else {
                                            d.clone()
                                        }
                                    })
                                    .collect::<Vec<_>>()
                                    .join(sep)
                            },
                        ),
                    ],
                )
            })
            .collect(),
        ..Default::default()
    };
    let mut all_sections = vec![Section {
        heading: w.s("units.h_units"),
        paragraphs: if scored.is_empty() {
            vec![w.s("units.none")]
        } else {
            vec![w.t(
                "units.threshold",
                &[("threshold", &format!("{threshold:.0}"))],
            )]
        },
        subsections: sections,
        ..Default::default()
    }];
    all_sections.push(rules);
    all_sections.push(subsided(i));
    Ok(Report {
        zh: i.zh(),
        id: "problem_units".into(),
        title: w.t("units.title", &[("quarter", &q), ("scope", &i.scope)]),
        issuer: i.site.to_string(),
        dateline: i.dateline(),
        summary,
        figures: vec![
            Figure {
                label: w.s("units.fig_units"),
                value: scored.len().to_string(),
            },
            Figure {
                label: w.s("measures.talk_reminder"),
                value: all_measures
                    .iter()
                    .filter(|m| **m == Measure::TalkReminder)
                    .count()
                    .to_string(),
            },
            Figure {
                label: w.s("measures.interview"),
                value: all_measures
                    .iter()
                    .filter(|m| **m == Measure::Interview)
                    .count()
                    .to_string(),
            },
            Figure {
                label: w.s("measures.follow_up_inspection"),
                value: all_measures
                    .iter()
                    .filter(|m| **m == Measure::FollowUpInspection)
                    .count()
                    .to_string(),
            },
        ],
        sections: all_sections,
    })
}

/// Last quarter's flags no longer raised (已回落), in the scope.
fn subsided(i: &Inputs<'_>) -> Section {
    let w = i.wording;
    let in_scope = super::stage::unit_ids(i.own);
    let paragraphs = match &i.history.subsided {
        None => vec![w.s("units.subsided_unknown")],
        Some(gone) => {
            let gone: Vec<_> = gone
                .iter()
                .filter(|r| in_scope.contains(&r.key.1))
                .collect();
            let mut p = vec![if gone.is_empty() {
                w.s("units.subsided_none")
            } else {
                w.t("units.subsided", &[("flags", &gone.len())])
            }];
            p.extend(gone.iter().map(|r| {
                let sentence = if i.zh() {
                    &r.sentence_zh
                } else {
                    &r.sentence_en
                };
                if i.zh() {
                    format!("{sentence}（编号{}，本季度已回落）", r.id)
                } else {
                    format!("{sentence} (id {}, not raised this quarter)", r.id)
                }
            }));
            p
        }
    };
    Section {
        heading: w.s("units.h_subsided"),
        paragraphs,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_propose_measures_by_score_and_detector() {
        let rules = FollowUpRule::defaults(6.0);
        assert_eq!(measures(&rules, 5.0, &[]), []);
        assert_eq!(measures(&rules, 6.0, &[]), [Measure::TalkReminder]);
        assert_eq!(
            measures(&rules, 12.0, &[]),
            [Measure::TalkReminder, Measure::Interview]
        );
    }
}
