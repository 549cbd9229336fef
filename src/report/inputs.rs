//! What the thematic reports share: their inputs, and small readers of the
//! unit × quarter table. Pure.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::wording::Wording;
pub use crate::aggregate::unit_rows::{UnitRow, unit_rows};
use crate::model::{Flag, Quarter, UnitLevel};
use crate::render::unit_charts::ClueDays;

/// A follow-up measure the policy provides for problem units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Measure {
    /// 谈话提醒
    TalkReminder,
    /// 约谈
    Interview,
    /// 回头看
    FollowUpInspection,
    /// 专项督查
    SpecialSupervision,
}

impl Measure {
    pub const ALL: [Measure; 4] = [
        Measure::TalkReminder,
        Measure::Interview,
        Measure::FollowUpInspection,
        Measure::SpecialSupervision,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Measure::TalkReminder => "talk_reminder",
            Measure::Interview => "interview",
            Measure::FollowUpInspection => "follow_up_inspection",
            Measure::SpecialSupervision => "special_supervision",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == s.trim())
    }
}

/// When a measure is proposed for a problem unit: its risk score reaches
/// `min_score` and (if any are named) one of `detectors` flagged it.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUpRule {
    pub measure: Measure,
    pub min_score: f64,
    pub detectors: Vec<String>,
}

impl FollowUpRule {
    /// The rules used when the pipeline file gives none, for a risk-score
    /// threshold `t`: a talk at the threshold, an interview at twice it, a
    /// follow-up inspection where rectification lags, a special inspection
    /// where a key field carries risk at twice the threshold.
    pub fn defaults(t: f64) -> Vec<Self> {
        let rule = |measure, min_score, detectors: &[&str]| FollowUpRule {
            measure,
            min_score,
            detectors: detectors.iter().map(|d| d.to_string()).collect(),
        };
        vec![
            rule(Measure::TalkReminder, t, &[]),
            rule(Measure::Interview, 2.0 * t, &[]),
            rule(Measure::FollowUpInspection, t, &["rectification"]),
            rule(Measure::SpecialSupervision, 2.0 * t, &["key_field"]),
        ]
    }
}

/// What every thematic report is built from.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub quarter: Quarter,
    /// Quarters shown in trend tables, oldest first, ending at `quarter`.
    pub quarters: &'a [Quarter],
    pub site: &'a str,
    pub wording: &'a Wording,
    /// Each unit's own figures (unit × quarter).
    pub own: &'a DataFrame,
    pub flags: &'a [Flag],
    pub clue_days: &'a [ClueDays],
    pub deadline_days: u32,
    pub follow_up: &'a [FollowUpRule],
    /// Chart paths relative to the report file: `../charts/<id>.png`.
    pub chart_dir: &'a str,
    /// Names the scope of a portfolio packet ("" for the whole city).
    pub scope: &'a str,
    /// Leaders in office at the quarter's end, for the rotation watch.
    pub tenures: &'a [super::rotation::Tenure],
    pub rotation: super::rotation::RotationRules,
    /// What became of each unit's petitions, by petition quarter (the
    /// units in scope).
    pub chain: &'a [crate::aggregate::chain::ChainRow],
    /// Units the concentration detector did not test, by reason code
    /// (citywide).
    pub not_tested: &'a BTreeMap<&'static str, usize>,
    /// Each flag's id and standing against the flags published before.
    pub history: &'a crate::detect::continuity::FlagHistory,
    /// What became of earlier flags, and the overdue ledger records.
    pub followed: &'a crate::detect::follow::FollowUp,
    /// Each unit's portfolio (分管领导).
    pub portfolios: &'a BTreeMap<String, String>,
}

impl Inputs<'_> {
    pub fn chart(&self, id: &str) -> String {
        format!("{}/{id}.png", self.chart_dir)
    }
    pub fn zh(&self) -> bool {
        self.wording.language() == crate::model::Language::Zh
    }
    pub fn quarter_label(&self, q: Quarter) -> String {
        if self.zh() {
            q.label_zh()
        } else {
            q.to_string()
        }
    }
    pub fn dateline(&self) -> String {
        let d = self.quarter.last_day();
        self.wording.t(
            "common.dateline",
            &[(
                "date",
                &if self.zh() {
                    d.format("%Y年%-m月%-d日").to_string()
                } else {
                    d.to_string()
                },
            )],
        )
    }
    pub fn level_label(&self, code: &str) -> String {
        UnitLevel::parse(code).map_or(code.to_string(), |l| {
            if self.zh() {
                l.label_zh()
            } else {
                l.label_en()
            }
            .to_string()
        })
    }
    /// The flags of `detector` in the quarter.
    pub fn flags_of(&self, detector: &str) -> Vec<&Flag> {
        self.flags
            .iter()
            .filter(|f| f.detector == detector && f.quarter == self.quarter)
            .collect()
    }
    /// The flag's sentence, its id and its standing: "…。（编号
    /// 2024Q4-3f9a2c1b7d，连续第2个季度）".
    pub fn sentence(&self, f: &Flag) -> String {
        let id = crate::detect::continuity::flag_id(f);
        let standing = self.history.of(f);
        if self.zh() {
            format!("{}（编号{id}，{}）", f.sentence_zh, standing.zh())
        } else {
            format!("{} (id {id}, {})", f.sentence_en, standing.en())
        }
    }
}

/// Sums of each column per quarter, in `quarters` order.
pub fn sums(rows: &[UnitRow], quarters: &[Quarter], width: usize) -> Vec<Vec<f64>> {
    let mut by: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for r in rows {
        let s = by
            .entry(r.quarter.as_str())
            .or_insert_with(|| vec![0.0; width]);
        for (a, v) in s.iter_mut().zip(&r.values) {
            *a += v;
        }
    }
    quarters
        .iter()
        .map(|q| {
            by.get(q.to_string().as_str())
                .cloned()
                .unwrap_or_else(|| vec![0.0; width])
        })
        .collect()
}

/// A count as text.
pub fn n(v: f64) -> String {
    format!("{v:.0}")
}

/// `part` as a percentage of `whole` ("–" when the whole is 0).
pub fn pct(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1}%", part / whole * 100.0)
    } else {
        "–".into()
    }
}

/// The median of `v` (0 when empty).
pub fn median(mut v: Vec<f64>) -> f64 {
    crate::aggregate::unit_rows::median(&mut v).unwrap_or(0.0)
}
