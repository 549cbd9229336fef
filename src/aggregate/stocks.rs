//! Stocks at quarter end: clues still open when the quarter closes, and
//! top-leader clues open longer than the deadline (严查快办). A clue counts
//! in every quarter at whose end it was received (long enough ago) and not
//! yet disposed, whichever quarter it was received in.

use polars::prelude::*;

use super::uq;
use crate::model::{PersonRole, Quarter};

const RECEIVED: &str = "__received_day";
const DISPOSED: &str = "__disposed_day";
const END: &str = "__end_day";

fn day(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(chrono::NaiveDate::MIN)).num_days()
        as i32
}

/// The quarters with their last day's number.
fn quarter_ends(quarters: &[Quarter]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        quarters.len(),
        vec![
            Column::new(
                uq::QUARTER.into(),
                quarters.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
            ),
            Column::new(
                END.into(),
                quarters
                    .iter()
                    .map(|q| day(q.last_day()))
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

/// Per unit and quarter: clues matching `which`, received at least
/// `min_age_days` before the quarter's last day and not disposed by it.
fn open_at_end(
    petitions: LazyFrame,
    quarters: &[Quarter],
    which: Expr,
    min_age_days: i32,
    name: &str,
) -> PolarsResult<LazyFrame> {
    let ends = quarter_ends(quarters)?;
    Ok(petitions
        .filter(col("clue").and(which))
        .select([
            col(uq::UNIT_ID),
            col("received_on").cast(DataType::Int32).alias(RECEIVED),
            col("disposed_on").cast(DataType::Int32).alias(DISPOSED),
        ])
        .cross_join(ends.lazy(), None)
        .filter(
            col(RECEIVED)
                .lt_eq(col(END) - lit(min_age_days))
                .and(col(DISPOSED).is_null().or(col(DISPOSED).gt(col(END)))),
        )
        .group_by([col(uq::UNIT_ID), col(uq::QUARTER)])
        .agg([len().cast(DataType::UInt32).alias(name)]))
}

/// Clues open at quarter end.
pub const CLUES_OPEN: &str = "clues_open_at_end";
/// Top-leader clues open at quarter end for longer than the deadline.
pub const TOP_LEADER_OVERDUE: &str = "clues_top_leader_overdue";

/// Both stocks, as (name, per-unit-quarter counts).
pub fn clue_stocks(
    petitions: LazyFrame,
    quarters: &[Quarter],
    deadline_days: u32,
) -> PolarsResult<Vec<(&'static str, LazyFrame)>> {
    let top = col("person_role").eq(lit(PersonRole::TopLeader.code()));
    Ok(vec![
        (
            CLUES_OPEN,
            open_at_end(petitions.clone(), quarters, lit(true), 0, CLUES_OPEN)?,
        ),
        (
            TOP_LEADER_OVERDUE,
            open_at_end(
                petitions,
                quarters,
                top,
                deadline_days as i32,
                TOP_LEADER_OVERDUE,
            )?,
        ),
    ])
}
