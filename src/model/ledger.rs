//! The two ledgers that close the loop after a flag (clauses 二十四 and
//! 二十六): what was done about each published flag, and the
//! discipline-inspection recommendations with their feedback and return
//! visits. Both are optional sources; an empty ledger is a ledger.

use chrono::NaiveDate;

use super::{FlagAction, FlagKind, KeyField, Quarter, Verdict};

/// One action on a flag (研判结果处置台账, one row).
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub action_id: String,
    /// The flag's id as published, when the ledger gives it.
    pub flag_id: Option<String>,
    pub unit_id: String,
    /// The flag's type and quarter, when the ledger names the flag by them.
    pub detector: Option<FlagKind>,
    pub flag_quarter: Option<Quarter>,
    pub action: FlagAction,
    pub sent_on: NaiveDate,
    pub reply_due: Option<NaiveDate>,
    pub replied_on: Option<NaiveDate>,
    pub verdict: Option<Verdict>,
    /// Untrusted text, escaped wherever it is written.
    pub note: String,
}

impl Action {
    /// Replied by `as_of` (a reply dated later is not known yet then).
    pub fn replied_by(&self, as_of: NaiveDate) -> Option<NaiveDate> {
        self.replied_on.filter(|d| *d <= as_of)
    }

    /// Days past its reply deadline at `as_of` with no reply; `None` when
    /// not overdue.
    pub fn days_overdue(&self, as_of: NaiveDate) -> Option<i64> {
        let due = self.reply_due?;
        (self.replied_by(as_of).is_none() && due < as_of).then(|| (as_of - due).num_days())
    }

    /// Replied on or before its deadline (`None`: no deadline or no reply
    /// yet at `as_of`).
    pub fn in_time(&self, as_of: NaiveDate) -> Option<bool> {
        Some(self.replied_by(as_of)? <= self.reply_due?)
    }
}

/// One discipline-inspection recommendation (纪检监察建议台账, one row).
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub id: String,
    pub unit_id: String,
    pub issued_on: NaiveDate,
    /// The key field or problem type, as written (untrusted text).
    pub subject: String,
    pub field: Option<KeyField>,
    /// The city leader it was copied to, as written.
    pub copied_to: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub feedback_on: Option<NaiveDate>,
    pub return_visit_on: Option<NaiveDate>,
    /// Counted in the year's assessment (纳入考核); `None`: not recorded.
    pub assessed: Option<bool>,
}

impl Recommendation {
    pub fn feedback_by(&self, as_of: NaiveDate) -> Option<NaiveDate> {
        self.feedback_on.filter(|d| *d <= as_of)
    }

    pub fn visited_by(&self, as_of: NaiveDate) -> Option<NaiveDate> {
        self.return_visit_on.filter(|d| *d <= as_of)
    }

    /// Open at `as_of`: issued, and not yet revisited.
    pub fn open(&self, as_of: NaiveDate) -> bool {
        self.issued_on <= as_of && self.visited_by(as_of).is_none()
    }
}

/// Both ledgers as the store holds them, through the report's quarter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    /// `None`: the pipeline has no dispositions source.
    pub actions: Option<Vec<Action>>,
    /// `None`: the pipeline has no recommendations source.
    pub recommendations: Option<Vec<Recommendation>>,
}
