//! Synthetic cases (案件): some grown from verified petition clues, the rest
//! from other sources.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use super::petitions::Petition;
use super::world::{World, gamma_days, poisson, weighted};
use crate::model::{
    CaseSource, Discipline, Disposition, KeyField, LeaderRole, PersonRole, Quarter, Rank, Sanction,
    UnitLevel,
};

#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub unit: usize,
    pub person: Option<usize>,
    pub role: PersonRole,
    pub rank: Rank,
    pub filed: NaiveDate,
    pub closed: Option<NaiveDate>,
    pub source: CaseSource,
    pub field: Option<KeyField>,
    pub discipline: Option<Discipline>,
    pub form: u8,
    pub sanction: Option<Sanction>,
    pub amount_yuan: Option<f64>,
    /// The petition the case grew from, if any.
    pub petition: Option<String>,
}

/// Cases a quarter from sources other than petitions, per petition expected.
const OTHER_CASES_PER_PETITION: f64 = 0.08;
/// Share of verified clues that become a case.
const VERIFIED_TO_CASE: f64 = 0.35;
const FORM_W: [f64; 4] = [0.45, 0.35, 0.12, 0.08];
const OTHER_SOURCE_W: [f64; 5] = [0.35, 0.2, 0.15, 0.2, 0.1];

fn sanction<R: Rng>(rng: &mut R, form: u8) -> Sanction {
    match form {
        1 => Sanction::NoSanction,
        2 if rng.random_bool(0.3) => Sanction::Government,
        2 => Sanction::PartyLight,
        3 => Sanction::PartyHeavy,
        _ => Sanction::Prosecution,
    }
}

fn rank(world: &World, unit: usize, role: PersonRole) -> Rank {
    let level = world.units[unit].level;
    match role {
        PersonRole::TopLeader | PersonRole::Member
            if !matches!(level, UnitLevel::Street | UnitLevel::Community) =>
        {
            Rank::CityManaged
        }
        PersonRole::TopLeader | PersonRole::Member if level == UnitLevel::Street => {
            Rank::DistrictManaged
        }
        _ => Rank::Other,
    }
}

struct Builder<'a> {
    world: &'a World,
    amount: LogNormal<f64>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn case<R: Rng>(
        &self,
        rng: &mut R,
        id: String,
        unit: usize,
        person: Option<usize>,
        role: PersonRole,
        filed: NaiveDate,
        source: CaseSource,
        field: Option<KeyField>,
        discipline: Option<Discipline>,
    ) -> Case {
        let form = (weighted(rng, &FORM_W) + 1) as u8;
        let closed = filed + Duration::days(gamma_days(rng, 120.0, 3.0).max(7));
        let closed = (closed <= self.world.as_of).then_some(closed);
        let amount_yuan = (discipline == Some(Discipline::Integrity) && form >= 2)
            .then(|| (self.amount.sample(rng) * 100.0).round() / 100.0);
        Case {
            id,
            unit,
            person,
            role,
            rank: rank(self.world, unit, role),
            filed,
            closed,
            source,
            field,
            discipline,
            form,
            sanction: closed.map(|_| sanction(rng, form)),
            amount_yuan,
            petition: None,
        }
    }
}

/// A verified clue that will become a case on `filed`.
#[derive(Debug, Clone)]
pub struct PendingCase {
    pub filed: NaiveDate,
    pub petition: Petition,
}

/// Decides, once per petition, which verified clues become cases and when.
pub fn pending_from<R: Rng>(
    rng: &mut R,
    world: &World,
    petitions: &[Petition],
) -> Vec<PendingCase> {
    let mut out = Vec::new();
    for p in petitions {
        let (Some(Disposition::Verify), Some(disposed)) = (p.disposition, p.disposed) else {
            continue;
        };
        if !rng.random_bool(VERIFIED_TO_CASE) {
            continue;
        }
        let filed = disposed + Duration::days(rng.random_range(20..=90));
        if filed <= world.as_of {
            out.push(PendingCase {
                filed,
                petition: p.clone(),
            });
        }
    }
    out
}

/// Cases filed in `q`: the pending petition cases that fall in it, and
/// cases from other sources.
pub fn in_quarter<R: Rng>(
    rng: &mut R,
    world: &World,
    q: Quarter,
    pending: &[PendingCase],
    seq: &mut u64,
) -> Vec<Case> {
    let b = Builder {
        world,
        amount: LogNormal::new(11.0, 1.2).unwrap_or_else(|_| unreachable!("valid sigma")),
    };
    let next_id = |seq: &mut u64| {
        *seq += 1;
        format!("AJ{}{:06}", q.year(), *seq)
    };
    let mut out = Vec::new();
    for PendingCase { filed, petition: p } in pending.iter().filter(|c| q.contains(c.filed)) {
        let id = next_id(seq);
        let mut case = b.case(
            rng,
            id,
            p.unit,
            p.person,
            p.role,
            *filed,
            CaseSource::Petition,
            p.field,
            p.discipline,
        );
        case.petition = Some(p.id.clone());
        out.push(case);
    }
    for u in 0..world.units.len() {
        let n = poisson(rng, world.base_mean(u, q) * OTHER_CASES_PER_PETITION);
        for _ in 0..n {
            let role = [PersonRole::TopLeader, PersonRole::Member, PersonRole::Other]
                [weighted(rng, &[0.08, 0.15, 0.77])];
            let wanted = match role {
                PersonRole::TopLeader => Some(LeaderRole::TopLeader),
                PersonRole::Member => Some(LeaderRole::Member),
                _ => None,
            };
            let person = wanted.and_then(|r| {
                world.by_unit[u]
                    .iter()
                    .copied()
                    .find(|&i| world.leaders[i].role == r)
            });
            let role = if wanted.is_some() && person.is_none() {
                PersonRole::Other
            } else {
                role
            };
            let source = [
                CaseSource::Inspection,
                CaseSource::Audit,
                CaseSource::SelfCheck,
                CaseSource::Referral,
                CaseSource::Other,
            ][weighted(rng, &OTHER_SOURCE_W)];
            let field = (!rng.random_bool(0.05))
                .then(|| KeyField::ALL[weighted(rng, &world.field_weights(u, q))]);
            let discipline =
                Some(Discipline::ALL[weighted(rng, &[0.05, 0.1, 0.4, 0.1, 0.2, 0.1, 0.03, 0.02])]);
            let id = next_id(seq);
            let filed = world.day_in(rng, q);
            out.push(b.case(rng, id, u, person, role, filed, source, field, discipline));
        }
    }
    out.sort_by(|a, b| a.filed.cmp(&b.filed).then_with(|| a.id.cmp(&b.id)));
    out
}
