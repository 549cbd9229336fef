//! `yanpan synth`: a seeded generator of a realistic synthetic city, with
//! planted signals and their ground truth. Same seed, same bytes.
//!
//! Generation is pure (a seeded ChaCha stream, fixed iteration order); the
//! [`Sink`] receives each quarter as it is made, so the export writer
//! (`export.rs`, the edge) never holds more than one quarter.

mod cases;
mod export;
mod findings;
pub mod ledger;
mod matters;
mod names;
mod oversight;
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
pub use oversight::Activity;
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
    /// The supervision activities of the whole period (before `finish`).
    fn supervision(&mut self, _world: &World, _activities: &[Activity]) -> Result<(), Self::Error> {
        Ok(())
    }
    /// Every planted matter of two or more petitions: (petition id, id of
    /// its matter's first petition), before `finish`.
    fn matters(&mut self, _truth: &[(String, String)]) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The dispositions and recommendations ledgers, before `finish`.
    fn ledgers(&mut self, _world: &World, _ledgers: &ledger::Ledgers) -> Result<(), Self::Error> {
        Ok(())
    }
    fn finish(&mut self, world: &World, truth: &[Truth]) -> Result<(), Self::Error>;
}

/// The oversight plants and the supervision activities draw from their own
/// stream (see `oversight`).
const OVERSIGHT_STREAM: u64 = 0x6f76_6572_7369_6768;
/// The planted matters draw from their own stream.
const MATTER_STREAM: u64 = 0x6d61_7474_6572_7321;
/// The ledgers draw from their own stream.
const LEDGER_STREAM: u64 = 0x6c65_6467_6572_7321;

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
    let mut own = ChaCha8Rng::seed_from_u64(spec.seed ^ OVERSIGHT_STREAM);
    oversight::choose(&mut own, &mut world);
    world
}

/// Generates everything `spec` asks for into `sink`.
pub fn generate<S: Sink>(spec: &SynthSpec, sink: &mut S) -> Result<(), S::Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let world = world(spec, &mut rng);
    let mut own = ChaCha8Rng::seed_from_u64(spec.seed.rotate_left(17) ^ OVERSIGHT_STREAM);
    let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
    sink.reference(&world)?;
    let (mut p_seq, mut f_seq, mut c_seq) = (0u64, 0u64, 0u64);
    let mut pending: Vec<cases::PendingCase> = Vec::new();
    let mut book = matters::MatterBook::default();
    let mut for_matters = ChaCha8Rng::seed_from_u64(spec.seed ^ MATTER_STREAM);
    let mut counts = ledger::Counts::default();
    for q in spec.first.range(spec.quarters) {
        if q.number() == 1 {
            (p_seq, f_seq, c_seq) = (0, 0, 0);
        }
        let mut petitions = petitions::in_quarter(&mut rng, &world, q, &mut p_seq);
        pending.extend(cases::pending_from(&mut rng, &world, &petitions));
        book.plant(&mut for_matters, &mut petitions);
        let made = oversight::reshape_petitions(&mut own, &world, q, &mut petitions);
        book.absorb_groups(&mut for_matters, &mut petitions, &made, &world);
        groups.extend(made);
        let findings = findings::in_quarter(&mut rng, &world, q, &mut f_seq);
        let mut cases = cases::in_quarter(&mut rng, &world, q, &pending, &mut c_seq);
        oversight::drop_cases(&world, q, &mut cases);
        pending.retain(|c| c.filed > q.last_day());
        counts.add(&world, q, &petitions);
        sink.quarter(&world, q, &petitions, &findings, &cases)?;
    }
    sink.supervision(&world, &oversight::supervision(&mut own, &world))?;
    sink.matters(&book.with_groups(&groups))?;
    let mut truth: Vec<Truth> = world
        .plants
        .iter()
        .map(|p| p.truth(&world.units, &world.leaders))
        .collect();
    // A repeat group's petitions are known once drawn.
    for (k, ids) in groups {
        truth[k].note = format!("{}: {}", truth[k].note, ids.join(" "));
    }
    let mut for_ledgers = ChaCha8Rng::seed_from_u64(spec.seed ^ LEDGER_STREAM);
    let ledgers = ledger::ledgers(&mut for_ledgers, &world, &counts);
    sink.ledgers(&world, &ledgers)?;
    truth.extend(ledgers.truth);
    sink.finish(&world, &truth)
}
