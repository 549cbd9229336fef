//! The two ledgers of the synthetic city, with planted faults and their
//! truth as of the last quarter's end:
//!
//! - actions on the unit-quarters of the four quarters before the last
//!   that a concentration detector likely flags (notices, then a
//!   verification whose finding is mostly 属实 where an excess was
//!   planted and mostly 正常波动 where it came by chance), most answered
//!   in time, some late (`late_reply`), some unanswered (`reply_overdue`),
//!   some never acted on (`no_action`, truth only where the detector
//!   raises the flag);
//! - recommendations to districts and bureaus through the period, with
//!   feedback overdue, return visits missing, copies to the wrong leader
//!   and, in a fourth quarter, recommendations left out of the year's
//!   assessment.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rand::Rng;

use super::signals::Truth;
use super::world::World;
use crate::model::{FlagAction, FlagKind, KeyField, Quarter, UnitLevel, Verdict};

/// One action on a flag, as the ledger records it.
#[derive(Debug, Clone)]
pub struct LedgerAction {
    pub id: String,
    pub unit: usize,
    pub flag_quarter: Quarter,
    pub action: FlagAction,
    pub sent: NaiveDate,
    pub due: Option<NaiveDate>,
    pub replied: Option<NaiveDate>,
    pub verdict: Option<Verdict>,
    pub note: String,
}

/// One recommendation, as the ledger records it.
#[derive(Debug, Clone)]
pub struct LedgerRecommendation {
    pub id: String,
    pub unit: usize,
    pub issued: NaiveDate,
    pub field: KeyField,
    pub copied_to: Option<&'static str>,
    pub due: NaiveDate,
    pub feedback: Option<NaiveDate>,
    pub visit: Option<NaiveDate>,
    pub assessed: bool,
}

/// Both ledgers and the faults planted in them.
#[derive(Debug, Clone, Default)]
pub struct Ledgers {
    pub actions: Vec<LedgerAction>,
    pub recommendations: Vec<LedgerRecommendation>,
    pub truth: Vec<Truth>,
}

/// Days after the quarter's end by which actions are due (`[loop]
/// action_days`'s default).
const ACTION_DAYS: i64 = 30;
/// Days after feedback by which the return visit is due.
const RETURN_VISIT_DAYS: i64 = 180;

fn day_in<R: Rng>(rng: &mut R, from: NaiveDate, days: std::ops::RangeInclusive<i64>) -> NaiveDate {
    from + Duration::days(rng.random_range(days))
}

fn truth(world: &World, kind: &'static str, unit: usize, id: &str, note: &str) -> Truth {
    Truth {
        kind,
        unit_id: world.units[unit].id.clone(),
        person_id: String::new(),
        first_quarter: world.last,
        last_quarter: world.last,
        effect: String::new(),
        note: format!("{id}: {note}"),
    }
}

/// The ledgers of the period, planted faults listed in `truth`. `counts`
/// are the petitions the ledger's flags are about.
pub fn ledgers<R: Rng>(rng: &mut R, world: &World, counts: &Counts) -> Ledgers {
    let mut out = Ledgers::default();
    actions(rng, world, counts, &mut out);
    recommendations(rng, world, &mut out);
    out
}

/// Petitions per unit in the quarters the ledger acts on (the four
/// before the last).
#[derive(Debug, Clone, Default)]
pub struct Counts(BTreeMap<(Quarter, usize), u32>);

impl Counts {
    pub fn add(&mut self, world: &World, q: Quarter, petitions: &[super::Petition]) {
        if followed(world).contains(&q) {
            for p in petitions {
                *self.0.entry((q, p.unit)).or_default() += 1;
            }
        }
    }
}

fn followed(world: &World) -> std::ops::Range<Quarter> {
    world.last.offset(-4)..world.last
}

/// The unit-quarters a concentration detector is likely to flag: a count
/// far above the unit's mean without plants (mid-p below this).
const LIKELY_FLAGGED_P: f64 = 0.002;

/// Actions on the unit-quarters the concentration detector likely flags
/// in the followed quarters; a planted excess is mostly borne out, a
/// chance one mostly found to be normal fluctuation.
fn actions<R: Rng>(rng: &mut R, world: &World, counts: &Counts, out: &mut Ledgers) {
    let end = world.last.last_day().min(world.as_of);
    let mut seq = 0;
    for (&(quarter, unit), &n) in &counts.0 {
        let m = world.base_mean(unit, quarter);
        let p = crate::detect::stats::mid_p(f64::from(n), m, m + m * m / super::NB_SIZE);
        if p >= LIKELY_FLAGGED_P {
            continue;
        }
        let planted = world.mean(unit, quarter) > m * 1.2;
        let deadline = quarter.last_day() + Duration::days(ACTION_DAYS);
        if rng.random_bool(0.15) {
            if deadline < end {
                let mut t = truth(world, "no_action", unit, "", "");
                t.note = format!(
                    "{} {quarter}: no action recorded",
                    FlagKind::Concentration.code()
                );
                out.truth.push(t);
            }
            continue;
        }
        seq += 1;
        let id = format!("CZ{}-{seq:04}", world.last.year());
        let sent = day_in(rng, quarter.last_day(), 3..=25).min(end);
        let due = sent + Duration::days(30);
        let draw: f64 = rng.random();
        let replied = if due >= end {
            None
        } else if draw < 0.2 {
            out.truth
                .push(truth(world, "reply_overdue", unit, &id, "no reply"));
            None
        } else if draw < 0.35 {
            out.truth
                .push(truth(world, "late_reply", unit, &id, "replied late"));
            Some(day_in(rng, due, 5..=40).min(end))
        } else {
            Some(day_in(rng, sent, 10..=29))
        };
        out.actions.push(LedgerAction {
            id: id.clone(),
            unit,
            flag_quarter: quarter,
            action: FlagAction::Notice,
            sent,
            due: Some(due),
            replied,
            verdict: None,
            note: "已印发督促查找分析原因通知书".into(),
        });
        // Answered notices are followed by a check with a finding.
        if let Some(r) = replied
            && r + Duration::days(10) < end
        {
            out.actions.push(LedgerAction {
                id: format!("{id}-2"),
                unit,
                flag_quarter: quarter,
                action: FlagAction::Verify,
                sent: day_in(rng, r, 1..=10),
                due: None,
                replied: None,
                verdict: Some(verdict(rng, planted)),
                note: "经初步核实".into(),
            });
        }
    }
}

fn verdict<R: Rng>(rng: &mut R, planted: bool) -> Verdict {
    let roll = rng.random_range(0..10);
    match (planted, roll) {
        (true, 0..=5) => Verdict::True,
        (true, 6..=8) => Verdict::Partly,
        (true, _) => Verdict::Untrue,
        (false, 0..=5) => Verdict::Normal,
        (false, 6..=8) => Verdict::Untrue,
        (false, _) => Verdict::Partly,
    }
}

fn recommendations<R: Rng>(rng: &mut R, world: &World, out: &mut Ledgers) {
    let end = world.last.last_day().min(world.as_of);
    let units: Vec<usize> = (0..world.units.len())
        .filter(|&u| {
            matches!(
                world.units[u].level,
                UnitLevel::District | UnitLevel::Bureau
            )
        })
        .collect();
    let fields = KeyField::KEY;
    let portfolios = super::names::PORTFOLIOS;
    let mut seq = 0;
    for q in world.first.through(world.last) {
        for _ in 0..(units.len() / 12).max(1) {
            let unit = units[rng.random_range(0..units.len())];
            let issued = day_in(rng, q.first_day(), 0..=85).min(end);
            seq += 1;
            let id = format!("JJJY-{}-{seq:03}", issued.format("%Y"));
            let due = issued + Duration::days(60);
            let feedback = match rng.random_range(0..20) {
                _ if due >= end => (rng.random_bool(0.5)).then(|| day_in(rng, issued, 20..=59)),
                0..=1 => None,
                2 => Some(day_in(rng, due, 10..=60)),
                _ => Some(day_in(rng, issued, 20..=59)),
            }
            .filter(|d| *d <= end);
            let visit = feedback.and_then(|f| {
                let by = f + Duration::days(RETURN_VISIT_DAYS);
                if by < end && rng.random_bool(0.12) {
                    None
                } else {
                    Some(day_in(rng, f, 60..=170)).filter(|d| *d <= end)
                }
            });
            let own = world.units[unit].portfolio;
            let copied_to = match rng.random_range(0..25) {
                0 => None,
                1 => portfolios.iter().copied().find(|p| Some(*p) != own),
                _ => own,
            };
            let assessed = !(q.year() == world.last.year() && rng.random_bool(0.1));
            let r = LedgerRecommendation {
                id: id.clone(),
                unit,
                issued,
                field: fields[rng.random_range(0..fields.len())],
                copied_to,
                due,
                feedback,
                visit,
                assessed,
            };
            plant_recommendation(world, &r, end, out);
            out.recommendations.push(r);
        }
    }
}

/// The faults the rules should find in `r` as of `end`.
fn plant_recommendation(
    world: &World,
    r: &LedgerRecommendation,
    end: NaiveDate,
    out: &mut Ledgers,
) {
    let id = &r.id;
    if r.due < end && r.feedback.is_none() {
        out.truth
            .push(truth(world, "feedback_overdue", r.unit, id, "no feedback"));
    }
    if let Some(f) = r.feedback
        && f + Duration::days(RETURN_VISIT_DAYS) < end
        && r.visit.is_none()
    {
        out.truth.push(truth(
            world,
            "return_visit_missing",
            r.unit,
            id,
            "no return visit",
        ));
    }
    if r.visit.is_none() && r.copied_to != world.units[r.unit].portfolio {
        out.truth.push(truth(
            world,
            "not_copied",
            r.unit,
            id,
            "not copied to the leader in charge",
        ));
    }
    if world.last.number() == 4
        && r.issued.format("%Y").to_string() == world.last.year().to_string()
        && !r.assessed
    {
        out.truth.push(truth(
            world,
            "not_assessed",
            r.unit,
            id,
            "not in the assessment",
        ));
    }
}
