//! `--dry-run`: what each stage would read and write, walking the same
//! list of stages as the run.

use std::collections::BTreeMap;

use super::{RunSummary, Stage, Stages, Timings};
use crate::config::Pipeline;
use crate::ingest::state::{IngestState, Input};
use crate::model::Quarter;

/// The plan of a run, written nowhere.
pub(super) fn dry_run(
    p: &Pipeline,
    stages: Stages,
    quarter: Quarter,
    inputs: &[Input],
) -> RunSummary {
    let state = IngestState::read(&p.store).unwrap_or_default();
    let unchanged = state.covers(inputs);
    let published = p.output.join(quarter.to_string());
    let mut plan = vec![format!("quarter {quarter}")];
    for stage in Stage::ALL.into_iter().filter(|&s| stages.runs(s)) {
        match stage {
            Stage::Ingest => {
                for i in inputs {
                    plan.push(format!(
                        "{stage:<9} read  {} (sha256 {}…){}",
                        i.file.display(),
                        i.sha256().map_or("unreadable", |s| &s[..12]),
                        if state.holds(i) {
                            ", unchanged since the last ingest: not read again"
                        } else {
                            ""
                        }
                    ));
                }
                if !unchanged {
                    plan.push(format!(
                        "{stage:<9} write {} (upsert by record id)",
                        p.store.display()
                    ));
                }
            }
            Stage::Aggregate => plan.push(format!(
                "{stage:<9} write {}",
                p.store.join("derived").display()
            )),
            Stage::Detect | Stage::Render | Stage::Compose => {
                plan.push(format!("{stage:<9} in memory"));
            }
            Stage::Publish => {
                plan.push(format!(
                    "{stage:<9} write {} (staged beside it, moved into place when complete)",
                    published.display()
                ));
                for r in &p.packets {
                    plan.push(format!(
                        "{stage:<9} write {}",
                        published.join("packets").join(&r.id).display()
                    ));
                }
            }
        }
    }
    RunSummary {
        quarter,
        publication: None,
        rows_read: 0,
        rows_quarantined: 0,
        inputs_unchanged: unchanged,
        flags_per_detector: BTreeMap::new(),
        packets: Vec::new(),
        timings: Timings::default(),
        warnings: Vec::new(),
        plan,
        confirmed: false,
    }
}
