//! Detect: flags, each with its evidence, and the scores of everything
//! tested. One file per detector behind the [`Detector`] trait; the list of
//! detectors is [`detectors`].

pub mod common_problem;
pub mod concentration;
pub mod expectation;
pub mod key_field;
pub mod panel;
pub mod prominent;
pub mod rectification;
mod rule;
pub mod stats;
pub mod tables;
pub mod top_leader_clues;

use polars::prelude::PolarsResult;

use crate::aggregate::UnitQuarter;
use crate::config::Pipeline;
use crate::model::{Flag, Quarter};
pub use concentration::Concentration;

/// What every detector reads.
#[derive(Debug)]
pub struct DetectInput<'a> {
    /// Each unit's own figures.
    pub unit_quarter: &'a UnitQuarter,
    /// Each node of the unit tree with the units below it.
    pub rollup: &'a UnitQuarter,
    /// Per leader and quarter: what names them.
    pub person_quarter: &'a polars::prelude::DataFrame,
    pub quarter: Quarter,
}

/// A unit × quarter tested by a detector, flagged or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub detector: &'static str,
    pub unit_id: String,
    pub unit_name: String,
    /// The peer group it was compared within (its level).
    pub group: String,
    pub quarter: Quarter,
    /// Quarters in the window reported (the one with the smallest p).
    pub window: u8,
    pub observed: f64,
    pub expected_peer: f64,
    pub expected_history: f64,
    /// Shrunk relative risk against peers, with its 90% interval.
    pub rr: f64,
    pub rr_lo: f64,
    pub rr_hi: f64,
    pub p_peer: f64,
    pub p: f64,
    pub q: f64,
    /// 1 = smallest p among those tested in the quarter.
    pub rank: usize,
    pub flagged: bool,
}

/// What a detector found: every score, and the flags among them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub scores: Vec<Score>,
    pub flags: Vec<Flag>,
}

/// A detector: a pure function from the tables to scores and flags.
pub trait Detector {
    fn name(&self) -> &'static str;
    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome>;
    /// For `yanpan explain`: the method, the settings in force, an example.
    fn explain(&self) -> Explanation;
}

/// What `yanpan explain DETECTOR` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub method: String,
    /// (setting as in the pipeline file, value in force).
    pub settings: Vec<(String, String)>,
    pub example: String,
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Method\n  {}\n", self.method.replace('\n', "\n  "))?;
        writeln!(f, "Settings")?;
        for (k, v) in &self.settings {
            writeln!(f, "  {k} = {v}")?;
        }
        write!(f, "\nExample\n  {}", self.example.replace('\n', "\n  "))
    }
}

/// The detectors a pipeline runs, in order.
pub fn detectors(p: &Pipeline) -> Vec<Box<dyn Detector>> {
    with_settings(
        p.concentration.clone(),
        p.top_leader_clue_deadline_days.get(),
    )
}

/// The detectors with the pipeline file's defaults.
pub fn default_detectors() -> Vec<Box<dyn Detector>> {
    with_settings(
        crate::config::ConcentrationSettings::default(),
        crate::config::defaults::TOP_LEADER_CLUE_DEADLINE_DAYS,
    )
}

fn with_settings(
    concentration: crate::config::ConcentrationSettings,
    deadline_days: u32,
) -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(Concentration {
            settings: concentration,
        }),
        Box::new(key_field::KeyFieldRisk::default()),
        Box::new(common_problem::CommonProblem::default()),
        Box::new(prominent::ProminentComplaints::default()),
        Box::new(top_leader_clues::TopLeaderClues { deadline_days }),
        Box::new(rectification::Rectification),
    ]
}

/// Runs every detector.
pub fn detect(p: &Pipeline, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
    let mut all = Outcome::default();
    for d in detectors(p) {
        let o = d.detect(input)?;
        all.scores.extend(o.scores);
        all.flags.extend(o.flags);
    }
    Ok(all)
}
