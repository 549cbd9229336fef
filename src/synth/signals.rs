//! Planted signals: the effects the detectors should find, chosen at random
//! among suitable units and written to `ground_truth.csv`.

use rand::Rng;
use rand::seq::SliceRandom;

use super::tree::{Leader, Unit};
use crate::model::{KeyField, LeaderRole, Quarter, UnitLevel};

/// One planted effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Plant {
    /// One quarter whose petition count is the expected count plus `sd`
    /// standard deviations (negative binomial).
    Spike {
        unit: usize,
        quarter: Quarter,
        sd: f64,
    },
    /// Relative risk `rr` for `quarters` quarters from `from`.
    Sustained {
        unit: usize,
        from: Quarter,
        quarters: u32,
        rr: f64,
    },
    /// Every street and community of a district rises together.
    ClusterRise {
        district: usize,
        from: Quarter,
        quarters: u32,
        rr: f64,
    },
    /// A district's share of petitions in `field` moves from its usual
    /// share to `share`.
    FieldShift {
        district: usize,
        field: KeyField,
        share: f64,
        from: Quarter,
        quarters: u32,
    },
    /// Citywide, the weight of `field` is multiplied by `factor` (普遍性问题).
    CommonProblem {
        field: KeyField,
        factor: f64,
        from: Quarter,
        quarters: u32,
    },
    /// A leader named in `per_quarter` extra petitions every quarter.
    ProminentLeader {
        leader: usize,
        from: Quarter,
        quarters: u32,
        per_quarter: u32,
    },
    /// Top-leader clues received early in `quarter` and never disposed.
    OverdueClues {
        unit: usize,
        quarter: Quarter,
        count: u32,
    },
    /// An inspection round whose findings are left unrectified past due.
    OverdueRectification { unit: usize, quarter: Quarter },
    /// A unit whose clues are nine in ten dropped and whose petitions
    /// lead to no case (many reports, almost no follow-up).
    LowConversion {
        unit: usize,
        from: Quarter,
        quarters: u32,
    },
    /// One matter petitioned again `follow_ups` times in `quarter`, by one
    /// reporter (`signed`) or anonymously in near-identical words; the
    /// export marks the follow-ups as repeats only when `marked`.
    RepeatGroup {
        unit: usize,
        quarter: Quarter,
        follow_ups: u32,
        marked: bool,
        signed: bool,
    },
    /// A leader whose start in the post is moved back to `years` before
    /// the export date.
    Rotation {
        leader: usize,
        years: f64,
        quarter: Quarter,
    },
    /// A supervision minimum of `year` left unmet (the activity is not in
    /// the export).
    SupervisionGap {
        minimum: crate::aggregate::supervision::Minimum,
        body: Option<crate::model::SupervisingBody>,
        unit: usize,
        leader: Option<usize>,
        year: i32,
        /// The last quarter of `year` in the export.
        last: Quarter,
    },
}

/// A row of `ground_truth.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    pub kind: &'static str,
    pub unit_id: String,
    pub person_id: String,
    pub first_quarter: Quarter,
    pub last_quarter: Quarter,
    pub effect: String,
    pub note: String,
}

fn candidates(units: &[Unit], levels: &[UnitLevel]) -> Vec<usize> {
    units
        .iter()
        .enumerate()
        .filter(|(_, u)| levels.contains(&u.level))
        .map(|(i, _)| i)
        .collect()
}

/// A unit drawn at random from `pool` among those not `used` and `ok`;
/// it joins `used`.
pub(super) fn take<R: Rng>(
    rng: &mut R,
    pool: &[usize],
    ok: &dyn Fn(usize) -> bool,
    used: &mut Vec<usize>,
) -> Option<usize> {
    let mut pool: Vec<usize> = pool
        .iter()
        .copied()
        .filter(|i| !used.contains(i) && ok(*i))
        .collect();
    pool.shuffle(rng);
    let chosen = pool.first().copied();
    if let Some(c) = chosen {
        used.push(c);
    }
    chosen
}

/// Chooses the planted signals. `mean` gives a unit's expected petitions in
/// a quarter without plants, so spikes go where they can be seen.
pub fn choose<R: Rng>(
    rng: &mut R,
    units: &[Unit],
    leaders: &[Leader],
    first: Quarter,
    quarters: usize,
    mean: &dyn Fn(usize, Quarter) -> f64,
) -> Vec<Plant> {
    let last = first.offset(quarters as i32 - 1);
    // Plants sit in the later half so every one has history before it.
    let late = |rng: &mut R, len: u32| {
        let span = (quarters as i32 / 2).max(1);
        let start = rng.random_range(0..span) + quarters as i32 - span;
        let start = start.min(quarters as i32 - len as i32).max(0);
        first.offset(start)
    };
    let mut used: Vec<usize> = Vec::new();
    let mut plants = Vec::new();
    let busy = candidates(
        units,
        &[
            UnitLevel::District,
            UnitLevel::Bureau,
            UnitLevel::Street,
            UnitLevel::Soe,
            UnitLevel::University,
        ],
    );
    for sd in [2.0, 3.0, 5.0] {
        for _ in 0..2 {
            let quarter = late(rng, 1);
            if let Some(unit) = take(rng, &busy, &|u| mean(u, quarter) >= 6.0, &mut used) {
                plants.push(Plant::Spike { unit, quarter, sd });
            }
        }
    }
    for rr in [1.5, 2.0, 3.0] {
        let len = rng.random_range(2..=6u32).min(quarters as u32);
        let from = late(rng, len);
        if let Some(unit) = take(rng, &busy, &|u| mean(u, from) >= 8.0, &mut used) {
            plants.push(Plant::Sustained {
                unit,
                from,
                quarters: len,
                rr,
            });
        }
    }
    let districts = candidates(units, &[UnitLevel::District]);
    if let Some(district) = take(rng, &districts, &|_| true, &mut used) {
        plants.push(Plant::ClusterRise {
            district,
            from: last.offset(-1),
            quarters: 2,
            rr: 2.0,
        });
    }
    if let Some(district) = take(rng, &districts, &|_| true, &mut used) {
        plants.push(Plant::FieldShift {
            district,
            field: KeyField::Construction,
            share: 0.35,
            from: last.offset(-3),
            quarters: 4,
        });
    }
    plants.push(Plant::CommonProblem {
        field: KeyField::Land,
        factor: 1.8,
        from: last.offset(-1),
        quarters: 2,
    });
    let high = candidates(units, &[UnitLevel::District, UnitLevel::Bureau]);
    if let Some(unit) = take(rng, &high, &|_| true, &mut used) {
        let from = last.offset(-5);
        if let Some(leader) = leaders.iter().position(|l| {
            l.unit == unit
                && l.role == LeaderRole::TopLeader
                && l.start <= from.first_day()
                && l.end.is_none()
        }) {
            plants.push(Plant::ProminentLeader {
                leader,
                from,
                quarters: 6,
                per_quarter: 4,
            });
        }
    }
    if let Some(unit) = take(rng, &busy, &|_| true, &mut used) {
        plants.push(Plant::OverdueClues {
            unit,
            quarter: last,
            count: 4,
        });
    }
    let inspected = candidates(
        units,
        &[UnitLevel::Bureau, UnitLevel::Soe, UnitLevel::University],
    );
    if let Some(unit) = take(rng, &inspected, &|_| true, &mut used) {
        plants.push(Plant::OverdueRectification {
            unit,
            quarter: last.offset(-3),
        });
    }
    plants
}

impl Plant {
    /// The quarters the plant spans.
    fn span(&self) -> (Quarter, Quarter) {
        let run = |from: Quarter, n: u32| (from, from.offset(n as i32 - 1));
        match *self {
            Plant::Spike { quarter, .. } => (quarter, quarter),
            Plant::Sustained { from, quarters, .. }
            | Plant::ClusterRise { from, quarters, .. }
            | Plant::FieldShift { from, quarters, .. }
            | Plant::CommonProblem { from, quarters, .. }
            | Plant::ProminentLeader { from, quarters, .. } => run(from, quarters),
            Plant::OverdueClues { quarter, .. } => (quarter, quarter),
            Plant::OverdueRectification { quarter, .. } => (quarter, quarter),
            Plant::LowConversion { from, quarters, .. } => run(from, quarters),
            Plant::RepeatGroup { quarter, .. } => (quarter, quarter),
            Plant::Rotation { quarter, .. } => (quarter, quarter),
            Plant::SupervisionGap { year, last, .. } => {
                (Quarter::new(year, 1).unwrap_or(last), last)
            }
        }
    }

    /// Whether the plant is active in `q`.
    pub fn active(&self, q: Quarter) -> bool {
        let (a, b) = self.span();
        a <= q && q <= b
    }

    /// The ground-truth row of this plant.
    pub fn truth(&self, units: &[Unit], leaders: &[Leader]) -> Truth {
        let (first_quarter, last_quarter) = self.span();
        let unit_id = |u: usize| units[u].id.clone();
        let (kind, unit_id, person_id, effect, note) = match *self {
            Plant::Spike { unit, sd, .. } => (
                "concentration_spike",
                unit_id(unit),
                String::new(),
                format!("{sd}"),
                format!("one quarter at expected + {sd} SD (negative binomial)"),
            ),
            Plant::Sustained {
                unit, rr, quarters, ..
            } => (
                "sustained_rise",
                unit_id(unit),
                String::new(),
                format!("{rr}"),
                format!("relative risk {rr} for {quarters} quarters"),
            ),
            Plant::ClusterRise { district, rr, .. } => (
                "cluster_rise",
                unit_id(district),
                String::new(),
                format!("{rr}"),
                format!(
                    "every street and community of {} at relative risk {rr}",
                    units[district].name
                ),
            ),
            Plant::FieldShift {
                district,
                field,
                share,
                ..
            } => (
                "field_share_shift",
                unit_id(district),
                String::new(),
                format!("{share}"),
                format!(
                    "{} share raised to {share} in the district and below",
                    field.code()
                ),
            ),
            Plant::CommonProblem { field, factor, .. } => (
                "common_problem",
                unit_id(0),
                String::new(),
                format!("{factor}"),
                format!("{} weight x{factor} in every unit", field.code()),
            ),
            Plant::ProminentLeader {
                leader,
                per_quarter,
                ..
            } => (
                "prominent_leader",
                unit_id(leaders[leader].unit),
                leaders[leader].person_id.clone(),
                format!("{per_quarter}"),
                format!(
                    "{per_quarter} extra petitions a quarter naming the top leader, mostly signed, half repeats"
                ),
            ),
            Plant::OverdueClues { unit, count, .. } => (
                "overdue_top_leader_clues",
                unit_id(unit),
                String::new(),
                format!("{count}"),
                format!(
                    "{count} top-leader clues received in the quarter's first 20 days, never disposed"
                ),
            ),
            Plant::OverdueRectification { unit, .. } => (
                "overdue_rectification",
                unit_id(unit),
                String::new(),
                String::new(),
                "findings of the round left not started or ongoing past their due date".into(),
            ),
            Plant::LowConversion { unit, quarters, .. } => (
                "low_conversion",
                unit_id(unit),
                String::new(),
                "0.1".into(),
                format!(
                    "for {quarters} quarters nine clues in ten dropped and no case from the unit's petitions"
                ),
            ),
            Plant::RepeatGroup {
                unit,
                follow_ups,
                marked,
                signed,
                ..
            } => (
                "repeat_group",
                unit_id(unit),
                String::new(),
                format!("{follow_ups}"),
                format!(
                    "one matter petitioned again {follow_ups} times, {}, follow-ups {} in the export",
                    if signed {
                        "same reporter"
                    } else {
                        "anonymous, near-identical summaries"
                    },
                    if marked { "marked" } else { "not marked" }
                ),
            ),
            Plant::Rotation { leader, years, .. } => (
                if years >= 10.0 {
                    "rotation_overdue"
                } else {
                    "rotation_due"
                },
                unit_id(leaders[leader].unit),
                leaders[leader].person_id.clone(),
                format!("{years}"),
                format!(
                    "{} in the same post for {years} years at the export date",
                    leaders[leader].role.code()
                ),
            ),
            Plant::SupervisionGap {
                minimum,
                body,
                unit,
                leader,
                year,
                ..
            } => (
                "supervision_gap",
                unit_id(unit),
                leader
                    .map(|l| leaders[l].person_id.clone())
                    .unwrap_or_default(),
                minimum.code().to_string(),
                format!(
                    "{year}: no {} by {}",
                    minimum.code(),
                    body.map_or("any body", |b| b.code())
                ),
            ),
        };
        Truth {
            kind,
            unit_id,
            person_id,
            first_quarter,
            last_quarter,
            effect,
            note,
        }
    }
}
