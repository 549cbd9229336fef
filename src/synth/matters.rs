//! Planted matters (事项): some petitions raise again a matter begun within
//! the half year before, about the same unit, person, key field, class and
//! problem class.
//! Such a follow-up is retold (re-typed, shortened, with a detail added or
//! 再次反映 in front) and often by the same reporter; a new matter names
//! an office and states its own facts (an amount, a date, a number of
//! households). The
//! export's repeat mark follows the truth with an officer's errors: some
//! follow-ups unmarked, a few new matters marked.
//!
//! Draws from its own stream, and changes no count the detectors read
//! (unit, person, field, class, signature, clue stay as drawn).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rand::Rng;

use super::names::{self, pick};
use super::petitions::Petition;
use super::world::World;
use crate::model::{Discipline, KeyField, PetitionClass};

/// A follow-up comes within this many days of its matter's first petition.
const WINDOW_DAYS: i64 = 180;
/// The chance that a petition with an open matter like it raises that one.
const FOLLOW_UP: f64 = 0.35;
/// The export marks this share of follow-ups as repeats …
const MARKED: f64 = 0.85;
/// … and this share of new matters.
const WRONGLY_MARKED: f64 = 0.02;

/// What makes two petitions eligible for one matter.
type Key = (
    usize,
    Option<usize>,
    Option<KeyField>,
    PetitionClass,
    Option<Discipline>,
);

#[derive(Debug, Clone)]
struct Open {
    id: String,
    first: NaiveDate,
    reporter: Option<String>,
    summary: String,
}

/// The matters planted so far, and each petition's true matter.
#[derive(Debug, Default)]
pub struct MatterBook {
    open: BTreeMap<Key, Vec<Open>>,
    /// The matter each reporter began about each person: a reporter who
    /// writes about the same person again raises the same matter.
    by_reporter: BTreeMap<(usize, String), (String, NaiveDate)>,
    /// (petition id, id of its matter's first petition) of each petition
    /// that raised a matter again.
    pub truth: Vec<(String, String)>,
}

impl MatterBook {
    /// Plants the quarter's matters among `petitions`.
    pub fn plant<R: Rng>(&mut self, rng: &mut R, petitions: &mut [Petition]) {
        let mut order: Vec<usize> = (0..petitions.len()).collect();
        order.sort_by(|&a, &b| {
            (petitions[a].received, &petitions[a].id)
                .cmp(&(petitions[b].received, &petitions[b].id))
        });
        for i in order {
            let p = &mut petitions[i];
            if let (Some(person), Some(reporter)) = (p.person, &p.reporter)
                && let Some((m, first)) = self.by_reporter.get(&(person, reporter.clone()))
                && (p.received - *first).num_days() <= WINDOW_DAYS
            {
                p.repeat = rng.random_bool(MARKED);
                self.truth.push((p.id.clone(), m.clone()));
                continue;
            }
            let key = (p.unit, p.person, p.field, p.class, p.discipline);
            let open = self.open.entry(key).or_default();
            open.retain(|m| (p.received - m.first).num_days() <= WINDOW_DAYS);
            if !open.is_empty() && rng.random_bool(FOLLOW_UP) {
                let m = &open[rng.random_range(0..open.len())];
                if p.signed && m.reporter.is_some() && rng.random_bool(0.8) {
                    p.reporter = m.reporter.clone();
                }
                p.summary = retold(rng, &m.summary);
                p.repeat = rng.random_bool(MARKED);
                self.truth.push((p.id.clone(), m.id.clone()));
            } else {
                p.summary = with_facts(rng, &p.summary);
                p.repeat = rng.random_bool(WRONGLY_MARKED);
                if let (Some(person), Some(reporter)) = (p.person, &p.reporter) {
                    self.by_reporter
                        .insert((person, reporter.clone()), (p.id.clone(), p.received));
                }
                open.push(Open {
                    id: p.id.clone(),
                    first: p.received,
                    reporter: p.reporter.clone(),
                    summary: p.summary.clone(),
                });
            }
        }
    }
}

impl MatterBook {
    /// After the repeat-group plants (`groups`: petition ids, first
    /// first): a group's first petition begins a matter of its own, with
    /// its own facts, and the group's follow-ups retell it.
    pub fn absorb_groups<R: Rng>(
        &mut self,
        rng: &mut R,
        petitions: &mut [Petition],
        groups: &[(usize, Vec<String>)],
        world: &World,
    ) {
        for (_, ids) in groups {
            let Some(i) = ids
                .first()
                .and_then(|id| petitions.iter().position(|p| p.id == *id))
            else {
                continue;
            };
            let first = petitions[i].id.clone();
            self.truth.retain(|(p, _)| *p != first);
            let old = petitions[i].summary.clone();
            let base = names::summary(
                rng,
                &world.units[petitions[i].unit].name,
                petitions[i].field,
            );
            let new = with_facts(rng, &base);
            for p in petitions.iter_mut().filter(|p| ids.contains(&p.id)) {
                p.summary = p.summary.replacen(&old, &new, 1);
            }
        }
    }

    /// The truth once the repeat-group plants have made their groups
    /// (petition ids, first first) one matter each: the matters of two or
    /// more, by petition id.
    pub fn with_groups(&self, groups: &[(usize, Vec<String>)]) -> Vec<(String, String)> {
        let mut matter: BTreeMap<&str, &str> = BTreeMap::new();
        for (p, m) in &self.truth {
            matter.insert(m, m);
            matter.insert(p, m);
        }
        for (_, ids) in groups {
            let Some(first) = ids.first() else { continue };
            let m = matter
                .get(first.as_str())
                .copied()
                .unwrap_or(first.as_str());
            for id in ids {
                matter.insert(id.as_str(), m);
            }
        }
        let mut size: BTreeMap<&str, usize> = BTreeMap::new();
        for m in matter.values() {
            *size.entry(m).or_default() += 1;
        }
        matter
            .into_iter()
            .filter(|(_, m)| size[m] > 1)
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .collect()
    }
}

/// The offices a summary names (the 科室 of the people reported).
const OFFICES: [&str; 12] = [
    "办公室",
    "财务科",
    "综合科",
    "审批科",
    "执法大队",
    "基建办",
    "项目部",
    "信贷部",
    "规划科",
    "土地所",
    "服务站",
    "后勤处",
];

/// A new matter's summary with the office it names and the facts it
/// states.
fn with_facts<R: Rng>(rng: &mut R, summary: &str) -> String {
    let mut base = summary.trim_end_matches('。').to_string();
    let office = pick(rng, &OFFICES);
    if let Some(at) = ["有关负责人", "工作人员"]
        .iter()
        .find_map(|who| base.find(who))
    {
        base.insert_str(at, office);
    }
    let fact = match rng.random_range(0..20) {
        0..12 => format!("涉及金额约{}万元", rng.random_range(2..800)),
        12..17 => format!(
            "时间在{}月{}日前后",
            rng.random_range(1..=12),
            rng.random_range(1..=28)
        ),
        _ => format!("涉及{}户群众", rng.random_range(3..200)),
    };
    format!("{base}，{fact}。")
}

/// A follow-up's retelling of its matter's summary.
fn retold<R: Rng>(rng: &mut R, summary: &str) -> String {
    let base = summary.trim_end_matches('。');
    match rng.random_range(0..10) {
        // Re-typed: a few characters dropped or miswritten.
        0..3 => {
            let mut out = String::new();
            for c in base.chars() {
                match rng.random_range(0..40) {
                    0 if !c.is_ascii_digit() => {}
                    1 if !c.is_ascii_digit() => out.push('某'),
                    _ => out.push(c),
                }
            }
            format!("{out}。")
        }
        // Shortened: the facts left out.
        3..5 => format!("{}。", base.split('，').next().unwrap_or(base)),
        // A detail added.
        5..7 => format!(
            "{base}，{}。",
            pick(
                rng,
                &[
                    "并称其亲属从中获利",
                    "至今未见处理",
                    "有关材料已提交",
                    "群众意见较大"
                ]
            )
        ),
        _ => format!(
            "{}{}。",
            pick(rng, &["再次反映：", "仍反映", "继续反映", "又一次反映："]),
            base.trim_start_matches("反映")
        ),
    }
}
