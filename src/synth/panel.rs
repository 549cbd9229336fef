//! A simulated panel of petition counts for scoring detectors: units of
//! four levels with lognormal headcounts, a gamma unit effect, negative-
//! binomial quarterly noise, seasonality and a trend, with one-quarter
//! spikes (2, 3 or 5 standard deviations of the quarter's count added to
//! it) and sustained rises (relative risk 2 for 4 quarters) planted at
//! known places. Streets belong to districts and some communities to
//! streets (ten each), and in some parents with at least ten children all
//! the children rise together (relative risk 1.5 or 2 for 1–4 quarters).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, LogNormal, Poisson};

use crate::detect::panel::{Panel, PanelUnit};
use crate::model::Quarter;

/// What was planted where.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Planted {
    /// One quarter with `sd` standard deviations added to its count.
    Spike {
        unit: usize,
        quarter: usize,
        sd: f64,
    },
    /// Relative risk `rr` from `start` for `quarters` quarters.
    Rise {
        unit: usize,
        start: usize,
        quarters: usize,
        rr: f64,
    },
    /// Every child of `parent` at relative risk `rr` from `start` for
    /// `quarters` quarters (each child also as [`Planted::InCluster`]).
    Cluster {
        parent: usize,
        children: usize,
        start: usize,
        quarters: usize,
        rr: f64,
    },
    /// A child of a [`Planted::Cluster`].
    InCluster {
        unit: usize,
        start: usize,
        quarters: usize,
    },
}

impl Planted {
    /// A rise of one unit (its own, or its parent's cluster's): the unit
    /// and the quarters it is active in.
    pub fn rise_span(&self) -> Option<(usize, std::ops::Range<usize>)> {
        match *self {
            Planted::Rise {
                unit,
                start,
                quarters,
                ..
            }
            | Planted::InCluster {
                unit,
                start,
                quarters,
            } => Some((unit, start..start + quarters)),
            Planted::Spike { .. } | Planted::Cluster { .. } => None,
        }
    }

    /// Whether this is a rise of unit `u` active in quarter `t` or the 3
    /// quarters before.
    pub fn rise_near(&self, u: usize, t: usize) -> bool {
        self.rise_span()
            .is_some_and(|(unit, active)| unit == u && active.start <= t && t < active.end + 3)
    }
}

/// The simulation's settings.
#[derive(Debug, Clone)]
pub struct PanelSpec {
    pub seed: u64,
    pub units: usize,
    pub quarters: usize,
    /// Signals are planted from this quarter index on (earlier ones are
    /// clean history).
    pub first_signal: usize,
    /// Share of unit-quarters with a spike, and of units with a rise.
    pub spike_share: f64,
    pub rise_share: f64,
    /// Share of parents with at least [`CLUSTER_MIN_CHILDREN`] children
    /// whose children rise together.
    pub cluster_share: f64,
}

/// Parents with at least this many children may hold a cluster rise.
pub const CLUSTER_MIN_CHILDREN: usize = 10;
/// Communities per street, for the streets that have communities.
const COMMUNITIES_PER_STREET: usize = 10;

/// Levels: (name, share of units, median headcount).
const LEVELS: [(&str, f64, f64); 4] = [
    ("district", 0.04, 2500.0),
    ("bureau", 0.12, 300.0),
    ("street", 0.44, 150.0),
    ("community", 0.40, 40.0),
];
const RATE_PER_HEAD: f64 = 0.03;
/// The shape (and rate) of the gamma the units' relative risks are drawn
/// from.
pub const UNIT_SHAPE: f64 = 4.0;
/// The within-unit negative-binomial size of the simulation.
pub const NB_SIZE: f64 = 10.0;
const SEASON: [f64; 4] = [0.9, 1.05, 1.1, 0.95];
const TREND_PER_YEAR: f64 = 0.03;

fn nb(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    let lambda = Gamma::new(NB_SIZE, mean / NB_SIZE).map_or(mean, |g| g.sample(rng));
    Poisson::new(lambda.max(1e-12)).map_or(0.0, |p| p.sample(rng))
}

/// The mean count in quarter `t` of a unit of relative risk 1 with this
/// headcount: the peers' rate with its season and trend.
pub fn peer_mean(exposure: f64, t: usize) -> f64 {
    exposure * RATE_PER_HEAD * SEASON[t % 4] * (1.0 + TREND_PER_YEAR).powf(t as f64 / 4.0)
}

/// A simulated panel, what was planted in it, and each unit's mean count in
/// each quarter without the plants (what a method knowing the truth would
/// expect: the yardstick of [`crate::eval::ceiling`]).
#[derive(Debug, Clone)]
pub struct Simulated {
    pub panel: Panel,
    pub planted: Vec<Planted>,
    pub baseline: Vec<Vec<f64>>,
}

/// Simulates the panel and what was planted in it.
pub fn simulate(spec: &PanelSpec) -> Simulated {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let first = Quarter::new(2015, 1).unwrap_or_else(|| Quarter::from_index(2015 * 4));
    let quarters: Vec<Quarter> = first.range(spec.quarters).collect();
    let mut units = Vec::with_capacity(spec.units);
    let mut means: Vec<Vec<f64>> = Vec::with_capacity(spec.units);
    for i in 0..spec.units {
        let mut pick = (i as f64 + 0.5) / spec.units as f64;
        let (level, _, median) = LEVELS
            .iter()
            .find(|(_, share, _)| {
                pick -= share;
                pick < 0.0
            })
            .copied()
            .unwrap_or(LEVELS[3]);
        let exposure = LogNormal::new(median.ln(), 0.6)
            .map_or(median, |d| d.sample(&mut rng))
            .round()
            .max(5.0);
        let theta = Gamma::new(UNIT_SHAPE, 1.0 / UNIT_SHAPE).map_or(1.0, |g| g.sample(&mut rng));
        let m: Vec<f64> = (0..spec.quarters)
            .map(|t| theta * peer_mean(exposure, t))
            .collect();
        units.push(PanelUnit {
            id: format!("U{i:04}"),
            name: format!("单位{i:04}"),
            group: level.to_string(),
            parent: None,
            exposure,
            counts: Vec::new(),
        });
        means.push(m);
    }
    link_tree(&mut units);
    let baseline = means.clone();
    let mut planted = plant_clusters(spec, &units, &mut means);
    for (u, m) in means.iter_mut().enumerate() {
        if rng.random::<f64>() < spec.rise_share {
            let start = rng.random_range(spec.first_signal..spec.quarters);
            let quarters = 4.min(spec.quarters - start);
            for x in &mut m[start..start + quarters] {
                *x *= 2.0;
            }
            planted.push(Planted::Rise {
                unit: u,
                start,
                quarters,
                rr: 2.0,
            });
        }
    }
    for (u, (unit, m)) in units.iter_mut().zip(&means).enumerate() {
        unit.counts = m.iter().map(|&m| nb(&mut rng, m)).collect();
        for (t, &mean) in m.iter().enumerate().skip(spec.first_signal) {
            if rng.random::<f64>() < spec.spike_share {
                let sd = [2.0, 3.0, 5.0][rng.random_range(0..3)];
                // Added to the quarter's own count, as outbreak simulations
                // do (Noufaily et al. 2013): size k × the baseline's SD.
                let spread = (mean + mean * mean / NB_SIZE).sqrt();
                unit.counts[t] += (sd * spread).ceil();
                planted.push(Planted::Spike {
                    unit: u,
                    quarter: t,
                    sd,
                });
            }
        }
    }
    Simulated {
        panel: Panel { quarters, units },
        planted,
        baseline,
    }
}

/// Streets to districts in turn; communities to the first streets, ten
/// each.
fn link_tree(units: &mut [PanelUnit]) {
    let of = |level: &str| -> Vec<usize> {
        (0..units.len())
            .filter(|&i| units[i].group == level)
            .collect()
    };
    let (districts, streets, communities) = (of("district"), of("street"), of("community"));
    for (k, &s) in streets.iter().enumerate() {
        if !districts.is_empty() {
            units[s].parent = Some(units[districts[k % districts.len()]].id.clone());
        }
    }
    for (k, &c) in communities.iter().enumerate() {
        if let Some(&s) = streets.get(k / COMMUNITIES_PER_STREET) {
            units[c].parent = Some(units[s].id.clone());
        }
    }
}

/// Cluster rises, on their own random stream (the other plants are drawn
/// as before): each parent with enough children, with chance
/// `cluster_share`, has all its children's means raised.
fn plant_clusters(spec: &PanelSpec, units: &[PanelUnit], means: &mut [Vec<f64>]) -> Vec<Planted> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5EED_C1A5);
    let mut planted = Vec::new();
    for (p, parent) in units.iter().enumerate() {
        let children: Vec<usize> = (0..units.len())
            .filter(|&c| units[c].parent.as_deref() == Some(parent.id.as_str()))
            .collect();
        if children.len() < CLUSTER_MIN_CHILDREN || spec.first_signal >= spec.quarters {
            continue;
        }
        if rng.random::<f64>() >= spec.cluster_share {
            continue;
        }
        let start = rng.random_range(spec.first_signal..spec.quarters);
        let quarters = rng.random_range(1..=4).min(spec.quarters - start);
        let rr = [1.5, 2.0][rng.random_range(0..2)];
        for &c in &children {
            for x in &mut means[c][start..start + quarters] {
                *x *= rr;
            }
            planted.push(Planted::InCluster {
                unit: c,
                start,
                quarters,
            });
        }
        planted.push(Planted::Cluster {
            parent: p,
            children: children.len(),
            start,
            quarters,
            rr,
        });
    }
    planted
}
