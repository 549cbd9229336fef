//! The loop in the detect stage: the followed quarters' flags (from the
//! record, or recomputed from the tables when this store never published
//! them), the loop rules' flags, and each followed flag's standing.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::PolarsResult;

use super::continuity::{self, RecordedFlag};
use super::follow_status::{self, FlagStatus, Yield};
use super::loop_rules::{self, LoopInput, LoopItem, LoopSettings};
use super::{DetectInput, DetectSettings, Outcome};
use crate::aggregate::{Tables, uq};
use crate::model::ledger::Action;
use crate::model::{Flag, Quarter};

/// What the loop found: overdue records, and where each followed flag
/// stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FollowUp {
    pub settings: LoopSettings,
    /// The ledger sources the pipeline gives.
    pub has_dispositions: bool,
    pub has_recommendations: bool,
    /// The quarters followed, oldest first.
    pub followed: Vec<Quarter>,
    /// Followed quarters not published here, their flags recomputed.
    pub recomputed: Vec<Quarter>,
    /// Followed quarters neither published nor recomputable (the tables
    /// do not reach back far enough).
    pub unknown: Vec<Quarter>,
    pub items: Vec<LoopItem>,
    pub statuses: Vec<FlagStatus>,
    pub per_quarter: Vec<Yield>,
    pub per_detector: Vec<Yield>,
    /// Actions that name a flag of a followed quarter that was not raised.
    pub unmatched: Vec<Action>,
}

/// The loop rules' flags and the follow-up of the followed quarters.
/// `flags` are the quarter's other flags (recomputed quarters reuse `s`).
pub fn follow(
    s: &DetectSettings,
    tables: &Tables,
    record: &[RecordedFlag],
) -> PolarsResult<(Outcome, FollowUp)> {
    let l = s.loop_rules.clone();
    let ledger = &tables.facts.ledger;
    let quarter = tables.quarter;
    let mut up = FollowUp {
        settings: l.clone(),
        has_dispositions: ledger.actions.is_some(),
        has_recommendations: ledger.recommendations.is_some(),
        followed: l.followed(quarter),
        ..FollowUp::default()
    };
    let mut followed: Vec<RecordedFlag> = Vec::new();
    if up.has_dispositions {
        let published: BTreeSet<Quarter> = record.iter().map(|r| r.quarter).collect();
        for &q in &up.followed {
            if published.contains(&q) {
                followed.extend(record.iter().filter(|r| r.quarter == q).cloned());
            } else if reaches(s, tables, q) {
                let flags = recompute(s, tables, q)?;
                followed.extend(continuity::recorded(&[], q, &flags));
                up.recomputed.push(q);
            } else {
                up.unknown.push(q);
            }
        }
    }
    up.items = loop_rules::items(
        &l,
        &LoopInput {
            quarter,
            ledger,
            followed: &followed,
            portfolios: &tables.facts.portfolios,
        },
    );
    let flags = loop_rules::flags(&l, quarter, &up.items, &unit_names(&tables.unit_quarter.0)?);
    if let Some(actions) = &ledger.actions {
        let recomputed: BTreeSet<Quarter> = up.recomputed.iter().copied().collect();
        up.statuses = follow_status::statuses(&l, quarter, &followed, &recomputed, actions);
        (up.per_quarter, up.per_detector) = follow_status::yields(&up.statuses);
        up.unmatched = unmatched(&up.followed, &followed, actions);
    }
    Ok((flags, up))
}

/// Whether the tables hold every quarter the detectors read for `q`.
fn reaches(s: &DetectSettings, tables: &Tables, q: Quarter) -> bool {
    let first = q.offset(1 - s.quarters_read() as i32);
    tables.quarters.first().is_some_and(|f| *f <= first) && tables.quarters.contains(&q)
}

/// The flags `q` would have published, from the tables as they are.
fn recompute(s: &DetectSettings, tables: &Tables, q: Quarter) -> PolarsResult<Vec<Flag>> {
    let o = super::detect(
        s,
        &DetectInput {
            unit_quarter: &tables.unit_quarter,
            rollup: &tables.rollup,
            person_quarter: &tables.person_quarter,
            quarter: q,
        },
    )?;
    Ok(o.flags)
}

/// Each unit's name in a unit × quarter table.
pub fn unit_names(df: &polars::prelude::DataFrame) -> PolarsResult<BTreeMap<String, String>> {
    let (ids, names) = (df.column(uq::UNIT_ID)?.str()?, df.column(uq::NAME)?.str()?);
    Ok(ids
        .iter()
        .zip(names.iter())
        .filter_map(|(i, n)| Some((i?.to_string(), n?.to_string())))
        .collect())
}

/// Actions naming a followed quarter's flag that no followed flag answers.
fn unmatched(quarters: &[Quarter], followed: &[RecordedFlag], actions: &[Action]) -> Vec<Action> {
    let ids: BTreeSet<&str> = followed.iter().map(|f| f.id.as_str()).collect();
    let matched: BTreeSet<&str> = followed
        .iter()
        .flat_map(|f| loop_rules::actions_on(f, actions, &ids))
        .map(|a| a.action_id.as_str())
        .collect();
    actions
        .iter()
        .filter(|a| {
            let q = a.flag_quarter.or_else(|| {
                a.flag_id
                    .as_deref()
                    .and_then(|id| id.split('-').next()?.parse().ok())
            });
            q.is_some_and(|q| quarters.contains(&q)) && !matched.contains(a.action_id.as_str())
        })
        .cloned()
        .collect()
}
