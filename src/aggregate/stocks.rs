//! Metrics dated by a second date, not the record's partition quarter:
//! events counted in the quarter of their own date (cases closed,
//! rectifications due), and stocks at quarter end (clues still open,
//! top-leader clues past the 严查快办 deadline, rectifications overdue). A
//! stock counts a record at every quarter end at which it had started (long
//! enough ago) and not yet ended, whichever quarter it started in.

use polars::prelude::*;

use super::{Facts, Settings, calendar, uq};
use crate::model::{PersonRole, Quarter, RectificationStatus};

const START: &str = "__start_day";
const STOP: &str = "__stop_day";
const END: &str = "__quarter_end_day";

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
                    .map(|q| q.last_day().to_epoch_days())
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

/// Per unit and quarter: rows matching `which` whose `start` date is at
/// least `min_age_days` before the quarter's last day and whose `end` date
/// is empty or after it.
fn open_at_end(
    lf: LazyFrame,
    quarters: &[Quarter],
    which: Expr,
    start: &str,
    end: &str,
    min_age_days: i32,
    name: &str,
) -> PolarsResult<LazyFrame> {
    let ends = quarter_ends(quarters)?;
    Ok(lf
        .filter(which)
        .select([
            col(uq::UNIT_ID),
            col(start).cast(DataType::Int32).alias(START),
            col(end).cast(DataType::Int32).alias(STOP),
        ])
        .cross_join(ends.lazy(), None)
        .filter(
            col(START)
                .lt_eq(col(END) - lit(min_age_days))
                .and(col(STOP).is_null().or(col(STOP).gt(col(END)))),
        )
        .group_by([col(uq::UNIT_ID), col(uq::QUARTER)])
        .agg([len().cast(DataType::UInt32).alias(name)]))
}

/// Per unit and quarter, in one pass over the clues: clues open at quarter
/// end, and those of them about a top leader open longer than the deadline.
fn clue_stocks(lf: LazyFrame, quarters: &[Quarter], deadline_days: i32) -> PolarsResult<LazyFrame> {
    const TOP: &str = "__top_leader";
    let ends = quarter_ends(quarters)?;
    let overdue = col(TOP).and(col(START).lt_eq(col(END) - lit(deadline_days)));
    Ok(lf
        .filter(col("clue"))
        .select([
            col(uq::UNIT_ID),
            col("received_on").cast(DataType::Int32).alias(START),
            col("disposed_on").cast(DataType::Int32).alias(STOP),
            col("person_role")
                .eq(lit(PersonRole::TopLeader.code()))
                .fill_null(lit(false))
                .alias(TOP),
        ])
        .cross_join(ends.lazy(), None)
        .filter(
            col(START)
                .lt_eq(col(END))
                .and(col(STOP).is_null().or(col(STOP).gt(col(END)))),
        )
        .group_by([col(uq::UNIT_ID), col(uq::QUARTER)])
        .agg([
            len().cast(DataType::UInt32).alias(CLUES_OPEN),
            overdue
                .sum()
                .cast(DataType::UInt32)
                .alias(TOP_LEADER_OVERDUE),
        ]))
}

/// Per unit and quarter: rows matching `which`, counted in the quarter of
/// their `date` (rows without one are not counted).
fn in_quarter_of(
    lf: LazyFrame,
    quarters: &[Quarter],
    which: Expr,
    date: &str,
    name: &str,
) -> PolarsResult<LazyFrame> {
    const INDEX: &str = "__quarter_index";
    let table = calendar::quarter_table(quarters, INDEX, uq::QUARTER)?;
    Ok(lf
        .filter(which.and(col(date).is_not_null()))
        .select([
            col(uq::UNIT_ID),
            calendar::quarter_index(col(date)).alias(INDEX),
        ])
        .join(
            table.lazy(),
            [col(INDEX)],
            [col(INDEX)],
            JoinArgs::new(JoinType::Inner),
        )
        .group_by([col(uq::UNIT_ID), col(uq::QUARTER)])
        .agg([len().cast(DataType::UInt32).alias(name)]))
}

/// Clues open at quarter end.
pub const CLUES_OPEN: &str = "clues_open_at_end";
/// Top-leader clues open at quarter end for longer than the deadline.
pub const TOP_LEADER_OVERDUE: &str = "clues_top_leader_overdue";

/// Cases closed in the quarter (by `closed_on`).
pub const CASES_CLOSED: &str = "cases_closed";
/// Rectifications due in the quarter (by `due_on`), and of those, done by
/// the due date or after it.
pub const RECT_DUE: &str = "rectifications_due";
pub const RECT_ON_TIME: &str = "rectifications_due_done_on_time";
pub const RECT_LATE: &str = "rectifications_due_done_late";
/// Rectifications past their due date and not done at quarter end
/// (长期坚持 items are not overdue).
pub const RECT_OVERDUE: &str = "rectifications_overdue_open";

/// Every dated metric, as (names, counts); `None` where its dataset is not loaded.
pub fn dated_metrics(
    f: &Facts,
    quarters: &[Quarter],
    s: &Settings,
) -> PolarsResult<Vec<(Vec<&'static str>, Option<LazyFrame>)>> {
    let mut out = vec![
        (
            vec![CLUES_OPEN, TOP_LEADER_OVERDUE],
            Some(clue_stocks(
                f.petitions.clone(),
                quarters,
                s.top_leader_clue_deadline_days as i32,
            )?),
        ),
        (
            vec![CASES_CLOSED],
            f.cases
                .clone()
                .map(|c| in_quarter_of(c, quarters, lit(true), "closed_on", CASES_CLOSED))
                .transpose()?,
        ),
    ];
    let done = col("status").eq(lit(RectificationStatus::Done.code()));
    let on_time = done.clone().and(col("rectified_on").lt_eq(col("due_on")));
    let late = done.and(col("rectified_on").gt(col("due_on")));
    let not_long_term = col("status").neq(lit(RectificationStatus::LongTerm.code()));
    let findings = |name: &'static str, counts: &dyn Fn(LazyFrame) -> PolarsResult<LazyFrame>| {
        Ok::<_, PolarsError>((vec![name], f.findings.clone().map(counts).transpose()?))
    };
    for (which, name) in [
        (lit(true), RECT_DUE),
        (on_time, RECT_ON_TIME),
        (late, RECT_LATE),
    ] {
        out.push(findings(name, &|lf| {
            in_quarter_of(lf, quarters, which.clone(), "due_on", name)
        })?);
    }
    out.push(findings(RECT_OVERDUE, &|lf| {
        open_at_end(
            lf,
            quarters,
            not_long_term.clone(),
            "due_on",
            "rectified_on",
            1,
            RECT_OVERDUE,
        )
    })?);
    let names = Series::new(
        uq::QUARTER.into(),
        quarters.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
    );
    out.push(findings(super::follow_up::REPEATED, &|lf| {
        Ok(super::follow_up::repeated(lf, &names))
    })?);
    Ok(out)
}
