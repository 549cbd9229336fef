//! The numbers each chart draws, as a table: written beside every chart
//! as `charts/<id>.csv` (UTF-8 with BOM, headers in the report's
//! language) and added to the workbook of each report that shows it.

use polars::prelude::*;

use super::spec::Chart;

/// One column of text cells.
type Col = (String, Vec<String>);

fn num(v: f64) -> String {
    if v.is_finite() {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        String::new()
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

fn words(zh: bool, zh_text: &str, en: &str) -> String {
    if zh { zh_text } else { en }.to_string()
}

fn yes(zh: bool, b: bool) -> String {
    match (zh, b) {
        (true, true) => "是".into(),
        (true, false) => "否".into(),
        (false, b) => b.to_string(),
    }
}

/// The chart's numbers, one row per drawn item.
pub fn table(chart: &Chart, zh: bool) -> PolarsResult<DataFrame> {
    let cols = columns(chart, zh);
    let height = cols.first().map_or(0, |c| c.1.len());
    let mut seen = std::collections::HashSet::new();
    DataFrame::new(
        height,
        cols.into_iter()
            .enumerate()
            .map(|(i, (name, cells))| {
                let name = if seen.insert(name.clone()) {
                    name
                } else {
                    format!("{name} ({})", i + 1)
                };
                Column::new(name.into(), cells)
            })
            .collect(),
    )
}

fn columns(chart: &Chart, zh: bool) -> Vec<Col> {
    let quarter = || words(zh, "季度", "quarter");
    let unit_id = || words(zh, "单位编码", "unit id");
    let unit = || words(zh, "单位名称", "unit");
    match chart {
        Chart::Line(c) => {
            let mut cols = vec![(quarter(), c.x_labels.clone())];
            cols.extend(
                c.lines
                    .iter()
                    .map(|l| (l.name.clone(), l.values.iter().map(|v| opt(*v)).collect())),
            );
            cols
        }
        Chart::Bars(c) => {
            let x = if c.x_label.is_empty() {
                quarter()
            } else {
                c.x_label.clone()
            };
            let mut cols = vec![(x, c.x_labels.clone())];
            cols.extend(
                c.series
                    .iter()
                    .map(|s| (s.name.clone(), s.values.iter().map(|v| num(*v)).collect())),
            );
            cols
        }
        Chart::Funnel(c) => {
            let p = &c.points;
            let limit = |z: f64| p.iter().map(|x| num(c.limit(x.headcount, z))).collect();
            vec![
                (unit_id(), p.iter().map(|x| x.unit_id.clone()).collect()),
                (unit(), p.iter().map(|x| x.name.clone()).collect()),
                (
                    c.x_label.clone(),
                    p.iter().map(|x| num(x.headcount)).collect(),
                ),
                (c.y_label.clone(), p.iter().map(|x| num(x.rate)).collect()),
                (
                    c.legend[1].clone(),
                    p.iter().map(|_| num(c.centre)).collect(),
                ),
                (format!("{}−", c.legend[2]), limit(-1.96)),
                (format!("{}+", c.legend[2]), limit(1.96)),
                (format!("{}−", c.legend[3]), limit(-3.09)),
                (format!("{}+", c.legend[3]), limit(3.09)),
                (
                    words(zh, "预期数", "expected"),
                    p.iter().map(|x| num(x.expected)).collect(),
                ),
                (
                    words(
                        zh,
                        "实际与预期之比（收缩后）",
                        "observed / expected, shrunk",
                    ),
                    p.iter().map(|x| num(x.shrunk)).collect(),
                ),
                (
                    words(zh, "数量过少", "too few"),
                    p.iter().map(|x| yes(zh, x.few)).collect(),
                ),
                (
                    words(zh, "是否标记", "flagged"),
                    p.iter().map(|x| yes(zh, x.flagged)).collect(),
                ),
            ]
        }
        Chart::Heatmap(c) => {
            let r = &c.rows;
            let mut cols = vec![
                (unit_id(), r.iter().map(|x| x.unit_id.clone()).collect()),
                (unit(), r.iter().map(|x| x.name.clone()).collect()),
            ];
            for (k, q) in c.x_labels.iter().enumerate() {
                cols.push((
                    q.clone(),
                    r.iter()
                        .map(|x| opt(x.ratios.get(k).copied().flatten()))
                        .collect(),
                ));
            }
            cols.push((
                words(zh, "标记季度", "flagged quarters"),
                r.iter()
                    .map(|x| {
                        c.x_labels
                            .iter()
                            .zip(&x.flagged)
                            .filter(|(_, f)| **f)
                            .map(|(q, _)| q.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect(),
            ));
            cols
        }
        Chart::Ranked(c) => {
            let r = &c.rows;
            let (key, name) = if c.of_persons {
                (
                    words(zh, "人员编码", "person_id"),
                    words(zh, "领导干部", "leader"),
                )
            } else {
                (unit_id(), unit())
            };
            let mut cols = vec![
                (key, r.iter().map(|x| x.unit_id.clone()).collect()),
                (name, r.iter().map(|x| x.name.clone()).collect()),
                (c.x_label.clone(), r.iter().map(|x| num(x.value)).collect()),
            ];
            if !c.legend[1].is_empty() {
                cols.push((
                    c.legend[1].clone(),
                    r.iter().map(|x| yes(zh, x.highlight)).collect(),
                ));
            }
            if let Some((name, shares)) = &c.cumulative {
                cols.push((name.clone(), shares.iter().map(|v| num(*v)).collect()));
            }
            cols
        }
        Chart::Multiples(c) => {
            let mut cols = vec![(quarter(), c.x_labels.clone())];
            for p in &c.panels {
                cols.push((
                    format!("{}：{}", p.name, c.legend[0]),
                    p.own.iter().map(|v| opt(*v)).collect(),
                ));
                cols.push((
                    format!("{}：{}", p.name, c.legend[1]),
                    p.peers.iter().map(|v| opt(*v)).collect(),
                ));
            }
            cols
        }
    }
}

/// The chart's numbers as CSV (UTF-8 with BOM).
pub fn csv(chart: &Chart, zh: bool) -> PolarsResult<Vec<u8>> {
    crate::store::csv::frame_csv(&table(chart, zh)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::bars::{BarChart, BarSeries};

    #[test]
    fn a_bar_chart_gives_one_row_per_category_and_a_column_per_series() {
        let c = Chart::Bars(BarChart {
            id: "x".into(),
            title: "t".into(),
            y_label: "件".into(),
            x_labels: vec!["2024Q3".into(), "2024Q4".into()],
            series: vec![BarSeries {
                name: "到期应整改".into(),
                values: vec![3.0, 4.5],
                muted: false,
            }],
            stacked: false,
            x_label: String::new(),
            marker: None,
            footnote: String::new(),
        });
        let t = table(&c, true).expect("table");
        assert_eq!(t.get_column_names(), ["季度", "到期应整改"]);
        let text = String::from_utf8(csv(&c, true).expect("csv")).expect("utf-8");
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("2024Q4,4.5"), "{text}");
    }
}
