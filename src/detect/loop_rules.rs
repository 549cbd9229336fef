//! Closing the loop (clauses 二十四 and 二十六): rules over the two ledgers
//! and the published flags, as of the report's quarter's last day.
//!
//! - `reply_overdue`: a notice past its reply deadline with no reply;
//! - `no_action`: a flag of the last `lookback_quarters` with no action
//!   recorded and more than `action_days` since its quarter ended;
//! - `feedback_overdue`: a recommendation past its feedback deadline with
//!   no feedback;
//! - `return_visit_missing`: feedback more than `return_visit_days` ago
//!   and no return visit;
//! - `not_copied`: an open recommendation not copied to the city leader
//!   whose portfolio holds the unit;
//! - `not_assessed`: in the fourth quarter, a recommendation of the year
//!   not counted in the year's assessment.
//!
//! Each overdue record is a [`LoopItem`]; a unit's items of one rule make
//! one flag, which names them. Rules, not tests: no p or q.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};

use super::continuity::RecordedFlag;
use super::{Outcome, Score};
use crate::model::ledger::{Action, Ledger, Recommendation};
use crate::model::{Evidence, Flag, FlagKind, Quarter, Severity, setting};

/// The rules, in the order their flags are listed.
pub const RULES: [FlagKind; 6] = [
    FlagKind::ReplyOverdue,
    FlagKind::NoAction,
    FlagKind::FeedbackOverdue,
    FlagKind::ReturnVisitMissing,
    FlagKind::NotCopied,
    FlagKind::NotAssessed,
];

/// The bounds of `[loop] action_days` and `return_visit_days`.
pub const DAYS: std::ops::RangeInclusive<u32> = 1..=730;
/// The bounds of `[loop] lookback_quarters`.
pub const LOOKBACK: std::ops::RangeInclusive<u32> = 1..=8;

/// The detectors whose flags are followed by default: those that point
/// at a unit for someone to look into. The rule flags (top-leader clues,
/// rectification) count overdue records already followed by their own
/// processes.
pub const FOLLOWED: [FlagKind; 7] = [
    FlagKind::Concentration,
    FlagKind::SubtreeRise,
    FlagKind::KeyField,
    FlagKind::CommonProblem,
    FlagKind::Prominent,
    FlagKind::Conversion,
    FlagKind::RiskScore,
];

/// Settings of `[loop]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopSettings {
    /// Days after a flag's quarter ends by which an action must be
    /// recorded (default 30).
    pub action_days: u32,
    /// Days after a recommendation's feedback by which the return visit
    /// (回访) must be made (default 180).
    pub return_visit_days: u32,
    /// Quarters before the report's whose flags are followed (default 4).
    pub lookback_quarters: u32,
    /// Flags raised while an item stays overdue this many days or more are
    /// high severity (default 90).
    pub high_from_days: u32,
    /// The detectors whose flags are followed (default [`FOLLOWED`]).
    pub detectors: Vec<FlagKind>,
}

impl Default for LoopSettings {
    fn default() -> Self {
        LoopSettings {
            action_days: 30,
            return_visit_days: 180,
            lookback_quarters: 4,
            high_from_days: 90,
            detectors: FOLLOWED.to_vec(),
        }
    }
}

impl LoopSettings {
    /// `[loop]`: each value given, or its default, within its bounds.
    pub fn configured(
        action_days: Option<u32>,
        return_visit_days: Option<u32>,
        lookback_quarters: Option<u32>,
        high_from_days: Option<u32>,
        detectors: Option<&[String]>,
    ) -> Result<Self, String> {
        let d = Self::default();
        let days = |key: &str, v: Option<u32>, default: u32| match v {
            None => Ok(default),
            Some(v) if DAYS.contains(&v) => Ok(v),
            Some(v) => Err(format!(
                "[loop] {key} = {v}: give {} to {} days",
                DAYS.start(),
                DAYS.end()
            )),
        };
        Ok(LoopSettings {
            action_days: days("action_days", action_days, d.action_days)?,
            return_visit_days: days("return_visit_days", return_visit_days, d.return_visit_days)?,
            high_from_days: days("high_from_days", high_from_days, d.high_from_days)?,
            lookback_quarters: setting::quarters(
                "[loop] lookback_quarters",
                lookback_quarters,
                d.lookback_quarters as usize,
                &LOOKBACK,
            )? as u32,
            detectors: match detectors {
                None => d.detectors,
                Some(names) => names
                    .iter()
                    .map(|n| {
                        FlagKind::ALL
                            .iter()
                            .copied()
                            .find(|k| k.code() == n && !RULES.contains(k))
                            .ok_or_else(|| {
                                format!(
                                    "[loop] detectors: no followed detector {n}; give some of {}",
                                    FOLLOWED
                                        .iter()
                                        .map(|k| k.code())
                                        .chain(["top_leader_clues", "rectification"])
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            })
                    })
                    .collect::<Result<_, _>>()?,
            },
        })
    }

    /// Whether flags of `detector` are followed.
    pub fn follows(&self, detector: &str) -> bool {
        self.detectors.iter().any(|k| k.code() == detector)
    }

    /// The quarters before `quarter` whose flags are followed, oldest first.
    pub fn followed(&self, quarter: Quarter) -> Vec<Quarter> {
        let n = self.lookback_quarters as i32;
        quarter.offset(-n).through(quarter.prev()).collect()
    }

    /// The day by which a flag of `quarter` must have an action.
    pub fn action_deadline(&self, quarter: Quarter) -> NaiveDate {
        quarter.last_day() + Days::new(u64::from(self.action_days))
    }
}

/// One overdue record: what a loop flag names.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopItem {
    pub rule: FlagKind,
    pub unit_id: String,
    /// The action, flag or recommendation id.
    pub record_id: String,
    /// The deadline missed (for `not_copied`: the day it was issued).
    pub since: NaiveDate,
    /// Days from `since` to the quarter's last day.
    pub days: i64,
    /// What the rule compared, e.g. the leader in charge for `not_copied`.
    pub detail: String,
}

/// What the loop rules read.
#[derive(Debug, Clone, Copy)]
pub struct LoopInput<'a> {
    pub quarter: Quarter,
    pub ledger: &'a Ledger,
    /// The flags published (or recomputed) for the followed quarters.
    pub followed: &'a [RecordedFlag],
    /// Each unit's portfolio (分管领导).
    pub portfolios: &'a BTreeMap<String, String>,
}

/// Every overdue record, by rule then unit then id.
pub fn items(s: &LoopSettings, input: &LoopInput<'_>) -> Vec<LoopItem> {
    let as_of = input.quarter.last_day();
    let mut out = Vec::new();
    if let Some(actions) = &input.ledger.actions {
        out.extend(actions.iter().filter_map(|a| reply_overdue(a, as_of)));
        out.extend(no_action(s, input.quarter, input.followed, actions));
    }
    if let Some(recs) = &input.ledger.recommendations {
        out.extend(recommendation_items(s, input, recs));
    }
    out.sort_by(|a, b| (a.rule, &a.unit_id, &a.record_id).cmp(&(b.rule, &b.unit_id, &b.record_id)));
    out
}

fn item(rule: FlagKind, unit: &str, id: &str, since: NaiveDate, as_of: NaiveDate) -> LoopItem {
    LoopItem {
        rule,
        unit_id: unit.to_string(),
        record_id: id.to_string(),
        since,
        days: (as_of - since).num_days(),
        detail: String::new(),
    }
}

fn reply_overdue(a: &Action, as_of: NaiveDate) -> Option<LoopItem> {
    a.days_overdue(as_of)?;
    let due = a.reply_due?;
    Some(item(
        FlagKind::ReplyOverdue,
        &a.unit_id,
        &a.action_id,
        due,
        as_of,
    ))
}

/// The actions recorded for `flag`: by its id, or by unit, type and
/// quarter when the ledger names no published flag's id.
pub fn actions_on<'a>(
    flag: &RecordedFlag,
    actions: &'a [Action],
    known_ids: &BTreeSet<&str>,
) -> Vec<&'a Action> {
    actions
        .iter()
        .filter(|a| match a.flag_id.as_deref() {
            Some(id) if known_ids.contains(id) => id == flag.id,
            _ => {
                a.unit_id == flag.key.1
                    && a.flag_quarter == Some(flag.quarter)
                    && a.detector.is_some_and(|d| d.code() == flag.key.0)
            }
        })
        .collect()
}

fn no_action(
    s: &LoopSettings,
    quarter: Quarter,
    followed: &[RecordedFlag],
    actions: &[Action],
) -> Vec<LoopItem> {
    let as_of = quarter.last_day();
    let ids: BTreeSet<&str> = followed.iter().map(|f| f.id.as_str()).collect();
    followed
        .iter()
        .filter(|f| f.quarter < quarter && s.follows(&f.key.0))
        .filter(|f| s.action_deadline(f.quarter) < as_of)
        .filter(|f| {
            actions_on(f, actions, &ids)
                .iter()
                .all(|a| a.sent_on > as_of)
        })
        .map(|f| {
            item(
                FlagKind::NoAction,
                &f.key.1,
                &f.id,
                s.action_deadline(f.quarter),
                as_of,
            )
        })
        .collect()
}

/// Folds a leader's title for comparison: no spaces or punctuation.
fn folded(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn recommendation_items(
    s: &LoopSettings,
    input: &LoopInput<'_>,
    recs: &[Recommendation],
) -> Vec<LoopItem> {
    let q = input.quarter;
    let as_of = q.last_day();
    let copies_recorded = recs.iter().any(|r| r.copied_to.is_some());
    let assessment_recorded = recs.iter().any(|r| r.assessed.is_some());
    let mut out = Vec::new();
    for r in recs.iter().filter(|r| r.issued_on <= as_of) {
        let at = |rule, since| item(rule, &r.unit_id, &r.id, since, as_of);
        if let Some(due) = r.due_on
            && due < as_of
            && r.feedback_by(as_of).is_none()
        {
            out.push(at(FlagKind::FeedbackOverdue, due));
        }
        if let Some(fed) = r.feedback_by(as_of) {
            let visit_by = fed + Days::new(u64::from(s.return_visit_days));
            if visit_by < as_of && r.visited_by(as_of).is_none() {
                out.push(at(FlagKind::ReturnVisitMissing, visit_by));
            }
        }
        let leader = input.portfolios.get(&r.unit_id).filter(|p| !p.is_empty());
        if copies_recorded
            && r.open(as_of)
            && let Some(leader) = leader
        {
            let copied = r.copied_to.as_deref().map(folded).unwrap_or_default();
            let wanted = folded(leader);
            if copied.is_empty() || !(copied.contains(&wanted) || wanted.contains(&copied)) {
                let mut i = at(FlagKind::NotCopied, r.issued_on);
                i.detail = leader.clone();
                out.push(i);
            }
        }
        if assessment_recorded
            && q.number() == 4
            && r.issued_on.format("%Y").to_string() == q.year().to_string()
            && r.assessed != Some(true)
        {
            out.push(at(FlagKind::NotAssessed, r.issued_on));
        }
    }
    out
}

/// The loop rules' flags and scores: one flag per unit and rule, naming
/// its items. `names` gives each unit's name.
pub fn flags(
    s: &LoopSettings,
    quarter: Quarter,
    items: &[LoopItem],
    names: &BTreeMap<String, String>,
) -> Outcome {
    let mut by: BTreeMap<(FlagKind, &str), Vec<&LoopItem>> = BTreeMap::new();
    for i in items {
        by.entry((i.rule, i.unit_id.as_str())).or_default().push(i);
    }
    let mut out = Outcome::default();
    for ((rule, unit), its) in by {
        let name = names.get(unit).cloned().unwrap_or_else(|| unit.to_string());
        let n = its.len();
        let longest = its.iter().map(|i| i.days).max().unwrap_or(0);
        out.scores.push(Score::rule(
            rule.code(),
            unit,
            &name,
            quarter,
            n as f64,
            0.0,
            true,
        ));
        let (zh, en) = sentence(s, rule, quarter, &its);
        out.flags.push(Flag {
            detector: rule.code(),
            unit_id: unit.to_string(),
            unit_name: name.clone(),
            person_id: None,
            field: None,
            subject: None,
            quarter,
            window: 1,
            severity: if longest >= i64::from(s.high_from_days) {
                Severity::High
            } else {
                Severity::Medium
            },
            sentence_zh: format!("{name}{quarter}{zh}"),
            sentence_en: format!("{name} {quarter}: {en}"),
            evidence: Evidence {
                observed: n as f64,
                expected: 0.0,
                statistic: longest as f64,
                p_value: f64::NAN,
                q_value: f64::NAN,
                threshold: 1.0,
                n_tested: 0,
                rule: rule_text(s, rule),
            },
        });
    }
    out
}

/// At most five ids, then how many more.
fn listed(its: &[&LoopItem]) -> String {
    let mut ids: Vec<&str> = its.iter().take(5).map(|i| i.record_id.as_str()).collect();
    let more = its.len().saturating_sub(5);
    if more > 0 {
        ids.push("…");
    }
    ids.join("、")
}

fn sentence(s: &LoopSettings, rule: FlagKind, q: Quarter, its: &[&LoopItem]) -> (String, String) {
    let n = its.len();
    let ids = listed(its);
    let d = its.iter().map(|i| i.days).max().unwrap_or(0);
    match rule {
        FlagKind::ReplyOverdue => (
            format!("有{n}份督促通知逾期未回复（{ids}），最长已逾期{d}天。"),
            format!(
                "{n} notices past their reply deadline with no reply ({ids}), the longest by {d} days."
            ),
        ),
        FlagKind::NoAction => (
            format!(
                "有{n}条研判预警发布超过{}天仍无处置记录（{ids}）。",
                s.action_days
            ),
            format!(
                "{n} flags with no action recorded {} days after their quarter ({ids}).",
                s.action_days
            ),
        ),
        FlagKind::FeedbackOverdue => (
            format!("有{n}份纪检监察建议逾期未反馈（{ids}），最长已逾期{d}天。"),
            format!(
                "{n} recommendations past their feedback deadline ({ids}), the longest by {d} days."
            ),
        ),
        FlagKind::ReturnVisitMissing => (
            format!(
                "有{n}份纪检监察建议反馈后超过{}天未回访（{ids}）。",
                s.return_visit_days
            ),
            format!(
                "{n} recommendations not revisited {} days after feedback ({ids}).",
                s.return_visit_days
            ),
        ),
        FlagKind::NotCopied => {
            let leader = its.first().map(|i| i.detail.as_str()).unwrap_or("");
            (
                format!("有{n}份纪检监察建议未抄送分管市领导（{leader}）（{ids}）。"),
                format!(
                    "{n} recommendations not copied to the leader in charge ({leader}) ({ids})."
                ),
            )
        }
        _ => (
            format!(
                "有{n}份{}年纪检监察建议的落实情况未纳入年度考核（{ids}）。",
                q.year()
            ),
            format!(
                "{n} recommendations of {} not counted in the year's assessment ({ids}).",
                q.year()
            ),
        ),
    }
}

/// The rule in words, for the evidence and `yanpan explain`.
pub fn rule_text(s: &LoopSettings, rule: FlagKind) -> String {
    match rule {
        FlagKind::ReplyOverdue => "a notice past its reply deadline (回复期限) with no reply at quarter end".into(),
        FlagKind::NoAction => format!(
            "a flag of the last {} quarters by a followed detector ([loop] detectors) with no action \
             recorded {} days after its quarter ended",
            s.lookback_quarters, s.action_days
        ),
        FlagKind::FeedbackOverdue => "a recommendation past its feedback deadline (反馈期限) with no feedback at quarter end".into(),
        FlagKind::ReturnVisitMissing => format!(
            "a recommendation answered more than {} days before quarter end and not revisited (回访)",
            s.return_visit_days
        ),
        FlagKind::NotCopied => "an open recommendation not copied to the city leader whose portfolio holds the unit (units' 分管领导)".into(),
        _ => "in the fourth quarter, a recommendation of the year not counted in the year's assessment (纳入考核)".into(),
    }
}

/// `yanpan explain` for a loop rule, with `s` in force.
pub fn explain(s: &LoopSettings, rule: FlagKind) -> super::Explanation {
    let example: Vec<LoopItem> = vec![LoopItem {
        rule,
        unit_id: "U1".into(),
        record_id: "JY-2024-017".into(),
        since: NaiveDate::MIN,
        days: 46,
        detail: "市委常委、常务副市长".into(),
    }];
    let refs: Vec<&LoopItem> = example.iter().collect();
    let q = Quarter::of(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default());
    let (zh, en) = sentence(s, rule, q, &refs);
    super::Explanation {
        method: format!(
            "A rule, not a test, over the dispositions (研判结果处置台账) and recommendations\n\
             (纪检监察建议台账) ledgers as of the quarter's last day: {}.\n\
             A date after the quarter's end is not known yet then. One flag per unit names its\n\
             records; p and q are empty. Its weight in the risk score is in\n\
             [detect.risk_score] weights.{}.",
            rule_text(s, rule),
            rule.code()
        ),
        settings: vec![
            ("[loop] action_days".into(), s.action_days.to_string()),
            (
                "[loop] return_visit_days".into(),
                s.return_visit_days.to_string(),
            ),
            (
                "[loop] lookback_quarters".into(),
                s.lookback_quarters.to_string(),
            ),
            ("[loop] high_from_days".into(), s.high_from_days.to_string()),
            (
                "[loop] detectors".into(),
                s.detectors
                    .iter()
                    .map(|k| k.code())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ],
        example: format!("某单位{q}{zh}\nSome unit {q}: {en}"),
    }
}

#[cfg(test)]
mod tests;
