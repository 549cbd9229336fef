//! Synthetic petitions (信访举报) for one quarter, with clues and their
//! dispositions.

use chrono::{Duration, NaiveDate};
use rand::Rng;

use super::names;
use super::signals::Plant;
use super::tree;
use super::world::{World, gamma_days, weighted};
use crate::model::{
    Channel, Discipline, Disposition, KeyField, LeaderRole, PersonRole, PetitionClass, Quarter,
};

/// One generated petition, as the export writes it.
#[derive(Debug, Clone)]
pub struct Petition {
    pub id: String,
    pub received: NaiveDate,
    pub channel: Channel,
    pub class: PetitionClass,
    pub unit: usize,
    /// Index into `World::leaders`.
    pub person: Option<usize>,
    pub role: PersonRole,
    pub field: Option<KeyField>,
    pub discipline: Option<Discipline>,
    pub signed: bool,
    pub repeat: bool,
    pub reporter: Option<String>,
    pub summary: String,
    pub clue: bool,
    pub disposition: Option<Disposition>,
    pub disposed: Option<NaiveDate>,
}

const CHANNEL_W: [f64; 5] = [0.25, 0.10, 0.15, 0.40, 0.10];
const CLASS_W: [f64; 4] = [0.65, 0.12, 0.08, 0.15];
const ROLE_W: [f64; 4] = [0.10, 0.22, 0.48, 0.20];
const DISCIPLINE_W: [f64; 8] = [0.05, 0.10, 0.35, 0.15, 0.15, 0.08, 0.07, 0.05];
const DISPOSITION_W: [f64; 5] = [0.45, 0.25, 0.10, 0.15, 0.05];

/// Draws the people and matter of one petition about `unit`.
struct Draw<'a> {
    world: &'a World,
    quarter: Quarter,
}

impl Draw<'_> {
    fn petition<R: Rng>(
        &self,
        rng: &mut R,
        unit: usize,
        id: String,
        role: Option<PersonRole>,
    ) -> Petition {
        let w = self.world;
        let received = w.day_in(rng, self.quarter);
        let class = PetitionClass::ALL[weighted(rng, &CLASS_W)];
        let mut role = role.unwrap_or_else(|| PersonRole::ALL[weighted(rng, &ROLE_W)]);
        let person = match role {
            PersonRole::TopLeader => tree::top_leader_on(&w.leaders, &w.by_unit, unit, received),
            PersonRole::Member => {
                let members: Vec<usize> = w.by_unit[unit]
                    .iter()
                    .copied()
                    .filter(|&i| w.leaders[i].role == LeaderRole::Member)
                    .collect();
                (!members.is_empty()).then(|| members[rng.random_range(0..members.len())])
            }
            PersonRole::Other | PersonRole::Unknown => None,
        };
        if person.is_none() && matches!(role, PersonRole::TopLeader | PersonRole::Member) {
            role = PersonRole::Unknown;
        }
        let field = if rng.random_bool(0.04) {
            None
        } else {
            Some(KeyField::ALL[weighted(rng, &w.field_weights(unit, self.quarter))])
        };
        let discipline =
            (!rng.random_bool(0.05)).then(|| Discipline::ALL[weighted(rng, &DISCIPLINE_W)]);
        let signed = rng.random_bool(0.4);
        let clue_p = match (class, role) {
            (PetitionClass::Accusation, PersonRole::TopLeader) => 0.45,
            (PetitionClass::Accusation, _) => 0.30,
            _ => 0.0,
        };
        let clue = rng.random_bool(clue_p);
        let (disposition, disposed) = if clue {
            let mean = if role == PersonRole::TopLeader {
                12.0
            } else {
                25.0
            };
            let day = received + Duration::days(gamma_days(rng, mean, 2.0).max(1));
            let d = Disposition::ALL[weighted(rng, &DISPOSITION_W)];
            if day <= w.as_of {
                (Some(d), Some(day))
            } else {
                (None, None)
            }
        } else if class == PetitionClass::OutOfScope {
            let day = received + Duration::days(rng.random_range(1..=10));
            if day <= w.as_of {
                (Some(Disposition::Refer), Some(day))
            } else {
                (None, None)
            }
        } else {
            (None, None)
        };
        Petition {
            id,
            received,
            channel: Channel::ALL[weighted(rng, &CHANNEL_W)],
            class,
            unit,
            person,
            role,
            field,
            discipline,
            signed,
            repeat: rng.random_bool(0.12),
            reporter: signed.then(|| names::reporter(rng)),
            summary: names::summary(rng, &w.units[unit].name, field),
            clue,
            disposition,
            disposed,
        }
    }
}

/// Every petition received in `q`, in a fixed order. `seq` numbers them
/// across quarters.
pub fn in_quarter<R: Rng>(rng: &mut R, world: &World, q: Quarter, seq: &mut u64) -> Vec<Petition> {
    let draw = Draw { world, quarter: q };
    let next_id = |seq: &mut u64| {
        *seq += 1;
        format!("XF{}{:08}", q.year(), *seq)
    };
    let mut out = Vec::new();
    for u in 0..world.units.len() {
        for _ in 0..world.count(rng, u, q) {
            let id = next_id(seq);
            out.push(draw.petition(rng, u, id, None));
        }
    }
    for plant in world.plants.iter().filter(|p| p.active(q)) {
        match *plant {
            Plant::ProminentLeader {
                leader,
                per_quarter,
                ..
            } => {
                let unit = world.leaders[leader].unit;
                let reporter = names::reporter(rng);
                for i in 0..per_quarter {
                    let id = next_id(seq);
                    let mut p = draw.petition(rng, unit, id, Some(PersonRole::TopLeader));
                    p.person = Some(leader);
                    p.class = PetitionClass::Accusation;
                    p.signed = i % 4 != 3;
                    p.reporter = p.signed.then(|| reporter.clone());
                    p.repeat = i % 2 == 1;
                    out.push(p);
                }
            }
            Plant::OverdueClues { unit, count, .. } => {
                for _ in 0..count {
                    let id = next_id(seq);
                    let mut p = draw.petition(rng, unit, id, Some(PersonRole::TopLeader));
                    if p.person.is_none() {
                        continue;
                    }
                    p.received = q.first_day() + Duration::days(rng.random_range(0..20));
                    p.class = PetitionClass::Accusation;
                    p.clue = true;
                    p.disposition = None;
                    p.disposed = None;
                    out.push(p);
                }
            }
            _ => {}
        }
    }
    out
}
