//! Flags decided by a stated rule rather than a test: a count in the unit ×
//! quarter table that must be zero (top-leader clues past the deadline,
//! rectifications overdue). Every unit with a positive count is flagged;
//! there is no p-value, and the evidence says so.

use polars::prelude::*;

use super::{DetectInput, Outcome, Score};
use crate::aggregate::uq;
use crate::model::{Evidence, Flag, Severity};

/// A count that must be zero at quarter end.
#[derive(Debug, Clone)]
pub struct MustBeZero {
    pub detector: &'static str,
    /// The unit × quarter column (each unit's own records).
    pub column: &'static str,
    /// Counts at or above this are high severity.
    pub high_from: u32,
    pub rule: String,
    /// The sentence after the unit and quarter, with `{n}` for the count.
    pub zh: String,
    pub en: String,
}

impl MustBeZero {
    /// `yanpan explain` for a rule, with `settings` in force.
    pub fn explanation(&self, settings: Vec<(String, String)>) -> super::Explanation {
        super::Explanation {
            method: format!(
                "A rule, not a test: {}. Every unit with a positive count at the end of the\n\
                 report's quarter is flagged; p and q are empty.",
                self.rule
            ),
            settings,
            example: format!(
                "某单位2024Q4{}\nSome unit 2024Q4: {}",
                self.zh.replace("{n}", "2"),
                self.en.replace("{n}", "2")
            ),
        }
    }

    pub fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
        let df = &input.unit_quarter.0;
        let quarter = input.quarter.to_string();
        let (id, name, q) = (
            df.column(uq::UNIT_ID)?.str()?,
            df.column(uq::NAME)?.str()?,
            df.column(uq::QUARTER)?.str()?,
        );
        let n = df.column(self.column)?.cast(&DataType::UInt32)?;
        let n = n.u32()?;
        let mut out = Outcome::default();
        for i in 0..df.height() {
            let (Some(unit), Some(count)) = (id.get(i), n.get(i)) else {
                continue;
            };
            if q.get(i) != Some(quarter.as_str()) || count == 0 {
                continue;
            }
            let unit_name = name.get(i).unwrap_or(unit).to_string();
            let observed = f64::from(count);
            out.scores.push(Score::rule(
                self.detector,
                unit,
                &unit_name,
                input.quarter,
                observed,
                0.0,
                true,
            ));
            let fill = |t: &str| t.replace("{n}", &count.to_string());
            out.flags.push(Flag {
                detector: self.detector,
                unit_id: unit.to_string(),
                unit_name: unit_name.clone(),
                person_id: None,
                field: None,
                subject: None,
                quarter: input.quarter,
                window: 1,
                severity: if count >= self.high_from {
                    Severity::High
                } else {
                    Severity::Medium
                },
                sentence_zh: format!("{unit_name}{}{}", input.quarter, fill(&self.zh)),
                sentence_en: format!("{unit_name} {}: {}", input.quarter, fill(&self.en)),
                evidence: Evidence {
                    observed,
                    expected: 0.0,
                    statistic: observed,
                    p_value: f64::NAN,
                    q_value: f64::NAN,
                    threshold: 1.0,
                    n_tested: 0,
                    rule: self.rule.clone(),
                },
            });
        }
        out.flags.sort_by(|a, b| {
            b.evidence
                .observed
                .total_cmp(&a.evidence.observed)
                .then_with(|| a.unit_id.cmp(&b.unit_id))
        });
        Ok(out)
    }
}
