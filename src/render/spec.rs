//! Chart specifications: pure data built from the tables, drawn by
//! `draw.rs`. A spec holds every word and number the chart shows.

use polars::prelude::*;

use crate::aggregate::uq;
use crate::model::Quarter;

/// Any chart: what `draw` draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Line(LineChart),
    Bars(super::bars::BarChart),
    Funnel(super::funnel::FunnelChart),
    Heatmap(super::heatmap::Heatmap),
    Ranked(super::ranked::RankedChart),
    Multiples(super::multiples::Multiples),
}

impl Chart {
    /// File stem under `charts/`.
    pub fn id(&self) -> &str {
        match self {
            Chart::Line(c) => &c.id,
            Chart::Bars(c) => &c.id,
            Chart::Funnel(c) => &c.id,
            Chart::Heatmap(c) => &c.id,
            Chart::Ranked(c) => &c.id,
            Chart::Multiples(c) => &c.id,
        }
    }

    pub fn title(&self) -> &str {
        match self {
            Chart::Line(c) => &c.title,
            Chart::Bars(c) => &c.title,
            Chart::Funnel(c) => &c.title,
            Chart::Heatmap(c) => &c.title,
            Chart::Ranked(c) => &c.title,
            Chart::Multiples(c) => &c.title,
        }
    }

    /// Gives the chart another file stem and, when given, another title.
    pub fn rename(&mut self, id: &str, title: Option<&str>) {
        let (i, t) = match self {
            Chart::Line(c) => (&mut c.id, &mut c.title),
            Chart::Bars(c) => (&mut c.id, &mut c.title),
            Chart::Funnel(c) => (&mut c.id, &mut c.title),
            Chart::Heatmap(c) => (&mut c.id, &mut c.title),
            Chart::Ranked(c) => (&mut c.id, &mut c.title),
            Chart::Multiples(c) => (&mut c.id, &mut c.title),
        };
        *i = id.to_string();
        if let Some(title) = title {
            *t = title.to_string();
        }
    }

    /// The SVG canvas (CSS pixels); the PNG is `PNG_SCALE` times it.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Chart::Heatmap(c) => c.size(),
            Chart::Ranked(c) => c.size(),
            Chart::Multiples(c) => c.size(),
            _ => super::style::SVG_SIZE,
        }
    }

    /// Labels that may be drawn cut short, in full.
    pub fn long_labels(&self) -> Vec<String> {
        match self {
            Chart::Line(c) => c.lines.iter().map(|l| l.name.clone()).collect(),
            Chart::Bars(c) => c.series.iter().map(|s| s.name.clone()).collect(),
            Chart::Funnel(c) => c
                .points
                .iter()
                .filter(|p| p.flagged)
                .map(|p| p.name.clone())
                .collect(),
            Chart::Heatmap(c) => c.rows.iter().map(|r| r.name.clone()).collect(),
            Chart::Ranked(c) => c.rows.iter().map(|r| r.name.clone()).collect(),
            Chart::Multiples(c) => c.legend.to_vec(),
        }
    }
}

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
