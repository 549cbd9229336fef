//! The synthetic world: the unit tree, leaders, planted signals and the
//! rates that drive every draw.

use chrono::NaiveDate;
use rand::Rng;
use rand_distr::{Distribution, Gamma, Poisson};

use super::signals::Plant;
use super::tree::{self, Leader, Unit};
use crate::model::{KeyField, Quarter, UnitLevel};

/// Negative-binomial size of petition counts (smaller: more overdispersed).
pub const NB_SIZE: f64 = 6.0;
/// Quarterly seasonality, Q1..Q4.
const SEASON: [f64; 4] = [0.9, 1.03, 1.12, 0.95];
/// Growth per quarter.
const TREND: f64 = 1.01;
/// Petitions a year at scale 1 (one city).
pub const PETITIONS_PER_YEAR: f64 = 100_000.0;

#[derive(Debug)]
pub struct World {
    pub units: Vec<Unit>,
    pub leaders: Vec<Leader>,
    pub by_unit: Vec<Vec<usize>>,
    pub plants: Vec<Plant>,
    pub first: Quarter,
    pub last: Quarter,
    /// The export date: nothing after it is known.
    pub as_of: NaiveDate,
    /// Petitions per head per quarter before level, effect, season and trend.
    pub base_rate: f64,
}

fn level_factor(level: UnitLevel) -> f64 {
    match level {
        UnitLevel::Community => 3.0,
        UnitLevel::Street => 1.5,
        UnitLevel::District => 0.8,
        _ => 1.0,
    }
}

impl World {
    pub fn new(
        units: Vec<Unit>,
        leaders: Vec<Leader>,
        first: Quarter,
        quarters: usize,
        scale: f64,
    ) -> Self {
        let last = first.offset(quarters as i32 - 1);
        let weight: f64 = units
            .iter()
            .map(|u| f64::from(u.headcount) * level_factor(u.level) * u.effect)
            .sum();
        let base_rate = PETITIONS_PER_YEAR * scale / 4.0 / weight.max(1.0);
        let by_unit = tree::index_by_unit(&leaders, units.len());
        World {
            units,
            leaders,
            by_unit,
            plants: Vec::new(),
            first,
            last,
            as_of: last.last_day(),
            base_rate,
        }
    }

    /// Expected petitions of unit `u` in `q` before any plant.
    pub fn base_mean(&self, u: usize, q: Quarter) -> f64 {
        let unit = &self.units[u];
        let t = (q.index() - self.first.index()) as f64;
        f64::from(unit.headcount)
            * self.base_rate
            * level_factor(unit.level)
            * unit.effect
            * SEASON[usize::from(q.number() - 1)]
            * TREND.powf(t)
    }

    /// Expected petitions with sustained and cluster plants applied.
    pub fn mean(&self, u: usize, q: Quarter) -> f64 {
        let unit = &self.units[u];
        let mut m = self.base_mean(u, q);
        for p in self.plants.iter().filter(|p| p.active(q)) {
            match *p {
                Plant::Sustained { unit: pu, rr, .. } if pu == u => m *= rr,
                Plant::ClusterRise { district, rr, .. }
                    if unit.district == Some(district)
                        && matches!(unit.level, UnitLevel::Street | UnitLevel::Community) =>
                {
                    m *= rr
                }
                _ => {}
            }
        }
        m
    }

    /// The petition count of unit `u` in `q`: a negative-binomial draw, or
    /// the planted spike.
    pub fn count<R: Rng>(&self, rng: &mut R, u: usize, q: Quarter) -> u64 {
        let mu = self.mean(u, q);
        for p in &self.plants {
            if let Plant::Spike { unit, quarter, sd } = *p
                && unit == u
                && quarter == q
            {
                return (mu + sd * (mu + mu * mu / NB_SIZE).sqrt()).round() as u64;
            }
        }
        negative_binomial(rng, mu, NB_SIZE)
    }

    /// Weights of each key field (in `KeyField::ALL` order) for petitions
    /// about unit `u` in `q`.
    pub fn field_weights(&self, u: usize, q: Quarter) -> [f64; 7] {
        let unit = &self.units[u];
        // approval, construction, resources, finance, land, enforcement, other
        let mut w: [f64; 7] = match unit.level {
            UnitLevel::Bureau => [0.22, 0.15, 0.05, 0.06, 0.08, 0.14, 0.30],
            UnitLevel::Soe => [0.08, 0.25, 0.08, 0.17, 0.05, 0.02, 0.35],
            UnitLevel::University => [0.08, 0.20, 0.02, 0.05, 0.03, 0.02, 0.60],
            _ => [0.13, 0.20, 0.05, 0.05, 0.12, 0.10, 0.35],
        };
        let pos = |f: KeyField| f as usize;
        for p in self.plants.iter().filter(|p| p.active(q)) {
            match *p {
                Plant::CommonProblem { field, factor, .. } => w[pos(field)] *= factor,
                Plant::FieldShift {
                    district,
                    field,
                    share,
                    ..
                } if unit.district == Some(district) => {
                    let i = pos(field);
                    let rest: f64 = w
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .map(|(_, x)| x)
                        .sum();
                    let total: f64 = w.iter().sum();
                    // Give `field` the share `share` of the total, others in proportion.
                    for (j, x) in w.iter_mut().enumerate() {
                        *x = if j == i {
                            share * total
                        } else {
                            *x / rest * (1.0 - share) * total
                        };
                    }
                }
                _ => {}
            }
        }
        w
    }

    /// A uniformly drawn day of `q`, never after the export date.
    pub fn day_in<R: Rng>(&self, rng: &mut R, q: Quarter) -> NaiveDate {
        let last = q.last_day().min(self.as_of);
        let days = (last - q.first_day()).num_days();
        q.first_day() + chrono::Duration::days(rng.random_range(0..=days))
    }
}

/// A negative-binomial draw with mean `mu` and size `size` (gamma–Poisson).
pub fn negative_binomial<R: Rng>(rng: &mut R, mu: f64, size: f64) -> u64 {
    if mu <= 0.0 {
        return 0;
    }
    let lambda = Gamma::new(size, mu / size).map_or(mu, |g| g.sample(rng));
    poisson(rng, lambda)
}

pub fn poisson<R: Rng>(rng: &mut R, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    Poisson::new(lambda).map_or(0, |p| p.sample(rng) as u64)
}

/// Index drawn with probability proportional to `weights`.
pub fn weighted<R: Rng>(rng: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Days drawn from a gamma distribution with the given mean and shape.
pub fn gamma_days<R: Rng>(rng: &mut R, mean: f64, shape: f64) -> i64 {
    Gamma::new(shape, mean / shape)
        .map_or(mean, |g| g.sample(rng))
        .round() as i64
}
