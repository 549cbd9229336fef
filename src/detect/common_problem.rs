//! Common problems (普遍性问题): a key field whose share of petitions rises
//! in many units at once. For each of the six key fields, every unit with
//! enough petitions this quarter and in its history compares this quarter's
//! share of the field with its share over the history; under no common
//! change a unit is as likely to rise as to fall, so the number of units
//! that rose is tested with a one-sided sign test (exact binomial, ties
//! left out), Bonferroni across the six fields. A citywide flag, on the
//! city's root unit, when the test passes and the citywide share rose.

use polars::prelude::*;
use statrs::distribution::{Binomial, DiscreteCDF};

use super::panel::Panel;
use super::{DetectInput, Detector, Explanation, Outcome, Score};
use crate::model::setting;
use crate::model::{Evidence, Flag, KeyField, Severity};

pub const NAME: &str = "common_problem";

#[derive(Debug, Clone)]
pub struct CommonProblem {
    /// Quarters of history each unit's share is compared with.
    pub history_quarters: usize,
    /// Units with fewer petitions this quarter (or in the history) are left out.
    pub min_petitions: f64,
    /// Family-wise level over the six fields.
    pub alpha: f64,
}

impl Default for CommonProblem {
    fn default() -> Self {
        CommonProblem {
            history_quarters: 4,
            min_petitions: 5.0,
            alpha: 0.01,
        }
    }
}

impl CommonProblem {
    /// `[detect.common_problem]`: each value given, or its default, within
    /// its bounds.
    pub fn configured(
        history_quarters: Option<u32>,
        min_petitions: Option<f64>,
        alpha: Option<f64>,
    ) -> Result<Self, String> {
        let d = Self::default();
        Ok(CommonProblem {
            history_quarters: setting::quarters(
                "[detect.common_problem] history_quarters",
                history_quarters,
                d.history_quarters,
                &super::QUARTERS,
            )?,
            min_petitions: setting::non_negative(
                "[detect.common_problem] min_petitions",
                min_petitions,
                d.min_petitions,
            )?,
            alpha: setting::ratio("[detect.common_problem] alpha", alpha, d.alpha)?.get(),
        })
    }
}

/// One field's test.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldTest {
    pub field: KeyField,
    pub units_compared: usize,
    pub units_rising: usize,
    pub share_before: f64,
    pub share_now: f64,
    /// One-sided sign-test p, before the Bonferroni factor.
    pub p: f64,
}

/// P(X >= k) for X ~ Binomial(n, 1/2).
fn sign_test(k: usize, n: usize) -> f64 {
    if n == 0 || k == 0 {
        return 1.0;
    }
    Binomial::new(0.5, n as u64).map_or(f64::NAN, |b| b.sf(k as u64 - 1))
}

/// Tests every key field in quarter index `t` of the panels: `total` holds
/// each unit's petitions with a field recorded, `fields` the six fields'.
pub fn test_fields(
    total: &Panel,
    fields: &[(KeyField, Panel)],
    t: usize,
    s: &CommonProblem,
) -> Vec<FieldTest> {
    let start = t.saturating_sub(s.history_quarters);
    let mut out = Vec::new();
    for (field, panel) in fields {
        let (mut compared, mut rising) = (0, 0);
        let (mut city_hist, mut city_hist_n, mut city_now, mut city_now_n) = (0.0, 0.0, 0.0, 0.0);
        for (u, f) in total.units.iter().zip(&panel.units) {
            let n_now = u.counts[t];
            let n_hist: f64 = u.counts[start..t].iter().sum();
            let x_now = f.counts[t];
            let x_hist: f64 = f.counts[start..t].iter().sum();
            city_hist += x_hist;
            city_hist_n += n_hist;
            city_now += x_now;
            city_now_n += n_now;
            if n_now < s.min_petitions || n_hist < s.min_petitions {
                continue;
            }
            let (now, before) = (x_now / n_now, x_hist / n_hist);
            if now == before {
                continue;
            }
            compared += 1;
            if now > before {
                rising += 1;
            }
        }
        out.push(FieldTest {
            field: *field,
            units_compared: compared,
            units_rising: rising,
            share_before: if city_hist_n > 0.0 {
                city_hist / city_hist_n
            } else {
                0.0
            },
            share_now: if city_now_n > 0.0 {
                city_now / city_now_n
            } else {
                0.0
            },
            p: sign_test(rising, compared),
        });
    }
    out
}

impl Detector for CommonProblem {
    fn name(&self) -> &'static str {
        NAME
    }

    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
        // Each unit's own petitions: a unit and its district are not counted twice.
        let df = &input.unit_quarter.0;
        let fields: Vec<(KeyField, Panel)> = KeyField::KEY
            .iter()
            .map(|f| {
                Ok((
                    *f,
                    Panel::from_table(df, &format!("petitions_field_{}", f.code()))?,
                ))
            })
            .collect::<PolarsResult<_>>()?;
        let all_fields = df
            .clone()
            .lazy()
            .with_column(
                KeyField::VALUES
                    .iter()
                    .map(|v| col(format!("petitions_field_{}", v.code)).cast(DataType::Float64))
                    .reduce(|a, b| a + b)
                    .unwrap_or(lit(0.0))
                    .alias("__with_field"),
            )
            .collect()?;
        let total = Panel::from_table(&all_fields, "__with_field")?;
        super::check_span(NAME, &total, input.quarter, self.history_quarters + 1)?;
        let mut out = Outcome::default();
        let (Some(t), Some(root)) = (
            total.index(input.quarter),
            total.units.iter().find(|u| u.parent.is_none()),
        ) else {
            return Ok(out);
        };
        let level = self.alpha / KeyField::KEY.len() as f64;
        for test in test_fields(&total, &fields, t, self) {
            let p_adj = (test.p * KeyField::KEY.len() as f64).min(1.0);
            let flagged = test.p < level && test.share_now > test.share_before;
            out.scores.push(Score {
                detector: NAME,
                unit_id: root.id.clone(),
                unit_name: format!("{} · {}", root.name, test.field.label_zh()),
                group: test.field.code().to_string(),
                quarter: input.quarter,
                window: 1,
                observed: test.units_rising as f64,
                expected_peer: test.units_compared as f64 / 2.0,
                expected_history: test.units_compared as f64 / 2.0,
                rr: if test.share_before > 0.0 {
                    test.share_now / test.share_before
                } else {
                    f64::NAN
                },
                rr_lo: f64::NAN,
                rr_hi: f64::NAN,
                p_peer: test.p,
                p: test.p,
                q: p_adj,
                rank: 0,
                flagged,
                windows: Vec::new(),
                not_tested: None,
            });
            if !flagged {
                continue;
            }
            let (zh, en) = (test.field.label_zh(), test.field.label_en());
            out.flags.push(Flag {
                detector: NAME,
                unit_id: root.id.clone(),
                unit_name: root.name.clone(),
                person_id: None,
                field: Some(test.field),
                subject: None,
                quarter: input.quarter,
                window: 1,
                severity: if p_adj < self.alpha / 10.0 { Severity::High } else { Severity::Medium },
                sentence_zh: format!(
                    "{zh}领域：{}个单位中有{}个{}该领域信访举报占比高于前{}个季度，全市占比由{:.1}%升至{:.1}%（符号检验p={:.1e}）。",
                    test.units_compared,
                    test.units_rising,
                    input.quarter,
                    self.history_quarters,
                    test.share_before * 100.0,
                    test.share_now * 100.0,
                    p_adj
                ),
                sentence_en: format!(
                    "{en}: in {} {} of {} units had a larger share of petitions in this field than over the previous {} quarters; citywide {:.1}% -> {:.1}% (sign test p={:.1e}).",
                    input.quarter,
                    test.units_rising,
                    test.units_compared,
                    self.history_quarters,
                    test.share_before * 100.0,
                    test.share_now * 100.0,
                    p_adj
                ),
                evidence: Evidence {
                    observed: test.units_rising as f64,
                    expected: test.units_compared as f64 / 2.0,
                    statistic: test.share_now / test.share_before.max(f64::MIN_POSITIVE),
                    p_value: test.p,
                    q_value: p_adj,
                    threshold: self.alpha,
                    n_tested: test.units_compared,
                    rule: format!(
                        "sign test over units with >= {} petitions now and in the previous {} quarters: units whose share of the field rose; Bonferroni over the six key fields at {}; citywide share must rise",
                        self.min_petitions, self.history_quarters, self.alpha
                    ),
                },
            });
        }
        Ok(out)
    }

    fn explain(&self) -> Explanation {
        Explanation {
            method: "For each of the six key fields: every unit with enough petitions this quarter and over the\n\
                     history compares the field's share of its petitions now with its share before. With no\n\
                     common change a unit rises or falls with even odds, so the number that rose is tested with\n\
                     an exact one-sided sign test (ties left out), Bonferroni across the six fields; flagged when\n\
                     significant and the citywide share rose. Each unit's own petitions are used."
                .into(),
            settings: vec![
                ("[detect.common_problem] history_quarters".into(), self.history_quarters.to_string()),
                ("[detect.common_problem] min_petitions".into(), self.min_petitions.to_string()),
                ("[detect.common_problem] alpha (over the six fields)".into(), self.alpha.to_string()),
            ],
            example: format!(
                "120 of 186 units compared rose: one-sided sign-test p = {:.1e}, x6 = {:.1e} < {} -> flagged.",
                sign_test(120, 186),
                6.0 * sign_test(120, 186),
                self.alpha
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_test_by_hand() {
        // P(Bin(4, 1/2) >= 3) = (4 + 1) / 16
        assert!((sign_test(3, 4) - 5.0 / 16.0).abs() < 1e-12);
        assert_eq!(sign_test(0, 10), 1.0);
    }
}
