//! Charts at the edge: the chart set's inputs gathered from the tables, the
//! store and the flags (of this run, or the published ones), and
//! `yanpan chart` for analysts.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use polars::prelude::*;

use super::{UsageError, polars_ctx, today_of, trend_labels};
use crate::aggregate::{self, UnitQuarter};
use crate::cli::{ChartArgs, QuarterArg};
use crate::config::{Language, Pipeline};
use crate::detect;
use crate::model::{Dataset, Flag, KeyField, PersonRole, Quarter};
use crate::render::{self, set::SetInputs, set_units::ClueDays};
use crate::store::{self, Store};

/// The flags the charts mark.
#[derive(Debug, Default)]
pub(super) struct Marked {
    pub units: HashSet<String>,
    pub fields: HashSet<(String, String)>,
}

impl Marked {
    pub fn of(flags: &[Flag]) -> Self {
        Marked {
            units: render::set::flagged_units(flags),
            fields: render::set::flagged_fields(flags),
        }
    }

    /// The flags of the publication for `quarter` (none when it has not
    /// been published).
    fn published(p: &Pipeline, quarter: Quarter) -> Result<Self> {
        let path = p
            .output
            .join(quarter.to_string())
            .join("tables/flags.parquet");
        if !path.is_file() {
            return Ok(Self::default());
        }
        let df = store::read_parquet(&path)?;
        let text = |c: &str| -> Result<Vec<Option<String>>> {
            Ok(super::text_column(&df, c)?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect())
        };
        let (detector, unit, field) = (text("detector")?, text("unit_id")?, text("field")?);
        let mut m = Self::default();
        for ((d, u), f) in detector.iter().zip(unit).zip(field) {
            match (d.as_deref(), u, f) {
                (Some(detect::concentration::NAME), Some(u), _) => {
                    m.units.insert(u);
                }
                (Some(detect::key_field::NAME), Some(u), Some(f)) => {
                    m.fields.insert((u, f));
                }
                _ => {}
            }
        }
        Ok(m)
    }
}

/// Top-leader clues disposed in `quarter` (days from receipt to
/// disposition) or open at its end (days since receipt), from the store.
pub(super) fn clue_days(store: &Store, quarter: Quarter) -> Result<Vec<ClueDays>> {
    let (start, end) = (quarter.first_day(), quarter.last_day());
    let date = |d: chrono::NaiveDate| lit(d).cast(DataType::Date);
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

/// What the chart set is drawn from, gathered once.
pub(super) struct SetSources<'a> {
    pub pipeline: &'a Pipeline,
    pub quarter: Quarter,
    pub quarters: &'a [Quarter],
    pub own: &'a DataFrame,
    pub rollup: &'a DataFrame,
    pub citywide: &'a DataFrame,
    pub marked: Marked,
    pub clue_days: &'a [ClueDays],
    pub profiles: Vec<String>,
}

pub(super) fn set_inputs<'a>(s: SetSources<'a>) -> Result<SetInputs<'a>> {
    let p = s.pipeline;
    let labels = trend_labels(p, s.quarter);
    let trend = polars_ctx(
        render::spec::trend(s.citywide, s.quarters, &labels, &|q| {
            p.quarter_labels.label(q)
        }),
        "trend chart",
    )?;
    Ok(SetInputs {
        quarter: s.quarter,
        quarters: s.quarters,
        zh: p.language == Language::Zh,
        quarter_labels: p.quarter_labels,
        own: s.own,
        rollup: s.rollup,
        flagged: s.marked.units,
        flagged_fields: s.marked.fields,
        clue_days: s.clue_days,
        deadline_days: p.top_leader_clue_deadline_days.get(),
        profiles: s.profiles,
        trend,
        source_note: labels.footnote,
    })
}

fn usage<T>(message: String) -> Result<T> {
    Err(UsageError(message).into())
}

/// `yanpan chart`: one chart from the store's derived tables to a file.
pub fn chart(a: &ChartArgs) -> Result<PathBuf> {
    use render::set::{KINDS, METRICS};
    if !KINDS.contains(&a.kind.as_str()) {
        return usage(format!("no chart {}; charts: {}", a.kind, KINDS.join(", ")));
    }
    if !METRICS.iter().any(|m| m.0 == a.metric) {
        let names: Vec<&str> = METRICS.iter().map(|m| m.0).collect();
        return usage(format!(
            "no metric {}; metrics: {}",
            a.metric,
            names.join(", ")
        ));
    }
    let pipeline = Pipeline::load(&a.pipeline)?;
    let quarter = match a.quarter {
        QuarterArg::Auto => Quarter::last_closed(today_of(a.today, &pipeline)),
        QuarterArg::Given(q) => q,
    };
    let ext = a.out.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext != "svg" && ext != "png" {
        return usage(format!("{}: name an .svg or .png file", a.out.display()));
    }
    let store = Store::new(&pipeline.store);
    let n = a
        .quarters
        .unwrap_or(pipeline.report_history_quarters.get() as usize)
        .max(1);
    let quarters: Vec<Quarter> = quarter.offset(1 - n as i32).through(quarter).collect();
    let remedy = format!(
        "run `yanpan aggregate {} --quarter {quarter}` first",
        a.pipeline.display()
    );
    let [own, rollup] = super::read_derived(
        &store,
        ["unit_quarter", "unit_quarter_rollup"],
        &quarters,
        &remedy,
    )?;
    let city = polars_ctx(
        aggregate::citywide(&UnitQuarter(own.clone())),
        "citywide totals",
    )?;
    let clues = if a.kind == "clue_days" {
        clue_days(&store, quarter)?
    } else {
        Vec::new()
    };
    let set = set_inputs(SetSources {
        pipeline: &pipeline,
        quarter,
        quarters: &quarters,
        own: &own,
        rollup: &rollup,
        citywide: &city,
        marked: Marked::published(&pipeline, quarter)?,
        clue_days: &clues,
        profiles: Vec::new(),
    })?;
    let chart = match a.kind.as_str() {
        "trend" => render::Chart::Line(set.trend.clone()),
        "key_fields" => polars_ctx(render::set::key_fields(&set), "chart")?,
        "rectification" => polars_ctx(render::set::rectification(&set), "chart")?,
        "pareto" => polars_ctx(render::set_units::pareto(&set), "chart")?,
        "clue_days" => render::set_units::clue_days(&set, set.clue_days, set.deadline_days),
        "field" => {
            let Some(raw) = &a.field else {
                return usage(field_hint("name a key field with --field"));
            };
            let Some(field) = KeyField::parse(raw).filter(|f| KeyField::KEY.contains(f)) else {
                return usage(field_hint(&format!("no key field {raw}")));
            };
            polars_ctx(render::set_units::field_units(&set, field), "chart")?
        }
        "profile" => {
            let Some(unit) = &a.unit else {
                return usage("name a unit with --unit (its unit_id)".into());
            };
            match polars_ctx(render::set_units::profile(&set, unit), "chart")? {
                Some(c) => c,
                None => return usage(format!("no unit {unit} in the derived tables")),
            }
        }
        "funnel" | "heatmap" => {
            let levels = polars_ctx(render::set::levels(&set), "levels")?;
            if !levels.contains(&a.level) {
                return usage(format!(
                    "level {}: charts exist for {}",
                    a.level,
                    levels.join(", ")
                ));
            }
            polars_ctx(
                if a.kind == "funnel" {
                    render::set::funnel_of(&set, &a.level, &a.metric)
                } else {
                    render::set::heatmap_of(&set, &a.level, &a.metric)
                },
                "chart",
            )?
        }
        other => return usage(format!("no chart {other}")),
    };
    render::draw::check_font()?;
    if ext == "svg" {
        std::fs::write(&a.out, render::draw::svg(&chart)?)
            .with_context(|| format!("writing {}", a.out.display()))?;
    } else {
        render::draw::png(&chart, &a.out)?;
    }
    Ok(a.out.clone())
}

fn field_hint(lead: &str) -> String {
    let codes: Vec<String> = KeyField::KEY
        .iter()
        .map(|f| format!("{} ({})", f.code(), f.label_zh()))
        .collect();
    format!("{lead}; key fields: {}", codes.join(", "))
}
