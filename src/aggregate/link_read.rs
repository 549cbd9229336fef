//! Repeat linking at the edge: the petitions of the quarter and of the
//! window before it from the store, linked into matters (pure,
//! `aggregate::link`), as a table and as the agreement with the
//! export's own repeat mark.

use anyhow::Result;
use polars::prelude::*;

use crate::aggregate::link::{self, Agreement, LinkRules, PetitionRef};
use crate::model::{Dataset, Quarter};
use crate::store::Store;
use crate::store::frame::polars_ctx;

/// The quarter's petitions with their matter, and the agreement.
pub fn link_quarter(
    store: &Store,
    quarter: Quarter,
    rules: LinkRules,
) -> Result<(DataFrame, Agreement)> {
    let first = quarter.first_day() - chrono::Duration::days(i64::from(rules.window_days));
    let df = polars_ctx(
        store
            .scan(Dataset::Petitions)?
            .filter(
                col("received_on")
                    .gt_eq(lit(first).cast(DataType::Date))
                    .and(col("received_on").lt_eq(lit(quarter.last_day()).cast(DataType::Date))),
            )
            .select([
                col("petition_id").cast(DataType::String),
                col("received_on").cast(DataType::Int32).alias("day"),
                col("unit_id").cast(DataType::String),
                col("person_id").cast(DataType::String),
                col("reporter_key").cast(DataType::String),
                col("summary").cast(DataType::String),
                col("repeat").fill_null(lit(false)),
                col("quarter").cast(DataType::String),
            ])
            .collect(),
        "petitions to link",
    )?;
    let s = |c: &str| crate::store::frame::text_column(&df, c);
    let (ids, units, people, reporters, summaries, quarters) = (
        s("petition_id")?,
        s("unit_id")?,
        s("person_id")?,
        s("reporter_key")?,
        s("summary")?,
        s("quarter")?,
    );
    let days = polars_ctx(df.column("day").and_then(|c| c.i32().cloned()), "day")?;
    let marked: Vec<bool> = polars_ctx(
        df.column("repeat").and_then(|c| c.bool().cloned()),
        "repeat",
    )?
    .iter()
    .map(|v| v.unwrap_or(false))
    .collect();
    let refs: Vec<PetitionRef<'_>> = (0..df.height())
        .map(|i| PetitionRef {
            id: ids.get(i).unwrap_or(""),
            day: days.get(i).unwrap_or(0),
            unit: units.get(i).unwrap_or(""),
            person: people.get(i),
            reporter: reporters.get(i),
            summary: summaries.get(i).unwrap_or(""),
        })
        .collect();
    let matter = link::link(&refs, rules);
    let q = quarter.to_string();
    let mut of: Vec<usize> = (0..df.height())
        .filter(|&i| quarters.get(i) == Some(q.as_str()))
        .collect();
    of.sort_by(|&a, &b| refs[a].id.cmp(refs[b].id));
    let agreement = link::agreement(&of, &matter, &marked);
    let table = polars_ctx(
        DataFrame::new(
            of.len(),
            vec![
                Column::new(
                    "petition_id".into(),
                    of.iter().map(|&i| refs[i].id).collect::<Vec<_>>(),
                ),
                Column::new(
                    "matter_id".into(),
                    of.iter().map(|&i| refs[matter[i]].id).collect::<Vec<_>>(),
                ),
                Column::new(
                    "repeat_computed".into(),
                    of.iter().map(|&i| matter[i] != i).collect::<Vec<_>>(),
                ),
                Column::new(
                    "repeat_marked".into(),
                    of.iter().map(|&i| marked[i]).collect::<Vec<_>>(),
                ),
            ],
        ),
        "matters table",
    )?;
    Ok((table, agreement))
}
