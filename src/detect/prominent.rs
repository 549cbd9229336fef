//! Prominent complaints (社会反映突出): leaders named in petitions quarter
//! after quarter. A leader's petitions over the window, as a share of all
//! the petitions about their unit, are tested against the pooled share of
//! the leaders of the same role in units of the same level (beta-binomial with winsorised spread, as
//! for key fields); Benjamini–Hochberg over every leader of the role; a
//! flag needs q below the level and the leader named in at least
//! `min_quarters` of the window's quarters. Signed and repeat petitions
//! weigh in the severity: high when q is ten times below the level or when
//! half the petitions are signed or repeated.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::key_field::{beta_binomial_mid_p, icc};
use super::{DetectInput, Detector, Explanation, Outcome, Score, stats};
use crate::aggregate::person::pq;
use crate::aggregate::uq;
use crate::model::setting;
use crate::model::{Evidence, Flag, LeaderRole, Severity};

pub const NAME: &str = "prominent_complaints";

#[derive(Debug, Clone)]
pub struct ProminentComplaints {
    pub window_quarters: usize,
    /// Quarters of the window in which the leader must be named.
    pub min_quarters: usize,
    pub q: f64,
}

impl Default for ProminentComplaints {
    fn default() -> Self {
        ProminentComplaints {
            window_quarters: 4,
            min_quarters: 3,
            q: 0.10,
        }
    }
}

impl ProminentComplaints {
    /// `[detect.prominent_complaints]`: each value given, or its default,
    /// within its bounds; the leader is named in at most every quarter of
    /// the window.
    pub fn configured(
        window_quarters: Option<u32>,
        min_quarters: Option<u32>,
        q: Option<f64>,
    ) -> Result<Self, String> {
        let d = Self::default();
        let key = "[detect.prominent_complaints]";
        let window_quarters = setting::quarters(
            &format!("{key} window_quarters"),
            window_quarters,
            d.window_quarters,
            &super::QUARTERS,
        )?;
        let min_quarters = setting::quarters(
            &format!("{key} min_quarters"),
            min_quarters,
            d.min_quarters,
            &super::QUARTERS,
        )?;
        if min_quarters > window_quarters {
            return Err(format!(
                "{key} min_quarters = {min_quarters} is more than window_quarters = {window_quarters}"
            ));
        }
        Ok(ProminentComplaints {
            window_quarters,
            min_quarters,
            q: setting::ratio(&format!("{key} q"), q, d.q)?.get(),
        })
    }
}

struct Leader {
    person: String,
    unit: String,
    role: String,
    named: f64,
    signed: f64,
    repeat: f64,
    quarters: u32,
    unit_petitions: f64,
}

fn leaders(input: &DetectInput<'_>, window: &[String]) -> PolarsResult<Vec<Leader>> {
    let people = input.person_quarter;
    if people.height() == 0 {
        return Ok(Vec::new());
    }
    let in_window = |c: &str| {
        col(c).is_in(
            lit(Series::new("w".into(), window.to_vec())).implode(false),
            false,
        )
    };
    let per_person = people
        .clone()
        .lazy()
        .filter(in_window(pq::QUARTER))
        .group_by([col(pq::PERSON_ID)])
        .agg([
            col(pq::UNIT_ID).first(),
            col(pq::ROLE).first(),
            col(pq::PETITIONS).cast(DataType::Float64).sum(),
            col(pq::SIGNED).cast(DataType::Float64).sum(),
            col(pq::REPEAT).cast(DataType::Float64).sum(),
            col(pq::PETITIONS)
                .gt(lit(0))
                .sum()
                .cast(DataType::UInt32)
                .alias("__quarters"),
        ]);
    let per_unit = input
        .unit_quarter
        .0
        .clone()
        .lazy()
        .filter(in_window(uq::QUARTER))
        .group_by([col(uq::UNIT_ID)])
        .agg([col(uq::PETITIONS)
            .cast(DataType::Float64)
            .sum()
            .alias("__unit_petitions")]);
    let df = per_person
        .join(
            per_unit,
            [col(pq::UNIT_ID)],
            [col(uq::UNIT_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .sort([pq::PERSON_ID], Default::default())
        .collect()?;
    let text = |c: &str| -> PolarsResult<Vec<String>> {
        Ok(df
            .column(c)?
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect())
    };
    let num = |c: &str| -> PolarsResult<Vec<f64>> {
        Ok(df
            .column(c)?
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| v.unwrap_or(0.0))
            .collect())
    };
    let (person, unit, role) = (text(pq::PERSON_ID)?, text(pq::UNIT_ID)?, text(pq::ROLE)?);
    let (named, signed, repeat) = (num(pq::PETITIONS)?, num(pq::SIGNED)?, num(pq::REPEAT)?);
    let (quarters, unit_petitions) = (num("__quarters")?, num("__unit_petitions")?);
    Ok((0..df.height())
        .map(|i| Leader {
            person: person[i].clone(),
            unit: unit[i].clone(),
            role: role[i].clone(),
            named: named[i],
            signed: signed[i],
            repeat: repeat[i],
            quarters: quarters[i] as u32,
            unit_petitions: unit_petitions[i].max(named[i]),
        })
        .collect())
}

impl Detector for ProminentComplaints {
    fn name(&self) -> &'static str {
        NAME
    }

    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
        let window = super::window(input.quarter, self.window_quarters);
        let all = leaders(input, &window)?;
        let units: BTreeMap<String, (String, String)> = {
            let df = &input.unit_quarter.0;
            let id = df.column(uq::UNIT_ID)?.str()?;
            let name = df.column(uq::NAME)?.str()?;
            let level = df.column(uq::LEVEL)?.cast(&DataType::String)?;
            let level = level.str()?;
            (0..df.height())
                .filter_map(|i| {
                    Some((
                        id.get(i)?.to_string(),
                        (name.get(i)?.to_string(), level.get(i)?.to_string()),
                    ))
                })
                .collect()
        };
        let level_of = |u: &str| units.get(u).map_or("other", |(_, l)| l.as_str());
        // Peers: the same role in units of the same level.
        let mut by_role: BTreeMap<(&str, &str), Vec<&Leader>> = BTreeMap::new();
        // Leaders named in the window: the others are mostly out of office
        // (the table holds everyone named in its quarters).
        for l in all.iter().filter(|l| l.named > 0.0) {
            by_role
                .entry((l.role.as_str(), level_of(&l.unit)))
                .or_default()
                .push(l);
        }
        let mut out = Outcome::default();
        for ((role, level), group) in by_role {
            let pairs: Vec<(f64, f64)> =
                group.iter().map(|l| (l.named, l.unit_petitions)).collect();
            let (sx, sn) = pairs
                .iter()
                .fold((0.0, 0.0), |(a, b), (x, n)| (a + x, b + n));
            if group.len() < 3 || sn <= 0.0 {
                continue;
            }
            let share = sx / sn;
            let rho = icc(&pairs, share);
            let p: Vec<f64> = group
                .iter()
                .map(|l| beta_binomial_mid_p(l.named as u64, l.unit_petitions as u64, share, rho))
                .collect();
            let q = stats::bh_q_values(&p);
            let role_zh = LeaderRole::parse(role).map_or(role, |r| r.label_zh());
            let role_en = LeaderRole::parse(role).map_or(role, |r| r.label_en());
            for ((l, p), q) in group.iter().zip(&p).zip(&q) {
                let unit_name = units
                    .get(&l.unit)
                    .map_or_else(|| l.unit.clone(), |(n, _)| n.clone());
                let flagged = *q < self.q && l.quarters as usize >= self.min_quarters;
                let own_share = l.named / l.unit_petitions.max(1.0);
                out.scores.push(Score {
                    detector: NAME,
                    unit_id: l.unit.clone(),
                    unit_name: format!("{unit_name} · {role_zh} · {}", l.person),
                    group: format!("{level} {role}"),
                    quarter: input.quarter,
                    window: self.window_quarters as u8,
                    observed: l.named,
                    expected_peer: l.unit_petitions * share,
                    expected_history: l.unit_petitions * share,
                    rr: own_share / share,
                    rr_lo: f64::NAN,
                    rr_hi: f64::NAN,
                    p_peer: *p,
                    p: *p,
                    q: *q,
                    rank: 0,
                    flagged,
                    windows: Vec::new(),
                    not_tested: None,
                });
                if !flagged {
                    continue;
                }
                // Half or more signed, or half or more repeated.
                let weighty = 2.0 * l.signed.max(l.repeat) >= l.named;
                out.flags.push(Flag {
                    detector: NAME,
                    unit_id: l.unit.clone(),
                    unit_name: unit_name.clone(),
                    person_id: Some(l.person.clone()),
                    field: None,
                    subject: None,
                    quarter: input.quarter,
                    window: self.window_quarters as u8,
                    severity: if *q < self.q / 10.0 || weighty { Severity::High } else { Severity::Medium },
                    sentence_zh: format!(
                        "{unit_name}{role_zh}（{}）近{}个季度中有{}个季度被信访举报反映，共{:.0}件（署名{:.0}件、重复件{:.0}件），占该单位信访举报的{:.1}%，同类职务平均为{:.1}%，q={:.3}。",
                        l.person, self.window_quarters, l.quarters, l.named, l.signed, l.repeat, own_share * 100.0, share * 100.0, q
                    ),
                    sentence_en: format!(
                        "{unit_name}, {role_en} ({}): named in petitions in {} of the last {} quarters, {:.0} in all ({:.0} signed, {:.0} repeat), {:.1}% of the unit's petitions against {:.1}% for the role, q={:.3}.",
                        l.person, l.quarters, self.window_quarters, l.named, l.signed, l.repeat, own_share * 100.0, share * 100.0, q
                    ),
                    evidence: Evidence {
                        observed: l.named,
                        expected: l.unit_petitions * share,
                        statistic: own_share / share,
                        p_value: *p,
                        q_value: *q,
                        threshold: self.q,
                        n_tested: group.len(),
                        rule: format!(
                            "petitions naming the leader over {} quarters, of the unit's petitions, against the pooled share of the role in units of the same level (beta-binomial, winsorised spread), mid-p; BH over the role's leaders named in the window; named in at least {} of the quarters; high severity when q < {} or at least half are signed or at least half repeated",
                            self.window_quarters, self.min_quarters, self.q / 10.0
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
        Explanation {
            method: "Per leader, over the window: petitions naming them, as a share of all petitions about their\n\
                     unit, against the pooled share of the leaders of the same role (top leader, team member);\n\
                     spread between leaders beyond binomial by winsorised moments (beta-binomial); mid-p; BH over\n\
                     the role's leaders. Flagged when q is below the level and the leader was named in at least\n\
                     min_quarters of the window's quarters."
                .into(),
            settings: vec![
                ("[detect.prominent_complaints] window_quarters".into(), self.window_quarters.to_string()),
                ("[detect.prominent_complaints] min_quarters".into(), self.min_quarters.to_string()),
                ("[detect.prominent_complaints] q".into(), self.q.to_string()),
            ],
            example: format!(
                "A top leader named in 20 of their unit's 120 petitions where top leaders average 5%: mid-p = {:.1e}.",
                beta_binomial_mid_p(20, 120, 0.05, 0.005)
            ),
        }
    }
}
