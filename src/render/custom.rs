//! The charts only an analyst asks for: one unit's trend, any metric's
//! trend, units side by side, a metric broken into its parts, the leaders
//! most named, and the scope of a unit's subtree. Pure: tables in, specs
//! out; the messages name what is missing.

use std::collections::{BTreeMap, HashSet};

use polars::prelude::*;

use super::bars::{BarChart, BarSeries};
use super::quarterly::SetInputs;
use super::ranked::{MAX_ROWS, RankedChart, RankedRow};
use super::request::Breakdown;
use super::spec::Chart;
use super::unit_charts::sanitize;
use crate::aggregate::labels::label_zh;
use crate::aggregate::person::pq;
use crate::aggregate::uq;
use crate::model::{LeaderRole, Quarter};

fn pe(x: PolarsError) -> String {
    x.to_string()
}

/// The counts of the person × quarter table: code and Chinese name.
pub const PERSON_METRICS: [(&str, &str); 6] = [
    (pq::PETITIONS, "被反映信访举报"),
    (pq::SIGNED, "实名信访举报"),
    (pq::REPEAT, "重复信访举报"),
    (pq::CLUES, "问题线索"),
    (pq::CASES, "立案"),
    (pq::FINDINGS, "巡视巡察发现问题"),
];

/// A count of the person × quarter table by code or Chinese name.
pub fn person_metric(name: &str) -> Result<String, String> {
    let name = name.trim();
    PERSON_METRICS
        .iter()
        .find(|(code, zh)| *code == name || *zh == name || label_zh(code) == name)
        .map(|(code, _)| code.to_string())
        .ok_or_else(|| {
            format!(
                "no leader metric {name}; persons count {}",
                PERSON_METRICS
                    .iter()
                    .map(|(c, zh)| format!("{c} ({zh})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// A unit's subtree: what a funnel plot, heatmap or persons chart keeps
/// when `--unit` names it.
#[derive(Debug, Clone)]
pub struct Scope {
    pub unit_id: String,
    pub name: String,
    /// The unit and every unit below it.
    pub units: HashSet<String>,
    /// The level most of its direct children are at.
    pub child_level: String,
}

/// The scope of `unit` in the roll-up table's tree.
pub fn scope(rollup: &DataFrame, unit: &str) -> Result<Scope, String> {
    let ids = rollup.column(uq::UNIT_ID).map_err(pe)?.str().map_err(pe)?;
    let parents = rollup
        .column(uq::PARENT_ID)
        .map_err(pe)?
        .str()
        .map_err(pe)?;
    let levels = rollup
        .column(uq::LEVEL)
        .map_err(pe)?
        .cast(&DataType::String)
        .map_err(pe)?;
    let levels = levels.str().map_err(pe)?;
    let names = rollup.column(uq::NAME).map_err(pe)?.str().map_err(pe)?;
    let mut name = None;
    let mut pairs = Vec::new();
    let mut level_of: BTreeMap<&str, &str> = BTreeMap::new();
    for i in 0..rollup.height() {
        let Some(id) = ids.get(i) else { continue };
        if id == unit {
            name = names.get(i);
        }
        if let Some(p) = parents.get(i) {
            pairs.push((id, p));
        }
        if let Some(l) = levels.get(i) {
            level_of.insert(id, l);
        }
    }
    let Some(name) = name else {
        return Err(format!("no unit {unit} in the derived tables"));
    };
    let children = crate::model::tree::children(pairs);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in children.get(unit).into_iter().flatten() {
        if let Some(l) = level_of.get(c.as_str()) {
            *counts.entry(l).or_default() += 1;
        }
    }
    let child_level = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map_or_else(String::new, |(l, _)| l.to_string());
    Ok(Scope {
        unit_id: unit.to_string(),
        name: name.to_string(),
        units: crate::model::tree::subtree(unit, &children)
            .into_iter()
            .collect(),
        child_level,
    })
}

fn scope_words(zh: bool, own: bool) -> &'static str {
    match (zh, own) {
        (true, true) => "（本单位）",
        (true, false) => "（含下级单位）",
        (false, true) => " (own records)",
        (false, false) => " (with the units below)",
    }
}

/// The values of `metric` over `quarters`: the unit's (own or with the
/// units below), or the whole city's.
fn values_of(
    set: &SetInputs<'_>,
    unit: Option<&str>,
    own: bool,
    metric: &str,
    quarters: &[Quarter],
) -> Result<(String, Vec<Option<f64>>), String> {
    match unit {
        Some(u) => unit_values(if own { set.own } else { set.rollup }, u, metric, quarters),
        None => {
            let sums = super::quarterly::per_quarter(set.own, quarters, &[metric.to_string()])
                .map_err(pe)?;
            let city = if set.zh { "全市" } else { "City" };
            Ok((
                city.to_string(),
                sums.into_iter().flatten().map(Some).collect(),
            ))
        }
    }
}

fn counting_word(zh: bool, metric: &str) -> String {
    match (
        zh,
        metric.starts_with("findings") || metric.starts_with("rectifications"),
    ) {
        (true, true) => "个".into(),
        (true, false) => "件".into(),
        (false, _) => "records".into(),
    }
}

/// One metric's trend for a unit or the city.
pub fn metric_trend(
    set: &SetInputs<'_>,
    unit: Option<&str>,
    own: bool,
    metric: &str,
) -> Result<super::LineChart, String> {
    let (name, values) = values_of(set, unit, own, metric, set.quarters)?;
    let label = label_zh(metric);
    let scope = if unit.is_some() {
        scope_words(set.zh, own)
    } else {
        ""
    };
    Ok(super::LineChart {
        id: format!("trend_{metric}_{}", sanitize(unit.unwrap_or("city"))),
        title: if set.zh {
            format!("{name}{label}季度趋势{scope}")
        } else {
            format!("{name}: {metric} by quarter{scope}")
        },
        y_label: counting_word(set.zh, metric),
        x_labels: set.trend.x_labels.clone(),
        lines: vec![super::Line {
            name: if set.zh {
                label
            } else {
                metric.replace('_', " ")
            },
            values,
            dashed: false,
        }],
        footnote: set.source_note.clone(),
    })
}

/// A metric broken into its parts, stacked by quarter, for a unit or the
/// city.
pub fn broken_down(
    set: &SetInputs<'_>,
    unit: Option<&str>,
    own: bool,
    metric: &str,
    by: &Breakdown,
) -> Result<Chart, String> {
    let mut name = String::new();
    let mut series = Vec::new();
    for column in &by.columns {
        let (n, values) = values_of(set, unit, own, column, set.quarters)?;
        name = n;
        let zh = label_zh(column);
        let part = zh
            .split_once('：')
            .map_or(zh.as_str(), |(_, p)| p)
            .to_string();
        let suffix = column.rsplit('_').next().unwrap_or(column).to_string();
        series.push(BarSeries {
            muted: suffix == "other",
            name: if set.zh { part } else { suffix },
            values: values.into_iter().map(|v| v.unwrap_or(0.0)).collect(),
        });
    }
    let scope = if unit.is_some() {
        scope_words(set.zh, own)
    } else {
        ""
    };
    let label = label_zh(metric);
    Ok(Chart::Bars(BarChart {
        id: format!("{metric}_by_{}_{}", by.by, sanitize(unit.unwrap_or("city"))),
        title: if set.zh {
            format!("{name}{label}构成（按{}，按季度）{scope}", by_zh(&by.by))
        } else {
            format!("{name}: {metric} by {}, by quarter{scope}", by.by)
        },
        y_label: counting_word(set.zh, metric),
        x_labels: set.trend.x_labels.clone(),
        series,
        stacked: true,
        x_label: String::new(),
        marker: None,
        footnote: set.source_note.clone(),
    }))
}

fn by_zh(by: &str) -> &'static str {
    match by {
        "field" => "重点领域",
        "channel" => "来源渠道",
        "class" => "信访类别",
        "discipline" => "问题类别",
        "form" => "四种形态",
        _ => "线索来源",
    }
}
/// One line per unit of `metric` over the shown quarters.
pub fn compared(
    set: &SetInputs<'_>,
    units: &[String],
    metric: &str,
    own: bool,
) -> Result<super::LineChart, String> {
    let mut lines = Vec::new();
    for unit in units {
        let (name, values) = values_of(set, Some(unit), own, metric, set.quarters)?;
        lines.push(super::Line {
            name,
            values,
            dashed: false,
        });
    }
    let label = label_zh(metric);
    let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
    let scope = scope_words(set.zh, own);
    Ok(super::LineChart {
        id: format!(
            "compare_{}_{}",
            metric,
            units
                .iter()
                .map(|u| sanitize(u))
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
    table: &DataFrame,
    unit: &str,
    metric: &str,
    quarters: &[Quarter],
) -> Result<(String, Vec<Option<f64>>), String> {
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
pub fn unit_trend(set: &SetInputs<'_>, unit: &str, own: bool) -> Result<super::LineChart, String> {
    let table = if own { set.own } else { set.rollup };
    let year_before: Vec<Quarter> = set.quarters.iter().map(|q| q.offset(-4)).collect();
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
    let scope = scope_words(set.zh, own);
    chart.title = if set.zh {
        format!("{name}{}{scope}", chart.title.trim_start_matches("全市"))
    } else {
        format!("{name}: {}{scope}", chart.title)
    };
    chart.id = format!("trend_{}", sanitize(unit));
    Ok(chart)
}

/// The leaders most named by `metric` in the quarter, within a unit's
/// scope: each labelled by unit, role and person code (never a name).
pub fn persons(set: &SetInputs<'_>, metric: &str, unit: Option<&str>) -> Result<Chart, String> {
    let scope = unit.map(|u| scope(set.rollup, u)).transpose()?;
    let (mut rows, total) = leader_rows(set, metric, scope.as_ref())?;
    let named = rows.len();
    rows.truncate(MAX_ROWS);
    let label = PERSON_METRICS
        .iter()
        .find(|(c, _)| *c == metric)
        .map_or(metric, |(_, zh)| zh);
    let within = scope.as_ref().map_or_else(String::new, |s| s.name.clone());
    let q = set.quarter_labels.label(set.quarter);
    Ok(Chart::Ranked(RankedChart {
        of_persons: true,
        id: format!("persons_{metric}_{}", sanitize(unit.unwrap_or("city"))),
        title: if set.zh {
            format!("{within}{label}较多的领导干部（{q}）")
        } else {
            format!("Leaders most named: {metric}, {within} {q}")
        },
        x_label: if set.zh {
            format!("{label}（{}）", counting_word(true, metric))
        } else {
            metric.replace('_', " ")
        },
        rows,
        decimals: 0,
        reference: None,
        cumulative: None,
        legend: if set.zh {
            ["领导干部".into(), String::new()]
        } else {
            ["leaders".into(), String::new()]
        },
        footnote: if set.zh {
            format!(
                "共{named}名领导干部本季度有记录，合计{total:.0}件；只列前{MAX_ROWS}名，以人员编码标识。{}",
                set.source_note
            )
        } else {
            format!(
                "{named} leaders with records this quarter, {total:.0} in all; the first {MAX_ROWS} shown, by person code. {}",
                set.source_note
            )
        },
    }))
}

/// The leaders with a count of `metric` in the quarter, within the
/// scope, largest first, and the count over all of them.
fn leader_rows(
    set: &SetInputs<'_>,
    metric: &str,
    scope: Option<&Scope>,
) -> Result<(Vec<RankedRow>, f64), String> {
    let Some(table) = set.persons else {
        return Err("the leaders table (person_quarter) is not loaded".into());
    };
    let df = table
        .clone()
        .lazy()
        .filter(col(pq::QUARTER).eq(lit(set.quarter.to_string())))
        .select([
            col(pq::PERSON_ID),
            col(pq::UNIT_ID),
            col(pq::ROLE).cast(DataType::String),
            col(metric).cast(DataType::Float64),
        ])
        .collect()
        .map_err(pe)?;
    let text = |c: &str| -> Result<StringChunked, String> {
        Ok(df.column(c).map_err(pe)?.str().map_err(pe)?.clone())
    };
    let (ids, units, roles) = (text(pq::PERSON_ID)?, text(pq::UNIT_ID)?, text(pq::ROLE)?);
    let values = df.column(metric).map_err(pe)?.f64().map_err(pe)?.clone();
    let unit_names = names(set.rollup).map_err(pe)?;
    let mut rows: Vec<RankedRow> = Vec::new();
    let mut total = 0.0;
    for i in 0..df.height() {
        let (Some(id), Some(u), Some(v)) = (ids.get(i), units.get(i), values.get(i)) else {
            continue;
        };
        if v <= 0.0 || scope.is_some_and(|s| !s.units.contains(u)) {
            continue;
        }
        total += v;
        let role = roles
            .get(i)
            .and_then(LeaderRole::parse)
            .map_or("", |r| if set.zh { r.label_zh() } else { r.label_en() });
        let unit_name = unit_names.get(u).map_or(u, String::as_str);
        rows.push(RankedRow {
            unit_id: id.to_string(),
            // The code first: it tells two leaders of one role apart when
            // the name is cut short.
            name: if set.zh {
                format!("{id} {unit_name}{role}")
            } else {
                format!("{id} {unit_name} {role}")
            },
            value: v,
            highlight: false,
        });
    }
    rows.sort_by(|a, b| {
        b.value
            .total_cmp(&a.value)
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    Ok((rows, total))
}

/// Each unit's name in the table.
fn names(table: &DataFrame) -> PolarsResult<BTreeMap<String, String>> {
    let (ids, names) = (
        table.column(uq::UNIT_ID)?.str()?,
        table.column(uq::NAME)?.str()?,
    );
    Ok(ids
        .iter()
        .zip(names.iter())
        .filter_map(|(i, n)| Some((i?.to_string(), n?.to_string())))
        .collect())
}
