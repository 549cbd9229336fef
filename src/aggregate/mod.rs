//! Aggregate: the unit × quarter metrics table, one row per unit and
//! quarter (quarters with nothing are zeros). Pure: lazy frames in, a
//! collected frame out.

use polars::prelude::*;

use crate::model::Quarter;

pub mod calendar;
pub mod chain;
pub mod chain_read;
pub mod follow_up;
pub mod labels;
pub mod ledger_read;
pub mod link;
pub mod link_read;
pub mod matters_basis;
pub mod metrics;
pub mod person;
pub mod records_read;
pub mod rollup;
mod stage;
pub mod stocks;
pub mod supervision;
pub mod supervision_read;
pub mod unit_rows;
pub use stage::{
    AggregateSettings, DERIVED, Derived, Keeping, QuarterFacts, Tables, aggregate_stage,
    keep_tables, stored_tables,
};

/// Column names of the unit × quarter table.
pub mod uq {
    pub const UNIT_ID: &str = "unit_id";
    pub const NAME: &str = "name";
    pub const LEVEL: &str = "level";
    pub const PARENT_ID: &str = "parent_id";
    pub const HEADCOUNT: &str = "headcount";
    pub const QUARTER: &str = "quarter";
    pub const PETITIONS: &str = "petitions";
    pub const PETITIONS_TOP_LEADER: &str = "petitions_top_leader";
    pub const SIGNED: &str = "petitions_signed";
    pub const REPEAT: &str = "petitions_repeat";
    pub const CLUES: &str = "clues";
    pub const FINDINGS: &str = "findings";
    pub const CASES: &str = "cases";
    /// The count columns, in order.
    pub const COUNTS: [&str; 7] = [
        PETITIONS,
        PETITIONS_TOP_LEADER,
        SIGNED,
        REPEAT,
        CLUES,
        FINDINGS,
        CASES,
    ];
}

/// One row per unit and quarter, sorted by unit then quarter.
#[derive(Debug, Clone)]
pub struct UnitQuarter(pub DataFrame);

/// The fact datasets the table is built from, as lazy scans.
#[derive(Clone)]
pub struct Facts {
    pub units: LazyFrame,
    pub petitions: LazyFrame,
    pub findings: Option<LazyFrame>,
    pub cases: Option<LazyFrame>,
}

impl std::fmt::Debug for Facts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Facts { lazy scans }")
    }
}

pub(crate) fn in_quarters(lf: LazyFrame, quarters: &Series) -> LazyFrame {
    lf.filter(col(uq::QUARTER).is_in(lit(quarters.clone()).implode(false), false))
}

fn counts(lf: LazyFrame, quarters: &Series, metrics: &[metrics::Metric]) -> LazyFrame {
    in_quarters(lf, quarters)
        .group_by([col(uq::UNIT_ID), col(uq::QUARTER)])
        .agg(metrics.iter().map(|m| m.aggregation()).collect::<Vec<_>>())
}

/// The zero of a metric column: counts are `u32`, amounts `i64` fen.
fn zero(column: &str) -> Expr {
    if column == metrics::AMOUNT_FEN {
        lit(0i64)
    } else {
        lit(0u32)
    }
}

/// How the lazy queries over the store are executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// polars' streaming engine: reads the store in batches, so the fact
    /// tables never need to fit in memory at once.
    #[default]
    Streaming,
    /// polars' in-memory engine: every scan is materialised first.
    InMemory,
}

impl Engine {
    /// Executes `lf` with this engine.
    pub fn collect(self, lf: LazyFrame) -> PolarsResult<DataFrame> {
        let engine = match self {
            Engine::Streaming => polars::prelude::Engine::Streaming,
            Engine::InMemory => polars::prelude::Engine::InMemory,
        };
        // One plan, one sink: the result is always a single frame.
        Ok(lf.collect_with_engine(engine)?.unwrap_single())
    }
}

/// 严查快办: days after which an open top-leader clue is overdue, by default.
pub const TOP_LEADER_CLUE_DEADLINE_DAYS: u32 = 30;

/// Settings of the aggregation (from the pipeline file).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// 严查快办: a top-leader clue open longer than this is overdue.
    pub top_leader_clue_deadline_days: u32,
    pub engine: Engine,
}

/// Builds the table for `quarters` (in order).
pub fn unit_quarter(
    facts: Facts,
    quarters: &[Quarter],
    settings: &Settings,
) -> PolarsResult<UnitQuarter> {
    let qs = Series::new(
        uq::QUARTER.into(),
        quarters.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
    );
    let dated = stocks::dated_metrics(&facts, quarters, settings)?;
    let grid = facts
        .units
        .select([
            col(uq::UNIT_ID),
            col(uq::NAME),
            col(uq::LEVEL),
            col(uq::PARENT_ID),
            col(uq::HEADCOUNT),
        ])
        .cross_join(
            DataFrame::new(qs.len(), vec![qs.clone().into()])?.lazy(),
            None,
        );
    let on = [col(uq::UNIT_ID), col(uq::QUARTER)];
    let mut table = grid;
    let mut names: Vec<String> = Vec::new();
    let (disposed, days) = metrics::days_to_disposition();
    for (lf, metrics) in [
        (Some(facts.petitions.clone()), metrics::petitions()),
        (Some(facts.petitions.filter(disposed)), days),
        (facts.findings, metrics::findings()),
        (facts.cases, metrics::cases()),
    ] {
        names.extend(metrics.iter().map(|m| m.name.clone()));
        table = match lf {
            Some(lf) => {
                let c = counts(lf, &qs, &metrics);
                table.join(c, on.clone(), on.clone(), JoinArgs::new(JoinType::Left))
            }
            // A dataset not loaded: its counts are zero, not unknown.
            None => table.with_columns(
                metrics
                    .iter()
                    .map(|m| zero(&m.name).alias(m.name.as_str()))
                    .collect::<Vec<_>>(),
            ),
        };
    }
    for (columns, counts) in dated {
        names.extend(columns.iter().map(|c| c.to_string()));
        table = match counts {
            Some(c) => table.join(c, on.clone(), on.clone(), JoinArgs::new(JoinType::Left)),
            // A dataset not loaded: its counts are zero, not unknown.
            None => table.with_columns(
                columns
                    .iter()
                    .map(|c| lit(0u32).alias(*c))
                    .collect::<Vec<_>>(),
            ),
        };
    }
    let df = table
        .with_columns(
            names
                .iter()
                .filter(|c| !metrics::NON_ADDITIVE.contains(&c.as_str()))
                .map(|c| col(c.as_str()).fill_null(zero(c)))
                .collect::<Vec<_>>(),
        )
        .sort([uq::UNIT_ID, uq::QUARTER], Default::default());
    let df = metrics::days_to_tenths(settings.engine.collect(df)?)?;
    Ok(UnitQuarter(df))
}

/// Citywide totals per quarter of the count columns, in quarter order.
pub fn citywide(uq_table: &UnitQuarter) -> PolarsResult<DataFrame> {
    uq_table
        .0
        .clone()
        .lazy()
        .group_by([col(uq::QUARTER)])
        .agg(uq::COUNTS.iter().map(|c| col(*c).sum()).collect::<Vec<_>>())
        .sort([uq::QUARTER], Default::default())
        .collect()
}
