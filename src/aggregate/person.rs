//! `person_quarter`: what names each leader, quarter by quarter, for the
//! prominent-complaints analysis (社会反映突出). Petitions and cases name a
//! person directly; a finding that involves the top leader is attributed to
//! the top leader in office on the day it was reported.

use polars::prelude::*;

use super::{Facts, uq};
use crate::model::LeaderRole;

/// Column names of the person × quarter table.
pub mod pq {
    pub const PERSON_ID: &str = "person_id";
    pub const UNIT_ID: &str = "unit_id";
    pub const ROLE: &str = "role";
    pub const QUARTER: &str = "quarter";
    pub const PETITIONS: &str = "petitions";
    pub const SIGNED: &str = "petitions_signed";
    pub const REPEAT: &str = "petitions_repeat";
    pub const CLUES: &str = "clues";
    pub const FINDINGS: &str = "findings";
    pub const CASES: &str = "cases";
}

fn by_person(lf: LazyFrame, quarters: &Series, aggs: Vec<Expr>) -> LazyFrame {
    super::in_quarters(lf, quarters)
        .filter(col(pq::PERSON_ID).is_not_null())
        .group_by([col(pq::PERSON_ID), col(pq::QUARTER)])
        .agg(aggs)
}

/// One row per leader and quarter in which something names them, with the
/// unit and role of the leader's first tenure in the leaders table.
pub fn person_quarter(
    leaders: LazyFrame,
    f: Facts,
    quarters: &[String],
    engine: super::Engine,
) -> PolarsResult<DataFrame> {
    let qs = Series::new(pq::QUARTER.into(), quarters.to_vec());
    let on = [col(pq::PERSON_ID), col(pq::QUARTER)];
    let count = |name: &str, e: Expr| e.sum().cast(DataType::UInt32).alias(name);
    let mut parts = vec![by_person(
        f.petitions,
        &qs,
        vec![
            len().cast(DataType::UInt32).alias(pq::PETITIONS),
            count(pq::SIGNED, col("signed")),
            count(pq::REPEAT, col("repeat")),
            count(pq::CLUES, col("clue")),
        ],
    )];
    if let Some(c) = f.cases {
        parts.push(by_person(
            c,
            &qs,
            vec![len().cast(DataType::UInt32).alias(pq::CASES)],
        ));
    }
    if let Some(fi) = f.findings {
        // The top leader in office on the reporting day.
        let tops = leaders
            .clone()
            .filter(col("role").eq(lit(LeaderRole::TopLeader.code())))
            .select([
                col(pq::PERSON_ID),
                col(uq::UNIT_ID),
                col("start_on"),
                col("end_on"),
            ]);
        let attributed = super::in_quarters(fi, &qs)
            .filter(col("involves_top_leader"))
            .join(
                tops,
                [col(uq::UNIT_ID)],
                [col(uq::UNIT_ID)],
                JoinArgs::new(JoinType::Inner),
            )
            .filter(
                col("start_on").lt_eq(col("reported_on")).and(
                    col("end_on")
                        .is_null()
                        .or(col("end_on").gt_eq(col("reported_on"))),
                ),
            )
            .group_by([col(pq::PERSON_ID), col(pq::QUARTER)])
            .agg([len().cast(DataType::UInt32).alias(pq::FINDINGS)]);
        parts.push(attributed);
    }
    let mut keys = parts[0].clone().select(on.clone());
    for p in &parts[1..] {
        keys = concat([keys, p.clone().select(on.clone())], UnionArgs::default())?;
    }
    let mut table = keys.unique_stable(None, UniqueKeepStrategy::First);
    for p in parts {
        table = table.join(p, on.clone(), on.clone(), JoinArgs::new(JoinType::Left));
    }
    let counts = [
        pq::PETITIONS,
        pq::SIGNED,
        pq::REPEAT,
        pq::CLUES,
        pq::CASES,
        pq::FINDINGS,
    ];
    let who = leaders
        .select([
            col(pq::PERSON_ID),
            col(uq::UNIT_ID),
            col("role").alias(pq::ROLE),
        ])
        .unique_stable(None, UniqueKeepStrategy::First);
    let table = table.join(
        who,
        [col(pq::PERSON_ID)],
        [col(pq::PERSON_ID)],
        JoinArgs::new(JoinType::Left),
    );
    // A dataset not loaded has no column: its counts are zeros.
    let schema = table.clone().collect_schema()?;
    let table = table
        .with_columns(
            counts
                .iter()
                .filter(|c| schema.get(c).is_none())
                .map(|c| lit(0u32).alias(*c))
                .collect::<Vec<_>>(),
        )
        .with_columns(
            counts
                .iter()
                .map(|c| col(*c).fill_null(lit(0u32)))
                .collect::<Vec<_>>(),
        );
    let table = table
        .select(
            [pq::PERSON_ID, pq::UNIT_ID, pq::ROLE, pq::QUARTER]
                .into_iter()
                .chain(counts)
                .map(col)
                .collect::<Vec<_>>(),
        )
        .sort([pq::PERSON_ID, pq::QUARTER], Default::default());
    engine.collect(table)
}
