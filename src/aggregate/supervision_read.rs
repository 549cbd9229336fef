//! Supervision coverage at the edge: the year's activities, the units and
//! the top leaders from the store, checked (pure,
//! `aggregate::supervision`), and the check as two tables.

use anyhow::Result;
use polars::prelude::*;

use crate::aggregate::supervision::{
    self, Activity, Supervised, SupervisionCheck, SupervisionRules, TopLeader,
};
use crate::model::{ActivityKind, Dataset, LeaderRole, Quarter, SupervisingBody, UnitLevel};
use crate::store::Store;
use crate::store::frame::{dates, polars_ctx, strings};

/// The check of the quarter's year to its last day, or `None` when the
/// store holds no supervision activities.
pub fn check(
    store: &Store,
    rules: &SupervisionRules,
    quarter: Quarter,
) -> Result<Option<SupervisionCheck>> {
    let Some(scan) = store.scan_optional(Dataset::Supervision)? else {
        return Ok(None);
    };
    let as_of = quarter.last_day();
    let year = Quarter::new(quarter.year(), 1)
        .map(|q| q.first_day())
        .unwrap_or(as_of);
    let acts = polars_ctx(
        scan.filter(
            col("held_on")
                .gt_eq(lit(year).cast(DataType::Date))
                .and(col("held_on").lt_eq(lit(as_of).cast(DataType::Date))),
        )
        .select([
            col("kind").cast(DataType::String),
            col("body").cast(DataType::String),
            col("held_on"),
            col("unit_id").cast(DataType::String),
            col("person_id").cast(DataType::String),
        ])
        .collect(),
        "supervision activities",
    )?;
    let held = dates(&acts, "held_on")?;
    let people = crate::store::frame::text_column(&acts, "person_id")?;
    let activities: Vec<Activity> = strings(&acts, "kind")?
        .iter()
        .zip(strings(&acts, "body")?)
        .zip(strings(&acts, "unit_id")?)
        .enumerate()
        .filter_map(|(i, ((kind, body), unit_id))| {
            Some(Activity {
                kind: ActivityKind::parse(kind)?,
                body: SupervisingBody::parse(&body)?,
                held_on: held[i]?,
                unit_id,
                person_id: people.get(i).map(str::to_string),
            })
        })
        .collect();
    let units = polars_ctx(
        store
            .scan(Dataset::Units)?
            .select([
                col("unit_id").cast(DataType::String),
                col("name").cast(DataType::String),
                col("level").cast(DataType::String),
            ])
            .collect(),
        "units",
    )?;
    let units: Vec<Supervised> = strings(&units, "unit_id")?
        .into_iter()
        .zip(strings(&units, "name")?)
        .zip(strings(&units, "level")?)
        .filter_map(|((unit_id, name), level)| {
            Some(Supervised {
                unit_id,
                name,
                level: UnitLevel::parse(&level)?,
            })
        })
        .collect();
    let leaders = polars_ctx(
        store
            .scan(Dataset::Leaders)?
            .filter(
                col("role")
                    .cast(DataType::String)
                    .eq(lit(LeaderRole::TopLeader.code())),
            )
            .select([
                col("person_id").cast(DataType::String),
                col("unit_id").cast(DataType::String),
                col("start_on"),
                col("end_on"),
            ])
            .collect(),
        "top leaders",
    )?;
    let (starts, ends) = (dates(&leaders, "start_on")?, dates(&leaders, "end_on")?);
    let leaders: Vec<TopLeader> = strings(&leaders, "person_id")?
        .into_iter()
        .zip(strings(&leaders, "unit_id")?)
        .enumerate()
        .filter_map(|(i, (person_id, unit_id))| {
            Some(TopLeader {
                person_id,
                unit_id,
                start_on: starts[i]?,
                end_on: ends[i],
            })
        })
        .collect();
    Ok(Some(supervision::check(
        rules,
        &units,
        &leaders,
        &activities,
        as_of,
    )))
}

fn body_code(b: Option<SupervisingBody>) -> &'static str {
    b.map_or("", SupervisingBody::code)
}

/// `tables/supervision_coverage`: one row per minimum and body.
pub fn coverage_frame(c: &SupervisionCheck) -> Result<DataFrame> {
    let rows = &c.coverage;
    let n = rows.len();
    polars_ctx(
        DataFrame::new(
            n,
            vec![
                Column::new("year".into(), vec![c.year; n]),
                Column::new("as_of".into(), vec![c.as_of.to_string(); n]),
                Column::new(
                    "minimum".into(),
                    rows.iter().map(|r| r.minimum.code()).collect::<Vec<_>>(),
                ),
                Column::new(
                    "body".into(),
                    rows.iter().map(|r| body_code(r.body)).collect::<Vec<_>>(),
                ),
                Column::new(
                    "required".into(),
                    rows.iter().map(|r| r.required).collect::<Vec<_>>(),
                ),
                Column::new("met".into(), rows.iter().map(|r| r.met).collect::<Vec<_>>()),
                Column::new(
                    "rate".into(),
                    rows.iter().map(|r| r.rate()).collect::<Vec<_>>(),
                ),
            ],
        ),
        "supervision coverage",
    )
}

/// `tables/supervision_gaps`: every minimum not met.
pub fn gaps_frame(c: &SupervisionCheck) -> Result<DataFrame> {
    let rows = &c.gaps;
    let n = rows.len();
    polars_ctx(
        DataFrame::new(
            n,
            vec![
                Column::new("year".into(), vec![c.year; n]),
                Column::new("final".into(), vec![c.final_; n]),
                Column::new(
                    "minimum".into(),
                    rows.iter().map(|r| r.minimum.code()).collect::<Vec<_>>(),
                ),
                Column::new(
                    "body".into(),
                    rows.iter().map(|r| body_code(r.body)).collect::<Vec<_>>(),
                ),
                Column::new(
                    "unit_id".into(),
                    rows.iter().map(|r| r.unit_id.as_str()).collect::<Vec<_>>(),
                ),
                Column::new(
                    "unit_name".into(),
                    rows.iter()
                        .map(|r| r.unit_name.as_str())
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "person_id".into(),
                    rows.iter()
                        .map(|r| r.person_id.as_deref())
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "required".into(),
                    rows.iter().map(|r| r.required).collect::<Vec<_>>(),
                ),
                Column::new(
                    "done".into(),
                    rows.iter().map(|r| r.done).collect::<Vec<_>>(),
                ),
                Column::new(
                    "since".into(),
                    rows.iter()
                        .map(|r| r.since.map(|d| d.to_string()))
                        .collect::<Vec<_>>(),
                ),
            ],
        ),
        "supervision gaps",
    )
}
