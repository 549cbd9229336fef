//! The follow-up as tables: `follow_up_items` (every overdue record the
//! loop rules found), `flag_status` (each followed flag and what the
//! ledger records about it), `detector_yield` (per detector and quarter)
//! and `dispositions_unmatched` (ledger rows naming a flag not raised).

use polars::prelude::*;

use super::follow::FollowUp;
use super::follow_status::Yield;
use super::risk_score::detector_zh;
use crate::model::Verdict;
use crate::model::ledger::Action;

fn text<I: IntoIterator<Item = String>>(name: &str, v: I) -> Column {
    Column::new(name.into(), v.into_iter().collect::<Vec<_>>())
}

fn maybe<I: IntoIterator<Item = Option<String>>>(name: &str, v: I) -> Column {
    Column::new(name.into(), v.into_iter().collect::<Vec<_>>())
}

/// Every overdue record, one row each.
pub fn items_frame(up: &FollowUp) -> PolarsResult<DataFrame> {
    let it = &up.items;
    DataFrame::new(
        it.len(),
        vec![
            text("rule", it.iter().map(|i| i.rule.code().to_string())),
            text("rule_zh", it.iter().map(|i| i.rule.label_zh().to_string())),
            text("unit_id", it.iter().map(|i| i.unit_id.clone())),
            text("record_id", it.iter().map(|i| i.record_id.clone())),
            Column::new(
                "since".into(),
                it.iter().map(|i| i.since).collect::<Vec<_>>(),
            ),
            Column::new("days".into(), it.iter().map(|i| i.days).collect::<Vec<_>>()),
            text("detail", it.iter().map(|i| i.detail.clone())),
        ],
    )
}

/// Each followed flag with its latest action, reply and finding.
pub fn status_frame(up: &FollowUp) -> PolarsResult<DataFrame> {
    let st = &up.statuses;
    let last = |f: &dyn Fn(&Action) -> Option<String>| -> Vec<Option<String>> {
        st.iter()
            .map(|s| s.actions.iter().rev().find_map(f))
            .collect()
    };
    DataFrame::new(
        st.len(),
        vec![
            text("flag_id", st.iter().map(|s| s.flag.id.clone())),
            text("quarter", st.iter().map(|s| s.flag.quarter.to_string())),
            text("detector", st.iter().map(|s| s.flag.key.0.clone())),
            text("unit_id", st.iter().map(|s| s.flag.key.1.clone())),
            text("unit_name", st.iter().map(|s| s.flag.unit_name.clone())),
            Column::new(
                "recomputed".into(),
                st.iter().map(|s| s.recomputed).collect::<Vec<_>>(),
            ),
            Column::new(
                "actions".into(),
                st.iter()
                    .map(|s| s.actions.len() as u32)
                    .collect::<Vec<_>>(),
            ),
            maybe(
                "last_action",
                st.iter()
                    .map(|s| s.last_action().map(|a| a.label_zh().to_string())),
            ),
            maybe("sent_on", last(&|a| Some(a.sent_on.to_string()))),
            maybe("reply_due", last(&|a| a.reply_due.map(|d| d.to_string()))),
            maybe("replied_on", last(&|a| a.replied_on.map(|d| d.to_string()))),
            Column::new(
                "answered_in_time".into(),
                st.iter().map(|s| s.answered_in_time).collect::<Vec<_>>(),
            ),
            maybe(
                "verdict",
                st.iter()
                    .map(|s| s.verdict().map(|v| v.label_zh().to_string())),
            ),
            text("standing", st.iter().map(|s| s.standing.zh())),
            text("sentence_zh", st.iter().map(|s| s.flag.sentence_zh.clone())),
        ],
    )
}

/// Per detector and quarter (then per detector, quarter empty): raised,
/// acted on, answered in time, findings by kind, share borne out.
pub fn yield_frame(rows: &[Yield]) -> PolarsResult<DataFrame> {
    let n = |name: &str, f: &dyn Fn(&Yield) -> usize| {
        Column::new(
            name.into(),
            rows.iter().map(|y| f(y) as u32).collect::<Vec<_>>(),
        )
    };
    let mut cols = vec![
        text("detector", rows.iter().map(|y| y.detector.clone())),
        text(
            "detector_zh",
            rows.iter().map(|y| detector_zh(&y.detector).to_string()),
        ),
        maybe(
            "quarter",
            rows.iter().map(|y| y.quarter.map(|q| q.to_string())),
        ),
        n("raised", &|y| y.raised),
        n("acted_on", &|y| y.acted_on),
        n("answered_in_time", &|y| y.answered_in_time),
    ];
    for (i, v) in Verdict::ALL.iter().enumerate() {
        cols.push(n(&format!("found_{}", v.code()), &|y| y.findings[i]));
    }
    cols.push(Column::new(
        "share_borne_out".into(),
        rows.iter().map(Yield::share_borne_out).collect::<Vec<_>>(),
    ));
    DataFrame::new(rows.len(), cols)
}

/// Ledger rows that name a followed quarter's flag that was not raised.
pub fn unmatched_frame(actions: &[Action]) -> PolarsResult<DataFrame> {
    let a = actions;
    DataFrame::new(
        a.len(),
        vec![
            text("action_id", a.iter().map(|x| x.action_id.clone())),
            maybe("flag_id", a.iter().map(|x| x.flag_id.clone())),
            text("unit_id", a.iter().map(|x| x.unit_id.clone())),
            maybe(
                "detector",
                a.iter().map(|x| x.detector.map(|d| d.code().to_string())),
            ),
            maybe(
                "flag_quarter",
                a.iter().map(|x| x.flag_quarter.map(|q| q.to_string())),
            ),
            text("sent_on", a.iter().map(|x| x.sent_on.to_string())),
        ],
    )
}
