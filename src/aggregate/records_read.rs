//! The records behind each flag at the edge: the selectors
//! (`detect::behind`) joined to the stored datasets, in one table of the
//! same columns whatever the dataset. Reporter identity stays the keyed
//! pseudonym the store holds; summaries are cut to `SUMMARY_CHARS`.

use anyhow::Result;
use polars::prelude::*;

use crate::aggregate::Engine;
use crate::detect::behind::{Narrow, Selector};
use crate::model::{Dataset, PersonRole, RectificationStatus};
use crate::store::Store;
use crate::store::frame::{polars_ctx, text_column};

/// Rows listed per flag at most (the most recent first).
pub const ROWS_PER_FLAG: u32 = 1000;
/// Characters of a summary kept, as in the reports.
pub const SUMMARY_CHARS: usize = 60;

/// The table's columns, in order.
pub const COLUMNS: [&str; 11] = [
    "flag_id",
    "detector",
    "dataset",
    "record_id",
    "date",
    "unit_id",
    "person_id",
    "field",
    "class",
    "reporter_key",
    "summary",
];

/// A dataset's stored columns behind the table's (None where it has none).
#[derive(Debug, Clone, Copy)]
struct Stored {
    id: &'static str,
    date: &'static str,
    person: Option<&'static str>,
    field: Option<&'static str>,
    class: Option<&'static str>,
    reporter: Option<&'static str>,
    text: &'static str,
}

fn stored(d: Dataset) -> Stored {
    let (id, date, person, field, class, reporter, text) = match d {
        Dataset::Petitions => (
            "petition_id",
            "received_on",
            Some("person_id"),
            Some("field"),
            Some("class"),
            Some("reporter_key"),
            "summary",
        ),
        Dataset::Findings => (
            "finding_id",
            "reported_on",
            None,
            Some("field"),
            Some("kind"),
            None,
            "description",
        ),
        Dataset::Cases => (
            "case_id",
            "filed_on",
            Some("person_id"),
            Some("field"),
            Some("discipline"),
            None,
            "sanction",
        ),
        Dataset::Dispositions => (
            "action_id",
            "sent_on",
            None,
            None,
            Some("action"),
            None,
            "note",
        ),
        _ => (
            "recommendation_id",
            "issued_on",
            None,
            Some("field"),
            None,
            None,
            "subject",
        ),
    };
    Stored {
        id,
        date,
        person,
        field,
        class,
        reporter,
        text,
    }
}

/// A stored column as text, or a null where the dataset has none.
fn text_of(c: Option<&str>) -> Expr {
    c.map_or_else(
        || lit(NULL).cast(DataType::String),
        |c| col(c).cast(DataType::String),
    )
}

/// A dataset's columns under the table's names (null where it has none).
fn columns(d: Dataset) -> Vec<Expr> {
    let s = stored(d);
    vec![
        lit(d.name()).alias("dataset"),
        text_of(Some(s.id)).alias("record_id"),
        col(s.date).alias("date"),
        text_of(Some("unit_id")).alias("unit_id"),
        text_of(s.person).alias("person_id"),
        text_of(s.field).alias("field"),
        text_of(s.class).alias("class"),
        text_of(s.reporter).alias("reporter_key"),
        text_of(Some(s.text)).alias("summary"),
        text_of(Some("quarter")).alias("quarter"),
    ]
}

/// The stored column a key of the table meets (`r_unit`, `r_quarter`,
/// `r_id`, `r_person`, `r_field`), as text.
fn key_column(d: Dataset, key: &str) -> Expr {
    let s = stored(d);
    if key == "r_quarter" {
        // The partition column, text already: read as it is.
        return col(QUARTER);
    }
    text_of(match key {
        "r_unit" => Some("unit_id"),
        "r_id" => Some(s.id),
        "r_person" => s.person,
        _ => s.field,
    })
}

/// Selectors as rows: one per unit × quarter × id (nulls: any).
fn keys(sel: &[&Selector]) -> PolarsResult<DataFrame> {
    let mut flag = Vec::new();
    let mut detector = Vec::new();
    let mut unit: Vec<Option<String>> = Vec::new();
    let mut quarter: Vec<Option<String>> = Vec::new();
    let mut id: Vec<Option<String>> = Vec::new();
    let mut field: Vec<Option<&str>> = Vec::new();
    let mut person: Vec<Option<String>> = Vec::new();
    for s in sel {
        let units: Vec<Option<String>> = if s.units.is_empty() {
            vec![None]
        } else {
            s.units.iter().cloned().map(Some).collect()
        };
        let quarters: Vec<Option<String>> = if s.quarters.is_empty() {
            vec![None]
        } else {
            s.quarters.iter().cloned().map(Some).collect()
        };
        let ids: Vec<Option<String>> = if s.ids.is_empty() {
            vec![None]
        } else {
            s.ids.iter().cloned().map(Some).collect()
        };
        for u in &units {
            for q in &quarters {
                for i in &ids {
                    flag.push(s.flag_id.clone());
                    detector.push(s.detector);
                    unit.push(u.clone());
                    quarter.push(q.clone());
                    id.push(i.clone());
                    field.push(s.field.map(|f| f.code()));
                    person.push(s.person_id.clone());
                }
            }
        }
    }
    DataFrame::new(
        flag.len(),
        vec![
            Column::new("flag_id".into(), flag),
            Column::new("detector".into(), detector),
            Column::new("k_unit".into(), unit),
            Column::new("k_quarter".into(), quarter),
            Column::new("k_id".into(), id),
            Column::new("k_field".into(), field),
            Column::new("k_person".into(), person),
        ],
    )
}

/// How a selector's keys meet the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    Ids,
    UnitQuarter,
    Unit,
    PersonQuarter,
    FieldQuarter,
}

/// The columns each kind of key joins on: (key, row); the row's are
/// copies (`columns`), which the join drops.
/// (Every join is on equal keys, so a flag meets only its own rows, never
/// a whole quarter.)
const JOINS: [(&[(&str, &str)], Join); 5] = [
    (&[("k_id", "r_id")], Join::Ids),
    (
        &[("k_unit", "r_unit"), ("k_quarter", "r_quarter")],
        Join::UnitQuarter,
    ),
    (&[("k_unit", "r_unit")], Join::Unit),
    (
        &[("k_person", "r_person"), ("k_quarter", "r_quarter")],
        Join::PersonQuarter,
    ),
    (
        &[("k_field", "r_field"), ("k_quarter", "r_quarter")],
        Join::FieldQuarter,
    ),
];

fn join_of(s: &Selector) -> Join {
    match (s.ids.is_empty(), s.units.is_empty(), s.quarters.is_empty()) {
        (false, _, _) => Join::Ids,
        (true, false, false) => Join::UnitQuarter,
        (true, false, true) => Join::Unit,
        _ if s.person_id.is_some() => Join::PersonQuarter,
        _ => Join::FieldQuarter,
    }
}

/// Whether a row matches its key where the key says.
fn matches(key: &str, stored: Expr) -> Expr {
    col(key).is_null().or(col(key).eq(stored))
}

/// The rows `narrow` keeps.
fn narrowed(d: Dataset, narrow: Narrow, as_of: chrono::NaiveDate) -> Option<Expr> {
    let day = |x: chrono::NaiveDate| lit(x).cast(DataType::Date);
    match (d, narrow) {
        (Dataset::Petitions, Narrow::TopLeaderClues { deadline_days }) => Some(
            col("clue")
                .fill_null(lit(false))
                .and(
                    col("person_role")
                        .cast(DataType::String)
                        .eq(lit(PersonRole::TopLeader.code())),
                )
                .and(
                    col("disposed_on")
                        .is_null()
                        .or((col("disposed_on") - col("received_on"))
                            .dt()
                            .total_days(false)
                            .gt(lit(i64::from(deadline_days)))),
                ),
        ),
        (Dataset::Findings, Narrow::OverdueFindings) => Some(
            col("due_on").lt(day(as_of)).and(
                col("status")
                    .cast(DataType::String)
                    .neq(lit(RectificationStatus::Done.code()))
                    .or(col("rectified_on").gt(day(as_of))),
            ),
        ),
        _ => None,
    }
}

/// Every selector's rows, at most `ROWS_PER_FLAG` per flag, most recent
/// first; `as_of` is the report's quarter's last day.
///
/// Two passes per dataset: the selectors meet the stored key columns
/// (quarters, dates and ids only), each flag keeps its most recent rows,
/// and only those rows are then read whole: the quarters they are in,
/// joined to them on the id. Both
/// passes stream the store (a district's flags meet millions of rows),
/// filtered by the values their keys hold before any join.
pub fn records(
    store: &Store,
    selectors: &[Selector],
    as_of: chrono::NaiveDate,
) -> Result<DataFrame> {
    let mut parts: Vec<LazyFrame> = Vec::new();
    for d in [
        Dataset::Petitions,
        Dataset::Findings,
        Dataset::Cases,
        Dataset::Dispositions,
        Dataset::Recommendations,
    ] {
        let mine: Vec<&Selector> = selectors.iter().filter(|s| s.dataset == d).collect();
        let Some(scan) = store.scan_optional(d)? else {
            continue;
        };
        if mine.is_empty() {
            continue;
        }
        let hits = hits(&scan, d, &mine, as_of)?;
        // Ids are unique within a dataset (the store's upsert key). The
        // join comes before the table's columns, so that only the rows
        // kept are cast.
        let id = stored(d).id;
        let whole = scan.filter(among(key_column(d, "r_quarter"), &hits, "quarter")?);
        let mut picked = columns(d);
        picked.extend([col("flag_id"), col("detector")]);
        parts.push(
            hits.lazy()
                .select([col("flag_id"), col("detector"), col("record_id").alias(id)])
                .join(whole, [col(id)], [col(id)], JoinArgs::new(JoinType::Inner))
                .select(picked)
                .select(COLUMNS.map(col)),
        );
    }
    if parts.is_empty() {
        return polars_ctx(empty(), "flag records");
    }
    let all = concat(parts, UnionArgs::default())?
        .sort(
            ["flag_id", "date", "record_id"],
            SortMultipleOptions::default().with_order_descending_multi([false, true, false]),
        )
        .select(COLUMNS.map(col));
    summaries_cut(polars_ctx(Engine::Streaming.collect(all), "flag records")?)
}

/// The partition column: the quarter a stored row is in.
const QUARTER: &str = "quarter";

/// `stored` is one of the values of `column` in `table`: the only rows that
/// can meet them (a row meets a key on equal values, never on nulls).
fn among(stored: Expr, table: &DataFrame, column: &str) -> Result<Expr> {
    let values = table
        .column(column)?
        .as_materialized_series()
        .drop_nulls()
        .unique()?;
    Ok(stored.is_in(lit(values).implode(false), false))
}

/// The rows each selector of one dataset meets: flag, quarter, date and
/// id, at most `ROWS_PER_FLAG` per flag (the most recent).
fn hits(
    scan: &LazyFrame,
    d: Dataset,
    mine: &[&Selector],
    as_of: chrono::NaiveDate,
) -> Result<DataFrame> {
    // One narrowing per detector at most: group by it.
    let mut narrows: Vec<Narrow> = Vec::new();
    for s in mine {
        if !narrows.contains(&s.narrow) {
            narrows.push(s.narrow);
        }
    }
    let mut found: Vec<DataFrame> = Vec::new();
    for narrow in narrows {
        let group: Vec<&Selector> = mine
            .iter()
            .copied()
            .filter(|s| s.narrow == narrow)
            .collect();
        let mut rows = scan.clone();
        if let Some(keep) = narrowed(d, narrow, as_of) {
            rows = rows.filter(keep);
        }
        for (on, class) in JOINS {
            let these: Vec<&Selector> = group
                .iter()
                .copied()
                .filter(|s| join_of(s) == class)
                .collect();
            if these.is_empty() {
                continue;
            }
            let k = polars_ctx(keys(&these), "flag record keys")?;
            let left: Vec<Expr> = on.iter().map(|(k, _)| col(*k)).collect();
            let right: Vec<Expr> = on.iter().map(|(_, r)| col(*r)).collect();
            let mut candidates = rows.clone();
            for (key, r) in on.iter() {
                candidates = candidates.filter(among(key_column(d, r), &k, key)?);
            }
            let with_keys = candidates.with_columns(
                on.iter()
                    .map(|(_, r)| key_column(d, r).alias(*r))
                    .collect::<Vec<_>>(),
            );
            let piece = k
                .lazy()
                .join(with_keys, left, right, JoinArgs::new(JoinType::Inner))
                .filter(
                    matches("k_field", key_column(d, "r_field"))
                        .and(matches("k_person", key_column(d, "r_person"))),
                )
                .select([
                    col("flag_id"),
                    col("detector"),
                    key_column(d, "r_quarter").alias("quarter"),
                    col(stored(d).date).alias("date"),
                    key_column(d, "r_id").alias("record_id"),
                ]);
            // Capped piece by piece, so that no more than one piece's
            // matches (a district's flags meet millions of rows) are held;
            // a flag's most recent rows are among its pieces' most recent.
            found.push(most_recent(polars_ctx(
                Engine::Streaming.collect(piece),
                "flag record keys",
            )?)?);
        }
    }
    let df = polars_ctx(
        concat(
            found.into_iter().map(DataFrame::lazy).collect::<Vec<_>>(),
            UnionArgs::default(),
        )?
        .collect(),
        "flag record keys",
    )?;
    most_recent(df)
}

/// Each flag's `ROWS_PER_FLAG` most recent rows of `df` (ties: the smaller id),
/// chosen without sorting the whole table: a flag over a whole district
/// meets millions of rows.
fn most_recent(df: DataFrame) -> Result<DataFrame> {
    let flags = text_column(&df, "flag_id")?;
    let ids = text_column(&df, "record_id")?;
    let dates = df.column("date")?.cast(&DataType::Int32)?;
    let dates: Vec<Option<i32>> = dates.i32()?.iter().collect();
    let mut by_flag: std::collections::HashMap<Option<&str>, Vec<usize>> = Default::default();
    for (i, f) in flags.iter().enumerate() {
        by_flag.entry(f).or_default().push(i);
    }
    let order = |a: &usize, b: &usize| {
        dates[*b]
            .cmp(&dates[*a])
            .then_with(|| ids.get(*a).cmp(&ids.get(*b)))
    };
    let mut keep = vec![false; df.height()];
    let cap = ROWS_PER_FLAG as usize;
    for rows in by_flag.values_mut() {
        if rows.len() > cap {
            rows.select_nth_unstable_by(cap - 1, order);
            rows.truncate(cap);
        }
        for &i in rows.iter() {
            keep[i] = true;
        }
    }
    let keep = BooleanChunked::from_slice("keep".into(), &keep);
    polars_ctx(df.filter(&keep), "capping flag records")
}

/// Each summary cut to `SUMMARY_CHARS` (each flag's rows were capped at
/// `ROWS_PER_FLAG` when chosen).
fn summaries_cut(mut df: DataFrame) -> Result<DataFrame> {
    let cut: Vec<Option<String>> = text_column(&df, "summary")?
        .iter()
        .map(|v| v.map(|s| s.chars().take(SUMMARY_CHARS).collect()))
        .collect();
    polars_ctx(
        df.with_column(Column::new("summary".into(), cut)),
        "summary",
    )?;
    Ok(df)
}

fn empty() -> PolarsResult<DataFrame> {
    DataFrame::new(
        0,
        COLUMNS
            .iter()
            .map(|c| {
                let t = if *c == "date" {
                    DataType::Date
                } else {
                    DataType::String
                };
                Column::new_empty((*c).into(), &t)
            })
            .collect(),
    )
}
