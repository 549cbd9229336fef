//! Rectification supervision: inspection findings past their due date and
//! not rectified at quarter end (long-term items excluded).

use polars::prelude::PolarsResult;

use super::rule::MustBeZero;
use super::{DetectInput, Detector, Outcome};
use crate::aggregate::stocks::RECT_OVERDUE;

pub const NAME: &str = "rectification";

#[derive(Debug, Clone, Copy)]
pub struct Rectification;

impl Detector for Rectification {
    fn name(&self) -> &'static str {
        NAME
    }

    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
        rule().detect(input)
    }

    fn explain(&self) -> super::Explanation {
        rule().explanation(Vec::new())
    }
}

fn rule() -> MustBeZero {
    MustBeZero {
            detector: NAME,
            column: RECT_OVERDUE,
            high_from: 5,
            rule: "every inspection finding past its rectification due date and not done at quarter end (long-term items excluded); high from 5".into(),
            zh: "末有{n}个巡视巡察发现问题超过整改期限仍未整改完成。".into(),
            en: "{n} inspection finding(s) past their rectification due date and not done at quarter end.".into(),
    }
}
