//! Synthetic inspection findings (巡视巡察发现问题) and their rectification.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand::seq::index;

use super::names;
use super::signals::Plant;
use super::world::{World, poisson, weighted};
use crate::model::{InspectionKind, KeyField, Quarter, RectificationStatus, UnitLevel};

#[derive(Debug, Clone)]
pub struct Finding {
    pub id: String,
    pub round: String,
    pub kind: InspectionKind,
    pub unit: usize,
    pub reported: NaiveDate,
    pub field: Option<KeyField>,
    pub involves_top_leader: bool,
    pub description: String,
    pub due: Option<NaiveDate>,
    pub status: RectificationStatus,
    pub rectified: Option<NaiveDate>,
}

/// Share of inspectable units visited in one quarter's round.
const VISITED_SHARE: f64 = 0.06;

fn status<R: Rng>(
    rng: &mut R,
    reported: NaiveDate,
    due: NaiveDate,
    as_of: NaiveDate,
    overdue: bool,
) -> (RectificationStatus, Option<NaiveDate>) {
    use RectificationStatus::*;
    let between = |rng: &mut R, a: NaiveDate, b: NaiveDate| {
        a + Duration::days(rng.random_range(0..=(b - a).num_days().max(0)))
    };
    if overdue {
        return (
            if rng.random_bool(0.5) {
                NotStarted
            } else {
                Ongoing
            },
            None,
        );
    }
    if due > as_of {
        return match weighted(rng, &[0.4, 0.5, 0.1]) {
            0 => (Done, Some(between(rng, reported, as_of))),
            1 => (Ongoing, None),
            _ => (LongTerm, None),
        };
    }
    match weighted(rng, &[0.75, 0.12, 0.06, 0.02, 0.05]) {
        0 => (Done, Some(between(rng, reported, due))),
        1 => (
            Done,
            Some(between(rng, due.succ_opt().unwrap_or(due), as_of)),
        ),
        2 => (Ongoing, None),
        3 => (NotStarted, None),
        _ => (LongTerm, None),
    }
}

/// The findings of the inspection round held in `q`.
pub fn in_quarter<R: Rng>(rng: &mut R, world: &World, q: Quarter, seq: &mut u64) -> Vec<Finding> {
    let eligible: Vec<usize> = (0..world.units.len())
        .filter(|&u| !matches!(world.units[u].level, UnitLevel::Community | UnitLevel::City))
        .collect();
    let visits =
        ((eligible.len() as f64 * VISITED_SHARE).round() as usize).clamp(1, eligible.len().max(1));
    let mut visited: Vec<usize> = index::sample(rng, eligible.len(), visits.min(eligible.len()))
        .into_iter()
        .map(|i| eligible[i])
        .collect();
    for p in &world.plants {
        if let Plant::OverdueRectification { unit, quarter } = *p
            && quarter == q
            && !visited.contains(&unit)
        {
            visited.push(unit);
        }
    }
    visited.sort_unstable();
    let round = format!("{}年第{}轮", q.year(), q.number());
    let mut out = Vec::new();
    for u in visited {
        let overdue = world.plants.iter().any(|p| matches!(*p, Plant::OverdueRectification { unit, quarter } if unit == u && quarter == q));
        let kind = match world.units[u].level {
            UnitLevel::Street => InspectionKind::Circuit,
            _ if rng.random_bool(0.1) => InspectionKind::Audit,
            _ if rng.random_bool(0.1) => InspectionKind::FollowUp,
            _ => InspectionKind::Inspection,
        };
        let reported = world.day_in(rng, q);
        let n = 3 + poisson(rng, 4.0);
        for _ in 0..n {
            *seq += 1;
            let field = (!rng.random_bool(0.05))
                .then(|| KeyField::ALL[weighted(rng, &world.field_weights(u, q))]);
            let due = reported + Duration::days(if rng.random_bool(0.6) { 90 } else { 180 });
            let (status, rectified) = status(rng, reported, due, world.as_of, overdue);
            out.push(Finding {
                id: format!("XC{}{:06}", q.year(), *seq),
                round: format!("{round}{}", kind.label_zh()),
                kind,
                unit: u,
                reported,
                field,
                involves_top_leader: rng.random_bool(0.15),
                description: names::finding_text(rng, field),
                due: Some(due),
                status,
                rectified,
            });
        }
    }
    out
}
