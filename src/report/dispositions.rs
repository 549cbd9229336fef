//! What became of earlier flags (上期研判发现问题处置情况): each flag of
//! the followed quarters with its action, reply and finding, overdue ones
//! first, and each detector's yield in one plain sentence and a table.

use super::inputs::Inputs;
use super::model::{ChartRef, Section, Table};
use super::wording::Wording;
use crate::detect::follow::FollowUp;
use crate::detect::follow_status::{FlagStatus, Standing, Yield};
use crate::detect::risk_score::detector_zh;
use crate::model::{FlagKind, Quarter};

/// The chart of the follow-up funnel (render stage).
pub const CHART: &str = "follow_up";

fn detector_label(zh: bool, code: &str) -> String {
    if zh {
        detector_zh(code).to_string()
    } else {
        FlagKind::parse(code).map_or(code.to_string(), |k| k.label_en().to_string())
    }
}

/// The statuses of the flags on units in the report's scope.
fn in_scope<'a>(i: &Inputs<'a>) -> Vec<&'a FlagStatus> {
    let units = super::stage::unit_ids(i.own);
    i.followed
        .statuses
        .iter()
        .filter(|s| units.contains(&s.flag.key.1))
        .collect()
}

fn span(up: &FollowUp) -> (String, String) {
    let q = |x: Option<&Quarter>| x.map(|q| q.to_string()).unwrap_or_default();
    (q(up.followed.first()), q(up.followed.last()))
}

/// One sentence per detector: raised, acted on, answered, borne out.
pub fn yield_sentences(w: &Wording, up: &FollowUp, per_detector: &[Yield]) -> Vec<String> {
    let zh = w.language() == crate::model::Language::Zh;
    per_detector
        .iter()
        .filter(|y| y.raised > 0)
        .map(|y| {
            w.t(
                "loop.yield",
                &[
                    ("quarters", &up.followed.len()),
                    ("detector", &detector_label(zh, &y.detector)),
                    ("raised", &y.raised),
                    ("acted", &y.acted_on),
                    ("in_time", &y.answered_in_time),
                    ("borne", &y.borne_out()),
                ],
            )
        })
        .collect()
}

/// The section of the petition report, or `None` without a dispositions
/// source.
pub fn section(i: &Inputs<'_>) -> Section {
    let w = i.wording;
    let up = i.followed;
    let heading = w.s("loop.h_status");
    if !up.has_dispositions {
        return Section {
            heading,
            paragraphs: vec![w.s("loop.no_ledger")],
            ..Default::default()
        };
    }
    let statuses = in_scope(i);
    let (from, to) = span(up);
    let (_, per_detector) = crate::detect::follow_status::yields(statuses.iter().copied());
    let mut paragraphs = Vec::new();
    if statuses.is_empty() {
        paragraphs.push(w.t("loop.none_followed", &[("from", &from), ("to", &to)]));
    } else {
        let sep = if i.zh() { "；" } else { "; " };
        let end = if i.zh() { "。" } else { "." };
        paragraphs.push(format!(
            "{}{end}",
            yield_sentences(w, up, &per_detector).join(sep)
        ));
        let count = |st: Standing| statuses.iter().filter(|s| s.standing == st).count();
        let (no_action, reply) = (count(Standing::NoAction), count(Standing::ReplyOverdue));
        if no_action + reply > 0 {
            paragraphs.push(w.t(
                "loop.overdue",
                &[("no_action", &no_action), ("reply", &reply)],
            ));
        }
    }
    let list = |qs: &[Quarter]| w.list(&qs.iter().map(|q| q.to_string()).collect::<Vec<_>>());
    if !up.recomputed.is_empty() {
        paragraphs.push(w.t("loop.recomputed", &[("quarters", &list(&up.recomputed))]));
    }
    if !up.unknown.is_empty() {
        paragraphs.push(w.t("loop.unknown", &[("quarters", &list(&up.unknown))]));
    }
    if !up.unmatched.is_empty() && i.scope.is_empty() {
        paragraphs.push(w.t("loop.unmatched", &[("n", &up.unmatched.len())]));
    }
    Section {
        heading: heading.clone(),
        paragraphs,
        chart: (!statuses.is_empty()).then(|| ChartRef {
            path: i.chart(CHART),
            caption: w.t("loop.chart", &[("quarters", &up.followed.len())]),
        }),
        table: None,
        subsections: per_detector
            .iter()
            .map(|y| {
                let rows: Vec<&FlagStatus> = statuses
                    .iter()
                    .copied()
                    .filter(|s| s.flag.key.0 == y.detector)
                    .collect();
                let title = detector_label(i.zh(), &y.detector);
                Section {
                    table: Some(status_table(i, &title, &rows)),
                    heading: title,
                    ..Default::default()
                }
            })
            .collect(),
    }
}

fn status_table(i: &Inputs<'_>, title: &str, statuses: &[&FlagStatus]) -> Table {
    let w = i.wording;
    Table {
        title: title.to_string(),
        headers: [
            "loop.col_id",
            "common.unit",
            "loop.col_action",
            "loop.col_replied",
            "loop.col_verdict",
            "loop.col_standing",
        ]
        .map(|k| w.s(k))
        .to_vec(),
        rows: statuses.iter().map(|s| status_row(i.zh(), s)).collect(),
    }
}

/// A flag's row: its id (which starts with its quarter), every measure
/// taken, the reply to the last notice, the finding and the standing
/// (which says when a reply is overdue; the deadlines are in
/// `tables/flag_status`).
fn status_row(zh: bool, s: &FlagStatus) -> Vec<String> {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let asked = s.actions.iter().rev().find(|a| a.reply_due.is_some());
    let mut measures: Vec<&str> = Vec::new();
    for a in &s.actions {
        let m = if zh {
            a.action.label_zh()
        } else {
            a.action.label_en()
        };
        if !measures.contains(&m) {
            measures.push(m);
        }
    }
    vec![
        s.flag.id.clone(),
        s.flag.unit_name.clone(),
        measures.join(if zh { "、" } else { ", " }),
        date(asked.and_then(|a| a.replied_on)),
        s.verdict()
            .map(|v| if zh { v.label_zh() } else { v.label_en() })
            .unwrap_or_default()
            .to_string(),
        if zh { s.standing.zh() } else { s.standing.en() },
    ]
}

/// The committee head's table: per detector over the followed quarters.
pub fn yield_table(w: &Wording, up: &FollowUp) -> Option<Table> {
    if !up.has_dispositions || up.per_detector.is_empty() {
        return None;
    }
    let zh = w.language() == crate::model::Language::Zh;
    Some(Table {
        title: w.t("loop.h_yield", &[("quarters", &up.followed.len())]),
        headers: [
            "loop.col_detector",
            "loop.col_raised",
            "loop.col_acted",
            "loop.col_in_time",
            "loop.col_borne",
            "loop.col_share",
        ]
        .map(|k| w.s(k))
        .to_vec(),
        rows: up
            .per_detector
            .iter()
            .map(|y| {
                vec![
                    detector_label(zh, &y.detector),
                    y.raised.to_string(),
                    y.acted_on.to_string(),
                    y.answered_in_time.to_string(),
                    y.borne_out().to_string(),
                    y.share_borne_out()
                        .map_or("–".into(), |s| format!("{:.0}%", s * 100.0)),
                ]
            })
            .collect(),
    })
}
