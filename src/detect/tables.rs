//! The detectors' results as tables: `scores` (everything tested) and
//! `flags` (what stood out, with its sentence).

use polars::prelude::*;

use super::Score;
use crate::model::Flag;

/// Every unit × quarter tested, one row per detector.
pub fn scores_frame(scores: &[Score]) -> PolarsResult<DataFrame> {
    let s = scores;
    let f = |name: &str, v: Vec<f64>| Column::new(name.into(), v);
    DataFrame::new(
        s.len(),
        vec![
            Column::new(
                "detector".into(),
                s.iter().map(|x| x.detector).collect::<Vec<_>>(),
            ),
            Column::new(
                "unit_id".into(),
                s.iter().map(|x| x.unit_id.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "unit_name".into(),
                s.iter().map(|x| x.unit_name.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "peer_group".into(),
                s.iter().map(|x| x.group.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "quarter".into(),
                s.iter().map(|x| x.quarter.to_string()).collect::<Vec<_>>(),
            ),
            Column::new(
                "window".into(),
                s.iter().map(|x| u32::from(x.window)).collect::<Vec<_>>(),
            ),
            f("observed", s.iter().map(|x| x.observed).collect()),
            f("expected_peer", s.iter().map(|x| x.expected_peer).collect()),
            f(
                "expected_history",
                s.iter().map(|x| x.expected_history).collect(),
            ),
            f(
                "ratio",
                s.iter()
                    .map(|x| {
                        if x.expected_history > 0.0 {
                            x.observed / x.expected_history
                        } else {
                            f64::NAN
                        }
                    })
                    .collect(),
            ),
            f("rr_shrunk", s.iter().map(|x| x.rr).collect()),
            f("rr_lo90", s.iter().map(|x| x.rr_lo).collect()),
            f("rr_hi90", s.iter().map(|x| x.rr_hi).collect()),
            f("p_peer", s.iter().map(|x| x.p_peer).collect()),
            f("p", s.iter().map(|x| x.p).collect()),
            f("q", s.iter().map(|x| x.q).collect()),
            Column::new(
                "rank".into(),
                s.iter().map(|x| x.rank as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                "flagged".into(),
                s.iter().map(|x| x.flagged).collect::<Vec<_>>(),
            ),
            Column::new(
                "not_tested".into(),
                s.iter().map(|x| x.not_tested).collect::<Vec<_>>(),
            ),
        ],
    )?
    .hstack(&window_columns(s))
}

/// `observed_Nq`, `expected_Nq` and `p_Nq` for every window length N any
/// score looked at (empty where a score did not).
fn window_columns(s: &[Score]) -> Vec<Column> {
    let mut lengths: Vec<u8> = s
        .iter()
        .flat_map(|x| x.windows.iter().map(|w| w.quarters))
        .collect();
    lengths.sort_unstable();
    lengths.dedup();
    let pick = |n: u8, f: fn(&super::WindowScore) -> f64| -> Vec<Option<f64>> {
        s.iter()
            .map(|x| x.windows.iter().find(|w| w.quarters == n).map(f))
            .collect()
    };
    lengths
        .iter()
        .flat_map(|&n| {
            [
                Column::new(format!("observed_{n}q").into(), pick(n, |w| w.observed)),
                Column::new(format!("expected_{n}q").into(), pick(n, |w| w.expected)),
                Column::new(format!("p_{n}q").into(), pick(n, |w| w.p)),
            ]
        })
        .collect()
}

/// Each detector's part in each unit's risk score.
pub fn contributions_frame(c: &[super::risk_score::Contribution]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        c.len(),
        vec![
            Column::new(
                "unit_id".into(),
                c.iter().map(|x| x.unit_id.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "unit_name".into(),
                c.iter().map(|x| x.unit_name.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "quarter".into(),
                c.iter().map(|x| x.quarter.to_string()).collect::<Vec<_>>(),
            ),
            Column::new(
                "detector".into(),
                c.iter().map(|x| x.detector).collect::<Vec<_>>(),
            ),
            Column::new(
                "detector_zh".into(),
                c.iter()
                    .map(|x| super::risk_score::detector_zh(x.detector))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "flags".into(),
                c.iter().map(|x| x.flags as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                "high_severity".into(),
                c.iter().map(|x| x.high as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                "points".into(),
                c.iter().map(|x| x.points).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// The column names of [`flags_frame`], in order.
pub const FLAG_COLUMNS: [&str; 24] = [
    "flag_id",
    "detector",
    "unit_id",
    "unit_name",
    "person_id",
    "quarter",
    "window",
    "severity",
    "sentence_zh",
    "sentence_en",
    "observed",
    "expected",
    "statistic",
    "p_value",
    "q_value",
    "threshold",
    "n_tested",
    "rule",
    "severity_zh",
    "field",
    "continuity",
    "continuity_zh",
    "quarters_running",
    "subject",
];

/// The flags with their ids, evidence, sentences and standing against the
/// flags published before.
pub fn flags_frame(
    flags: &[Flag],
    history: &super::continuity::FlagHistory,
) -> PolarsResult<DataFrame> {
    let s = flags;
    let text = |name: &str, v: Vec<String>| Column::new(name.into(), v);
    let num = |name: &str, v: Vec<f64>| Column::new(name.into(), v);
    let c = FLAG_COLUMNS;
    DataFrame::new(
        s.len(),
        vec![
            text(c[0], s.iter().map(super::continuity::flag_id).collect()),
            text(c[1], s.iter().map(|x| x.detector.to_string()).collect()),
            text(c[2], s.iter().map(|x| x.unit_id.clone()).collect()),
            text(c[3], s.iter().map(|x| x.unit_name.clone()).collect()),
            Column::new(
                c[4].into(),
                s.iter().map(|x| x.person_id.clone()).collect::<Vec<_>>(),
            ),
            text(c[5], s.iter().map(|x| x.quarter.to_string()).collect()),
            Column::new(
                c[6].into(),
                s.iter().map(|x| u32::from(x.window)).collect::<Vec<_>>(),
            ),
            text(
                c[7],
                s.iter().map(|x| x.severity.code().to_string()).collect(),
            ),
            text(c[8], s.iter().map(|x| x.sentence_zh.clone()).collect()),
            text(c[9], s.iter().map(|x| x.sentence_en.clone()).collect()),
            num(c[10], s.iter().map(|x| x.evidence.observed).collect()),
            num(c[11], s.iter().map(|x| x.evidence.expected).collect()),
            num(c[12], s.iter().map(|x| x.evidence.statistic).collect()),
            num(c[13], s.iter().map(|x| x.evidence.p_value).collect()),
            num(c[14], s.iter().map(|x| x.evidence.q_value).collect()),
            num(c[15], s.iter().map(|x| x.evidence.threshold).collect()),
            Column::new(
                c[16].into(),
                s.iter()
                    .map(|x| x.evidence.n_tested as u32)
                    .collect::<Vec<_>>(),
            ),
            text(c[17], s.iter().map(|x| x.evidence.rule.clone()).collect()),
            text(
                c[18],
                s.iter().map(|x| x.severity.zh().to_string()).collect(),
            ),
            Column::new(
                c[19].into(),
                s.iter()
                    .map(|x| x.field.map(|f| f.code()))
                    .collect::<Vec<_>>(),
            ),
            text(
                c[20],
                s.iter().map(|x| history.of(x).code().to_string()).collect(),
            ),
            text(c[21], s.iter().map(|x| history.of(x).zh()).collect()),
            Column::new(
                c[22].into(),
                s.iter()
                    .map(|x| history.of(x).quarters_running())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                c[23].into(),
                s.iter().map(|x| x.subject).collect::<Vec<_>>(),
            ),
        ],
    )
}
