//! Detect: flags, each with its evidence, and the scores of everything
//! tested. One file per detector behind the [`Detector`] trait; the list of
//! detectors is [`detectors`].

pub mod behind;
pub mod common_problem;
pub mod concentration;
pub mod continuity;
pub mod conversion;
pub mod expectation;
pub mod follow;
pub mod follow_status;
pub mod follow_tables;
pub mod key_field;
pub mod loop_rules;
pub mod panel;
pub mod prominent;
pub mod rectification;
pub mod risk_score;
mod rule;
pub mod stats;
pub mod subtree_rise;
pub mod tables;
pub mod top_leader_clues;

use polars::prelude::PolarsResult;

use crate::aggregate::UnitQuarter;
pub use crate::model::Explanation;
use crate::model::{Flag, Quarter};
pub use concentration::Concentration;

/// The quarters a detector's window or history may span (the pipeline
/// file's bounds for `window_quarters`, `history_quarters` and
/// `min_quarters`; the tables always hold what the settings read).
pub const QUARTERS: std::ops::RangeInclusive<u32> = 1..=20;

/// What every detector reads.
#[derive(Debug)]
pub struct DetectInput<'a> {
    /// Each unit's own figures.
    pub unit_quarter: &'a UnitQuarter,
    /// Each node of the unit tree with the units below it.
    pub rollup: &'a UnitQuarter,
    /// Per leader and quarter: what names them.
    pub person_quarter: &'a polars::prelude::DataFrame,
    pub quarter: Quarter,
}

/// A unit × quarter tested by a detector, flagged or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub detector: &'static str,
    pub unit_id: String,
    pub unit_name: String,
    /// The peer group it was compared within (its level).
    pub group: String,
    pub quarter: Quarter,
    /// Quarters in the window reported (the one with the smallest p).
    pub window: u8,
    pub observed: f64,
    pub expected_peer: f64,
    pub expected_history: f64,
    /// Shrunk relative risk against peers, with its 90% interval.
    pub rr: f64,
    pub rr_lo: f64,
    pub rr_hi: f64,
    pub p_peer: f64,
    pub p: f64,
    pub q: f64,
    /// 1 = smallest p among those tested in the quarter.
    pub rank: usize,
    pub flagged: bool,
    /// Each window's evidence, for detectors that look at several.
    pub windows: Vec<WindowScore>,
    /// Why the unit was not tested (no p then), for detectors that say.
    pub not_tested: Option<&'static str>,
}

/// One window's evidence in a [`Score`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowScore {
    pub quarters: u8,
    pub observed: f64,
    pub expected: f64,
    pub p: f64,
}

impl Score {
    /// A unit's score with nothing measured yet: every figure empty (NaN),
    /// a one-quarter window, not flagged; detectors fill in what they have.
    pub fn blank(
        detector: &'static str,
        unit_id: &str,
        unit_name: &str,
        quarter: Quarter,
    ) -> Score {
        Score {
            detector,
            unit_id: unit_id.to_string(),
            unit_name: unit_name.to_string(),
            group: String::new(),
            quarter,
            window: 1,
            observed: f64::NAN,
            expected_peer: f64::NAN,
            expected_history: f64::NAN,
            rr: f64::NAN,
            rr_lo: f64::NAN,
            rr_hi: f64::NAN,
            p_peer: f64::NAN,
            p: f64::NAN,
            q: f64::NAN,
            rank: 0,
            flagged: false,
            windows: Vec::new(),
            not_tested: None,
        }
    }

    /// The score of a rule (no test): the count it saw against the level
    /// it is held to, no p or q.
    pub fn rule(
        detector: &'static str,
        unit_id: &str,
        unit_name: &str,
        quarter: Quarter,
        observed: f64,
        threshold: f64,
        flagged: bool,
    ) -> Score {
        Score {
            observed,
            expected_peer: threshold,
            expected_history: threshold,
            flagged,
            ..Score::blank(detector, unit_id, unit_name, quarter)
        }
    }
}

/// The names of the `n` quarters ending at `last`, oldest first.
pub fn window(last: Quarter, n: usize) -> Vec<String> {
    last.offset(1 - n as i32)
        .through(last)
        .map(|q| q.to_string())
        .collect()
}

/// What a detector found: every score, and the flags among them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub scores: Vec<Score>,
    pub flags: Vec<Flag>,
}

/// A detector: a pure function from the tables to scores and flags.
pub trait Detector {
    fn name(&self) -> &'static str;
    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome>;
    /// For `yanpan explain`: the method, the settings in force, an example.
    fn explain(&self) -> Explanation;
}

/// The settings of every detector.
#[derive(Debug, Clone, Default)]
pub struct DetectSettings {
    pub concentration: concentration::ConcentrationSettings,
    pub subtree_rise: subtree_rise::SubtreeSettings,
    pub key_field: key_field::KeyFieldRisk,
    pub common_problem: common_problem::CommonProblem,
    pub prominent: prominent::ProminentComplaints,
    pub conversion: conversion::LowConversion,
    pub deadline_days: u32,
    pub risk_score: risk_score::RiskScore,
    /// `[loop]`: the rules that follow flags and recommendations.
    pub loop_rules: loop_rules::LoopSettings,
}

impl DetectSettings {
    /// The defaults of the pipeline file.
    pub fn defaults() -> DetectSettings {
        DetectSettings {
            deadline_days: crate::aggregate::TOP_LEADER_CLUE_DEADLINE_DAYS,
            ..Default::default()
        }
    }
}

/// The detectors whose flags the risk score weighs, in the order a run
/// applies them.
pub const FLAGGING_DETECTORS: [&str; 14] = [
    concentration::NAME,
    subtree_rise::NAME,
    key_field::NAME,
    common_problem::NAME,
    prominent::NAME,
    top_leader_clues::NAME,
    rectification::NAME,
    conversion::NAME,
    "reply_overdue",
    "no_action",
    "feedback_overdue",
    "return_visit_missing",
    "not_copied",
    "not_assessed",
];

/// The detectors, in order (the risk score comes after them: it reads
/// their flags).
pub fn detectors(s: &DetectSettings) -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(Concentration {
            settings: s.concentration.clone(),
        }),
        Box::new(subtree_rise::SubtreeRise {
            settings: s.subtree_rise.clone(),
            concentration: s.concentration.clone(),
        }),
        Box::new(s.key_field.clone()),
        Box::new(s.common_problem.clone()),
        Box::new(s.prominent.clone()),
        Box::new(top_leader_clues::TopLeaderClues {
            deadline_days: s.deadline_days,
        }),
        Box::new(rectification::Rectification),
        Box::new(s.conversion.clone()),
    ]
}

impl DetectSettings {
    /// The quarters, ending at the reported one, that the detectors read:
    /// the tables must hold them all, or a history would be cut short.
    pub fn quarters_read(&self) -> usize {
        [
            self.concentration.quarters_read(),
            // The quarter and the history before it.
            self.common_problem.history_quarters + 1,
            self.key_field.window_quarters,
            self.prominent.window_quarters,
            self.conversion.window_quarters,
        ]
        .into_iter()
        .max()
        .unwrap_or(1)
    }
}

/// Refuses tables that hold fewer than `needed` quarters up to `quarter`:
/// a detector's history is never cut short without a word.
pub fn check_span(
    detector: &str,
    panel: &panel::Panel,
    quarter: Quarter,
    needed: usize,
) -> PolarsResult<()> {
    let held = panel.index(quarter).map_or(0, |t| t + 1);
    if held >= needed || held == 0 {
        return Ok(());
    }
    Err(polars::prelude::PolarsError::ComputeError(
        format!(
            "the tables hold {held} quarters up to {quarter}, and {detector} reads {needed}: aggregate for the quarters the detectors read (yanpan explain {detector} prints them)"
        )
        .into(),
    ))
}

/// The detect stage's output: every score, the flags among them, each
/// flag's standing against the flags published before, and the follow-up
/// of the flags and recommendations of the quarters before.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detected {
    pub scores: Vec<Score>,
    pub flags: Vec<Flag>,
    pub history: continuity::FlagHistory,
    pub follow_up: follow::FollowUp,
}

impl Detected {
    /// How many units `detector` did not test, by the reason's code.
    pub fn not_tested(&self, detector: &str) -> std::collections::BTreeMap<&'static str, usize> {
        let mut per = std::collections::BTreeMap::new();
        for s in self.scores.iter().filter(|s| s.detector == detector) {
            if let Some(why) = s.not_tested {
                *per.entry(why).or_default() += 1;
            }
        }
        per
    }

    /// How many flags each detector raised.
    pub fn flags_per_detector(&self) -> std::collections::BTreeMap<String, usize> {
        let mut per = std::collections::BTreeMap::new();
        for f in &self.flags {
            *per.entry(f.detector.to_string()).or_default() += 1;
        }
        per
    }
}

/// The detect stage: every detector over the tables for their quarter,
/// the loop rules over the ledgers, the risk score over all their flags,
/// each flag set against `record`, the flags published before.
pub fn detect_stage(
    s: &DetectSettings,
    tables: &crate::aggregate::Tables,
    record: &[continuity::RecordedFlag],
) -> PolarsResult<Detected> {
    let mut o = detect_each(
        s,
        &DetectInput {
            unit_quarter: &tables.unit_quarter,
            rollup: &tables.rollup,
            person_quarter: &tables.person_quarter,
            quarter: tables.quarter,
        },
    )?;
    let (looped, follow_up) = follow::follow(s, tables, record)?;
    o.scores.extend(looped.scores);
    o.flags.extend(looped.flags);
    let risk = s.risk_score.score(&o.flags, tables.quarter);
    o.scores.extend(risk.scores);
    o.flags.extend(risk.flags);
    Ok(Detected {
        history: continuity::history(&o.flags, tables.quarter, record),
        scores: o.scores,
        flags: o.flags,
        follow_up,
    })
}

/// Runs every detector, then the risk score over their flags.
pub fn detect(s: &DetectSettings, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
    let mut all = detect_each(s, input)?;
    let risk = s.risk_score.score(&all.flags, input.quarter);
    all.scores.extend(risk.scores);
    all.flags.extend(risk.flags);
    Ok(all)
}

/// Every detector over the tables, without the risk score.
fn detect_each(s: &DetectSettings, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
    let mut all = Outcome::default();
    for d in detectors(s) {
        let o = d.detect(input)?;
        all.scores.extend(o.scores);
        all.flags.extend(o.flags);
    }
    Ok(all)
}

/// `yanpan explain NAME`: any detector, or the risk score.
pub fn explain(s: &DetectSettings, name: &str) -> Option<Explanation> {
    if name == risk_score::NAME {
        return Some(s.risk_score.explain());
    }
    if let Some(rule) = loop_rules::RULES.iter().find(|r| r.code() == name) {
        return Some(loop_rules::explain(&s.loop_rules, *rule));
    }
    detectors(s)
        .iter()
        .find(|d| d.name() == name)
        .map(|d| d.explain())
}
