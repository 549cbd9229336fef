//! Where each followed flag stands in the dispositions ledger (acted on,
//! answered, found), and each detector's yield: how often its flags were
//! acted on and borne out.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::continuity::RecordedFlag;
use super::loop_rules::{LoopSettings, actions_on};
use crate::model::ledger::Action;
use crate::model::{FlagAction, Quarter, Verdict};

/// Where a flag stands at the report's quarter's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// A notice past its reply deadline with no reply.
    ReplyOverdue,
    /// No action, and the action deadline has passed.
    NoAction,
    /// No action yet, within the deadline.
    Pending,
    /// Acted on; a reply is awaited.
    AwaitingReply,
    /// Acted on (and answered where a reply was asked), no finding yet.
    Acted,
    /// Checked, with a finding.
    Found(Verdict),
}

impl Standing {
    pub fn zh(self) -> String {
        match self {
            Standing::ReplyOverdue => "逾期未回复".into(),
            Standing::NoAction => "逾期未处置".into(),
            Standing::Pending => "待处置".into(),
            Standing::AwaitingReply => "已处置，待回复".into(),
            Standing::Acted => "已处置".into(),
            Standing::Found(v) => format!("已核实：{}", v.label_zh()),
        }
    }

    pub fn en(self) -> String {
        match self {
            Standing::ReplyOverdue => "reply overdue".into(),
            Standing::NoAction => "no action, overdue".into(),
            Standing::Pending => "awaiting action".into(),
            Standing::AwaitingReply => "acted on, reply awaited".into(),
            Standing::Acted => "acted on".into(),
            Standing::Found(v) => format!("checked: {}", v.label_en()),
        }
    }

    /// Overdue standings come first in the reports.
    pub fn overdue(self) -> bool {
        matches!(self, Standing::ReplyOverdue | Standing::NoAction)
    }
}

/// One followed flag with what the ledger records about it.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagStatus {
    pub flag: RecordedFlag,
    /// Recomputed from the tables: this quarter was not published here.
    pub recomputed: bool,
    /// Actions on it up to the quarter's end, oldest first.
    pub actions: Vec<Action>,
    pub standing: Standing,
    /// Every reply asked for came by its deadline (`None`: none asked or
    /// not all in yet).
    pub answered_in_time: Option<bool>,
}

impl FlagStatus {
    /// The latest action's measure.
    pub fn last_action(&self) -> Option<FlagAction> {
        self.actions.last().map(|a| a.action)
    }

    /// The latest finding recorded.
    pub fn verdict(&self) -> Option<Verdict> {
        self.actions.iter().rev().find_map(|a| a.verdict)
    }
}

/// The standing of every flag of a followed detector,
/// overdue first, then by quarter and id.
pub fn statuses(
    s: &LoopSettings,
    quarter: Quarter,
    followed: &[RecordedFlag],
    recomputed: &BTreeSet<Quarter>,
    actions: &[Action],
) -> Vec<FlagStatus> {
    let as_of = quarter.last_day();
    let ids: BTreeSet<&str> = followed.iter().map(|f| f.id.as_str()).collect();
    let mut out: Vec<FlagStatus> = followed
        .iter()
        .filter(|f| s.follows(&f.key.0))
        .map(|f| {
            let acts: Vec<Action> = actions_on(f, actions, &ids)
                .into_iter()
                .filter(|a| a.sent_on <= as_of)
                .cloned()
                .collect();
            let standing = standing(&acts, s.action_deadline(f.quarter), as_of);
            FlagStatus {
                answered_in_time: in_time(&acts, as_of),
                flag: f.clone(),
                recomputed: recomputed.contains(&f.quarter),
                actions: acts,
                standing,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (!a.standing.overdue(), a.flag.quarter, &a.flag.id).cmp(&(
            !b.standing.overdue(),
            b.flag.quarter,
            &b.flag.id,
        ))
    });
    out
}

fn standing(acts: &[Action], deadline: NaiveDate, as_of: NaiveDate) -> Standing {
    if acts.is_empty() {
        return if deadline < as_of {
            Standing::NoAction
        } else {
            Standing::Pending
        };
    }
    if let Some(v) = acts.iter().rev().find_map(|a| a.verdict) {
        return Standing::Found(v);
    }
    if acts.iter().any(|a| a.days_overdue(as_of).is_some()) {
        Standing::ReplyOverdue
    } else if acts
        .iter()
        .any(|a| a.reply_due.is_some() && a.replied_by(as_of).is_none())
    {
        Standing::AwaitingReply
    } else {
        Standing::Acted
    }
}

fn in_time(acts: &[Action], as_of: NaiveDate) -> Option<bool> {
    let asked: Vec<&Action> = acts.iter().filter(|a| a.reply_due.is_some()).collect();
    if asked.is_empty() {
        return None;
    }
    if asked.iter().any(|a| a.days_overdue(as_of).is_some()) {
        return Some(false);
    }
    let answered: Option<Vec<bool>> = asked.iter().map(|a| a.in_time(as_of)).collect();
    answered.map(|v| v.iter().all(|x| *x))
}

/// One detector's flags of one quarter and what became of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Yield {
    pub detector: String,
    pub quarter: Option<Quarter>,
    pub raised: usize,
    pub acted_on: usize,
    pub answered_in_time: usize,
    /// Findings by kind, in `Verdict::ALL` order.
    pub findings: [usize; 5],
}

/// The stages a flag goes through, in Chinese and English, as
/// [`Yield::stages`] counts them.
pub const STAGES: [(&str, &str); 4] = [
    ("提示", "flags"),
    ("已处置", "acted on"),
    ("按期回复", "answered in time"),
    ("属实或部分属实", "borne out"),
];

impl Yield {
    /// Raised, acted on, answered in time, borne out ([`STAGES`]).
    pub fn stages(&self) -> [usize; 4] {
        [
            self.raised,
            self.acted_on,
            self.answered_in_time,
            self.borne_out(),
        ]
    }

    /// Borne out in full or in part.
    pub fn borne_out(&self) -> usize {
        self.findings[0] + self.findings[1]
    }

    /// Flags with a finding other than 尚未查明.
    pub fn with_finding(&self) -> usize {
        self.findings[..4].iter().sum()
    }

    /// The share borne out among those with a finding (`None`: no finding).
    pub fn share_borne_out(&self) -> Option<f64> {
        let n = self.with_finding();
        (n > 0).then(|| self.borne_out() as f64 / n as f64)
    }

    fn add(&mut self, st: &FlagStatus) {
        self.raised += 1;
        self.acted_on += usize::from(!st.actions.is_empty());
        self.answered_in_time += usize::from(st.answered_in_time == Some(true));
        if let Some(v) = st.verdict() {
            self.findings[v as usize] += 1;
        }
    }
}

/// Per detector and quarter, then per detector over all followed quarters
/// (`quarter` empty), detectors in name order.
pub fn yields<'a>(statuses: impl IntoIterator<Item = &'a FlagStatus>) -> (Vec<Yield>, Vec<Yield>) {
    let mut per: BTreeMap<(String, Quarter), Yield> = BTreeMap::new();
    let mut total: BTreeMap<String, Yield> = BTreeMap::new();
    for st in statuses {
        let d = st.flag.key.0.clone();
        per.entry((d.clone(), st.flag.quarter))
            .or_insert_with(|| Yield {
                detector: d.clone(),
                quarter: Some(st.flag.quarter),
                ..Yield::default()
            })
            .add(st);
        total
            .entry(d.clone())
            .or_insert_with(|| Yield {
                detector: d,
                ..Yield::default()
            })
            .add(st);
    }
    (per.into_values().collect(), total.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FlagKind;

    fn q(s: &str) -> Quarter {
        s.parse().expect("quarter")
    }

    fn flag(unit: &str, quarter: &str) -> RecordedFlag {
        RecordedFlag {
            quarter: q(quarter),
            id: format!("{quarter}-{unit}"),
            key: ("concentration".into(), unit.into(), None, None, None),
            unit_name: unit.into(),
            sentence_zh: String::new(),
            sentence_en: String::new(),
        }
    }

    fn act(unit: &str, due: &str, replied: Option<&str>, v: Option<Verdict>) -> Action {
        Action {
            action_id: format!("A-{unit}"),
            flag_id: None,
            unit_id: unit.into(),
            detector: Some(FlagKind::Concentration),
            flag_quarter: Some(q("2024Q2")),
            action: FlagAction::Notice,
            sent_on: "2024-07-10".parse().expect("day"),
            reply_due: Some(due.parse().expect("day")),
            replied_on: replied.map(|d| d.parse().expect("day")),
            verdict: v,
            note: String::new(),
        }
    }

    #[test]
    fn standings_and_yield_follow_the_ledger() {
        let followed = [
            flag("A", "2024Q2"),
            flag("B", "2024Q2"),
            flag("C", "2024Q2"),
            flag("D", "2024Q2"),
            flag("E", "2024Q4"),
        ];
        let actions = [
            act("A", "2024-08-10", Some("2024-08-01"), Some(Verdict::True)),
            act("B", "2024-08-10", Some("2024-09-01"), Some(Verdict::Untrue)),
            act("C", "2024-08-10", None, None),
        ];
        let st = statuses(
            &LoopSettings::default(),
            q("2024Q4"),
            &followed,
            &BTreeSet::new(),
            &actions,
        );
        let by: BTreeMap<&str, Standing> = st
            .iter()
            .map(|s| (s.flag.key.1.as_str(), s.standing))
            .collect();
        assert_eq!(by["A"], Standing::Found(Verdict::True));
        assert_eq!(by["B"], Standing::Found(Verdict::Untrue));
        assert_eq!(by["C"], Standing::ReplyOverdue);
        assert_eq!(by["D"], Standing::NoAction);
        assert_eq!(by["E"], Standing::Pending, "its deadline is next year");
        assert!(st[0].standing.overdue() && st[1].standing.overdue());
        let (per, total) = yields(&st);
        assert_eq!(per.len(), 2);
        let t = &total[0];
        assert_eq!((t.raised, t.acted_on, t.answered_in_time), (5, 3, 1));
        assert_eq!((t.borne_out(), t.with_finding()), (1, 2));
        assert_eq!(t.share_borne_out(), Some(0.5));
    }
}
