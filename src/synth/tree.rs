//! The synthetic unit tree (组织单位) and its leadership teams (领导班子).

use chrono::NaiveDate;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use super::names;
use crate::model::{LeaderRole, Quarter, Rank, UnitLevel};

/// A unit of the synthetic city; `effect` is its hidden petition propensity.
#[derive(Debug, Clone)]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub parent: Option<usize>,
    pub level: UnitLevel,
    pub headcount: u32,
    pub portfolio: Option<&'static str>,
    /// Persistent multiplier on the petition rate, not explained by size.
    pub effect: f64,
    /// The district a street or community belongs to (itself for a district).
    pub district: Option<usize>,
}

/// One tenure of one leader in one unit.
#[derive(Debug, Clone)]
pub struct Leader {
    pub person_id: String,
    pub unit: usize,
    pub role: LeaderRole,
    pub rank: Rank,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

/// How many units of each kind the tree has.
#[derive(Debug, Clone, Copy)]
pub struct TreeSize {
    pub districts: usize,
    pub bureaus: usize,
    pub soes: usize,
    pub universities: usize,
    /// Mean streets per district.
    pub streets: usize,
    /// Share of streets that list communities, and how many each.
    pub community_share: f64,
    pub communities: usize,
}

impl TreeSize {
    /// A tree like Beijing's: about 16 districts, 45 bureaus, 30 SOEs and
    /// 20 universities.
    pub const CITY: TreeSize = TreeSize {
        districts: 16,
        bureaus: 45,
        soes: 30,
        universities: 20,
        streets: 14,
        community_share: 0.3,
        communities: 3,
    };

    /// About how many units this size makes.
    pub fn approx_units(self) -> usize {
        let streets = self.districts * self.streets;
        1 + self.districts
            + self.bureaus
            + self.soes
            + self.universities
            + streets
            + (streets as f64 * self.community_share * self.communities as f64) as usize
    }

    /// The city shape grown or shrunk to about `units` units.
    pub fn scaled_to(units: usize) -> TreeSize {
        let f = units as f64 / Self::CITY.approx_units() as f64;
        let n = |x: usize| ((x as f64 * f).round() as usize).max(1);
        TreeSize {
            districts: n(Self::CITY.districts),
            bureaus: n(Self::CITY.bureaus),
            soes: n(Self::CITY.soes),
            universities: n(Self::CITY.universities),
            ..Self::CITY
        }
    }
}

fn numbered(list: &[&str], i: usize) -> String {
    let base = list[i % list.len()];
    match i / list.len() {
        0 => base.to_string(),
        k => format!("{base}{}", k + 1),
    }
}

fn headcount<R: Rng>(rng: &mut R, level: UnitLevel) -> u32 {
    let median: f64 = match level {
        UnitLevel::City => 600.0,
        UnitLevel::District => 2500.0,
        UnitLevel::Bureau => 900.0,
        UnitLevel::Street => 180.0,
        UnitLevel::Community => 25.0,
        UnitLevel::Soe => 3000.0,
        UnitLevel::University => 2500.0,
        UnitLevel::Other => 100.0,
    };
    let d = LogNormal::new(median.ln(), 0.5).unwrap_or_else(|_| unreachable!("valid sigma"));
    (d.sample(rng).round() as u32).max(5)
}

/// Builds the unit tree in a fixed order (deterministic for a seed).
pub fn units<R: Rng>(rng: &mut R, size: TreeSize) -> Vec<Unit> {
    let effect = LogNormal::new(0.0, 0.35).unwrap_or_else(|_| unreachable!("valid sigma"));
    let mut out = Vec::new();
    let push = |rng: &mut R,
                out: &mut Vec<Unit>,
                id: String,
                name: String,
                parent: Option<usize>,
                level,
                portfolio,
                district| {
        out.push(Unit {
            id,
            name,
            parent,
            level,
            headcount: headcount(rng, level),
            portfolio,
            effect: effect.sample(rng),
            district,
        });
        out.len() - 1
    };
    let city = push(
        rng,
        &mut out,
        "C0000".into(),
        names::CITY.into(),
        None,
        UnitLevel::City,
        None,
        None,
    );
    let portfolio = |i: usize| Some(names::PORTFOLIOS[i % names::PORTFOLIOS.len()]);
    for d in 0..size.districts {
        let did = format!("D{:02}", d + 1);
        let p = portfolio(d);
        let di = push(
            rng,
            &mut out,
            did.clone(),
            numbered(names::DISTRICTS, d),
            Some(city),
            UnitLevel::District,
            p,
            None,
        );
        out[di].district = Some(di);
        let streets = rng
            .random_range(size.streets / 2..=size.streets * 3 / 2)
            .max(1);
        for s in 0..streets {
            let sid = format!("{did}S{:02}", s + 1);
            let name = names::street_name(rng, s + 1);
            let si = push(
                rng,
                &mut out,
                sid.clone(),
                name,
                Some(di),
                UnitLevel::Street,
                p,
                Some(di),
            );
            if rng.random_bool(size.community_share) {
                for c in 0..size.communities {
                    let name = names::community_name(rng, c + 1);
                    push(
                        rng,
                        &mut out,
                        format!("{sid}C{:02}", c + 1),
                        name,
                        Some(si),
                        UnitLevel::Community,
                        p,
                        Some(di),
                    );
                }
            }
        }
    }
    let groups: [(&[&str], usize, UnitLevel, char); 3] = [
        (names::BUREAUS, size.bureaus, UnitLevel::Bureau, 'B'),
        (names::SOES, size.soes, UnitLevel::Soe, 'E'),
        (
            names::UNIVERSITIES,
            size.universities,
            UnitLevel::University,
            'U',
        ),
    ];
    for (list, count, level, prefix) in groups {
        for i in 0..count {
            let id = format!("{prefix}{:03}", i + 1);
            push(
                rng,
                &mut out,
                id,
                numbered(list, i),
                Some(city),
                level,
                portfolio(i + 1),
                None,
            );
        }
    }
    out
}

/// Members of a unit's leadership team besides the top leader.
fn members<R: Rng>(rng: &mut R, level: UnitLevel) -> usize {
    match level {
        UnitLevel::Community => rng.random_range(1..=2),
        UnitLevel::Street => rng.random_range(3..=5),
        _ => rng.random_range(4..=7),
    }
}

fn rank(level: UnitLevel, role: LeaderRole) -> Rank {
    match (level, role) {
        (UnitLevel::City, _) => Rank::CityManaged,
        (
            UnitLevel::District | UnitLevel::Bureau | UnitLevel::Soe | UnitLevel::University,
            LeaderRole::TopLeader,
        ) => Rank::CityManaged,
        (UnitLevel::District | UnitLevel::Bureau, LeaderRole::Member) => Rank::CityManaged,
        (UnitLevel::Street, _) | (UnitLevel::Soe | UnitLevel::University, LeaderRole::Member) => {
            Rank::DistrictManaged
        }
        _ => Rank::Other,
    }
}

fn date_between<R: Rng>(rng: &mut R, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(0);
    from + chrono::Duration::days(rng.random_range(0..=days))
}

/// Leadership teams: every unit has one top leader at any time and several
/// members; about one unit in six changes its top leader during the period.
pub fn leaders<R: Rng>(rng: &mut R, units: &[Unit], first: Quarter, last: Quarter) -> Vec<Leader> {
    let period_start = first.first_day();
    let period_end = last.last_day();
    let long_ago = period_start - chrono::Duration::days(8 * 365);
    let mut out = Vec::new();
    let mut seq = 0usize;
    let next_id = |seq: &mut usize| {
        *seq += 1;
        format!("P{:06}", *seq)
    };
    for (ui, u) in units.iter().enumerate() {
        let start = date_between(rng, long_ago, period_start);
        let top_rank = rank(u.level, LeaderRole::TopLeader);
        let top = |seq: &mut usize, start: NaiveDate, end: Option<NaiveDate>| Leader {
            person_id: next_id(seq),
            unit: ui,
            role: LeaderRole::TopLeader,
            rank: top_rank,
            start,
            end,
        };
        if rng.random_bool(0.17) {
            let change = date_between(
                rng,
                period_start + chrono::Duration::days(90),
                period_end - chrono::Duration::days(90),
            );
            out.push(top(&mut seq, start, Some(change)));
            out.push(top(&mut seq, change.succ_opt().unwrap_or(change), None));
        } else {
            out.push(top(&mut seq, start, None));
        }
        for _ in 0..members(rng, u.level) {
            let start = date_between(rng, long_ago, period_start);
            out.push(Leader {
                person_id: next_id(&mut seq),
                unit: ui,
                role: LeaderRole::Member,
                rank: rank(u.level, LeaderRole::Member),
                start,
                end: None,
            });
        }
    }
    out
}

/// The top leader of `unit` on `date`, as an index into `leaders`.
pub fn top_leader_on(
    leaders: &[Leader],
    by_unit: &[Vec<usize>],
    unit: usize,
    date: NaiveDate,
) -> Option<usize> {
    by_unit[unit].iter().copied().find(|&i| {
        let l = &leaders[i];
        l.role == LeaderRole::TopLeader && l.start <= date && l.end.is_none_or(|e| date <= e)
    })
}

/// Leader indices per unit.
pub fn index_by_unit(leaders: &[Leader], units: usize) -> Vec<Vec<usize>> {
    let mut by_unit = vec![Vec::new(); units];
    for (i, l) in leaders.iter().enumerate() {
        by_unit[l.unit].push(i);
    }
    by_unit
}
