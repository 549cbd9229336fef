//! Rectification supervision: inspection findings past their due date and
//! not rectified at quarter end (long-term items excluded), and problems
//! found again at a follow-up inspection (回头看).

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
        let mut out = rule().detect(input)?;
        let again = repeated().detect(input)?;
        out.scores.extend(again.scores);
        out.flags.extend(again.flags);
        Ok(out)
    }

    fn explain(&self) -> super::Explanation {
        let mut e = rule().explanation(Vec::new());
        let r = repeated().explanation(Vec::new());
        e.method = format!("{}\nAnd: {}", e.method, r.method);
        e.example = format!("{}\n{}", e.example, r.example);
        e
    }
}

/// Problems found again at a follow-up inspection (回头看).
fn repeated() -> MustBeZero {
    MustBeZero {
        detector: NAME,
        column: crate::aggregate::follow_up::REPEATED,
        high_from: 1,
        rule: "every follow-up (回头看) finding in a key field where an earlier inspection had found a problem at the unit (always high)".into(),
        zh: "回头看发现{n}个此前巡视巡察已发现的同类问题再次出现，整改不到位。".into(),
        en: "the follow-up inspection found {n} problem(s) again in fields where earlier inspections had found them; rectification did not hold.".into(),
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
