//! The spot-check sample of personal-matters reports (个人有关事项报告
//! 随机抽查, clause 二十): each year a share of city-managed cadres, a
//! further share of top leaders not already drawn, and every district
//! party and government head. Pure: the leaders in office, the rules and a
//! seed in; the list, each person with the reason they were drawn, out.
//! The same seed and leaders give the same list.

use std::collections::{BTreeSet, HashSet};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// A leader who may be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub person_id: String,
    pub unit_id: String,
    pub unit_name: String,
    /// `top_leader` or `member`.
    pub role: String,
    /// `city_managed`, `district_managed` or `other`.
    pub rank: String,
    /// The unit is a district (区) of the city.
    pub district: bool,
}

/// Why a person is in the sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The random share of city-managed cadres.
    CityManaged,
    /// The further random share of top leaders not already drawn.
    TopLeader,
    /// Every district party and government head.
    DistrictHead,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::CityManaged => "city_managed_random",
            Reason::TopLeader => "top_leader_random",
            Reason::DistrictHead => "district_head",
        }
    }
    pub fn zh(self, rules: &Rules) -> String {
        match self {
            Reason::CityManaged => {
                format!("市管干部中随机抽取{:.0}%", rules.city_managed_rate * 100.0)
            }
            Reason::TopLeader => format!(
                "未被抽中的主要负责人中另行随机抽取（占主要负责人{:.0}%）",
                rules.top_leader_rate * 100.0
            ),
            Reason::DistrictHead => "区党政主要负责人全部抽查".into(),
        }
    }
}

/// The rules of the draw, from the pipeline file.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub city_managed_rate: f64,
    pub top_leader_rate: f64,
    pub all_district_heads: bool,
    pub exclude_previous_year: bool,
}

/// `[sample.personal_matters]`: the spot-check sample of clause 二十.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalMattersSection {
    pub city_managed_rate: Option<f64>,
    pub top_leader_rate: Option<f64>,
    pub all_district_heads: Option<bool>,
    pub exclude_previous_year: Option<bool>,
}

impl Rules {
    /// `[sample.personal_matters]`: rates in 0..=1; the defaults for what is
    /// not given.
    pub fn configured(r: Option<&PersonalMattersSection>) -> Result<Self, String> {
        use crate::model::setting::ratio;
        let d = Self::default();
        let Some(r) = r else { return Ok(d) };
        Ok(Rules {
            city_managed_rate: ratio(
                "[sample.personal_matters] city_managed_rate",
                r.city_managed_rate,
                d.city_managed_rate,
            )?
            .get(),
            top_leader_rate: ratio(
                "[sample.personal_matters] top_leader_rate",
                r.top_leader_rate,
                d.top_leader_rate,
            )?
            .get(),
            all_district_heads: r.all_district_heads.unwrap_or(d.all_district_heads),
            exclude_previous_year: r.exclude_previous_year.unwrap_or(d.exclude_previous_year),
        })
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            city_managed_rate: 0.10,
            top_leader_rate: 0.10,
            all_district_heads: true,
            exclude_previous_year: true,
        }
    }
}

/// One person drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub candidate: Candidate,
    pub reason: Reason,
}

/// How many of `n` a share `rate` draws: rounded up, so a share of a small
/// group is never nobody.
pub fn quota(n: usize, rate: f64) -> usize {
    ((n as f64 * rate).ceil() as usize).min(n)
}

/// Draws the sample. `excluded`: people drawn the year before (not drawn
/// at random again; district heads are always drawn). Candidates are
/// ordered by id before the draw, so their input order does not matter.
pub fn draw(
    candidates: &[Candidate],
    rules: &Rules,
    seed: u64,
    excluded: &HashSet<String>,
) -> Vec<Drawn> {
    let mut all: Vec<&Candidate> = candidates.iter().collect();
    all.sort_by(|a, b| a.person_id.cmp(&b.person_id));
    all.dedup_by(|a, b| a.person_id == b.person_id);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    let mut random = |pool: Vec<&Candidate>,
                      k: usize,
                      reason: Reason,
                      taken: &mut BTreeSet<String>,
                      out: &mut Vec<Drawn>| {
        let mut pool: Vec<&Candidate> = pool
            .into_iter()
            .filter(|c| !excluded.contains(&c.person_id) && !taken.contains(&c.person_id))
            .collect();
        pool.shuffle(&mut rng);
        for c in pool.into_iter().take(k) {
            taken.insert(c.person_id.clone());
            out.push(Drawn {
                candidate: (*c).clone(),
                reason,
            });
        }
    };
    let city: Vec<&Candidate> = all
        .iter()
        .copied()
        .filter(|c| c.rank == "city_managed")
        .collect();
    let k = quota(city.len(), rules.city_managed_rate);
    random(city, k, Reason::CityManaged, &mut taken, &mut out);
    let top: Vec<&Candidate> = all
        .iter()
        .copied()
        .filter(|c| c.role == "top_leader")
        .collect();
    let k = quota(top.len(), rules.top_leader_rate);
    random(top, k, Reason::TopLeader, &mut taken, &mut out);
    if rules.all_district_heads {
        for c in all.iter().filter(|c| c.district && c.role == "top_leader") {
            if taken.insert(c.person_id.clone()) {
                out.push(Drawn {
                    candidate: (*c).clone(),
                    reason: Reason::DistrictHead,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.reason, &a.candidate.person_id).cmp(&(b.reason, &b.candidate.person_id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn city(n: usize) -> Vec<Candidate> {
        (0..n)
            .map(|i| Candidate {
                person_id: format!("P{i:04}"),
                unit_id: format!("U{}", i % 50),
                unit_name: format!("单位{}", i % 50),
                role: if i % 5 == 0 { "top_leader" } else { "member" }.into(),
                rank: if i % 2 == 0 {
                    "city_managed"
                } else {
                    "district_managed"
                }
                .into(),
                district: i % 50 < 4,
            })
            .collect()
    }

    #[test]
    fn the_draw_meets_every_rule_without_duplicates() {
        let people = city(1000);
        let rules = Rules::default();
        let drawn = draw(&people, &rules, 7, &HashSet::new());
        let of = |r: Reason| drawn.iter().filter(|d| d.reason == r).count();
        assert_eq!(of(Reason::CityManaged), quota(500, 0.10));
        assert_eq!(of(Reason::TopLeader), quota(200, 0.10));
        let heads: Vec<&Candidate> = people
            .iter()
            .filter(|c| c.district && c.role == "top_leader")
            .collect();
        for h in &heads {
            assert!(
                drawn.iter().any(|d| d.candidate.person_id == h.person_id),
                "{} missing",
                h.person_id
            );
        }
        let ids: HashSet<&str> = drawn
            .iter()
            .map(|d| d.candidate.person_id.as_str())
            .collect();
        assert_eq!(ids.len(), drawn.len(), "no one twice");
        assert!(
            drawn
                .iter()
                .filter(|d| d.reason == Reason::CityManaged)
                .all(|d| d.candidate.rank == "city_managed")
        );
        assert!(
            drawn
                .iter()
                .filter(|d| d.reason == Reason::TopLeader)
                .all(|d| d.candidate.role == "top_leader")
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_list_and_another_seed_another() {
        let people = city(1000);
        let rules = Rules::default();
        let mut shuffled = people.clone();
        shuffled.reverse();
        let a = draw(&people, &rules, 42, &HashSet::new());
        assert_eq!(
            a,
            draw(&shuffled, &rules, 42, &HashSet::new()),
            "input order does not matter"
        );
        assert_ne!(a, draw(&people, &rules, 43, &HashSet::new()));
    }

    #[test]
    fn last_years_sample_is_not_drawn_at_random_again() {
        let people = city(1000);
        let rules = Rules::default();
        let last: HashSet<String> = draw(&people, &rules, 1, &HashSet::new())
            .into_iter()
            .filter(|d| d.reason != Reason::DistrictHead)
            .map(|d| d.candidate.person_id)
            .collect();
        let now = draw(&people, &rules, 2, &last);
        assert!(
            now.iter()
                .filter(|d| d.reason != Reason::DistrictHead)
                .all(|d| !last.contains(&d.candidate.person_id))
        );
        assert_eq!(
            now.iter()
                .filter(|d| d.reason == Reason::CityManaged)
                .count(),
            quota(500, 0.10)
        );
    }
}
