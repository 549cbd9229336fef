//! The political-ecology risk score (政治生态风险) of a unit: a transparent
//! sum over the other detectors' flags on it in the quarter, each flag
//! worth its detector's weight (twice that when its severity is high), with
//! the weights in the pipeline file. A unit at or above the threshold is a
//! problem unit (问题突出单位); every contribution is listed.

use std::collections::BTreeMap;

use super::{Outcome, Score};
use crate::model::setting;
use crate::model::{Evidence, Flag, Quarter, Severity};

pub const NAME: &str = "risk_score";

#[derive(Debug, Clone, PartialEq)]
pub struct RiskScore {
    /// Points per flag, by detector name (absent: 0).
    pub weights: BTreeMap<String, f64>,
    /// Score at or above which a unit is flagged; high from twice this.
    pub threshold: f64,
}

impl Default for RiskScore {
    fn default() -> Self {
        let weights = [
            ("concentration", 3.0),
            ("subtree_rise", 2.0),
            ("key_field", 2.0),
            ("prominent_complaints", 3.0),
            ("top_leader_clues", 4.0),
            ("rectification", 1.0),
            // The loop rules weigh little: a late reply is the unit's
            // follow-through, not evidence of a problem in itself.
            ("reply_overdue", 0.5),
            ("no_action", 0.0),
            ("feedback_overdue", 0.5),
            ("return_visit_missing", 0.5),
            ("not_copied", 0.0),
            ("not_assessed", 0.0),
        ];
        RiskScore {
            weights: weights.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            threshold: 6.0,
        }
    }
}

impl RiskScore {
    /// `[detect.risk_score]`: weights of known detectors, each at least 0,
    /// and the threshold, or their defaults.
    pub fn configured(
        weights: Option<&BTreeMap<String, f64>>,
        threshold: Option<f64>,
    ) -> Result<Self, String> {
        let d = Self::default();
        let known = super::FLAGGING_DETECTORS;
        let weights = match weights {
            None => d.weights,
            Some(w) => {
                for (k, v) in w {
                    if !known.contains(&k.as_str()) {
                        return Err(format!(
                            "[detect.risk_score] weights: no detector {k}; detectors: {}",
                            known.join(", ")
                        ));
                    }
                    setting::non_negative(
                        &format!("[detect.risk_score] weights.{k}"),
                        Some(*v),
                        0.0,
                    )?;
                }
                w.clone()
            }
        };
        let threshold =
            setting::non_negative("[detect.risk_score] threshold", threshold, d.threshold)?;
        Ok(RiskScore { weights, threshold })
    }
}

/// One detector's part in one unit's score.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub unit_id: String,
    pub unit_name: String,
    pub quarter: Quarter,
    pub detector: &'static str,
    pub flags: usize,
    pub high: usize,
    pub points: f64,
}

impl RiskScore {
    /// Every (unit, detector) with a flag, and its points.
    pub fn contributions(&self, flags: &[Flag]) -> Vec<Contribution> {
        let mut by: BTreeMap<(&str, &'static str), Contribution> = BTreeMap::new();
        for f in flags.iter().filter(|f| f.detector != NAME) {
            let weight = self.weights.get(f.detector).copied().unwrap_or(0.0);
            let c = by
                .entry((f.unit_id.as_str(), f.detector))
                .or_insert_with(|| Contribution {
                    unit_id: f.unit_id.clone(),
                    unit_name: f.unit_name.clone(),
                    quarter: f.quarter,
                    detector: f.detector,
                    flags: 0,
                    high: 0,
                    points: 0.0,
                });
            c.flags += 1;
            let high = f.severity == Severity::High;
            c.high += usize::from(high);
            c.points += weight * if high { 2.0 } else { 1.0 };
        }
        by.into_values().collect()
    }

    /// Scores every unit with a flag and flags the problem units.
    pub fn score(&self, other: &[Flag], quarter: Quarter) -> Outcome {
        let mut per_unit: BTreeMap<String, Vec<Contribution>> = BTreeMap::new();
        for c in self.contributions(other) {
            per_unit.entry(c.unit_id.clone()).or_default().push(c);
        }
        let mut out = Outcome::default();
        for (unit, parts) in per_unit {
            let total: f64 = parts.iter().map(|c| c.points).sum();
            let name = parts[0].unit_name.clone();
            let flagged = total >= self.threshold && total > 0.0;
            out.scores.push(Score::rule(
                NAME,
                &unit,
                &name,
                quarter,
                total,
                self.threshold,
                flagged,
            ));
            if !flagged {
                continue;
            }
            let list = |zh: bool| {
                parts
                    .iter()
                    .filter(|c| c.points > 0.0)
                    .map(|c| {
                        if zh {
                            format!(
                                "{}{:.0}分（{}项）",
                                detector_zh(c.detector),
                                c.points,
                                c.flags
                            )
                        } else {
                            format!("{} {:.0} ({} flag(s))", c.detector, c.points, c.flags)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(if zh { "、" } else { ", " })
            };
            out.flags.push(Flag {
                detector: NAME,
                unit_id: unit,
                unit_name: name.clone(),
                person_id: None,
                field: None,
                subject: None,
                quarter,
                window: 1,
                severity: if total >= 2.0 * self.threshold { Severity::High } else { Severity::Medium },
                sentence_zh: format!(
                    "{name}{quarter}政治生态风险分{total:.0}分（达到{:.0}分即为问题突出单位）：{}。",
                    self.threshold,
                    list(true)
                ),
                sentence_en: format!(
                    "{name} {quarter}: political-ecology risk score {total:.0} (problem unit from {:.0}): {}.",
                    self.threshold,
                    list(false)
                ),
                evidence: Evidence {
                    observed: total,
                    expected: 0.0,
                    statistic: total,
                    p_value: f64::NAN,
                    q_value: f64::NAN,
                    threshold: self.threshold,
                    n_tested: 0,
                    rule: format!(
                        "sum over the unit's flags of the detector's weight (x2 when high severity); weights {:?}; problem unit from {}",
                        self.weights, self.threshold
                    ),
                },
            });
        }
        out.flags.sort_by(|a, b| {
            b.evidence
                .observed
                .total_cmp(&a.evidence.observed)
                .then_with(|| a.unit_id.cmp(&b.unit_id))
        });
        out
    }
}

impl RiskScore {
    /// `yanpan explain risk_score`.
    pub fn explain(&self) -> super::Explanation {
        super::Explanation {
            method: "After the other detectors: a unit's score is the sum over its flags in the quarter of the\n\
                     flag's detector weight, doubled for a high-severity flag. Every unit with a flag is scored;\n\
                     at or above the threshold it is a problem unit (问题突出单位), high from twice the threshold.\n\
                     Every contribution is listed in the flag and in tables/risk_contributions.csv."
                .into(),
            settings: self
                .weights
                .iter()
                .map(|(k, v)| (format!("[detect.risk_score] weights.{k}"), v.to_string()))
                .chain(std::iter::once(("[detect.risk_score] threshold".into(), self.threshold.to_string())))
                .collect(),
            example: "A unit flagged for concentration (medium, 3) and an overdue top-leader clue (high, 4 x 2):\n\
                      3 + 8 = 11 points, a problem unit at a threshold of 6."
                .into(),
        }
    }
}

/// The Chinese name of a detector, for sentences.
pub fn detector_zh(name: &str) -> &'static str {
    crate::model::FlagKind::ALL
        .iter()
        .find(|k| k.code() == name)
        .map_or("其他", |k| k.label_zh())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(unit: &str, detector: &'static str, severity: Severity) -> Flag {
        Flag {
            unit_name: format!("{unit}单位"),
            severity,
            ..Flag::example(detector, unit, Quarter::new(2024, 4).expect("q"))
        }
    }

    #[test]
    fn the_score_adds_weights_doubling_high_flags_and_lists_every_part() {
        let q = Quarter::new(2024, 4).expect("q");
        let flags = [
            flag("A", "concentration", Severity::Medium),
            flag("A", "top_leader_clues", Severity::High),
            flag("B", "rectification", Severity::Medium),
        ];
        let out = RiskScore::default().score(&flags, q);
        // A: 3 + 4 x 2 = 11 >= 6; B: 1 < 6.
        let a = out.scores.iter().find(|s| s.unit_id == "A").expect("A");
        assert_eq!(a.observed, 11.0);
        assert_eq!(out.flags.len(), 1);
        let s = &out.flags[0].sentence_zh;
        assert!(s.contains("政治生态风险分11分"), "{s}");
        assert!(
            s.contains("信访举报比较集中3分（1项）") && s.contains("一把手问题线索超期8分（1项）"),
            "{s}"
        );
        assert_eq!(out.flags[0].severity, Severity::Medium, "high from 12");
    }
}
