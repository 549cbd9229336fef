//! Detect: flags, each with its evidence. One file per detector behind the
//! [`Detector`] trait; the list of detectors is [`detectors`].

mod concentration;
pub mod stats;

use polars::prelude::PolarsResult;

use crate::aggregate::UnitQuarter;
use crate::config::Pipeline;
use crate::model::{Flag, Quarter};
pub use concentration::Concentration;

/// What every detector reads.
#[derive(Debug)]
pub struct DetectInput<'a> {
    pub unit_quarter: &'a UnitQuarter,
    pub quarter: Quarter,
}

/// A detector: a pure function from the tables to flags.
pub trait Detector {
    fn name(&self) -> &'static str;
    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Vec<Flag>>;
}

/// The detectors a pipeline runs, in order.
pub fn detectors(p: &Pipeline) -> Vec<Box<dyn Detector>> {
    vec![Box::new(Concentration {
        settings: p.concentration.clone(),
    })]
}

/// Runs every detector.
pub fn detect(p: &Pipeline, input: &DetectInput<'_>) -> PolarsResult<Vec<Flag>> {
    let mut flags = Vec::new();
    for d in detectors(p) {
        flags.extend(d.detect(input)?);
    }
    Ok(flags)
}
