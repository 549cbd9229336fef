//! The quarterly petition analysis (信访举报分析研判, clause 二十四): volume
//! and change, and the units where petitions concentrate, each with its
//! evidence. Pure: tables in, a [`Report`] out.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::model::{ChartRef, Report, Section, Table};
use crate::aggregate::{UnitQuarter, uq};
use crate::config::Language;
use crate::model::{Flag, Quarter, UnitLevel};

/// What the report is built from.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub quarter: Quarter,
    pub site: &'a str,
    pub language: Language,
    pub unit_quarter: &'a UnitQuarter,
    pub citywide: &'a DataFrame,
    pub flags: &'a [Flag],
    /// The concentration detector's q threshold, stated even when nothing is flagged.
    pub concentration_q: f64,
    /// Trend chart path relative to the report.
    pub trend_chart: &'a str,
    /// Quarters shown in the trend table, oldest first.
    pub quarters: &'a [Quarter],
}

/// Citywide counts of one quarter, read by column name.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    petitions: u64,
    top_leader: u64,
    clues: u64,
    findings: u64,
    cases: u64,
}

fn totals(df: &DataFrame) -> PolarsResult<BTreeMap<String, Totals>> {
    let q = df.column(uq::QUARTER)?.str()?;
    let col_u64 = |name: &str| -> PolarsResult<Series> {
        Ok(df
            .column(name)?
            .cast(&DataType::UInt64)?
            .as_materialized_series()
            .clone())
    };
    let [p, t, c, f, k] = [
        uq::PETITIONS,
        uq::PETITIONS_TOP_LEADER,
        uq::CLUES,
        uq::FINDINGS,
        uq::CASES,
    ]
    .map(col_u64);
    let (p, t, c, f, k) = (p?, t?, c?, f?, k?);
    let at = |s: &Series, i: usize| -> PolarsResult<u64> { Ok(s.u64()?.get(i).unwrap_or(0)) };
    let mut out = BTreeMap::new();
    for i in 0..df.height() {
        let v = Totals {
            petitions: at(&p, i)?,
            top_leader: at(&t, i)?,
            clues: at(&c, i)?,
            findings: at(&f, i)?,
            cases: at(&k, i)?,
        };
        out.insert(q.get(i).unwrap_or("").to_string(), v);
    }
    Ok(out)
}

fn change(now: u64, before: Option<u64>, lang: Language) -> String {
    match before {
        Some(b) if b > 0 => {
            let pct = (now as f64 - b as f64) / b as f64 * 100.0;
            match lang {
                Language::Zh => format!(
                    "{}{:.1}%",
                    if pct >= 0.0 { "增长" } else { "下降" },
                    pct.abs()
                ),
                Language::En => format!("{}{:.1}%", if pct >= 0.0 { "+" } else { "-" }, pct.abs()),
            }
        }
        _ => match lang {
            Language::Zh => "无可比数据".into(),
            Language::En => "no comparison".into(),
        },
    }
}

struct UnitInfo {
    name: String,
    level: String,
}

fn unit_info(t: &UnitQuarter) -> PolarsResult<BTreeMap<String, UnitInfo>> {
    let df = &t.0;
    let ids = df.column(uq::UNIT_ID)?.str()?;
    let names = df.column(uq::NAME)?.str()?;
    let levels = df.column(uq::LEVEL)?.str()?;
    let mut out = BTreeMap::new();
    for i in 0..df.height() {
        if let Some(id) = ids.get(i) {
            out.entry(id.to_string()).or_insert_with(|| UnitInfo {
                name: names.get(i).unwrap_or("").to_string(),
                level: levels.get(i).unwrap_or("").to_string(),
            });
        }
    }
    Ok(out)
}

fn level_label(code: &str, lang: Language) -> String {
    UnitLevel::parse(code).map_or(code.to_string(), |l| match lang {
        Language::Zh => l.label_zh().to_string(),
        Language::En => l.label_en().to_string(),
    })
}

/// A unit's name, level code, petitions and petitions per 100 staff.
type TopUnit = (String, String, u32, Option<f64>);

/// The `n` units with the most petitions in `q`.
fn top_units(t: &UnitQuarter, q: Quarter, n: usize) -> PolarsResult<Vec<TopUnit>> {
    let df =
        t.0.clone()
            .lazy()
            .filter(col(uq::QUARTER).eq(lit(q.to_string())))
            .sort_by_exprs(
                [col(uq::PETITIONS), col(uq::UNIT_ID)],
                SortMultipleOptions::default().with_order_descending_multi([true, false]),
            )
            .limit(n as IdxSize)
            .collect()?;
    let names = df.column(uq::NAME)?.str()?;
    let levels = df.column(uq::LEVEL)?.str()?;
    let counts = df.column(uq::PETITIONS)?.u32()?;
    let heads = df.column(uq::HEADCOUNT)?.i32()?;
    Ok((0..df.height())
        .map(|i| {
            let c = counts.get(i).unwrap_or(0);
            let rate = heads
                .get(i)
                .filter(|h| *h > 0)
                .map(|h| f64::from(c) / f64::from(h) * 100.0);
            (
                names.get(i).unwrap_or("").to_string(),
                levels.get(i).unwrap_or("").to_string(),
                c,
                rate,
            )
        })
        .collect())
}

/// A probability to three decimals, or in scientific notation when smaller.
fn significant(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

/// Builds the report.
pub fn build(i: &Inputs<'_>) -> PolarsResult<Report> {
    let zh = i.language == Language::Zh;
    let t = totals(i.citywide)?;
    let q = i.quarter;
    let get = |q: Quarter| t.get(&q.to_string()).copied();
    let now = get(q).unwrap_or_default();
    let Totals {
        petitions,
        top_leader: top,
        clues,
        ..
    } = now;
    let prev = get(q.prev()).map(|v| v.petitions);
    let last_year = get(q.year_before()).map(|v| v.petitions);
    let units = unit_info(i.unit_quarter)?;
    let concentration: Vec<&Flag> = i
        .flags
        .iter()
        .filter(|f| f.detector == "concentration")
        .collect();
    let share = if petitions > 0 {
        top as f64 / petitions as f64 * 100.0
    } else {
        0.0
    };
    let qlabel = if zh { q.label_zh() } else { q.to_string() };
    let names: Vec<String> = concentration
        .iter()
        .take(3)
        .map(|f| {
            units
                .get(&f.unit_id)
                .map_or(f.unit_id.clone(), |u| u.name.clone())
        })
        .collect();
    let summary = if zh {
        vec![
            format!(
                "{qlabel}，全市共受理信访举报{petitions}件，环比{}，同比{}。",
                change(petitions, prev, i.language),
                change(petitions, last_year, i.language)
            ),
            format!("其中反映“一把手”问题{top}件，占{share:.1}%；转为问题线索{clues}件。"),
            if concentration.is_empty() {
                "经与同层级单位按人数比较，本季度未发现信访举报明显集中的单位。".to_string()
            } else {
                format!(
                    "经与同层级单位按人数比较，{}个单位信访举报相对集中，居前的是{}。",
                    concentration.len(),
                    names.join("、")
                )
            },
        ]
    } else {
        vec![
            format!(
                "In {qlabel} the city received {petitions} petitions ({} on the previous quarter, {} on a year earlier). ",
                change(petitions, prev, i.language),
                change(petitions, last_year, i.language)
            ),
            format!("{top} ({share:.1}%) concerned a top leader; {clues} became clues. "),
            if concentration.is_empty() {
                "Compared with units of the same level by headcount, no unit stands out this quarter.".to_string()
            } else {
                format!(
                    "Compared with units of the same level by headcount, {} units stand out, led by {}.",
                    concentration.len(),
                    names.join(", ")
                )
            },
        ]
    };
    let trend_rows = i
        .quarters
        .iter()
        .map(|q| {
            let v = get(*q).unwrap_or_default();
            let ql = if zh { q.label_zh() } else { q.to_string() };
            vec![
                ql,
                v.petitions.to_string(),
                v.top_leader.to_string(),
                v.clues.to_string(),
                v.findings.to_string(),
                v.cases.to_string(),
            ]
        })
        .collect();
    let trend_headers: Vec<String> = if zh {
        [
            "季度",
            "信访举报",
            "涉及一把手",
            "问题线索",
            "巡视巡察发现问题",
            "立案",
        ]
        .map(String::from)
        .to_vec()
    } else {
        [
            "Quarter",
            "Petitions",
            "About top leaders",
            "Clues",
            "Inspection findings",
            "Cases filed",
        ]
        .map(String::from)
        .to_vec()
    };
    let flag_rows = concentration
        .iter()
        .map(|f| {
            let u = units.get(&f.unit_id);
            let e = &f.evidence;
            vec![
                u.map_or(f.unit_id.clone(), |u| u.name.clone()),
                u.map_or(String::new(), |u| level_label(&u.level, i.language)),
                format!("{:.0}", e.observed),
                format!("{:.1}", e.expected),
                format!("{:.2}", e.statistic),
                significant(e.p_value),
                significant(e.q_value),
            ]
        })
        .collect();
    let flag_headers: Vec<String> = if zh {
        [
            "单位",
            "层级",
            "本季度件数",
            "预期件数",
            "倍数",
            "p值",
            "q值",
        ]
        .map(String::from)
        .to_vec()
    } else {
        ["Unit", "Level", "Petitions", "Expected", "Ratio", "p", "q"]
            .map(String::from)
            .to_vec()
    };
    let threshold = i.concentration_q;
    let method = "each unit (with the units below it) against the per-head rate of units of the same level, projected from the preceding quarters (the current quarter is not used), and against its own history shrunk toward its peers; negative binomial with overdispersion estimated per level; windows of 1, 2 and 4 quarters; Benjamini-Hochberg within each level (see docs/detection.md)";
    let method_zh = "以此前各季度同层级单位的人均信访举报率（含趋势和季节）推算本季度人均率，乘以本单位（含下级单位）干部职工人数作为同类单位预期，再按本单位历史水平作经验贝叶斯收缩调整；按负二项分布（离散程度按层级估计）计算单侧p值，同时考察近1、2、4个季度，并在同层级受检单位中作Benjamini–Hochberg多重检验校正，当季数据不参与预期的估计";
    let top_rows = top_units(i.unit_quarter, q, 10)?
        .into_iter()
        .map(|(name, level, c, rate)| {
            vec![
                name,
                level_label(&level, i.language),
                c.to_string(),
                rate.map_or(String::new(), |r| format!("{r:.2}")),
            ]
        })
        .collect();
    let top_headers: Vec<String> = if zh {
        ["单位", "层级", "本季度件数", "每百人件数"]
            .map(String::from)
            .to_vec()
    } else {
        ["Unit", "Level", "Petitions", "Per 100 staff"]
            .map(String::from)
            .to_vec()
    };
    let sections = vec![
        Section {
            heading: if zh {
                "总体情况".into()
            } else {
                "Overview".into()
            },
            paragraphs: vec![],
            chart: Some(ChartRef {
                path: i.trend_chart.to_string(),
                caption: if zh {
                    "全市信访举报等季度趋势".into()
                } else {
                    "Citywide quarterly trend".into()
                },
            }),
            table: Some(Table {
                headers: trend_headers,
                rows: trend_rows,
            }),
        },
        Section {
            heading: if zh {
                "信访举报件数居前的单位".into()
            } else {
                "Units with the most petitions".into()
            },
            paragraphs: vec![if zh {
                "件数多少与单位规模有关，是否“比较集中”以下一部分与同层级单位的比较为准。"
                    .to_string()
            } else {
                "Counts grow with a unit's size; whether petitions concentrate is judged in the next section, against peers.".to_string()
            }],
            chart: None,
            table: Some(Table {
                headers: top_headers,
                rows: top_rows,
            }),
        },
        Section {
            heading: if zh {
                "信访举报比较集中的单位".into()
            } else {
                "Units where petitions concentrate".into()
            },
            paragraphs: vec![match (zh, concentration.first()) {
                (true, Some(f)) => format!(
                    "以下单位信访举报件数显著高于预期（Benjamini–Hochberg q值低于{threshold}；首位单位所在层级受检{}个单位）。方法：{method_zh}。",
                    f.evidence.n_tested
                ),
                (true, None) => format!(
                    "本季度没有单位的信访举报件数显著高于预期（Benjamini–Hochberg q值均不低于{threshold}）。方法：{method_zh}。"
                ),
                (false, Some(f)) => format!(
                    "These units received significantly more petitions than expected (Benjamini-Hochberg q below {threshold}; {} units tested in the first one's level). Method: {method}.",
                    f.evidence.n_tested
                ),
                (false, None) => format!(
                    "No unit received significantly more petitions than expected (no Benjamini-Hochberg q below {threshold}). Method: {method}."
                ),
            }],
            chart: None,
            table: (!concentration.is_empty()).then_some(Table {
                headers: flag_headers,
                rows: flag_rows,
            }),
        },
    ];
    Ok(Report {
        id: "petitions".into(),
        title: if zh {
            format!("{qlabel}信访举报分析研判报告")
        } else {
            format!("Petition analysis, {qlabel}")
        },
        issuer: i.site.to_string(),
        dateline: if zh {
            format!("数据截至{}", q.last_day().format("%Y年%-m月%-d日"))
        } else {
            format!("Data as of {}", q.last_day())
        },
        summary,
        sections,
    })
}
