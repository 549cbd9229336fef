//! The plants of the oversight measures (clause 二十 and the repeat and
//! follow-up ledgers): repeat groups the export does not mark, a unit whose
//! petitions are almost never followed up, leaders past the rotation
//! thresholds, and gaps in the supervision activities, which this module
//! also generates.
//!
//! Everything here draws from its own random stream, so the petitions,
//! findings and cases of a seed stay what they were without these plants;
//! a plant only rewrites records already drawn (and drops the cases of the
//! low-conversion unit).

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};

use super::cases::Case;
use super::petitions::Petition;
use super::signals::{Plant, take};
use super::world::World;
use crate::aggregate::supervision::Minimum;
use crate::model::{
    ActivityKind, CaseSource, LeaderRole, PersonRole, PetitionClass, Quarter, SupervisingBody,
    UnitLevel,
};

/// The levels the supervision activities cover (the pipeline default).
pub const SUPERVISED: [UnitLevel; 4] = [
    UnitLevel::District,
    UnitLevel::Bureau,
    UnitLevel::Soe,
    UnitLevel::University,
];

/// One supervision activity as the export writes it.
#[derive(Debug, Clone)]
pub struct Activity {
    pub id: String,
    pub kind: ActivityKind,
    pub body: SupervisingBody,
    pub held: NaiveDate,
    pub unit: usize,
    /// Index into `World::leaders`.
    pub person: Option<usize>,
    pub note: String,
}

/// Units already carrying a plant.
fn used(plants: &[Plant], world: &World) -> Vec<usize> {
    plants
        .iter()
        .filter_map(|p| match *p {
            Plant::Spike { unit, .. }
            | Plant::Sustained { unit, .. }
            | Plant::OverdueClues { unit, .. }
            | Plant::OverdueRectification { unit, .. }
            | Plant::LowConversion { unit, .. }
            | Plant::RepeatGroup { unit, .. } => Some(unit),
            Plant::ClusterRise { district, .. } | Plant::FieldShift { district, .. } => {
                Some(district)
            }
            Plant::ProminentLeader { leader, .. } | Plant::Rotation { leader, .. } => {
                Some(world.leaders[leader].unit)
            }
            Plant::CommonProblem { .. } | Plant::SupervisionGap { .. } => None,
        })
        .collect()
}

/// Chooses the oversight plants and applies the rotation plants to the
/// leaders' start dates.
pub fn choose<R: Rng>(rng: &mut R, world: &mut World) {
    let (first, last) = (world.first, world.last);
    let quarters = (last.index() - first.index() + 1) as usize;
    let mut taken = used(&world.plants, world);
    let all: Vec<usize> = (0..world.units.len()).collect();
    let mut plants = Vec::new();
    let busy = |u: usize| {
        matches!(
            world.units[u].level,
            UnitLevel::District | UnitLevel::Bureau | UnitLevel::Street
        )
    };
    // Many petitions, almost none followed up, over the last eight quarters:
    // the busiest unit free of other plants, so the drop can be seen.
    let span = 8.min(quarters as u32);
    let from = last.offset(1 - span as i32);
    let busiest = (0..world.units.len())
        .filter(|&u| busy(u) && !taken.contains(&u))
        .max_by(|&a, &b| {
            world
                .base_mean(a, last)
                .total_cmp(&world.base_mean(b, last))
        });
    if let Some(unit) = busiest {
        taken.push(unit);
        plants.push(Plant::LowConversion {
            unit,
            from,
            quarters: span,
        });
    }
    // Repeat groups in the last quarter: (follow-ups, marked, signed).
    for (size, marked, signed) in [
        (3, false, true),
        (2, false, true),
        (3, false, false),
        (2, true, true),
    ] {
        if let Some(unit) = take(
            rng,
            &all,
            &|u| busy(u) && world.base_mean(u, last) >= 30.0,
            &mut taken,
        ) {
            plants.push(Plant::RepeatGroup {
                unit,
                quarter: last,
                follow_ups: size,
                marked,
                signed,
            });
        }
    }
    // Leaders in the same post past both thresholds (5 and 10 years).
    let as_of = world.as_of;
    let mut leaders: Vec<usize> = (0..world.leaders.len())
        .filter(|&i| {
            let l = &world.leaders[i];
            l.end.is_none()
                && l.start <= first.first_day()
                && SUPERVISED.contains(&world.units[l.unit].level)
                && !taken.contains(&l.unit)
        })
        .collect();
    leaders.shuffle(rng);
    let mut rotations = Vec::new();
    for (role, years) in [
        (LeaderRole::TopLeader, 11.4),
        (LeaderRole::Member, 10.6),
        (LeaderRole::TopLeader, 7.2),
    ] {
        if let Some(&leader) = leaders
            .iter()
            .find(|&&i| world.leaders[i].role == role && !rotations.contains(&i))
        {
            rotations.push(leader);
            plants.push(Plant::Rotation {
                leader,
                years,
                quarter: last,
            });
        }
    }
    for p in &plants {
        if let Plant::Rotation { leader, years, .. } = *p {
            world.leaders[leader].start = as_of - Duration::days((years * 365.25) as i64);
        }
    }
    // Supervision gaps in the last year.
    let year = last.year();
    let year_start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(as_of);
    let supervised: Vec<usize> = (0..world.units.len())
        .filter(|&u| SUPERVISED.contains(&world.units[u].level) && !taken.contains(&u))
        .collect();
    let top_all_year: Vec<usize> = (0..world.leaders.len())
        .filter(|&i| {
            let l = &world.leaders[i];
            l.role == LeaderRole::TopLeader
                && l.start <= year_start
                && l.end.is_none()
                && supervised.contains(&l.unit)
        })
        .collect();
    let mut tops = top_all_year.clone();
    tops.shuffle(rng);
    for (k, body) in [SupervisingBody::Discipline, SupervisingBody::Organisation]
        .into_iter()
        .enumerate()
    {
        if let Some(&leader) = tops.get(k) {
            plants.push(Plant::SupervisionGap {
                minimum: Minimum::Talk,
                body: Some(body),
                unit: world.leaders[leader].unit,
                leader: Some(leader),
                year,
                last,
            });
        }
    }
    let mut units = supervised.clone();
    units.shuffle(rng);
    if let Some(&unit) = units.first() {
        plants.push(Plant::SupervisionGap {
            minimum: Minimum::Attendance,
            body: Some(SupervisingBody::Organisation),
            unit,
            leader: None,
            year,
            last,
        });
    }
    // A new top leader of the year without a timely appointment talk.
    let new_tops: Vec<usize> = (0..world.leaders.len())
        .filter(|&i| {
            let l = &world.leaders[i];
            l.role == LeaderRole::TopLeader
                && l.start >= year_start
                && (as_of - l.start).num_days() >= 60
                && supervised.contains(&l.unit)
        })
        .collect();
    if let Some(&leader) = new_tops.choose(rng) {
        plants.push(Plant::SupervisionGap {
            minimum: Minimum::AppointmentTalk,
            body: None,
            unit: world.leaders[leader].unit,
            leader: Some(leader),
            year,
            last,
        });
    }
    world.plants.extend(plants);
}

/// Rewrites the quarter's petitions for the repeat-group and low-conversion
/// plants; returns, per repeat-group plant (by index in `world.plants`),
/// the ids of its petitions, original first.
pub fn reshape_petitions<R: Rng>(
    rng: &mut R,
    world: &World,
    q: Quarter,
    petitions: &mut [Petition],
) -> Vec<(usize, Vec<String>)> {
    let mut groups = Vec::new();
    for (k, plant) in world.plants.iter().enumerate() {
        if !plant.active(q) {
            continue;
        }
        match *plant {
            Plant::LowConversion { unit, .. } => {
                for p in petitions.iter_mut().filter(|p| p.unit == unit && p.clue) {
                    // Almost nothing followed up: nine clues in ten are dropped.
                    if rng.random_bool(0.9) {
                        p.clue = false;
                        p.disposition = None;
                        p.disposed = None;
                    }
                }
            }
            Plant::RepeatGroup {
                unit,
                follow_ups,
                marked,
                signed,
                ..
            } => {
                let mut eligible: Vec<usize> = (0..petitions.len())
                    .filter(|&i| {
                        let p = &petitions[i];
                        p.unit == unit
                            && !p.clue
                            && p.class != PetitionClass::OutOfScope
                            && matches!(p.role, PersonRole::Other | PersonRole::Unknown)
                    })
                    .collect();
                eligible.shuffle(rng);
                eligible.truncate(follow_ups as usize + 1);
                if eligible.len() < 2 {
                    continue;
                }
                eligible.sort_by_key(|&i| (petitions[i].received, petitions[i].id.clone()));
                let first = petitions[eligible[0]].clone();
                let reporter = signed.then(|| super::names::reporter(rng));
                let again = ["再次反映：", "仍反映", "继续反映：", "又一次反映"];
                let mut ids = Vec::new();
                for (n, &i) in eligible.iter().enumerate() {
                    let p = &mut petitions[i];
                    p.signed = signed;
                    p.reporter = reporter.clone();
                    p.class = first.class;
                    p.field = first.field;
                    p.discipline = first.discipline;
                    p.repeat = n > 0 && marked;
                    p.summary = if n == 0 {
                        first.summary.clone()
                    } else {
                        format!("{}{}", again[(n - 1) % again.len()], first.summary)
                    };
                    ids.push(p.id.clone());
                }
                groups.push((k, ids));
            }
            _ => {}
        }
    }
    groups
}

/// Drops the petition-sourced cases of the low-conversion unit filed in `q`.
pub fn drop_cases(world: &World, q: Quarter, cases: &mut Vec<Case>) {
    for plant in world.plants.iter().filter(|p| p.active(q)) {
        if let Plant::LowConversion { unit, .. } = *plant {
            cases.retain(|c| !(c.unit == unit && c.source == CaseSource::Petition));
        }
    }
}

fn day_between<R: Rng>(rng: &mut R, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(0);
    from + Duration::days(rng.random_range(0..=days))
}

/// Whether a plant takes this activity out of the export.
fn gapped(world: &World, a: &Activity) -> bool {
    world.plants.iter().any(|p| match *p {
        Plant::SupervisionGap {
            minimum,
            body,
            unit,
            leader,
            year,
            ..
        } => {
            a.held.year() == year
                && a.unit == unit
                && body.is_none_or(|b| b == a.body)
                && a.person == leader.or(a.person)
                && a.kind == minimum.kind()
        }
        _ => false,
    })
}

/// The supervision activities of the whole period, every minimum met
/// except where a gap is planted.
pub fn supervision<R: Rng>(rng: &mut R, world: &World) -> Vec<Activity> {
    let bodies = [SupervisingBody::Discipline, SupervisingBody::Organisation];
    let units: Vec<usize> = (0..world.units.len())
        .filter(|&u| SUPERVISED.contains(&world.units[u].level))
        .collect();
    let mut out: Vec<Activity> = Vec::new();
    let period = (world.first.first_day(), world.as_of);
    let mut push = |kind, body, held, unit, person, note: &str| {
        out.push(Activity {
            id: String::new(),
            kind,
            body,
            held,
            unit,
            person,
            note: note.to_string(),
        })
    };
    for year in world.first.year()..=world.last.year() {
        let from = NaiveDate::from_ymd_opt(year, 1, 1).map_or(period.0, |d| d.max(period.0));
        let to = NaiveDate::from_ymd_opt(year, 12, 31).map_or(period.1, |d| d.min(period.1));
        for &u in &units {
            for body in bodies {
                for _ in 0..rng.random_range(1..=2) {
                    let day = day_between(rng, from, to);
                    push(
                        ActivityKind::Attendance,
                        body,
                        day,
                        u,
                        None,
                        "列席党委（党组）会议",
                    );
                }
                if rng.random_bool(0.45) {
                    let day = day_between(rng, from, to);
                    push(
                        ActivityKind::DemocraticLife,
                        body,
                        day,
                        u,
                        None,
                        "参加年度民主生活会",
                    );
                }
                // A talk with each top leader in office in the year.
                for &i in &world.by_unit[u] {
                    let l = &world.leaders[i];
                    if l.role != LeaderRole::TopLeader {
                        continue;
                    }
                    let a = l.start.max(from);
                    let b = l.end.map_or(to, |e| e.min(to));
                    if (b - a).num_days() < 30 {
                        continue;
                    }
                    let day = day_between(rng, a, b);
                    push(ActivityKind::Talk, body, day, u, Some(i), "年度谈心谈话");
                }
            }
        }
    }
    // Appointment talks for top leaders who took office in the period.
    for &u in &units {
        for &i in &world.by_unit[u] {
            let l = &world.leaders[i];
            if l.role == LeaderRole::TopLeader && l.start >= period.0 {
                let day = l.start + Duration::days(rng.random_range(3..=25));
                if day <= period.1 {
                    push(
                        ActivityKind::AppointmentTalk,
                        SupervisingBody::Discipline,
                        day,
                        u,
                        Some(i),
                        "新任职任职廉政谈话",
                    );
                }
            }
        }
    }
    out.retain(|a| !gapped(world, a));
    out.sort_by_key(|a| (a.held, a.unit, a.kind, a.body));
    let mut seq: Option<(i32, u32)> = None;
    for a in &mut out {
        let y = a.held.year();
        let n = match seq {
            Some((sy, n)) if sy == y => n + 1,
            _ => 1,
        };
        seq = Some((y, n));
        a.id = format!("JD{y}{n:05}");
    }
    out
}
