//! Chart specifications: pure data built from the tables, drawn by
//! `draw.rs`. A spec holds every word and number the chart shows.

use polars::prelude::*;

use crate::aggregate::uq;
use crate::model::Quarter;

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
    /// One value per x label; `None` draws a gap.
    pub values: Vec<Option<f64>>,
    pub dashed: bool,
}

/// A line chart over quarters.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// File stem under `charts/`.
    pub id: String,
    pub title: String,
    pub y_label: String,
    pub x_labels: Vec<String>,
    pub lines: Vec<Line>,
    pub footnote: String,
}

/// Words the trend chart uses, by report language.
#[derive(Debug, Clone)]
pub struct TrendLabels {
    pub title: String,
    pub unit: String,
    pub petitions: String,
    pub petitions_last_year: String,
    pub clues: String,
    pub findings: String,
    pub cases: String,
    pub footnote: String,
}

fn by_quarter(
    df: &DataFrame,
    column: &str,
) -> PolarsResult<std::collections::BTreeMap<String, f64>> {
    let q = df.column(uq::QUARTER)?.str()?;
    let v = df.column(column)?.cast(&DataType::Float64)?;
    let v = v.f64()?;
    Ok(q.iter()
        .zip(v.iter())
        .filter_map(|(q, v)| Some((q?.to_string(), v?)))
        .collect())
}

/// Citywide quarterly trend of petitions, clues, findings and cases, with
/// petitions in the same quarter a year earlier beside it.
pub fn trend(
    citywide: &DataFrame,
    quarters: &[Quarter],
    labels: &TrendLabels,
    quarter_label: &dyn Fn(Quarter) -> String,
) -> PolarsResult<LineChart> {
    let mut lines = Vec::new();
    let petitions = by_quarter(citywide, uq::PETITIONS)?;
    let series = |m: &std::collections::BTreeMap<String, f64>, shift: i32| -> Vec<Option<f64>> {
        quarters
            .iter()
            .map(|q| m.get(&q.offset(shift).to_string()).copied())
            .collect()
    };
    lines.push(Line {
        name: labels.petitions.clone(),
        values: series(&petitions, 0),
        dashed: false,
    });
    lines.push(Line {
        name: labels.petitions_last_year.clone(),
        values: series(&petitions, -4),
        dashed: true,
    });
    for (col, name) in [
        (uq::CLUES, &labels.clues),
        (uq::FINDINGS, &labels.findings),
        (uq::CASES, &labels.cases),
    ] {
        lines.push(Line {
            name: name.clone(),
            values: series(&by_quarter(citywide, col)?, 0),
            dashed: false,
        });
    }
    Ok(LineChart {
        id: "trend".into(),
        title: labels.title.clone(),
        y_label: labels.unit.clone(),
        x_labels: quarters.iter().map(|q| quarter_label(*q)).collect(),
        lines,
        footnote: labels.footnote.clone(),
    })
}
