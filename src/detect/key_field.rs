//! Key-field risk (重点领域): a unit's share of its petitions, findings or
//! cases in one of the six key fields, over the last quarters, against the
//! units of its level. The spread of shares between peers beyond binomial
//! noise is a beta-binomial intra-class correlation ρ, estimated per level,
//! source and field by moments; each unit's count is tested against the
//! beta-binomial of its peers by mid-p, its share is shrunk toward theirs
//! (empirical Bayes) and reported as a log-odds ratio; Benjamini–Hochberg
//! across the units of the level, for each source and field.

use std::collections::BTreeMap;

use polars::prelude::*;
use statrs::function::gamma::ln_gamma;

use super::{DetectInput, Detector, Explanation, Outcome, Score, stats};
use crate::aggregate::uq;
use crate::model::setting;
use crate::model::{Evidence, Flag, KeyField, Severity};

pub const NAME: &str = "key_field";

#[derive(Debug, Clone)]
pub struct KeyFieldRisk {
    /// Quarters summed, ending at the report's quarter.
    pub window_quarters: usize,
    /// Benjamini–Hochberg level.
    pub q: f64,
    /// Units with fewer records of the source in the window are not tested,
    /// and a flag needs at least this many in the field.
    pub min_records: f64,
}

impl Default for KeyFieldRisk {
    fn default() -> Self {
        KeyFieldRisk {
            window_quarters: 4,
            q: 0.10,
            min_records: 5.0,
        }
    }
}

impl KeyFieldRisk {
    /// `[detect.key_field]`: each value given, or its default, within its
    /// bounds.
    pub fn configured(
        window_quarters: Option<u32>,
        q: Option<f64>,
        min_records: Option<f64>,
    ) -> Result<Self, String> {
        let d = Self::default();
        Ok(KeyFieldRisk {
            window_quarters: setting::quarters(
                "[detect.key_field] window_quarters",
                window_quarters,
                d.window_quarters,
                &super::QUARTERS,
            )?,
            q: setting::ratio("[detect.key_field] q", q, d.q)?.get(),
            min_records: setting::non_negative(
                "[detect.key_field] min_records",
                min_records,
                d.min_records,
            )?,
        })
    }
}

/// The smallest between-unit correlation the shrinkage assumes.
const SHRINK_MIN_RHO: f64 = 0.01;

/// The sources whose shares are tested: (column prefix, Chinese, English).
const SOURCES: [(&str, &str, &str); 3] = [
    ("petitions", "信访举报", "petitions"),
    ("findings", "巡视巡察发现问题", "inspection findings"),
    ("cases", "立案案件", "cases"),
];

/// Mid-p upper tail of a beta-binomial(n, a, b) at x (binomial(n, p) when
/// `a` is infinite), summing terms upward from x by their ratio.
pub fn beta_binomial_mid_p(x: u64, n: u64, p: f64, rho: f64) -> f64 {
    if n == 0 || x > n {
        return 1.0;
    }
    let (nf, xf) = (n as f64, x as f64);
    let binomial = rho <= 1e-9;
    let (a, b) = ((p * (1.0 - rho) / rho), ((1.0 - p) * (1.0 - rho) / rho));
    let ln_choose = ln_gamma(nf + 1.0) - ln_gamma(xf + 1.0) - ln_gamma(nf - xf + 1.0);
    let ln_pmf_x = if binomial {
        ln_choose + xf * p.max(1e-300).ln() + (nf - xf) * (1.0 - p).max(1e-300).ln()
    } else {
        ln_choose + ln_gamma(xf + a) + ln_gamma(nf - xf + b)
            - ln_gamma(nf + a + b)
            - (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b))
    };
    let at_x = ln_pmf_x.exp();
    let (mut term, mut above) = (at_x, 0.0);
    for k in x..n {
        let kf = k as f64;
        let ratio = if binomial {
            (nf - kf) / (kf + 1.0) * p / (1.0 - p)
        } else {
            (nf - kf) / (kf + 1.0) * (kf + a) / (nf - kf - 1.0 + b)
        };
        term *= ratio;
        above += term;
        if term < 1e-16 * (above + at_x) && kf > xf + 10.0 {
            break;
        }
    }
    (above + 0.5 * at_x).clamp(0.0, 1.0)
}

/// Method-of-moments intra-class correlation of counts `x` of `n` around
/// the pooled share `p` (0 when the spread is no more than binomial). The
/// units' standardised residuals are winsorised at their 10th and 90th
/// percentiles first (as for funnel plots, Spiegelhalter 2005), so the
/// units that stand out do not widen the spread they are tested against.
pub fn icc(units: &[(f64, f64)], p: f64) -> f64 {
    let v = p * (1.0 - p);
    let z: Vec<f64> = units
        .iter()
        .map(|(x, n)| {
            if n * v > 0.0 {
                (x - n * p) / (n * v).sqrt()
            } else {
                0.0
            }
        })
        .collect();
    let mut sorted = z.clone();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let (lo, hi) = if sorted.is_empty() {
        (0.0, 0.0)
    } else {
        (at(0.1), at(0.9))
    };
    let (num, den) = units
        .iter()
        .zip(&z)
        .fold((0.0, 0.0), |(a, b), ((_, n), z)| {
            let zw = z.clamp(lo, hi);
            (a + n * v * (zw * zw - 1.0), b + n * (n - 1.0) * v)
        });
    if den > 0.0 {
        (num / den).clamp(0.0, 0.99)
    } else {
        0.0
    }
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    (p / (1.0 - p)).ln()
}

struct Test {
    row: usize,
    source: usize,
    field: KeyField,
    x: f64,
    n: f64,
    peer_share: f64,
    shrunk: f64,
    p: f64,
}

impl Detector for KeyFieldRisk {
    fn name(&self) -> &'static str {
        NAME
    }

    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
        let names = super::window(input.quarter, self.window_quarters);
        let mut sums: Vec<Expr> = vec![col(uq::NAME).first(), col(uq::LEVEL).first()];
        for (src, _, _) in SOURCES {
            for v in KeyField::VALUES {
                let c = format!("{src}_field_{}", v.code);
                sums.push(
                    col(c.as_str())
                        .cast(DataType::Float64)
                        .sum()
                        .alias(c.as_str()),
                );
            }
        }
        let w = input
            .rollup
            .0
            .clone()
            .lazy()
            .filter(
                col(uq::QUARTER).is_in(lit(Series::new("q".into(), names)).implode(false), false),
            )
            .group_by([col(uq::UNIT_ID)])
            .agg(sums)
            .sort([uq::UNIT_ID], Default::default())
            .collect()?;
        let ids = w.column(uq::UNIT_ID)?.str()?;
        let unit_names = w.column(uq::NAME)?.str()?;
        let levels = w.column(uq::LEVEL)?.str()?;
        let value = |c: &str| -> PolarsResult<Vec<f64>> {
            Ok(w.column(c)?
                .f64()?
                .iter()
                .map(|v| v.unwrap_or(0.0))
                .collect())
        };
        let mut by_level: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for i in 0..w.height() {
            by_level
                .entry(levels.get(i).unwrap_or("other"))
                .or_default()
                .push(i);
        }
        let mut tests: Vec<(String, Test)> = Vec::new();
        for (s, (src, _, _)) in SOURCES.iter().enumerate() {
            let totals: Vec<f64> = {
                let cols: Vec<Vec<f64>> = KeyField::VALUES
                    .iter()
                    .map(|v| value(&format!("{src}_field_{}", v.code)))
                    .collect::<PolarsResult<_>>()?;
                (0..w.height())
                    .map(|i| cols.iter().map(|c| c[i]).sum())
                    .collect()
            };
            for field in KeyField::KEY {
                let x = value(&format!("{src}_field_{}", field.code()))?;
                for (level, rows) in &by_level {
                    let pairs: Vec<(f64, f64)> = rows.iter().map(|&i| (x[i], totals[i])).collect();
                    let (sx, sn) = pairs
                        .iter()
                        .fold((0.0, 0.0), |(a, b), (x, n)| (a + x, b + n));
                    if rows.len() < 3 || sn <= 0.0 || sx <= 0.0 {
                        continue;
                    }
                    let p = sx / sn;
                    let rho = icc(&pairs, p);
                    // The shrinkage prior: never a point mass (at least
                    // SHRINK_MIN_RHO), so a unit's own share always counts.
                    let r = rho.max(SHRINK_MIN_RHO);
                    let (a, b) = (p * (1.0 - r) / r, (1.0 - p) * (1.0 - r) / r);
                    for &i in rows {
                        if totals[i] < self.min_records {
                            continue;
                        }
                        let shrunk = (a + x[i]) / (a + b + totals[i]);
                        tests.push((
                            level.to_string(),
                            Test {
                                row: i,
                                source: s,
                                field: *field,
                                x: x[i],
                                n: totals[i],
                                peer_share: p,
                                shrunk,
                                p: beta_binomial_mid_p(x[i] as u64, totals[i] as u64, p, rho),
                            },
                        ));
                    }
                }
            }
        }
        // BH across the units of a level, for each source and field.
        let mut q = vec![f64::NAN; tests.len()];
        let mut per_level: BTreeMap<(&str, usize, &str), Vec<usize>> = BTreeMap::new();
        for (k, (level, t)) in tests.iter().enumerate() {
            per_level
                .entry((level.as_str(), t.source, t.field.code()))
                .or_default()
                .push(k);
        }
        for members in per_level.values() {
            let qs = stats::bh_q_values(&members.iter().map(|&k| tests[k].1.p).collect::<Vec<_>>());
            for (&k, v) in members.iter().zip(qs) {
                q[k] = v;
            }
        }
        let mut out = Outcome::default();
        for ((level, t), q) in tests.iter().zip(q) {
            let (id, name) = (
                ids.get(t.row).unwrap_or(""),
                unit_names.get(t.row).unwrap_or(""),
            );
            let flagged = q < self.q && t.x >= self.min_records;
            let lor = logit(t.shrunk) - logit(t.peer_share);
            out.scores.push(Score {
                detector: NAME,
                unit_id: id.to_string(),
                unit_name: format!("{name} · {} · {}", SOURCES[t.source].1, t.field.label_zh()),
                group: level.clone(),
                quarter: input.quarter,
                window: self.window_quarters as u8,
                observed: t.x,
                expected_peer: t.n * t.peer_share,
                expected_history: t.n * t.shrunk,
                rr: lor,
                rr_lo: f64::NAN,
                rr_hi: f64::NAN,
                p_peer: t.p,
                p: t.p,
                q,
                rank: 0,
                flagged,
                windows: Vec::new(),
                not_tested: None,
            });
            if !flagged {
                continue;
            }
            let (src_zh, src_en) = (SOURCES[t.source].1, SOURCES[t.source].2);
            out.flags.push(Flag {
                detector: NAME,
                unit_id: id.to_string(),
                unit_name: name.to_string(),
                person_id: None,
                field: Some(t.field),
                subject: Some(SOURCES[t.source].0),
                quarter: input.quarter,
                window: self.window_quarters as u8,
                severity: if q < self.q / 10.0 { Severity::High } else { Severity::Medium },
                sentence_zh: format!(
                    "{name}近{}个季度{}领域{src_zh}占比{:.1}%（{:.0}/{:.0}件），同层级单位为{:.1}%，收缩后对数优势比{:.2}，q={:.3}。",
                    self.window_quarters,
                    t.field.label_zh(),
                    t.x / t.n * 100.0,
                    t.x,
                    t.n,
                    t.peer_share * 100.0,
                    lor,
                    q
                ),
                sentence_en: format!(
                    "{name}, last {} quarters: {:.1}% of its {src_en} in {} ({:.0} of {:.0}) against {:.1}% for units of its level; shrunk log-odds ratio {:.2}, q={:.3}.",
                    self.window_quarters,
                    t.x / t.n * 100.0,
                    t.field.label_en(),
                    t.x,
                    t.n,
                    t.peer_share * 100.0,
                    lor,
                    q
                ),
                evidence: Evidence {
                    observed: t.x,
                    expected: t.n * t.peer_share,
                    statistic: lor,
                    p_value: t.p,
                    q_value: q,
                    threshold: self.q,
                    n_tested: per_level
                        .get(&(level.as_str(), t.source, t.field.code()))
                        .map_or(0, Vec::len),
                    rule: format!(
                        "share of {src_en} in the field over {} quarters against the level's pooled share, beta-binomial spread between units (moments), mid-p; BH across the units of the level for this source and field; at least {} records",
                        self.window_quarters, self.min_records
                    ),
                },
            });
        }
        out.flags
            .sort_by(|a, b| a.evidence.q_value.total_cmp(&b.evidence.q_value));
        Ok(out)
    }

    fn explain(&self) -> Explanation {
        let p = beta_binomial_mid_p(30, 100, 0.12, 0.02);
        Explanation {
            method: "For petitions, findings and cases, and each of the six key fields: a unit's count in the field\n\
                     over the window, of all its records with a field, against the pooled share of the units of its\n\
                     level (roll-up figures). Spread between units beyond binomial: a beta-binomial intra-class\n\
                     correlation by moments per level, source and field; mid-p of the unit's count; the share shrunk\n\
                     toward the level's (empirical Bayes) as a log-odds ratio; BH across the level's units for each\n\
                     source and field."
                .into(),
            settings: vec![
                ("[detect.key_field] window_quarters".into(), self.window_quarters.to_string()),
                ("[detect.key_field] q".into(), self.q.to_string()),
                ("[detect.key_field] min_records".into(), self.min_records.to_string()),
            ],
            example: format!(
                "30 of a unit's 100 petitions in construction where its level has 12% and ρ = 0.02: mid-p = {p:.1e}."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_tail_by_hand() {
        // Binomial(4, 1/2): P(X > 3) = 1/16, P(X = 3) = 4/16.
        let p = beta_binomial_mid_p(3, 4, 0.5, 0.0);
        assert!((p - (1.0 / 16.0 + 0.5 * 4.0 / 16.0)).abs() < 1e-12, "{p}");
    }

    #[test]
    fn spread_between_units_fattens_the_tail() {
        let tight = beta_binomial_mid_p(30, 100, 0.12, 0.0);
        let loose = beta_binomial_mid_p(30, 100, 0.12, 0.05);
        assert!(tight < 1e-4 && loose > tight * 10.0, "{tight} {loose}");
        // Beta-binomial(2, a=1, b=1) is uniform on 0..=2: P(X > 1) + P(X = 1)/2 = 1/3 + 1/6.
        let p = beta_binomial_mid_p(1, 2, 0.5, 1.0 / 3.0);
        assert!((p - 0.5).abs() < 1e-9, "{p}");
    }

    #[test]
    fn icc_is_zero_for_binomial_like_spread_and_positive_for_more() {
        assert_eq!(icc(&[(10.0, 100.0), (11.0, 100.0), (9.0, 100.0)], 0.1), 0.0);
        let spread: Vec<(f64, f64)> = [0.0, 30.0, 2.0, 25.0, 1.0, 20.0, 3.0, 28.0, 0.0, 21.0]
            .iter()
            .map(|x| (*x, 100.0))
            .collect();
        assert!(icc(&spread, 0.13) > 0.05);
        // One unit far out among ten alike does not make the spread.
        let one_out: Vec<(f64, f64)> = (0..10)
            .map(|i| (if i == 0 { 50.0 } else { 10.0 }, 100.0))
            .collect();
        assert!(icc(&one_out, 0.14) < 0.01, "{}", icc(&one_out, 0.14));
    }
}
