//! Charts at the edge: the chart set's inputs gathered from the tables, the
//! store and the flags (of this run, or the published ones), and
//! `yanpan chart` for analysts.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::UsageError;
use crate::aggregate::{self, UnitQuarter};
use crate::cli::ChartArgs;
use crate::config::Pipeline;
use crate::detect;
use crate::model::{Quarter, QuarterArg};
use crate::render::inputs::{Marked, SetSources, set_inputs};
use crate::render::{self};
use crate::run::today_of;
use crate::store::frame::{polars_ctx, text_column};
use crate::store::queries::{clue_days, read_derived};
use crate::store::{self, Store};

/// The flags of a publication.
trait Published: Sized {
    fn published(p: &Pipeline, quarter: Quarter) -> Result<Self>;
}

impl Published for Marked {
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
            Ok(text_column(&df, c)?
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

fn usage<T>(message: String) -> Result<T> {
    Err(UsageError(message).into())
}

/// `yanpan chart --list`: the metrics funnel and heatmap count, code and
/// Chinese name.
pub fn chart_metrics() -> String {
    let rows: Vec<String> = aggregate::metrics::count_metrics()
        .iter()
        .map(|m| format!("  {m:<40} {}", aggregate::labels::label_zh(m)))
        .collect();
    let persons: Vec<String> = render::custom::PERSON_METRICS
        .iter()
        .map(|(m, zh)| format!("  {m:<40} {zh}"))
        .collect();
    format!(
        "Metrics of the unit × quarter table, for `yanpan chart trend|funnel|heatmap --metric` (code or Chinese name):\n{}\n\nMetrics of the person × quarter table, for `yanpan chart persons --metric`:\n{}\n\nBreakdowns for `yanpan chart trend --by`: {}",
        rows.join("\n"),
        persons.join("\n"),
        render::request::BREAKDOWNS.join(", ")
    )
}

/// `yanpan chart`: one chart from the store's derived tables to a file.
pub fn chart(a: &ChartArgs) -> Result<PathBuf> {
    let (Some(kind), Some(pipeline_file), Some(out)) = (&a.kind, &a.pipeline, &a.out) else {
        return usage("yanpan chart KIND PIPELINE --out FILE, or yanpan chart --list".into());
    };
    let request = render::request::ChartRequest::new(&render::request::ChartOptions {
        name: String::new(),
        kind: kind.clone(),
        level: a.level.clone(),
        metric: a.metric.clone(),
        field: a.field.clone(),
        unit: a.unit.clone(),
        own: a.own,
        compare: a.compare.clone(),
        by: a.by.clone(),
        quarters: a.quarters,
        title: None,
    })
    .map_err(UsageError)?;
    let pipeline = Pipeline::load(pipeline_file)?;
    let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext != "svg" && ext != "png" {
        return usage(format!("{}: name an .svg or .png file", out.display()));
    }
    let store = Store::open(&pipeline.store)?;
    let quarter = match a.quarter {
        QuarterArg::Given(q) => q,
        // With a date to go by, the last closed quarter, as `run` does.
        QuarterArg::Auto if a.today.is_some() || pipeline.today.is_some() => {
            Quarter::last_closed(today_of(a.today, &pipeline))
        }
        // Otherwise the last quarter the store's tables hold.
        QuarterArg::Auto => last_aggregated(&store, pipeline_file)?,
    };
    let n = request
        .quarters
        .unwrap_or(pipeline.report_history_quarters.get() as usize);
    let quarters: Vec<Quarter> = quarter.offset(1 - n as i32).through(quarter).collect();
    let remedy = format!(
        "the chart shows {}–{quarter}; run `yanpan aggregate {} --quarter {quarter}` first",
        quarters.first().copied().unwrap_or(quarter),
        pipeline_file.display()
    );
    let [own, rollup] = read_derived(
        &store,
        ["unit_quarter", "unit_quarter_rollup"],
        &quarters,
        &remedy,
    )?;
    let city = polars_ctx(
        aggregate::citywide(&UnitQuarter(own.clone())),
        "citywide totals",
    )?;
    let persons = if request.kind == "persons" {
        let [p] = read_derived(
            &store,
            ["person_quarter"],
            &quarters[quarters.len() - 1..],
            &remedy,
        )?;
        Some(p)
    } else {
        None
    };
    let clues = if request.kind == "clue_days" {
        clue_days(&store, quarter)?
    } else {
        Vec::new()
    };
    let settings = pipeline.render_settings();
    let set = set_inputs(SetSources {
        settings: &settings,
        quarter,
        quarters: &quarters,
        own: &own,
        rollup: &rollup,
        persons: persons.as_ref(),
        citywide: &city,
        marked: Marked::published(&pipeline, quarter)?,
        clue_days: &clues,
        profiles: Vec::new(),
        follow_up: None,
    })?;
    let chart = request.draw(&set).map_err(UsageError)?;
    render::draw::check_font()?;
    if ext == "svg" {
        std::fs::write(out, render::draw::svg(&chart)?)
            .with_context(|| format!("writing {}", out.display()))?;
    } else {
        render::draw::png(&chart, out)?;
    }
    // The numbers drawn, beside the chart.
    let data = out.with_extension("csv");
    let zh = pipeline.language == crate::model::Language::Zh;
    std::fs::write(
        &data,
        polars_ctx(render::data::csv(&chart, zh), "chart data")?,
    )
    .with_context(|| format!("writing {}", data.display()))?;
    Ok(out.clone())
}

/// The last quarter of the store's derived tables (`auto` without a date).
fn last_aggregated(store: &Store, pipeline: &std::path::Path) -> Result<Quarter> {
    let path = store.derived_path("unit_quarter");
    let held = if path.is_file() {
        store::frame::text_set(&store::read_parquet(&path)?, "quarter")?
    } else {
        Default::default()
    };
    match held.iter().filter_map(|q| q.parse::<Quarter>().ok()).max() {
        Some(q) => Ok(q),
        None => usage(format!(
            "the store holds no aggregated quarter: run `yanpan run {} --quarter QUARTER` (or `yanpan aggregate`) first",
            pipeline.display()
        )),
    }
}
