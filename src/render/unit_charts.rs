//! The charts about units one by one: the Pareto of excess petitions, the
//! units whose share of a key field stands out, top-leader clues' days to
//! disposition, and the one-unit profile. Pure: tables in, specs out.

use std::collections::{BTreeMap, HashSet};

use polars::prelude::*;

use super::bars::{BarChart, BarSeries};
use super::multiples::{Multiples, Panel};
use super::quarterly::SetInputs;
use super::ranked::{MAX_ROWS, RankedChart, RankedRow};
use super::spec::Chart;
use crate::aggregate::unit_rows::{median, unit_rows as rows};
use crate::aggregate::uq;
use crate::model::KeyField;

fn words(zh: bool, chinese: &str, english: &str) -> String {
    if zh { chinese } else { english }.to_string()
}

/// Units by petitions above expected in the quarter (expected: headcount ×
/// the level's petitions per head), largest first, with the cumulative
/// share of all the excess.
pub fn pareto(i: &SetInputs<'_>) -> PolarsResult<Chart> {
    let zh = i.zh;
    let all = rows(i.own, &[i.quarter], &[uq::PETITIONS, uq::HEADCOUNT])?;
    let mut level_rate: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for r in all.iter().filter(|r| r.values[1] > 0.0) {
        let t = level_rate.entry(r.level.as_str()).or_default();
        t.0 += r.values[0];
        t.1 += r.values[1];
    }
    let mut excess: Vec<RankedRow> = all
        .iter()
        .filter(|r| r.values[1] > 0.0)
        .filter_map(|r| {
            let (y, h) = level_rate[r.level.as_str()];
            let value = r.values[0] - r.values[1] * y / h;
            (value > 0.0).then(|| RankedRow {
                unit_id: r.unit_id.clone(),
                name: r.name.clone(),
                value,
                highlight: i.flagged.contains(&r.unit_id),
            })
        })
        .collect();
    excess.sort_by(|a, b| {
        b.value
            .total_cmp(&a.value)
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    let total: f64 = excess.iter().map(|r| r.value).sum();
    let units = excess.len();
    excess.truncate(MAX_ROWS);
    let shares = excess
        .iter()
        .scan(0.0, |acc, r| {
            *acc += r.value;
            Some(*acc / total)
        })
        .collect();
    Ok(Chart::Ranked(RankedChart {
        of_persons: false,
        id: "pareto".into(),
        title: if zh {
            format!("{}信访举报超出预期较多的单位（帕累托图）", i.quarter)
        } else {
            format!(
                "Units with the most petitions above expected, {}",
                i.quarter
            )
        },
        x_label: words(zh, "超出预期（件）", "petitions above expected"),
        rows: excess,
        decimals: 1,
        reference: None,
        cumulative: Some((
            words(zh, "累计占比（上轴）", "cumulative share (top)"),
            shares,
        )),
        legend: [
            words(zh, "超出预期件数", "excess petitions"),
            words(zh, "信访举报比较集中", "flagged"),
        ],
        footnote: if zh {
            format!(
                "预期=本单位人数×同层级当季人均件数；共{units}个单位超出预期，列前{}个。{}",
                MAX_ROWS.min(units),
                i.source_note
            )
        } else {
            format!(
                "Expected = headcount x the level's rate that quarter; {units} units above expected, the first {} shown. {}",
                MAX_ROWS.min(units),
                i.source_note
            )
        },
    }))
}

/// Petitions a unit needs in the window before its field share is ranked.
pub const FIELD_MIN_PETITIONS: f64 = 10.0;
/// Quarters of the field-share window.
const FIELD_WINDOW: usize = 4;

/// For one key field: the units with the largest share of their petitions
/// in it over the last four quarters, against the citywide share.
pub fn field_units(i: &SetInputs<'_>, field: KeyField) -> PolarsResult<Chart> {
    let zh = i.zh;
    let window = &i.quarters[i.quarters.len().saturating_sub(FIELD_WINDOW)..];
    let column = format!("petitions_field_{}", field.code());
    let all = rows(i.own, window, &[uq::PETITIONS, column.as_str()])?;
    let mut per_unit: BTreeMap<&str, (&str, f64, f64)> = BTreeMap::new();
    for r in &all {
        let t = per_unit
            .entry(r.unit_id.as_str())
            .or_insert((r.name.as_str(), 0.0, 0.0));
        t.1 += r.values[0];
        t.2 += r.values[1];
    }
    let (all_n, all_x) = per_unit
        .values()
        .fold((0.0, 0.0), |(a, b), t| (a + t.1, b + t.2));
    let mut ranked: Vec<RankedRow> = per_unit
        .iter()
        .filter(|(_, t)| t.1 >= FIELD_MIN_PETITIONS && t.2 > 0.0)
        .map(|(u, t)| RankedRow {
            unit_id: u.to_string(),
            name: t.0.to_string(),
            value: t.2 / t.1 * 100.0,
            highlight: i
                .flagged_fields
                .contains(&(u.to_string(), field.code().to_string())),
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.value
            .total_cmp(&a.value)
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    ranked.truncate(MAX_ROWS);
    let span = match (window.first(), window.last()) {
        (Some(a), Some(b)) if a != b => format!(
            "{}–{}",
            i.quarter_labels.label(*a),
            i.quarter_labels.label(*b)
        ),
        (_, Some(b)) => i.quarter_labels.label(*b),
        _ => String::new(),
    };
    let city = if all_n > 0.0 {
        all_x / all_n * 100.0
    } else {
        0.0
    };
    let min = FIELD_MIN_PETITIONS;
    Ok(Chart::Ranked(RankedChart {
        of_persons: false,
        id: format!("field_{}", field.code()),
        title: if zh {
            format!("{}领域信访举报占比较高的单位（{span}）", field.label_zh())
        } else {
            format!(
                "Units with the largest share of petitions on {}, {span}",
                field.label_en()
            )
        },
        x_label: words(
            zh,
            "该领域占本单位信访举报（%）",
            "share of the unit's petitions (%)",
        ),
        rows: ranked,
        decimals: 1,
        reference: Some((
            if zh {
                format!("全市占比 {city:.1}%")
            } else {
                format!("citywide {city:.1}%")
            },
            city,
        )),
        cumulative: None,
        legend: [
            words(zh, "本单位占比", "unit's share"),
            words(zh, "重点领域风险（已标出）", "flagged for this field"),
        ],
        footnote: if zh {
            format!(
                "只列期内信访举报不少于{min:.0}件的单位；是否标出以同层级比较的检验为准，占比高未必标出。{}",
                i.source_note
            )
        } else {
            format!(
                "Units with at least {min:.0} petitions in the window; flags come from the test against the level's peers, so a high share is not always flagged. {}",
                i.source_note
            )
        },
    }))
}

pub use crate::model::ClueDays;

/// The distribution of days to disposition of top-leader clues disposed in
/// the quarter, and the age of those still open at its end, in bins of a
/// sixth of the deadline, with the deadline marked.
pub fn clue_days(i: &SetInputs<'_>, clues: &[ClueDays], deadline_days: u32) -> Chart {
    let zh = i.zh;
    let width = deadline_days.div_ceil(6).max(1) as i32;
    let bins = 12usize;
    let mut done = vec![0.0; bins + 1];
    let mut open = vec![0.0; bins + 1];
    for c in clues {
        let b = ((c.days.max(0) / width) as usize).min(bins);
        if c.disposed {
            done[b] += 1.0;
        } else {
            open[b] += 1.0;
        }
    }
    let mut x_labels: Vec<String> = (0..bins as i32)
        .map(|b| format!("{}–{}", b * width, (b + 1) * width - 1))
        .collect();
    x_labels.push(format!("≥{}", bins as i32 * width));
    let (n_done, n_open) = (
        clues.iter().filter(|c| c.disposed).count(),
        clues.iter().filter(|c| !c.disposed).count(),
    );
    let late_open = clues
        .iter()
        .filter(|c| !c.disposed && c.days > deadline_days as i32)
        .count();
    Chart::Bars(BarChart {
        id: "clue_days".into(),
        title: if zh {
            format!("{}涉及“一把手”问题线索办理天数", i.quarter)
        } else {
            format!("Top-leader clues: days to disposition, {}", i.quarter)
        },
        y_label: words(zh, "件", "clues"),
        x_labels,
        series: vec![
            BarSeries {
                name: words(zh, "本季办结（受理至办结）", "disposed in the quarter"),
                values: done,
                muted: false,
            },
            BarSeries {
                name: words(zh, "季末未办结（已受理天数）", "open at quarter end (age)"),
                values: open,
                muted: false,
            },
        ],
        stacked: true,
        x_label: words(zh, "天", "days"),
        marker: Some((
            f64::from(deadline_days) / f64::from(width),
            if zh {
                format!("办理时限{deadline_days}天")
            } else {
                format!("deadline {deadline_days} days")
            },
        )),
        footnote: if zh {
            format!(
                "本季办结{n_done}件，季末未办结{n_open}件，其中超过时限{late_open}件。{}",
                i.source_note
            )
        } else {
            format!(
                "{n_done} disposed in the quarter, {n_open} open at its end, {late_open} of them past the deadline. {}",
                i.source_note
            )
        },
    })
}

/// The metrics of the one-unit profile: column (`PER_100` is petitions
/// per 100 staff, computed), Chinese and English names.
pub const PROFILE_METRICS: [(&str, &str, &str); 6] = [
    (uq::PETITIONS, "信访举报（件）", "petitions"),
    (PER_100, "每百人信访举报（件）", "petitions per 100 staff"),
    (uq::CLUES, "问题线索（件）", "clues"),
    (
        uq::FINDINGS,
        "巡视巡察发现问题（个）",
        "inspection findings",
    ),
    (uq::CASES, "立案（件）", "cases"),
    (
        "rectifications_overdue_open",
        "季末超期未整改（个）",
        "findings overdue at quarter end",
    ),
];
const PER_100: &str = "petitions_per_100";

/// One unit's main metrics over the shown quarters, with the median of
/// the units of its level beside each; `None` when the unit has no rows.
pub fn profile(i: &SetInputs<'_>, unit_id: &str) -> PolarsResult<Option<Chart>> {
    let zh = i.zh;
    let mut columns: Vec<&str> = PROFILE_METRICS.iter().map(|m| m.0).collect();
    columns[1] = uq::HEADCOUNT;
    let mut all = rows(i.own, i.quarters, &columns)?;
    for r in &mut all {
        let h = r.values[1];
        r.values[1] = if h > 0.0 {
            r.values[0] / h * 100.0
        } else {
            f64::NAN
        };
    }
    let Some(me) = all.iter().find(|r| r.unit_id == unit_id) else {
        return Ok(None);
    };
    let (name, level) = (me.name.clone(), me.level.clone());
    let names: Vec<String> = i.quarters.iter().map(|q| q.to_string()).collect();
    let at = |q: &str| all.iter().find(|r| r.unit_id == unit_id && r.quarter == q);
    let panels = PROFILE_METRICS
        .iter()
        .enumerate()
        .map(|(m, (_, zh_name, en_name))| {
            let own = names
                .iter()
                .map(|q| at(q).map(|r| r.values[m]).filter(|v| v.is_finite()))
                .collect();
            let peers = names
                .iter()
                .map(|q| {
                    let mut v: Vec<f64> = all
                        .iter()
                        .filter(|r| r.level == level && r.quarter == *q && r.unit_id != unit_id)
                        .map(|r| r.values[m])
                        .filter(|v| v.is_finite())
                        .collect();
                    median(&mut v)
                })
                .collect();
            Panel {
                name: words(zh, zh_name, en_name),
                own,
                peers,
            }
        })
        .collect();
    let peers = all
        .iter()
        .filter(|r| r.level == level && r.unit_id != unit_id)
        .map(|r| r.unit_id.as_str())
        .collect::<HashSet<_>>()
        .len();
    Ok(Some(Chart::Multiples(Multiples {
        id: format!("profile_{}", sanitize(unit_id)),
        title: if zh {
            format!("{name}主要指标（按季度）")
        } else {
            format!("{name}: main figures by quarter")
        },
        x_labels: i
            .quarters
            .iter()
            .map(|q| i.quarter_labels.label(*q))
            .collect(),
        panels,
        legend: [
            name,
            words(zh, "同层级单位中位数", "median of the level's units"),
        ],
        footnote: if zh {
            format!("同层级单位{peers}个。{}", i.source_note)
        } else {
            format!("{peers} units at the same level. {}", i.source_note)
        },
    })))
}

/// A unit id safe as part of a file name.
pub fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_ids_become_safe_file_names() {
        assert_eq!(sanitize("B017"), "B017");
        assert_eq!(sanitize("../x y"), "___x_y");
    }
}
