//! `yanpan synth`: a seeded generator of a realistic synthetic city, with
//! planted signals and their ground truth. Same seed, same bytes.
//!
//! Generation is pure (a seeded ChaCha stream, fixed iteration order); the
//! [`Sink`] receives each quarter as it is made, so the export writer
//! (`export.rs`, the edge) never holds more than one quarter.

mod cases;
mod export;
mod findings;
mod names;
pub mod panel;
mod petitions;
mod signals;
mod tree;
mod world;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::model::Quarter;
pub use cases::Case;
pub use export::{ExportSink, ExportSummary};
pub use findings::Finding;
pub use petitions::Petition;
pub use signals::{Plant, Truth};
pub use tree::{Leader, TreeSize, Unit};
pub use world::{NB_SIZE, World};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthSpec {
    pub seed: u64,
    pub first: Quarter,
    pub quarters: usize,
    /// Petition volume relative to one city (about 100,000 a year).
    pub scale: f64,
    /// Approximate number of units; `None`: a city-sized tree (~700).
    pub units: Option<usize>,
}

/// Receives what the generator makes, in order.
pub trait Sink {
    type Error;
    fn reference(&mut self, world: &World) -> Result<(), Self::Error>;
    fn quarter(
        &mut self,
        world: &World,
        q: Quarter,
        petitions: &[Petition],
        findings: &[Finding],
        cases: &[Case],
    ) -> Result<(), Self::Error>;
    fn finish(&mut self, world: &World, truth: &[Truth]) -> Result<(), Self::Error>;
}

/// Builds the world: unit tree, leaders and planted signals.
pub fn world(spec: &SynthSpec, rng: &mut ChaCha8Rng) -> World {
    let size = spec.units.map_or(TreeSize::CITY, TreeSize::scaled_to);
    let units = tree::units(rng, size);
    let last = spec.first.offset(spec.quarters as i32 - 1);
    let leaders = tree::leaders(rng, &units, spec.first, last);
    let mut world = World::new(units, leaders, spec.first, spec.quarters, spec.scale);
    let plants = signals::choose(
        rng,
        &world.units,
        &world.leaders,
        spec.first,
        spec.quarters,
        &|u, q| world.base_mean(u, q),
    );
    world.plants = plants;
    world
}

/// Generates everything `spec` asks for into `sink`.
pub fn generate<S: Sink>(spec: &SynthSpec, sink: &mut S) -> Result<(), S::Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let world = world(spec, &mut rng);
    sink.reference(&world)?;
    let (mut p_seq, mut f_seq, mut c_seq) = (0u64, 0u64, 0u64);
    let mut pending: Vec<cases::PendingCase> = Vec::new();
    for q in spec.first.range(spec.quarters) {
        if q.number() == 1 {
            (p_seq, f_seq, c_seq) = (0, 0, 0);
        }
        let petitions = petitions::in_quarter(&mut rng, &world, q, &mut p_seq);
        pending.extend(cases::pending_from(&mut rng, &world, &petitions));
        let findings = findings::in_quarter(&mut rng, &world, q, &mut f_seq);
        let cases = cases::in_quarter(&mut rng, &world, q, &pending, &mut c_seq);
        pending.retain(|c| c.filed > q.last_day());
        sink.quarter(&world, q, &petitions, &findings, &cases)?;
    }
    let truth: Vec<Truth> = world
        .plants
        .iter()
        .map(|p| p.truth(&world.units, &world.leaders))
        .collect();
    sink.finish(&world, &truth)
}
