//! The quarterly chart set: which charts a run draws, with their words in
//! the report's language. Pure: tables and flags in, chart specs out.

use std::collections::HashSet;

use polars::prelude::*;

use super::bars::{BarChart, BarSeries};
use super::custom::Scope;
use super::funnel::{FunnelLabels, funnel};
use super::heatmap::heatmap;
use super::spec::{Chart, LineChart};
use crate::aggregate::uq;
use crate::model::{EnumValue, Flag, KeyField, Quarter, UnitLevel};

/// What the chart set is drawn from.
#[derive(Debug)]
pub struct SetInputs<'a> {
    pub quarter: Quarter,
    /// The quarters shown (oldest first, ending at `quarter`).
    pub quarters: &'a [Quarter],
    pub zh: bool,
    /// How quarters are named along the axes.
    pub quarter_labels: crate::model::QuarterLabels,
    /// Each unit's own figures, and each node with the units below it.
    pub own: &'a DataFrame,
    pub rollup: &'a DataFrame,
    /// Leaders × quarter (`persons` charts; not every caller loads it).
    pub persons: Option<&'a DataFrame>,
    /// Units the concentration detector flagged in the quarter.
    pub flagged: HashSet<String>,
    /// (unit, key field code) pairs the key-field detector flagged.
    pub flagged_fields: HashSet<(String, String)>,
    /// Top-leader clues disposed in the quarter or open at its end.
    pub clue_days: &'a [super::unit_charts::ClueDays],
    pub deadline_days: u32,
    /// Units drawn a one-unit profile in the run.
    pub profiles: Vec<String>,
    /// Heatmap cells expecting fewer are drawn as — (数量过少).
    pub min_expected: f64,
    /// What became of earlier flags (a chart when there is a ledger).
    pub follow_up: Option<&'a crate::detect::follow::FollowUp>,
    /// The trend chart, built as before.
    pub trend: LineChart,
    /// "数据来源：…" / "Source: …".
    pub source_note: String,
}

/// Levels with at least this many units get a funnel plot and a heatmap.
const MIN_UNITS: usize = 5;

fn level_label(code: &str, zh: bool) -> String {
    UnitLevel::VALUES
        .iter()
        .find(|v| v.code == code)
        .map_or(code.to_string(), |v: &EnumValue| {
            if zh {
                v.zh.to_string()
            } else {
                v.en.to_string()
            }
        })
}

/// Sums of `columns` per quarter over the own-figures table, in `quarters` order.
pub(super) fn per_quarter(
    own: &DataFrame,
    quarters: &[Quarter],
    columns: &[String],
) -> PolarsResult<Vec<Vec<f64>>> {
    let names: Vec<String> = quarters.iter().map(|q| q.to_string()).collect();
    let sums = own
        .clone()
        .lazy()
        .group_by([col(uq::QUARTER)])
        .agg(
            columns
                .iter()
                .map(|c| col(c.as_str()).cast(DataType::Float64).sum())
                .collect::<Vec<_>>(),
        )
        .collect()?;
    let q = sums.column(uq::QUARTER)?.str()?;
    let mut out = Vec::new();
    for c in columns {
        let v = sums.column(c)?.f64()?;
        out.push(
            names
                .iter()
                .map(|n| {
                    (0..sums.height())
                        .find(|&i| q.get(i) == Some(n.as_str()))
                        .and_then(|i| v.get(i))
                        .unwrap_or(0.0)
                })
                .collect(),
        );
    }
    Ok(out)
}

fn x_labels(i: &SetInputs<'_>) -> Vec<String> {
    i.quarters
        .iter()
        .map(|q| i.quarter_labels.label(*q))
        .collect()
}

/// The kinds of chart `yanpan chart` draws.
pub const KINDS: [&str; 10] = [
    "trend",
    "key_fields",
    "rectification",
    "funnel",
    "heatmap",
    "pareto",
    "field",
    "clue_days",
    "profile",
    "persons",
];

/// The metrics funnel plots and heatmaps can show: column, Chinese and
/// English names, and the counting word.
pub const METRICS: [(&str, &str, &str, &str); 4] = [
    (uq::PETITIONS, "信访举报", "petitions", "件"),
    (uq::CLUES, "问题线索", "clues", "件"),
    (
        uq::FINDINGS,
        "巡视巡察发现问题",
        "inspection findings",
        "个",
    ),
    (uq::CASES, "立案", "cases", "件"),
];

/// The names of `metric`: one of [`METRICS`], or any count of the unit ×
/// quarter table by its Chinese header and code.
fn metric_words(metric: &str) -> (String, String, &'static str) {
    METRICS.iter().find(|m| m.0 == metric).map_or_else(
        || {
            (
                crate::aggregate::labels::label_zh(metric),
                metric.replace('_', " "),
                if metric.starts_with("findings") || metric.starts_with("rectifications") {
                    "个"
                } else {
                    "件"
                },
            )
        },
        |m| (m.1.to_string(), m.2.to_string(), m.3),
    )
}

/// Petitions by key field per quarter, stacked.
pub fn key_fields(i: &SetInputs<'_>) -> PolarsResult<Chart> {
    let zh = i.zh;
    let fields: Vec<String> = KeyField::VALUES
        .iter()
        .map(|v| format!("petitions_field_{}", v.code))
        .collect();
    let values = per_quarter(i.own, i.quarters, &fields)?;
    Ok(Chart::Bars(BarChart {
        id: "key_fields".into(),
        title: if zh {
            "信访举报重点领域构成（按季度）".into()
        } else {
            "Petitions by key field, by quarter".into()
        },
        y_label: if zh { "件".into() } else { "petitions".into() },
        x_labels: x_labels(i),
        series: KeyField::VALUES
            .iter()
            .zip(values)
            .map(|(v, values)| BarSeries {
                name: if zh { v.zh.into() } else { v.en.into() },
                values,
                muted: v.code == KeyField::Other.code(),
            })
            .collect(),
        stacked: true,
        x_label: String::new(),
        marker: None,
        footnote: i.source_note.clone(),
    }))
}

/// Rectifications due, done on time, done late and overdue, per quarter.
pub fn rectification(i: &SetInputs<'_>) -> PolarsResult<Chart> {
    let zh = i.zh;
    let rect = [
        ("rectifications_due", "到期应整改", "due"),
        (
            "rectifications_due_done_on_time",
            "按期完成",
            "done on time",
        ),
        ("rectifications_due_done_late", "逾期完成", "done late"),
        (
            "rectifications_overdue_open",
            "季末超期未完成",
            "overdue at quarter end",
        ),
    ];
    let columns: Vec<String> = rect.iter().map(|r| r.0.to_string()).collect();
    let values = per_quarter(i.own, i.quarters, &columns)?;
    Ok(Chart::Bars(BarChart {
        id: "rectification".into(),
        title: if zh {
            "巡视巡察发现问题整改情况（按季度）".into()
        } else {
            "Rectification of inspection findings, by quarter".into()
        },
        y_label: if zh { "个".into() } else { "findings".into() },
        x_labels: x_labels(i),
        series: rect
            .iter()
            .zip(values)
            .map(|(r, values)| BarSeries {
                name: if zh { r.1.into() } else { r.2.into() },
                values,
                muted: false,
            })
            .collect(),
        stacked: false,
        x_label: String::new(),
        marker: None,
        footnote: i.source_note.clone(),
    }))
}

/// The units a concentration flag names.
pub fn flagged_units(flags: &[Flag]) -> HashSet<String> {
    flags
        .iter()
        .filter(|f| f.detector == "concentration")
        .map(|f| f.unit_id.clone())
        .collect()
}

/// Flags outline only petitions: the concentration detector tests those.
fn flagged_for(i: &SetInputs<'_>, metric: &str) -> HashSet<String> {
    if metric == uq::PETITIONS {
        i.flagged.clone()
    } else {
        HashSet::new()
    }
}

/// The (unit, field) pairs the key-field detector flags.
pub fn flagged_fields(flags: &[Flag]) -> HashSet<(String, String)> {
    flags
        .iter()
        .filter(|f| f.detector == crate::detect::key_field::NAME)
        .filter_map(|f| Some((f.unit_id.clone(), f.field?.code().to_string())))
        .collect()
}

/// The funnel plot of one level and metric in the report's quarter.
pub fn funnel_of(
    i: &SetInputs<'_>,
    code: &str,
    metric: &str,
    scope: Option<&Scope>,
) -> PolarsResult<Chart> {
    let zh = i.zh;
    let level = scoped_level(code, zh, scope);
    let (m_zh, m_en, word) = metric_words(metric);
    Ok(Chart::Funnel(funnel(
        i.rollup,
        i.quarter,
        code,
        metric,
        &flagged_for(i, metric),
        scope.map(|s| &s.units),
        i.min_expected,
        FunnelLabels {
            id: scoped_id("funnel", code, metric, scope),
            title: if zh {
                format!("{}{m_zh}率漏斗图（{level}，含下级单位）", i.quarter)
            } else {
                format!(
                    "Funnel plot of {m_en} per head, {} ({level}, with the units below)",
                    i.quarter
                )
            },
            x_label: if zh {
                "干部职工人数（人，对数刻度）".into()
            } else {
                "headcount (staff, log scale)".into()
            },
            y_label: if zh {
                format!("每百人{m_zh}（{word}）")
            } else {
                format!("{m_en} per 100 staff")
            },
            legend: if zh {
                [
                    "单位".into(),
                    "同层级平均".into(),
                    "95%控制限".into(),
                    "99.8%控制限".into(),
                ]
            } else {
                [
                    "units".into(),
                    "level average".into(),
                    "95% limits".into(),
                    "99.8% limits".into(),
                ]
            },
            footnote: funnel_note(i, metric),
        },
    )?))
}

/// The funnel plot's footnote: what black and hollow points mean.
fn funnel_note(i: &SetInputs<'_>, metric: &str) -> String {
    let m = i.min_expected;
    let flags = metric == uq::PETITIONS;
    match (i.zh, flags) {
        (true, true) => format!(
            "黑色为信访举报比较集中的单位（判断还考虑本单位历史水平，控制限外的单位未必标出）；空心点为预期不足{m}件，数量过少；控制限已按离散程度放宽。{}",
            i.source_note
        ),
        (true, false) => format!(
            "空心点为预期不足{m}件，数量过少；控制限已按离散程度放宽。{}",
            i.source_note
        ),
        (false, true) => format!(
            "Black: flagged units (the detector also weighs each unit's own history, so not every point outside the limits is flagged); hollow: fewer than {m} expected, too few to read; limits widened for overdispersion. {}",
            i.source_note
        ),
        (false, false) => format!(
            "Hollow: fewer than {m} expected, too few to read; limits widened for overdispersion. {}",
            i.source_note
        ),
    }
}

/// The observed/expected heatmap of one level and metric over the shown quarters.
pub fn heatmap_of(
    i: &SetInputs<'_>,
    code: &str,
    metric: &str,
    scope: Option<&Scope>,
) -> PolarsResult<Chart> {
    let zh = i.zh;
    let level = scoped_level(code, zh, scope);
    let (m_zh, m_en, _) = metric_words(metric);
    let cells: HashSet<(String, String)> = flagged_for(i, metric)
        .into_iter()
        .map(|u| (u, i.quarter.to_string()))
        .collect();
    let title = if zh {
        format!("{level}{m_zh}实际与预期之比（按季度）")
    } else {
        format!("{m_en}, observed / expected, {level}, by quarter")
    };
    let units = counted_units(i, scope)?
        .iter()
        .filter(|(_, level)| level == code)
        .count();
    let many = units > super::heatmap::MAX_ROWS;
    let m = super::heatmap::MAX_ROWS;
    let note = match (zh, many) {
        (true, true) => format!(
            "预期=人数×同层级当季人均件数；单位较多，只列末季比值最高的{m}个；黑框为信访举报比较集中。{}",
            i.source_note
        ),
        (true, false) => format!(
            "预期=人数×同层级当季人均件数；黑框为信访举报比较集中。{}",
            i.source_note
        ),
        (false, true) => format!(
            "Expected = headcount x the level's rate that quarter; the {m} units with the highest last-quarter ratio; outlined: flagged. {}",
            i.source_note
        ),
        (false, false) => format!(
            "Expected = headcount x the level's rate that quarter; outlined: flagged. {}",
            i.source_note
        ),
    };
    let note = if zh {
        format!(
            "比值按同层级离散程度向1收缩；“—”为预期不足{}件，数量过少不着色。{note}",
            i.min_expected
        )
    } else {
        format!(
            "Ratios shrunk toward 1 by the level's spread; —: fewer than {} expected, too few to colour. {note}",
            i.min_expected
        )
    };
    let mut h = heatmap(
        i.rollup,
        i.quarters,
        code,
        metric,
        &cells,
        scope.map(|s| &s.units),
        title,
        note,
        i.min_expected,
    )?;
    h.id = scoped_id("heatmap", code, metric, scope);
    h.x_labels = x_labels(i);
    Ok(Chart::Heatmap(h))
}

/// The level's name, within a unit's scope when one is given
/// (清源区所辖街道).
fn scoped_level(code: &str, zh: bool, scope: Option<&Scope>) -> String {
    let level = level_label(code, zh);
    match (scope, zh) {
        (None, _) => level,
        (Some(s), true) => format!("{}所辖{level}", s.name),
        (Some(s), false) => format!("{level} under {}", s.name),
    }
}

/// A level chart's file stem, with the scope's unit when one is given.
fn scoped_id(kind: &str, code: &str, metric: &str, scope: Option<&Scope>) -> String {
    let id = super::heatmap::chart_id(kind, code, metric);
    match scope {
        None => id,
        Some(s) => format!("{id}_{}", super::unit_charts::sanitize(&s.unit_id)),
    }
}

/// Each unit with a headcount in the quarter, with its level, within a
/// unit's scope when one is given (the scope's own unit left out).
fn counted_units(i: &SetInputs<'_>, scope: Option<&Scope>) -> PolarsResult<Vec<(String, String)>> {
    let df = i
        .rollup
        .clone()
        .lazy()
        .filter(
            col(uq::QUARTER)
                .eq(lit(i.quarter.to_string()))
                .and(col(uq::HEADCOUNT).gt(lit(0))),
        )
        .select([col(uq::UNIT_ID), col(uq::LEVEL).cast(DataType::String)])
        .collect()?;
    let (ids, levels) = (df.column(uq::UNIT_ID)?.str()?, df.column(uq::LEVEL)?.str()?);
    Ok(ids
        .iter()
        .zip(levels.iter())
        .filter_map(|(id, l)| Some((id?, l?)))
        .filter(|(id, _)| scope.is_none_or(|s| *id != s.unit_id && s.units.contains(*id)))
        .map(|(id, l)| (id.to_string(), l.to_string()))
        .collect())
}

/// The levels a funnel plot or heatmap can show: those with at least
/// `MIN_UNITS` units with a headcount in the quarter (within a unit's
/// scope, at least 3), in code order.
pub fn levels(i: &SetInputs<'_>, scope: Option<&Scope>) -> PolarsResult<Vec<String>> {
    const MIN_IN_SCOPE: usize = 3;
    let least = if scope.is_some() {
        MIN_IN_SCOPE
    } else {
        MIN_UNITS
    };
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for (_, level) in counted_units(i, scope)? {
        *counts.entry(level).or_default() += 1;
    }
    Ok(counts
        .into_iter()
        .filter(|(_, n)| *n >= least)
        .map(|(l, _)| l)
        .collect())
}

/// Every chart of the quarterly run.
pub fn quarterly(i: &SetInputs<'_>) -> PolarsResult<Vec<Chart>> {
    let mut charts = vec![
        Chart::Line(i.trend.clone()),
        key_fields(i)?,
        rectification(i)?,
    ];
    for code in levels(i, None)? {
        charts.push(funnel_of(i, &code, uq::PETITIONS, None)?);
        charts.push(heatmap_of(i, &code, uq::PETITIONS, None)?);
    }
    charts.push(super::unit_charts::pareto(i)?);
    for field in KeyField::KEY {
        charts.push(super::unit_charts::field_units(i, *field)?);
    }
    charts.push(super::unit_charts::clue_days(
        i,
        i.clue_days,
        i.deadline_days,
    ));
    for unit in &i.profiles {
        charts.extend(super::unit_charts::profile(i, unit)?);
    }
    charts.extend(follow_up(i));
    Ok(charts)
}

/// The follow-up funnel of the followed quarters: flags raised, acted on,
/// answered in time and borne out, one series per detector (none without
/// a dispositions ledger).
pub fn follow_up(i: &SetInputs<'_>) -> Option<Chart> {
    let up = i.follow_up.filter(|u| u.has_dispositions)?;
    let rows: Vec<_> = up.per_detector.iter().filter(|y| y.raised > 0).collect();
    if rows.is_empty() {
        return None;
    }
    let zh = i.zh;
    let stages = crate::detect::follow_status::STAGES;
    let n = up.followed.len();
    Some(Chart::Bars(BarChart {
        id: crate::report::dispositions::CHART.into(),
        title: if zh {
            format!("研判预警处置情况（近{n}个季度，按预警类型）")
        } else {
            format!("Flags and what became of them (last {n} quarters)")
        },
        y_label: if zh { "条".into() } else { "flags".into() },
        x_labels: stages
            .iter()
            .map(|(zh_name, en_name)| if zh { zh_name } else { en_name }.to_string())
            .collect(),
        series: rows
            .iter()
            .map(|y| BarSeries {
                name: crate::model::FlagKind::parse(&y.detector).map_or(y.detector.clone(), |k| {
                    if zh { k.label_zh() } else { k.label_en() }.to_string()
                }),
                values: y.stages().iter().map(|v| *v as f64).collect(),
                muted: false,
            })
            .collect(),
        stacked: false,
        x_label: String::new(),
        marker: None,
        footnote: if zh {
            "数据来源：研判结果处置台账。按期回复指督促通知在回复期限内回复。".into()
        } else {
            "Source: the dispositions ledger. Answered in time: the notice was answered by its reply deadline.".into()
        },
    }))
}
