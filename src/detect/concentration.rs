//! Petition concentration against peers (信访举报比较集中): each unit's
//! petitions in the quarter against its headcount times the rate of units
//! of the same level over the previous quarters (the current quarter is not
//! used to set the expectation), with negative-binomial overdispersion
//! estimated per level; Benjamini–Hochberg across all units tested.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::{DetectInput, Detector, stats};
use crate::aggregate::uq;
use crate::config::ConcentrationSettings;
use crate::model::{Evidence, Flag, Quarter};

pub const NAME: &str = "concentration";

#[derive(Debug, Clone)]
pub struct Concentration {
    pub settings: ConcentrationSettings,
}

struct Row<'a> {
    unit: &'a str,
    level: &'a str,
    headcount: f64,
    quarter: Quarter,
    petitions: f64,
}

fn rows(df: &DataFrame) -> PolarsResult<Vec<Row<'_>>> {
    let unit = df.column(uq::UNIT_ID)?.str()?;
    let level = df.column(uq::LEVEL)?.str()?;
    let hc = df.column(uq::HEADCOUNT)?.i32()?;
    let q = df.column(uq::QUARTER)?.str()?;
    let n = df.column(uq::PETITIONS)?.u32()?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let (Some(unit), Some(level), Some(hc), Some(q), Some(n)) =
            (unit.get(i), level.get(i), hc.get(i), q.get(i), n.get(i))
        else {
            continue;
        };
        let Ok(quarter) = q.parse() else { continue };
        out.push(Row {
            unit,
            level,
            headcount: f64::from(hc),
            quarter,
            petitions: f64::from(n),
        });
    }
    Ok(out)
}

impl Detector for Concentration {
    fn name(&self) -> &'static str {
        NAME
    }

    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Vec<Flag>> {
        let s = &self.settings;
        let target = input.quarter;
        let first_hist = target.offset(-(s.history_quarters.get() as i32));
        let all = rows(&input.unit_quarter.0)?;
        let hist = |r: &&Row<'_>| r.quarter >= first_hist && r.quarter < target;
        // Rate and overdispersion per level, from history only.
        let mut by_level: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
        for r in all.iter().filter(hist) {
            let e = by_level.entry(r.level).or_default();
            e.0 += r.petitions;
            e.1 += r.headcount;
        }
        let rate = |level: &str| {
            by_level
                .get(level)
                .map_or(0.0, |(n, h)| if *h > 0.0 { n / h } else { 0.0 })
        };
        let mut pairs: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
        for r in all.iter().filter(hist) {
            pairs
                .entry(r.level)
                .or_default()
                .push((r.petitions, r.headcount * rate(r.level)));
        }
        let size: BTreeMap<&str, f64> =
            pairs.iter().map(|(l, p)| (*l, stats::nb_size(p))).collect();
        let tested: Vec<(&Row<'_>, f64, f64)> = all
            .iter()
            .filter(|r| r.quarter == target)
            .map(|r| {
                (
                    r,
                    r.headcount * rate(r.level),
                    size.get(r.level).copied().unwrap_or(f64::INFINITY),
                )
            })
            .filter(|(_, mu, _)| *mu >= s.min_expected)
            .collect();
        let p: Vec<f64> = tested
            .iter()
            .map(|(r, mu, k)| stats::upper_tail(r.petitions as u64, *mu, *k))
            .collect();
        let q = stats::bh_q_values(&p);
        let n_tested = tested.len();
        let mut flags: Vec<Flag> = tested
            .iter()
            .zip(p.iter().zip(&q))
            .filter(|(_, (_, q))| **q < s.q.get())
            .map(|((r, mu, k), (p, q))| Flag {
                detector: NAME,
                unit_id: r.unit.to_string(),
                person_id: None,
                quarter: target,
                window: 1,
                evidence: Evidence {
                    observed: r.petitions,
                    expected: *mu,
                    statistic: r.petitions / mu,
                    p_value: *p,
                    q_value: *q,
                    threshold: s.q.get(),
                    n_tested,
                    rule: format!(
                        "peers: headcount x {} rate over {} prior quarters; negative binomial size {}; BH across units",
                        r.level,
                        s.history_quarters,
                        if k.is_finite() { format!("{k:.1}") } else { "inf (Poisson)".into() }
                    ),
                },
            })
            .collect();
        flags.sort_by(|a, b| {
            a.evidence
                .q_value
                .total_cmp(&b.evidence.q_value)
                .then_with(|| a.unit_id.cmp(&b.unit_id))
        });
        Ok(flags)
    }
}
