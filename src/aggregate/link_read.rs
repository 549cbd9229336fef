//! Repeat linking at the edge. The matters are kept in the store
//! (`derived/matters.parquet`, one row per petition) and extended: only
//! petitions not decided before are linked (pure, `aggregate::link`),
//! against the matters begun within the window before them. A run with
//! nothing new links nothing.

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::*;

use crate::aggregate::link::{self, Agreement, LinkRules, PetitionRef};
use crate::aggregate::matters_basis;
use crate::model::{Dataset, Quarter, UsageError};
use crate::store::Store;
use crate::store::frame::{polars_ctx, text_column};

/// The name of the stored matters table.
pub const MATTERS: &str = "matters";

/// Every petition's matter, as kept in the store.
#[derive(Debug, Clone)]
pub struct Matters {
    /// The table to keep when it differs from the stored one:
    /// `petition_id`, `received_on`, `matter_id`, `linked_by`,
    /// `similarity`, `rules`; by date received. `None`: the stored table
    /// stands, and is read where needed rather than held.
    pub to_keep: Option<DataFrame>,
    /// Petitions decided by this run.
    pub linked: usize,
}

impl Matters {
    /// Every petition's matter: the new table, or a scan of the stored one.
    pub fn scan(&self, store: &Store) -> Result<LazyFrame> {
        match &self.to_keep {
            Some(df) => Ok(df.clone().lazy()),
            None => Ok(scan_stored(store)?),
        }
    }
}

fn scan_stored(store: &Store) -> PolarsResult<LazyFrame> {
    LazyFrame::scan_parquet(
        store
            .derived_path(MATTERS)
            .to_string_lossy()
            .as_ref()
            .into(),
        Default::default(),
    )
}

/// Streams `lf` (the whole store's petitions may pass through it).
fn streamed(lf: LazyFrame, what: &str) -> Result<DataFrame> {
    polars_ctx(crate::aggregate::Engine::Streaming.collect(lf), what)
}

/// The matters of every stored petition received by `through`: the stored
/// ones still valid, and the others decided now (unless `may_link` is
/// false, when undecided petitions are an error naming the remedy).
pub fn matters(
    store: &Store,
    through: NaiveDate,
    rules: LinkRules,
    may_link: bool,
) -> Result<Matters> {
    let clock = std::time::Instant::now();
    let stored = stored(store, &rules.fingerprint())?;
    // Every stored petition: a matter decided for a later quarter stays.
    let ids = store.scan(Dataset::Petitions)?.select([
        col("petition_id").cast(DataType::String),
        col("received_on"),
    ]);
    // A stored row stays while its petition and its matter's first are
    // stored. Checked by streaming: a decade's matters are not held to
    // find that nothing changed.
    let kept = stored.clone().map(|s| {
        s.join(
            ids.clone().select([col("petition_id")]),
            [col("petition_id")],
            [col("petition_id")],
            JoinArgs::new(JoinType::Semi),
        )
        .join(
            ids.clone().select([col("petition_id").alias("matter_id")]),
            [col("matter_id")],
            [col("matter_id")],
            JoinArgs::new(JoinType::Semi),
        )
    });
    // The files they were decided from unchanged: every row stays, and
    // the rows need no check.
    let unchanged = stored.is_some() && matters_basis::holds(store);
    let all_kept = match (&kept, &stored) {
        (Some(k), Some(s)) if !unchanged => count_rows(k.clone())? == count_rows(s.clone())?,
        _ => true,
    };
    // When every stored row stays, the undecided petitions are the ones not
    // stored; otherwise the rows that stay are taken into memory once.
    let kept_rows = if all_kept {
        None
    } else {
        Some(collect_kept(kept.clone())?)
    };
    let decided = match (&kept_rows, &stored) {
        (Some(df), _) => df.clone().lazy(),
        (None, Some(s)) => s.clone(),
        (None, None) => empty_table().lazy(),
    };
    let Some(first_day) = first_undecided(ids, decided, through)? else {
        let to_keep = match (kept_rows, &stored) {
            (None, Some(_)) => None,
            (Some(rows), _) => Some(rows),
            (None, None) => Some(empty_table()),
        };
        return Ok(Matters { to_keep, linked: 0 });
    };
    if !may_link {
        return Err(UsageError(format!(
            "the store's matters ({}) do not cover the petitions received by {through}: run the aggregate stage",
            store.derived_path(MATTERS).display()
        ))
        .into());
    }
    let how = match (&stored, unchanged) {
        (None, _) => "none stored under these rules",
        (Some(_), true) => "the petitions' partitions they were decided from are unchanged",
        (Some(_), false) => "row by row against the stored petitions",
    };
    // Every stored row stays: the stored table is read as it is, without
    // the joins that checked it.
    let kept = match kept_rows {
        Some(rows) => rows,
        None => collect_kept(stored)?,
    };
    log::info!(
        target: "aggregate",
        "stored matters checked in {:.2} s ({})",
        clock.elapsed().as_secs_f64(),
        how
    );
    let (table, linked) = link_years(store, kept, first_day, day_number(through), rules)?;
    Ok(Matters {
        to_keep: Some(table),
        linked,
    })
}

/// The rows of `lf`, counted by streaming.
fn count_rows(lf: LazyFrame) -> Result<u32> {
    let counted = streamed(lf.select([len()]), "stored matters")?;
    Ok(polars_ctx(
        counted.column("len").and_then(|c| c.u32().cloned()),
        "stored matters",
    )?
    .get(0)
    .unwrap_or(0))
}

/// The day the first petition received by `through` and not `decided`
/// was received, if any.
fn first_undecided(ids: LazyFrame, decided: LazyFrame, through: NaiveDate) -> Result<Option<i32>> {
    let undecided = streamed(
        ids.filter(col("received_on").lt_eq(lit(through).cast(DataType::Date)))
            .join(
                decided.select([col("petition_id")]),
                [col("petition_id")],
                [col("petition_id")],
                JoinArgs::new(JoinType::Anti),
            )
            .select([col("received_on").min()]),
        "undecided petitions",
    )?;
    Ok(polars_ctx(
        undecided
            .column("received_on")
            .and_then(|c| c.cast(&DataType::Int32)),
        "received_on",
    )?
    .i32()
    .map_err(|e| anyhow::anyhow!("{e}"))?
    .get(0))
}

/// Links the petitions from `first_day` to `last_day` a year at a time, in
/// order: each year's against the matters begun within the window before
/// it, as a quarterly run links its quarter, so a decade never linked
/// before is not held in memory at once. Returns every matter, by date
/// received, and how many were decided.
fn link_years(
    store: &Store,
    mut table: DataFrame,
    first_day: i32,
    last_day: i32,
    rules: LinkRules,
) -> Result<(DataFrame, usize)> {
    let fingerprint = rules.fingerprint();
    let mut linked = 0;
    let mut start = first_day;
    while start <= last_day {
        let end = (start + LINK_DAYS_AT_ONCE - 1).min(last_day);
        let new = decide(
            store,
            &table,
            start - rules.window_days,
            lit(end).cast(DataType::Date),
            rules,
            &fingerprint,
        )?;
        linked += new.height();
        polars_ctx(table.vstack_mut(&new).map(|_| ()), "matters table")?;
        start = end + 1;
    }
    let table = polars_ctx(
        table
            .lazy()
            .sort(["received_on", "petition_id"], Default::default())
            .collect(),
        "matters table",
    )?;
    Ok((table, linked))
}

/// The stored matters that stay, in memory (none stored: empty).
fn collect_kept(kept: Option<LazyFrame>) -> Result<DataFrame> {
    match kept {
        Some(lf) => streamed(lf, "stored matters"),
        None => Ok(empty_table()),
    }
}

/// Days of petitions linked in one pass when many are undecided (a store
/// loaded with years of exports): a year.
const LINK_DAYS_AT_ONCE: i32 = 366;

/// Days since 1970-01-01, as polars stores a date.
fn day_number(d: NaiveDate) -> i32 {
    (d - NaiveDate::default()).num_days() as i32
}

/// A scan of the stored matters, when decided under the rules in force.
fn stored(store: &Store, fingerprint: &str) -> Result<Option<LazyFrame>> {
    if !store.derived_path(MATTERS).is_file() {
        return Ok(None);
    }
    let others =
        count_rows(scan_stored(store)?.filter(col("rules").neq(lit(fingerprint.to_string()))))?;
    Ok((others == 0).then(|| scan_stored(store)).transpose()?)
}

fn empty_table() -> DataFrame {
    DataFrame::new(
        0,
        vec![
            Column::new_empty("petition_id".into(), &DataType::String),
            Column::new_empty("received_on".into(), &DataType::Date),
            Column::new_empty("matter_id".into(), &DataType::String),
            Column::new_empty("linked_by".into(), &DataType::String),
            Column::new_empty("similarity".into(), &DataType::Float32),
            Column::new_empty("rules".into(), &DataType::String),
        ],
    )
    .expect("columns of one length")
}

/// The matters of the petitions received from `from_day` to `through` not
/// in `kept`, linked against the matter starts in `kept`.
fn decide(
    store: &Store,
    kept: &DataFrame,
    from_day: i32,
    through: Expr,
    rules: LinkRules,
    fingerprint: &str,
) -> Result<DataFrame> {
    let clock = std::time::Instant::now();
    // Only the decided petitions from `from_day` on can meet the ones read.
    let kept = polars_ctx(
        kept.clone()
            .lazy()
            .filter(
                col("received_on")
                    .cast(DataType::Int32)
                    .gt_eq(lit(from_day)),
            )
            .collect(),
        "decided petitions",
    )?;
    // Compared as dates, so that the scan skips the row groups (a store's
    // years) whose received_on bounds lie outside.
    let window = store
        .scan(Dataset::Petitions)?
        .filter(
            col("received_on")
                .gt_eq(lit(from_day).cast(DataType::Date))
                .and(col("received_on").lt_eq(through)),
        )
        .select(LinkColumns::read());
    let df = polars_ctx(with_decided(window, &kept).collect(), "petitions to link")?;
    let columns = LinkColumns::of(&df)?;
    let decided = polars_ctx(df.column("decided"), "decided")?.is_not_null();
    let refs = columns.refs(|i| decided.get(i).unwrap_or(false));
    let read = clock.elapsed().as_secs_f64();
    let links = link::link(&refs, rules);
    let joined = clock.elapsed().as_secs_f64() - read;
    let new: Vec<(usize, link::Link)> = links
        .into_iter()
        .enumerate()
        .filter_map(|(i, l)| Some((i, l?)))
        .collect();
    let out = table_links(&refs, &new, fingerprint);
    let out = polars_ctx(
        out.and_then(|df| {
            df.lazy()
                .with_column(col("received_on").cast(DataType::Date))
                .collect()
        }),
        "new matters",
    )?;
    log::info!(
        target: "aggregate",
        "linked {} petitions, {} read with the matters begun before them: read in {read:.2} s, joined in {joined:.2} s, tabled in {:.2} s",
        out.height(),
        refs.len(),
        clock.elapsed().as_secs_f64() - read - joined
    );
    Ok(out)
}

/// The petitions of `window` that take part in linking, each marked
/// `decided` when it begins a matter of `kept` (null otherwise): those not
/// in `kept`, and those that begin one of its matters. With nothing kept,
/// every petition, and no join is made.
fn with_decided(window: LazyFrame, kept: &DataFrame) -> LazyFrame {
    if kept.height() == 0 {
        return window.with_column(lit(NULL).cast(DataType::Boolean).alias("decided"));
    }
    window
        .join(
            kept.clone()
                .lazy()
                .select([col("petition_id"), col("matter_id")]),
            [col("petition_id")],
            [col("petition_id")],
            JoinArgs::new(JoinType::Left),
        )
        // Decided petitions that do not begin a matter play no part.
        .filter(
            col("matter_id")
                .is_null()
                .or(col("matter_id").eq(col("petition_id"))),
        )
        .with_column(
            when(col("matter_id").is_null())
                .then(lit(NULL).cast(DataType::Boolean))
                .otherwise(lit(true))
                .alias("decided"),
        )
}

/// The matters table of the petitions linked (`new`, by index into
/// `refs`). Columns are built straight from the links, with one label per
/// kind of evidence: no per-row copy of the whole table is made.
fn table_links(
    refs: &[PetitionRef<'_>],
    new: &[(usize, link::Link)],
    fingerprint: &str,
) -> PolarsResult<DataFrame> {
    let mut labels: Vec<(link::Evidence, String)> = Vec::new();
    for (_, l) in new {
        if !labels.iter().any(|(e, _)| *e == l.evidence) {
            labels.push((l.evidence, l.evidence.label()));
        }
    }
    let label = |e: link::Evidence| {
        labels
            .iter()
            .find(|(x, _)| *x == e)
            .map_or("", |(_, s)| s.as_str())
    };
    let text = |name: &str, v: &mut dyn Iterator<Item = &str>| {
        StringChunked::from_iter_values(name.into(), v).into_column()
    };
    DataFrame::new(
        new.len(),
        vec![
            text("petition_id", &mut new.iter().map(|(i, _)| refs[*i].id)),
            Column::new(
                "received_on".into(),
                new.iter().map(|(i, _)| refs[*i].day).collect::<Vec<i32>>(),
            ),
            text("matter_id", &mut new.iter().map(|(_, l)| refs[l.matter].id)),
            text("linked_by", &mut new.iter().map(|(_, l)| label(l.evidence))),
            Column::new(
                "similarity".into(),
                new.iter()
                    .map(|(_, l)| l.similarity as f32)
                    .collect::<Vec<f32>>(),
            ),
            Column::new_scalar(
                "rules".into(),
                Scalar::from(PlSmallStr::from(fingerprint)),
                new.len(),
            ),
        ],
    )
}

/// The stored petition columns linking reads, as text (the day as days
/// since 1970-01-01).
#[derive(Debug)]
pub struct LinkColumns {
    ids: StringChunked,
    days: Int32Chunked,
    units: StringChunked,
    people: StringChunked,
    reporters: StringChunked,
    fields: StringChunked,
    classes: StringChunked,
    summaries: StringChunked,
}

impl LinkColumns {
    /// The columns to select from the stored petitions.
    pub fn read() -> [Expr; 8] {
        let text = |c: &str| col(c).cast(DataType::String);
        [
            text("petition_id"),
            col("received_on"),
            text("unit_id"),
            text("person_id"),
            text("reporter_key"),
            text("field"),
            text("discipline"),
            text("summary"),
        ]
    }

    /// The columns of a frame selected with [`Self::read`].
    pub fn of(df: &DataFrame) -> Result<LinkColumns> {
        let s = |c: &str| text_column(df, c);
        let days = polars_ctx(
            df.column("received_on")
                .and_then(|c| c.cast(&DataType::Int32))
                .and_then(|c| c.i32().cloned()),
            "received_on",
        )?;
        Ok(LinkColumns {
            ids: s("petition_id")?,
            days,
            units: s("unit_id")?,
            people: s("person_id")?,
            reporters: s("reporter_key")?,
            fields: s("field")?,
            classes: s("discipline")?,
            summaries: s("summary")?,
        })
    }

    /// Every row as linking reads it; `decided` by row.
    pub fn refs(&self, decided: impl Fn(usize) -> bool) -> Vec<PetitionRef<'_>> {
        (0..self.ids.len())
            .map(|i| PetitionRef {
                id: self.ids.get(i).unwrap_or(""),
                day: self.days.get(i).unwrap_or(0),
                unit: self.units.get(i).unwrap_or(""),
                person: self.people.get(i),
                reporter: self.reporters.get(i),
                field: self.fields.get(i),
                class: self.classes.get(i),
                summary: self.summaries.get(i).unwrap_or(""),
                decided: decided(i),
            })
            .collect()
    }
}

/// The quarter's petitions with their matter and the export's mark, and
/// how the two agree.
pub fn quarter_matters(
    store: &Store,
    matters: LazyFrame,
    quarter: Quarter,
) -> Result<(DataFrame, Agreement)> {
    let table = polars_ctx(
        store
            .scan(Dataset::Petitions)?
            .filter(
                col("quarter")
                    .cast(DataType::String)
                    .eq(lit(quarter.to_string())),
            )
            .select([
                col("petition_id").cast(DataType::String),
                col("repeat").fill_null(lit(false)).alias("repeat_marked"),
            ])
            .join(
                matters.select([
                    col("petition_id"),
                    col("matter_id"),
                    col("linked_by"),
                    col("similarity"),
                ]),
                [col("petition_id")],
                [col("petition_id")],
                JoinArgs::new(JoinType::Inner),
            )
            .select([
                col("petition_id"),
                col("matter_id"),
                col("matter_id")
                    .neq(col("petition_id"))
                    .alias("repeat_computed"),
                col("repeat_marked"),
                col("linked_by"),
                col("similarity"),
            ])
            .sort(["petition_id"], Default::default())
            .collect(),
        "the quarter's matters",
    )?;
    let bools = |c: &str| -> Result<Vec<bool>> {
        Ok(
            polars_ctx(table.column(c).and_then(|c| c.bool().cloned()), c)?
                .iter()
                .map(|v| v.unwrap_or(false))
                .collect(),
        )
    };
    let agreement = Agreement::of(
        bools("repeat_computed")?
            .into_iter()
            .zip(bools("repeat_marked")?),
    );
    Ok((table, agreement))
}
