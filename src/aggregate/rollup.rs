//! Roll-up along the unit tree: every node's figures are its own plus
//! those of every unit below it. Own and rolled-up figures are separate
//! tables, so no figure is counted twice.

use std::collections::HashMap;

use polars::prelude::*;

use super::{UnitQuarter, uq};

/// Column of the closure table: the node a unit's records roll up into.
pub const NODE_ID: &str = "node_id";

/// (unit_id, node_id) for every unit and each of its ancestors, itself
/// included. Parent links that loop or lead nowhere stop the walk (ingest
/// has already quarantined such units).
pub fn closure(units: &DataFrame) -> PolarsResult<DataFrame> {
    let ids = units.column(uq::UNIT_ID)?.str()?;
    let parents = units.column(uq::PARENT_ID)?.str()?;
    let parent: HashMap<&str, &str> = ids
        .iter()
        .zip(parents.iter())
        .filter_map(|(i, p)| Some((i?, p?)))
        .collect();
    let (mut unit, mut node) = (Vec::new(), Vec::new());
    for id in ids.iter().flatten() {
        let mut cur = Some(id);
        let mut steps = 0;
        while let Some(n) = cur {
            unit.push(id);
            node.push(n);
            steps += 1;
            cur = parent.get(n).copied().filter(|_| steps <= parent.len());
        }
    }
    DataFrame::new(
        unit.len(),
        vec![
            Column::new(uq::UNIT_ID.into(), unit),
            Column::new(NODE_ID.into(), node),
        ],
    )
}

/// The unit × quarter table rolled up: one row per node and quarter, the
/// count columns and headcount summed over the node's subtree.
pub fn rollup(own: &UnitQuarter) -> PolarsResult<UnitQuarter> {
    let units = own
        .0
        .clone()
        .lazy()
        .select([
            col(uq::UNIT_ID),
            col(uq::NAME),
            col(uq::LEVEL),
            col(uq::PARENT_ID),
        ])
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()?;
    let pairs = closure(&units)?;
    // Every metric and the headcount add up; the unit's identity does not.
    let keys = [uq::UNIT_ID, uq::NAME, uq::LEVEL, uq::PARENT_ID, uq::QUARTER];
    let sums: Vec<Expr> = own
        .0
        .get_column_names()
        .iter()
        .filter(|c| !keys.contains(&c.as_str()))
        .map(|c| {
            if super::metrics::NON_ADDITIVE.contains(&c.as_str()) {
                // A median of a subtree is not the sum of its parts.
                lit(NULL).cast(DataType::Float64).alias(c.as_str())
            } else {
                col(c.as_str()).sum().alias(c.as_str())
            }
        })
        .collect();
    let rolled = own
        .0
        .clone()
        .lazy()
        .join(
            pairs.lazy(),
            [col(uq::UNIT_ID)],
            [col(uq::UNIT_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .group_by([col(NODE_ID), col(uq::QUARTER)])
        .agg(sums)
        .rename([NODE_ID], [uq::UNIT_ID], true)
        .join(
            units.lazy(),
            [col(uq::UNIT_ID)],
            [col(uq::UNIT_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .select(
            own.0
                .get_column_names()
                .iter()
                .map(|c| col(c.as_str()))
                .collect::<Vec<_>>(),
        )
        .sort([uq::UNIT_ID, uq::QUARTER], Default::default())
        .collect()?;
    Ok(UnitQuarter(rolled))
}
