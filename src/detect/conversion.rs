//! Low conversion (信访举报转化率偏低): a unit whose petitions over the last
//! quarters led to far fewer cases than its level's units' did (many
//! reports, almost nothing followed up). A case is counted as coming from
//! a petition by the export's case source (来源: 信访举报). The unit's count
//! of such cases of its petitions is tested against the beta-binomial of
//! its level's pooled share (intra-class correlation by moments, as for
//! key fields) in the lower tail by mid-p; Benjamini–Hochberg across the
//! level's units. Each unit's own records (not its subtree).

use std::collections::BTreeMap;

use polars::prelude::*;

use super::key_field::{beta_binomial_mid_p, icc};
use super::{DetectInput, Detector, Explanation, Outcome, Score, stats};
use crate::aggregate::uq;
use crate::model::setting;
use crate::model::{Evidence, Flag, Severity};

pub const NAME: &str = "conversion";

/// The column of cases whose source is a petition.
const FROM_PETITIONS: &str = "cases_source_petition";

#[derive(Debug, Clone)]
pub struct LowConversion {
    pub window_quarters: usize,
    pub q: f64,
    /// Units with fewer petitions in the window are not tested.
    pub min_petitions: f64,
}

impl Default for LowConversion {
    fn default() -> Self {
        LowConversion {
            window_quarters: 8,
            q: 0.10,
            min_petitions: 20.0,
        }
    }
}

impl LowConversion {
    /// `[detect.conversion]`: each value given, or its default, within its
    /// bounds.
    pub fn configured(
        window_quarters: Option<u32>,
        q: Option<f64>,
        min_petitions: Option<f64>,
    ) -> Result<Self, String> {
        let d = Self::default();
        Ok(LowConversion {
            window_quarters: setting::quarters(
                "[detect.conversion] window_quarters",
                window_quarters,
                d.window_quarters,
                &super::QUARTERS,
            )?,
            q: setting::ratio("[detect.conversion] q", q, d.q)?.get(),
            min_petitions: setting::non_negative(
                "[detect.conversion] min_petitions",
                min_petitions,
                d.min_petitions,
            )?,
        })
    }
}

/// Mid-p lower tail: P(X < x) + P(X = x) / 2 for X ~ beta-binomial(n, p, ρ).
pub fn lower_mid_p(x: u64, n: u64, p: f64, rho: f64) -> f64 {
    // n − X is beta-binomial with share 1 − p: its upper tail at n − x.
    beta_binomial_mid_p(n.saturating_sub(x), n, 1.0 - p, rho)
}

impl Detector for LowConversion {
    fn name(&self) -> &'static str {
        NAME
    }

    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
        let names = super::window(input.quarter, self.window_quarters);
        let w = input
            .unit_quarter
            .0
            .clone()
            .lazy()
            .filter(
                col(uq::QUARTER).is_in(lit(Series::new("q".into(), names)).implode(false), false),
            )
            .group_by([col(uq::UNIT_ID)])
            .agg([
                col(uq::NAME).first(),
                col(uq::LEVEL).cast(DataType::String).first(),
                col(uq::PETITIONS).cast(DataType::Float64).sum(),
                col(FROM_PETITIONS).cast(DataType::Float64).sum(),
            ])
            .sort([uq::UNIT_ID], Default::default())
            .collect()?;
        let ids = w.column(uq::UNIT_ID)?.str()?;
        let unit_names = w.column(uq::NAME)?.str()?;
        let levels = w.column(uq::LEVEL)?.str()?;
        let n = w.column(uq::PETITIONS)?.f64()?;
        let x = w.column(FROM_PETITIONS)?.f64()?;
        let mut by_level: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for i in 0..w.height() {
            if n.get(i).unwrap_or(0.0) >= self.min_petitions.max(1.0) {
                by_level
                    .entry(levels.get(i).unwrap_or("other"))
                    .or_default()
                    .push(i);
            }
        }
        let mut out = Outcome::default();
        for (level, units) in by_level {
            if units.len() < 3 {
                continue;
            }
            let pairs: Vec<(f64, f64)> = units
                .iter()
                .map(|&i| (x.get(i).unwrap_or(0.0), n.get(i).unwrap_or(0.0)))
                .collect();
            let (sx, sn) = pairs
                .iter()
                .fold((0.0, 0.0), |(a, b), (x, n)| (a + x, b + n));
            if sn <= 0.0 || sx <= 0.0 {
                continue;
            }
            let p = sx / sn;
            let rho = icc(&pairs, p);
            let ps: Vec<f64> = pairs
                .iter()
                .map(|(x, n)| lower_mid_p(*x as u64, *n as u64, p, rho))
                .collect();
            let qs = stats::bh_q_values(&ps);
            for (k, &i) in units.iter().enumerate() {
                let (xi, ni) = pairs[k];
                let flagged = qs[k] < self.q && xi < ni * p;
                let id = ids.get(i).unwrap_or("").to_string();
                let name = unit_names.get(i).unwrap_or("").to_string();
                out.scores.push(Score {
                    detector: NAME,
                    unit_id: id.clone(),
                    unit_name: name.clone(),
                    group: level.to_string(),
                    quarter: input.quarter,
                    window: self.window_quarters as u8,
                    observed: xi,
                    expected_peer: ni * p,
                    expected_history: f64::NAN,
                    rr: if ni * p > 0.0 {
                        xi / (ni * p)
                    } else {
                        f64::NAN
                    },
                    rr_lo: f64::NAN,
                    rr_hi: f64::NAN,
                    p_peer: ps[k],
                    p: ps[k],
                    q: qs[k],
                    rank: 0,
                    flagged,
                    windows: Vec::new(),
                    not_tested: None,
                });
                if !flagged {
                    continue;
                }
                let share = if ni > 0.0 { xi / ni * 100.0 } else { 0.0 };
                out.flags.push(Flag {
                    detector: NAME,
                    unit_id: id,
                    unit_name: name.clone(),
                    person_id: None,
                    field: None,
                    subject: None,
                    quarter: input.quarter,
                    window: self.window_quarters as u8,
                    severity: if qs[k] < self.q / 10.0 { Severity::High } else { Severity::Medium },
                    sentence_zh: format!(
                        "{name}近{}个季度受理信访举报{ni:.0}件，由信访举报立案{xi:.0}件（{share:.1}%），同层级单位为{:.1}%，按同层级水平应约{:.1}件，明显偏低（q={:.3}）。",
                        self.window_quarters,
                        p * 100.0,
                        ni * p,
                        qs[k]
                    ),
                    sentence_en: format!(
                        "{name}: {ni:.0} petitions over {} quarters led to {xi:.0} cases ({share:.1}%) against {:.1}% for its level, about {:.1} expected: far lower (q={:.3}).",
                        self.window_quarters,
                        p * 100.0,
                        ni * p,
                        qs[k]
                    ),
                    evidence: Evidence {
                        observed: xi,
                        expected: ni * p,
                        statistic: if ni * p > 0.0 { xi / (ni * p) } else { f64::NAN },
                        p_value: ps[k],
                        q_value: qs[k],
                        threshold: self.q,
                        n_tested: units.len(),
                        rule: format!(
                            "cases from petitions over {} quarters, beta-binomial lower tail (ρ = {rho:.3}) against the level, BH q < {}",
                            self.window_quarters, self.q
                        ),
                    },
                });
            }
        }
        out.flags
            .sort_by(|a, b| a.evidence.q_value.total_cmp(&b.evidence.q_value));
        Ok(out)
    }

    fn explain(&self) -> Explanation {
        let p = lower_mid_p(2, 100, 0.12, 0.02);
        Explanation {
            method: "For each unit with enough petitions over the window: the cases whose source is a petition, of its\n\
                     petitions, against the pooled share of the units of its level (the unit's own records). Spread\n\
                     between units beyond binomial: a beta-binomial intra-class correlation by moments per level; the\n\
                     lower-tail mid-p of the unit's count; BH across the level's units. A flag means many reports and\n\
                     far fewer cases than peers turn theirs into."
                .into(),
            settings: vec![
                ("[detect.conversion] window_quarters".into(), self.window_quarters.to_string()),
                ("[detect.conversion] q".into(), self.q.to_string()),
                ("[detect.conversion] min_petitions".into(), self.min_petitions.to_string()),
            ],
            example: format!("2 cases from a unit's 100 petitions where its level has 12% and ρ = 0.02: mid-p = {p:.1e}."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lower_tail_is_small_for_too_few_and_large_for_enough() {
        assert!(lower_mid_p(2, 100, 0.12, 0.0) < 0.01);
        assert!(lower_mid_p(12, 100, 0.12, 0.0) > 0.4);
        // Lower and upper mid-p of the same count add to one.
        let (lo, hi) = (
            lower_mid_p(10, 80, 0.15, 0.0),
            beta_binomial_mid_p(10, 80, 0.15, 0.0),
        );
        assert!((lo + hi - 1.0).abs() < 1e-9, "{lo} + {hi}");
    }
}
