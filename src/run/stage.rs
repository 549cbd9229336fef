//! The stages of a run, one vocabulary for `--stages`, `--abort-after`,
//! the log, the timings, the manifest and the dry-run plan.

use std::time::Instant;

/// One stage of the data flow, in order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Sources read, checked and upserted into the store.
    Ingest,
    /// The store's records into the unit, person and repeat tables.
    Aggregate,
    /// Every detector's scores and flags.
    Detect,
    /// The charts.
    Render,
    /// The reports, packets and published tables.
    Compose,
    /// The publication moved into place with its manifest.
    Publish,
}

impl Stage {
    /// Every stage, in the order a run takes them.
    pub const ALL: [Stage; 6] = [
        Stage::Ingest,
        Stage::Aggregate,
        Stage::Detect,
        Stage::Render,
        Stage::Compose,
        Stage::Publish,
    ];
    /// The stages after aggregate: nothing is stored between them, so they
    /// run together (a publication is whole).
    pub const PUBLICATION: [Stage; 4] =
        [Stage::Detect, Stage::Render, Stage::Compose, Stage::Publish];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
            Stage::Aggregate => "aggregate",
            Stage::Detect => "detect",
            Stage::Render => "render",
            Stage::Compose => "compose",
            Stage::Publish => "publish",
        }
    }

    /// Its place in the run, from 1.
    pub fn ordinal(self) -> usize {
        self as usize + 1
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The stages `--stages` chose: ingest and aggregate each on its own, and
/// the publication's four together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stages {
    pub ingest: bool,
    pub aggregate: bool,
    pub publish: bool,
}

impl Default for Stages {
    fn default() -> Self {
        Stages {
            ingest: true,
            aggregate: true,
            publish: true,
        }
    }
}

impl Stages {
    /// Whether `stage` runs.
    pub fn runs(self, stage: Stage) -> bool {
        match stage {
            Stage::Ingest => self.ingest,
            Stage::Aggregate => self.aggregate,
            _ => self.publish,
        }
    }

    /// The set named by `--stages`: naming any of detect, render, compose
    /// or publish needs all four.
    pub fn of(named: &[Stage]) -> Result<Stages, String> {
        let tail: Vec<Stage> = Stage::PUBLICATION
            .into_iter()
            .filter(|s| named.contains(s))
            .collect();
        if !tail.is_empty() && !tail.contains(&Stage::Publish) {
            let names: Vec<&str> = tail.iter().map(|s| s.name()).collect();
            return Err(format!(
                "{} cannot run without publish: detect, render, compose and publish run together (a publication is whole); name publish",
                names.join(", ")
            ));
        }
        Ok(Stages {
            ingest: named.contains(&Stage::Ingest),
            aggregate: named.contains(&Stage::Aggregate),
            publish: !tail.is_empty(),
        })
    }
}

/// Seconds spent in each stage, in the order they ran.
#[derive(Debug, Clone)]
pub struct Timings {
    pub laps: Vec<(Stage, f64)>,
    since: Instant,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            laps: Vec::new(),
            since: Instant::now(),
        }
    }
}

impl Timings {
    /// Ends `stage`'s lap.
    pub fn lap(&mut self, stage: Stage) {
        let now = Instant::now();
        self.laps.push((stage, (now - self.since).as_secs_f64()));
        self.since = now;
    }

    /// Seconds since the first lap began.
    pub fn since_start(&self) -> f64 {
        self.laps.iter().map(|(_, t)| t).sum::<f64>() + self.since.elapsed().as_secs_f64()
    }

    /// The laps by stage name (the manifest's and the summary's form).
    pub fn named(&self) -> Vec<(String, f64)> {
        self.laps
            .iter()
            .map(|(s, t)| (s.name().to_string(), *t))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Stage, Stages};

    #[test]
    fn publish_brings_the_publication_stages_and_a_part_of_them_is_refused() {
        let s = Stages::of(&[Stage::Ingest, Stage::Publish]).expect("valid");
        assert!(s.runs(Stage::Ingest) && !s.runs(Stage::Aggregate));
        assert!(Stage::PUBLICATION.iter().all(|&t| s.runs(t)));
        let e = Stages::of(&[Stage::Render]).expect_err("render alone");
        assert!(e.contains("render") && e.contains("name publish"), "{e}");
        let all = Stages::of(&Stage::ALL).expect("all");
        assert_eq!(all, Stages::default());
    }
}
