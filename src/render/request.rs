//! One chart asked for by kind and options: by `yanpan chart` on the
//! command line, or by a `[[chart]]` entry of the pipeline file (a saved
//! chart, drawn on every run into `charts/custom/`). Options a kind
//! cannot use are refused, never ignored.

use super::quarterly::{self, KINDS, SetInputs};
use super::spec::Chart;
use super::unit_charts;
use crate::model::KeyField;

/// A chart by kind and options.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartRequest {
    /// The file stem of a saved chart under `charts/custom/` (empty on the
    /// command line).
    pub name: String,
    pub kind: String,
    pub level: Option<String>,
    /// A count of the unit × quarter table, by code.
    pub metric: Option<String>,
    pub field: Option<KeyField>,
    pub unit: Option<String>,
    /// With `unit` or `compare`: the units' own records, not their
    /// subtrees'.
    pub own: bool,
    /// Units drawn side by side on one trend, for `metric`.
    pub compare: Vec<String>,
    /// The title drawn instead of the kind's own.
    pub title: Option<String>,
}

/// The options each kind uses.
fn usable(kind: &str) -> &'static [&'static str] {
    match kind {
        "profile" => &["--unit"],
        "trend" => &["--unit", "--own", "--compare", "--metric"],
        "field" => &["--field"],
        "funnel" | "heatmap" => &["--level", "--metric"],
        _ => &[],
    }
}

fn key_fields() -> String {
    KeyField::KEY
        .iter()
        .map(|f| format!("{} ({})", f.code(), f.label_zh()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl ChartRequest {
    /// A request from raw options: the kind known, every option usable by
    /// it, the metric a count of the table (code or Chinese name), the
    /// field a key field. The message names what is wrong.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &str,
        kind: &str,
        level: Option<&str>,
        metric: Option<&str>,
        field: Option<&str>,
        unit: Option<&str>,
        own: bool,
        compare: &[String],
        title: Option<&str>,
    ) -> Result<Self, String> {
        if !KINDS.contains(&kind) {
            return Err(format!("no chart {kind}; charts: {}", KINDS.join(", ")));
        }
        let given = [
            ("--unit", unit.is_some()),
            ("--field", field.is_some()),
            ("--level", level.is_some()),
            ("--metric", metric.is_some()),
            ("--own", own),
            ("--compare", !compare.is_empty()),
        ];
        let ok = usable(kind);
        let unused: Vec<&str> = given
            .iter()
            .filter(|(o, set)| *set && !ok.contains(o))
            .map(|(o, _)| *o)
            .collect();
        if !unused.is_empty() {
            let takes = if ok.is_empty() {
                "none of --unit, --field, --level, --metric (it is drawn for the whole city)"
                    .to_string()
            } else {
                ok.join(" and ")
            };
            return Err(format!(
                "chart {kind} does not use {}; it takes {takes}",
                unused.join(", ")
            ));
        }
        let metric = metric
            .map(|m| {
                crate::aggregate::metrics::count_metric(m).ok_or_else(|| {
                    format!("no metric {m}: `yanpan chart --list` prints the metrics, by code and Chinese name")
                })
            })
            .transpose()?;
        let field = field
            .map(|raw| {
                KeyField::parse(raw)
                    .filter(|f| KeyField::KEY.contains(f))
                    .ok_or_else(|| format!("no key field {raw}; key fields: {}", key_fields()))
            })
            .transpose()?;
        if kind == "field" && field.is_none() {
            return Err(format!(
                "name a key field with --field; key fields: {}",
                key_fields()
            ));
        }
        if kind == "profile" && unit.is_none() {
            return Err("name a unit with --unit (its unit_id)".into());
        }
        if own && unit.is_none() && compare.is_empty() {
            return Err("--own is a unit's own records: name the unit with --unit".into());
        }
        if kind == "trend" && !compare.is_empty() && unit.is_some() {
            return Err("a trend draws --unit or --compare, not both".into());
        }
        if kind == "trend" && compare.is_empty() && metric.is_some() {
            return Err("a trend takes --metric with --compare (one line per unit)".into());
        }
        if compare.len() == 1 || compare.len() > 8 {
            return Err(format!(
                "--compare takes 2 to 8 units, not {}",
                compare.len()
            ));
        }
        Ok(ChartRequest {
            name: name.to_string(),
            kind: kind.to_string(),
            level: level.map(str::to_string),
            metric,
            field,
            unit: unit.map(str::to_string),
            own,
            compare: compare.to_vec(),
            title: title.map(str::to_string),
        })
    }

    /// The chart, or why it cannot be drawn from these tables.
    pub fn draw(&self, set: &SetInputs<'_>) -> Result<Chart, String> {
        let e = |x: polars::prelude::PolarsError| x.to_string();
        let level = self.level.as_deref().unwrap_or("district");
        let metric = self.metric.as_deref().unwrap_or("petitions");
        let mut chart = match self.kind.as_str() {
            "trend" if !self.compare.is_empty() => {
                Chart::Line(compared(set, &self.compare, metric, self.own)?)
            }
            "trend" => match &self.unit {
                None => Chart::Line(set.trend.clone()),
                Some(unit) => Chart::Line(unit_trend(set, unit, self.own)?),
            },
            "key_fields" => quarterly::key_fields(set).map_err(e)?,
            "rectification" => quarterly::rectification(set).map_err(e)?,
            "pareto" => unit_charts::pareto(set).map_err(e)?,
            "clue_days" => unit_charts::clue_days(set, set.clue_days, set.deadline_days),
            "field" => {
                let field = self.field.unwrap_or(KeyField::Construction);
                unit_charts::field_units(set, field).map_err(e)?
            }
            "profile" => {
                let unit = self.unit.as_deref().unwrap_or_default();
                unit_charts::profile(set, unit)
                    .map_err(e)?
                    .ok_or_else(|| format!("no unit {unit} in the derived tables"))?
            }
            _ => {
                let levels = quarterly::levels(set).map_err(e)?;
                if !levels.iter().any(|l| l == level) {
                    return Err(format!(
                        "level {level}: charts exist for {}",
                        levels.join(", ")
                    ));
                }
                if self.kind == "funnel" {
                    quarterly::funnel_of(set, level, metric).map_err(e)?
                } else {
                    quarterly::heatmap_of(set, level, metric).map_err(e)?
                }
            }
        };
        if !self.name.is_empty() {
            chart.rename(&format!("custom/{}", self.name), self.title.as_deref());
        }
        Ok(chart)
    }
}

/// One line per unit of `metric` over the shown quarters.
fn compared(
    set: &SetInputs<'_>,
    units: &[String],
    metric: &str,
    own: bool,
) -> Result<super::LineChart, String> {
    let table = if own { set.own } else { set.rollup };
    let mut lines = Vec::new();
    for unit in units {
        let (name, values) = unit_values(table, unit, metric, set.quarters)?;
        lines.push(super::Line {
            name,
            values,
            dashed: false,
        });
    }
    let label = crate::aggregate::labels::label_zh(metric);
    let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
    let scope = match (set.zh, own) {
        (true, true) => "（本单位）",
        (true, false) => "（含下级单位）",
        (false, true) => " (own records)",
        (false, false) => " (with the units below)",
    };
    Ok(super::LineChart {
        id: format!(
            "compare_{}_{}",
            metric,
            units
                .iter()
                .map(|u| unit_charts::sanitize(u))
                .collect::<Vec<_>>()
                .join("_")
        ),
        title: if set.zh {
            format!("{}{label}对比{scope}", names.join("、"))
        } else {
            format!("{metric}: {}{scope}", names.join(", "))
        },
        y_label: if set.zh {
            "件".into()
        } else {
            "records".into()
        },
        x_labels: set.trend.x_labels.clone(),
        lines,
        footnote: set.source_note.clone(),
    })
}

/// A unit's name and its values of `metric` in `quarters`.
fn unit_values(
    table: &polars::prelude::DataFrame,
    unit: &str,
    metric: &str,
    quarters: &[crate::model::Quarter],
) -> Result<(String, Vec<Option<f64>>), String> {
    use crate::aggregate::uq;
    use polars::prelude::*;
    let e = |x: PolarsError| x.to_string();
    let rows = table
        .clone()
        .lazy()
        .filter(col(uq::UNIT_ID).eq(lit(unit)))
        .select([
            col(uq::NAME),
            col(uq::QUARTER),
            col(metric).cast(DataType::Float64),
        ])
        .collect()
        .map_err(e)?;
    if rows.height() == 0 {
        return Err(format!("no unit {unit} in the derived tables"));
    }
    let name = rows
        .column(uq::NAME)
        .map_err(e)?
        .str()
        .map_err(e)?
        .get(0)
        .unwrap_or(unit)
        .to_string();
    let qs = rows
        .column(uq::QUARTER)
        .map_err(e)?
        .str()
        .map_err(e)?
        .clone();
    let v = rows.column(metric).map_err(e)?.f64().map_err(e)?.clone();
    let values = quarters
        .iter()
        .map(|q| {
            let q = q.to_string();
            qs.iter()
                .zip(v.iter())
                .find(|(x, _)| *x == Some(q.as_str()))
                .and_then(|(_, v)| v)
        })
        .collect();
    Ok((name, values))
}

/// The trend of one unit (with the units below it, or its own records):
/// the city's trend chart with the unit's figures, titled with its name.
fn unit_trend(set: &SetInputs<'_>, unit: &str, own: bool) -> Result<super::LineChart, String> {
    use crate::aggregate::uq;
    let table = if own { set.own } else { set.rollup };
    let year_before: Vec<crate::model::Quarter> =
        set.quarters.iter().map(|q| q.offset(-4)).collect();
    let mut chart = set.trend.clone();
    let mut name = unit.to_string();
    let columns = [
        uq::PETITIONS,
        uq::PETITIONS,
        uq::CLUES,
        uq::FINDINGS,
        uq::CASES,
    ];
    for (k, (line, column)) in chart.lines.iter_mut().zip(columns).enumerate() {
        let quarters = if k == 1 {
            &year_before[..]
        } else {
            set.quarters
        };
        (name, line.values) = unit_values(table, unit, column, quarters)?;
    }
    let scope = match (set.zh, own) {
        (true, true) => "（本单位）",
        (true, false) => "（含下级单位）",
        (false, true) => " (its own records)",
        (false, false) => " (with the units below it)",
    };
    chart.title = if set.zh {
        format!("{name}{}{scope}", chart.title.trim_start_matches("全市"))
    } else {
        format!("{name}: {}{scope}", chart.title)
    };
    chart.id = format!("trend_{}", unit_charts::sanitize(unit));
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_refuses_what_its_kind_cannot_use() {
        let err = ChartRequest::new(
            "x",
            "pareto",
            None,
            None,
            None,
            Some("D03"),
            false,
            &[],
            None,
        )
        .expect_err("the Pareto is citywide");
        assert!(err.contains("does not use --unit"), "{err}");
        assert!(ChartRequest::new("x", "trend", None, None, None, None, true, &[], None).is_err());
        let r = ChartRequest::new(
            "land",
            "heatmap",
            Some("street"),
            Some("信访举报重点领域：土地规划"),
            None,
            None,
            false,
            &[],
            Some("街道土地规划"),
        )
        .expect("valid");
        assert_eq!(r.metric.as_deref(), Some("petitions_field_land"));
        assert!(ChartRequest::new("x", "field", None, None, None, None, false, &[], None).is_err());
        assert!(ChartRequest::new("x", "moon", None, None, None, None, false, &[], None).is_err());
        let two = ["D01".to_string(), "D03".to_string()];
        let c = ChartRequest::new(
            "x",
            "trend",
            None,
            Some("cases"),
            None,
            None,
            false,
            &two,
            None,
        )
        .expect("a comparison");
        assert_eq!(c.compare, two);
        assert!(
            ChartRequest::new(
                "x",
                "trend",
                None,
                None,
                None,
                Some("D01"),
                false,
                &two,
                None
            )
            .is_err()
        );
        assert!(
            ChartRequest::new("x", "heatmap", None, None, None, None, false, &two, None).is_err()
        );
    }
}
