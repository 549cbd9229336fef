//! Top-leader clue priority (严查快办): clues about a unit's top leader
//! still undisposed at quarter end, longer than the deadline after receipt.

use polars::prelude::PolarsResult;

use super::rule::MustBeZero;
use super::{DetectInput, Detector, Outcome};
use crate::aggregate::stocks::TOP_LEADER_OVERDUE;

pub const NAME: &str = "top_leader_clues";

#[derive(Debug, Clone)]
pub struct TopLeaderClues {
    /// 严查快办 deadline in days (the aggregation's setting).
    pub deadline_days: u32,
}

impl Detector for TopLeaderClues {
    fn name(&self) -> &'static str {
        NAME
    }

    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
        self.rule().detect(input)
    }

    fn explain(&self) -> super::Explanation {
        self.rule().explanation(vec![(
            "[aggregate] top_leader_clue_deadline_days".into(),
            self.deadline_days.to_string(),
        )])
    }
}

impl TopLeaderClues {
    fn rule(&self) -> MustBeZero {
        let d = self.deadline_days;
        MustBeZero {
            detector: NAME,
            column: TOP_LEADER_OVERDUE,
            high_from: 1,
            rule: format!(
                "every clue about a top leader still undisposed at quarter end more than {d} days after receipt (严查快办)"
            ),
            zh: format!(
                "末有{{n}}件反映主要负责人的问题线索受理超过{d}天仍未处置，应按严查快办要求优先处置。"
            ),
            en: format!(
                "{{n}} clue(s) about the top leader undisposed more than {d} days after receipt at quarter end; to be handled first."
            ),
        }
    }
}
