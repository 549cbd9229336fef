//! Store queries for one quarter's reports: leaders in office, repeat
//! petitions, portfolios, top-leader clue ages, the derived tables.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::*;

use super::frame::{dates, polars_ctx, strings, text_column, text_set};
use super::{Store, read_parquet};
use crate::model::{ClueDays, Dataset, PersonRole, Quarter, RepeatPetition, Tenure, UsageError};

/// The store's derived tables `names`, which must hold every one of
/// `quarters`; `remedy` says how to make them when they are missing or short.
pub fn read_derived<const N: usize>(
    store: &Store,
    names: [&str; N],
    quarters: &[Quarter],
    remedy: &str,
) -> Result<[DataFrame; N]> {
    let mut out = Vec::with_capacity(N);
    for name in names {
        let path = store.derived_path(name);
        if !path.is_file() {
            return Err(UsageError(format!("{} is missing: {remedy}", path.display())).into());
        }
        out.push(read_parquet(&path)?);
    }
    if let Some(first) = out.first() {
        let held = text_set(first, "quarter")?;
        if let Some(q) = quarters.iter().find(|q| !held.contains(&q.to_string())) {
            return Err(UsageError(format!("the derived tables do not hold {q}: {remedy}")).into());
        }
    }
    out.try_into()
        .map_err(|_| anyhow::anyhow!("one table for each of {N} names"))
}

/// The store's leaders in office on `day` (started by then, not ended before).
pub fn leaders_in_office(store: &Store, day: NaiveDate) -> Result<LazyFrame> {
    let d = lit(day).cast(DataType::Date);
    Ok(store.scan(Dataset::Leaders)?.filter(
        col("start_on")
            .lt_eq(d.clone())
            .and(col("end_on").is_null().or(col("end_on").gt_eq(d))),
    ))
}

/// The leaders in office on `day`, with their unit's name, for the
/// rotation watch.
pub fn tenures(store: &Store, day: NaiveDate) -> Result<Vec<Tenure>> {
    let leaders = polars_ctx(
        leaders_in_office(store, day)?
            .select([
                col("person_id").cast(DataType::String),
                col("unit_id").cast(DataType::String),
                col("role").cast(DataType::String),
                col("start_on"),
            ])
            .sort(["unit_id", "person_id"], Default::default())
            .collect(),
        "leaders in office",
    )?;
    let units = polars_ctx(
        store
            .scan(Dataset::Units)?
            .select([
                col("unit_id").cast(DataType::String),
                col("name").cast(DataType::String),
            ])
            .collect(),
        "unit names",
    )?;
    let names: BTreeMap<String, String> = strings(&units, "unit_id")?
        .into_iter()
        .zip(strings(&units, "name")?)
        .collect();
    Ok(strings(&leaders, "person_id")?
        .into_iter()
        .zip(strings(&leaders, "unit_id")?)
        .zip(strings(&leaders, "role")?)
        .zip(dates(&leaders, "start_on")?)
        .filter_map(|(((person_id, unit_id), role), start)| {
            Some(Tenure {
                unit_name: names
                    .get(&unit_id)
                    .cloned()
                    .unwrap_or_else(|| unit_id.clone()),
                person_id,
                unit_id,
                role,
                start_on: start?,
            })
        })
        .collect())
}

/// Repeat petitions read for the report at most (it lists far fewer).
const MAX_REPEATS_READ: u32 = 5000;

/// The quarter's repeat petitions from the store, by unit and date, with
/// unit names from the unit × quarter table.
pub fn repeat_petitions(
    store: &Store,
    quarter: Quarter,
    own: &DataFrame,
) -> Result<Vec<RepeatPetition>> {
    let df = polars_ctx(
        store
            .scan(Dataset::Petitions)?
            .filter(
                col("repeat").fill_null(lit(false)).and(
                    col("quarter")
                        .cast(DataType::String)
                        .eq(lit(quarter.to_string())),
                ),
            )
            .select([
                col("petition_id").cast(DataType::String),
                col("unit_id").cast(DataType::String),
                col("received_on").cast(DataType::String),
                col("summary").cast(DataType::String),
            ])
            .sort(
                ["unit_id", "received_on", "petition_id"],
                Default::default(),
            )
            .limit(MAX_REPEATS_READ)
            .collect(),
        "repeat petitions",
    )?;
    let names: BTreeMap<String, String> = strings(own, "unit_id")?
        .into_iter()
        .zip(strings(own, "name")?)
        .collect();
    let (ids, units, dates, summaries) = (
        strings(&df, "petition_id")?,
        strings(&df, "unit_id")?,
        strings(&df, "received_on")?,
        strings(&df, "summary")?,
    );
    Ok(ids
        .into_iter()
        .zip(units)
        .zip(dates.into_iter().zip(summaries))
        .map(
            |((petition_id, unit_id), (received_on, summary))| RepeatPetition {
                unit_name: names
                    .get(&unit_id)
                    .cloned()
                    .unwrap_or_else(|| unit_id.clone()),
                petition_id,
                unit_id,
                received_on,
                summary,
            },
        )
        .collect())
}

/// Each unit's portfolio (分管领导) from the store's units, where given.
pub fn portfolios(store: &Store) -> Result<BTreeMap<String, String>> {
    let units = polars_ctx(
        store
            .scan(Dataset::Units)?
            .select([col("unit_id"), col("portfolio").cast(DataType::String)])
            .collect(),
        "unit portfolios",
    )?;
    let (ids, ps) = (
        text_column(&units, "unit_id")?,
        text_column(&units, "portfolio")?,
    );
    Ok(ids
        .iter()
        .zip(ps.iter())
        .filter_map(|(u, p)| {
            Some((
                u?.to_string(),
                p.filter(|p| !p.trim().is_empty())?.to_string(),
            ))
        })
        .collect())
}

/// Top-leader clues disposed in `quarter` (days from receipt to
/// disposition) or open at its end (days since receipt), from the store.
pub fn clue_days(store: &Store, quarter: Quarter) -> Result<Vec<ClueDays>> {
    let (start, end) = (quarter.first_day(), quarter.last_day());
    let date = |d: NaiveDate| lit(d).cast(DataType::Date);
    let disposed_in = col("disposed_on")
        .gt_eq(date(start))
        .and(col("disposed_on").lt_eq(date(end)))
        .fill_null(lit(false));
    let open_at_end = col("disposed_on")
        .is_null()
        .or(col("disposed_on").gt(date(end)));
    let df = polars_ctx(
        store
            .scan(Dataset::Petitions)?
            .filter(
                col("clue")
                    .and(
                        col("person_role")
                            .cast(DataType::String)
                            .eq(lit(PersonRole::TopLeader.code())),
                    )
                    .and(col("received_on").lt_eq(date(end)))
                    .and(disposed_in.clone().or(open_at_end)),
            )
            .select([
                disposed_in.clone().alias("disposed"),
                (when(disposed_in.clone())
                    .then(col("disposed_on").cast(DataType::Int32))
                    .otherwise(date(end).cast(DataType::Int32))
                    - col("received_on").cast(DataType::Int32))
                .alias("days"),
            ])
            .collect(),
        "top-leader clues",
    )?;
    let (done, days) = (
        polars_ctx(
            df.column("disposed").and_then(|c| c.bool().cloned()),
            "disposed",
        )?,
        polars_ctx(df.column("days").and_then(|c| c.i32().cloned()), "days")?,
    );
    Ok(done
        .iter()
        .zip(days.iter())
        .filter_map(|(d, n)| {
            Some(ClueDays {
                disposed: d?,
                days: n?,
            })
        })
        .collect())
}

/// Each unit's direct children, from the store's units.
pub fn children(store: &Store) -> Result<BTreeMap<String, Vec<String>>> {
    let units = polars_ctx(
        store
            .scan(Dataset::Units)?
            .select([
                col("unit_id").cast(DataType::String),
                col("parent_id").cast(DataType::String),
            ])
            .collect(),
        "unit tree",
    )?;
    let (ids, parents) = (
        text_column(&units, "unit_id")?,
        text_column(&units, "parent_id")?,
    );
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (u, p) in ids.iter().zip(parents.iter()) {
        if let (Some(u), Some(p)) = (u, p) {
            out.entry(p.to_string()).or_default().push(u.to_string());
        }
    }
    Ok(out)
}
