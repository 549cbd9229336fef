//! Every chart kind drawn from a small hand-made table: SVG that names the
//! units and values it shows, with every text inside the canvas; PNG at
//! twice the size and not blank.

use std::collections::HashSet;

use polars::prelude::*;
use yanpan::model::Quarter;
use yanpan::render::Chart;
use yanpan::render::bars::{BarChart, BarSeries};
use yanpan::render::funnel::{FunnelLabels, funnel};
use yanpan::render::heatmap::heatmap;
use yanpan::render::quarterly::SetInputs;
use yanpan::render::unit_charts::{self, ClueDays};

/// Six districts over 4 quarters; 东湖区 doubles in the last one. The
/// longest name is cut in the drawing and kept whole in the SVG.
fn table() -> DataFrame {
    let names = [
        "东湖区",
        "西岭区",
        "南苑区",
        "北辰区",
        "青云区",
        "市经济技术开发区管理委员会",
    ];
    let quarters: Vec<String> = "2024Q1"
        .parse::<Quarter>()
        .expect("q")
        .range(4)
        .map(|q| q.to_string())
        .collect();
    let (mut id, mut name, mut level, mut hc, mut q, mut n) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (u, nm) in names.iter().enumerate() {
        for (t, quarter) in quarters.iter().enumerate() {
            id.push(format!("D{u}"));
            name.push(nm.to_string());
            level.push("district");
            hc.push(1000i32 * (u as i32 + 1));
            q.push(quarter.clone());
            let base = 20 * (u as u32 + 1);
            n.push(if u == 0 && t == 3 { base * 2 } else { base });
        }
    }
    // A quarter of each unit's petitions are on construction, half of
    // 东湖区's; clues, findings, cases and overdue findings are fixed shares.
    let field: Vec<u32> = n
        .iter()
        .zip(&id)
        .map(|(n, u)| if u == "D0" { n / 2 } else { n / 4 })
        .collect();
    let part = |d: u32| n.iter().map(|n| n / d).collect::<Vec<u32>>();
    df!("unit_id" => id, "name" => name, "level" => level, "headcount" => hc, "quarter" => q,
        "petitions" => n.clone(), "petitions_field_construction" => field,
        "clues" => part(5), "findings" => part(10), "cases" => part(20),
        "rectifications_overdue_open" => part(40))
    .expect("table")
}

fn quarters() -> Vec<Quarter> {
    "2024Q1".parse::<Quarter>().expect("q").range(4).collect()
}

/// Every `<text x=".." y="..">` of an SVG lies inside its width × height,
/// and a left-anchored text's estimated extent (a CJK character as wide as
/// the font size, others half) ends inside it too.
fn texts_inside(svg: &str, (w, h): (u32, u32)) {
    let attr = |tag: &str, name: &str| -> Option<f64> {
        let i = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        tag[i..].split('"').next()?.parse().ok()
    };
    let mut seen = 0;
    for tag in svg.split("<text").skip(1) {
        let head = tag.split('>').next().unwrap_or("");
        if let (Some(x), Some(y)) = (attr(head, "x"), attr(head, "y")) {
            seen += 1;
            let content = tag
                .split('>')
                .nth(1)
                .unwrap_or("")
                .split('<')
                .next()
                .unwrap_or("")
                .trim();
            let size = attr(head, "font-size").unwrap_or(12.0);
            let extent: f64 = content
                .chars()
                .map(|c| if c.is_ascii() { 0.5 } else { 1.0 })
                .sum::<f64>()
                * size;
            if head.contains("text-anchor=\"start\"") {
                assert!(
                    x + extent <= f64::from(w) + 2.0,
                    "text runs off the right edge ({x} + {extent:.0} > {w}): {content}"
                );
            }
            assert!(
                (0.0..=f64::from(w)).contains(&x) && (0.0..=f64::from(h)).contains(&y),
                "text at ({x}, {y}) outside {w}x{h}: {}",
                &tag[..tag.len().min(120)]
            );
        }
    }
    assert!(seen > 5, "too few texts: {seen}");
}

fn drawn(chart: &Chart) -> String {
    let svg = yanpan::render::draw::svg(chart).expect("svg");
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "not an SVG document"
    );
    texts_inside(&svg, chart.size());
    let dir = crate::TempDir::new();
    let path = dir.path().join(format!("{}.png", chart.id()));
    yanpan::render::draw::png(chart, &path).expect("png");
    let bytes = std::fs::read(&path).expect("read png");
    assert_eq!(&bytes[1..4], b"PNG");
    let dim =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let (w, h) = chart.size();
    assert_eq!(
        (dim(16), dim(20)),
        (2 * w, 2 * h),
        "PNG at twice the SVG size"
    );
    assert!(
        bytes.len() > 15_000,
        "PNG of {} bytes looks blank",
        bytes.len()
    );
    svg
}

#[test]
fn the_funnel_plot_labels_the_flagged_unit_and_keeps_cut_names_whole() {
    let flagged: HashSet<String> = ["D5".to_string()].into();
    let labels = FunnelLabels {
        id: "funnel_district".into(),
        title: "漏斗图".into(),
        x_label: "人数".into(),
        y_label: "每百人件数".into(),
        legend: ["单位".into(), "平均".into(), "95%".into(), "99.8%".into()],
        footnote: "数据来源：测试数据，一段足够长的脚注，用来检查脚注在画布宽度不够时会自动换行而不会超出画布右侧边缘；数据截至2024年12月31日。".into(),
    };
    let f = funnel(
        &table(),
        "2024Q4".parse().expect("q"),
        "district",
        "petitions",
        &flagged,
        None,
        1.0,
        labels.clone(),
    )
    .expect("funnel");
    assert_eq!(f.points.len(), 6);
    assert!(
        f.points.iter().all(|p| !p.few),
        "every district expects 20 or more"
    );
    // A scope keeps its own points; the level's rate stays the whole level's.
    let scope: HashSet<String> = ["D0".to_string(), "D5".to_string()].into();
    let scoped = funnel(
        &table(),
        "2024Q4".parse().expect("q"),
        "district",
        "petitions",
        &flagged,
        Some(&scope),
        1e9,
        labels,
    )
    .expect("scoped funnel");
    let ids: Vec<&str> = scoped.points.iter().map(|p| p.unit_id.as_str()).collect();
    assert_eq!(ids, ["D0", "D5"]);
    assert!((scoped.centre - f.centre).abs() < 1e-12);
    assert!(scoped.points.iter().all(|p| p.few), "nothing expects 1e9");
    // 2 petitions per 100 staff everywhere, 4 for 东湖区 in 2024Q4: (40 + 20 x 20) / 21,000.
    assert!(
        (f.centre - 440.0 / 21_000.0 * 100.0).abs() < 1e-9,
        "{}",
        f.centre
    );
    let svg = drawn(&Chart::Funnel(f));
    let full = "市经济技术开发区管理委员会";
    let cut = yanpan::render::style::truncate(full, yanpan::render::style::MAX_LABEL_CHARS);
    assert!(cut.ends_with('…') && cut.chars().count() < full.chars().count());
    assert!(
        svg.contains(&format!("<title>{full}</title>{cut}</text>")),
        "the cut label keeps its full name"
    );
}

#[test]
fn the_heatmap_shows_each_ratio_and_outlines_the_flagged_cell() {
    let flagged: HashSet<(String, String)> = [("D0".to_string(), "2024Q4".to_string())].into();
    let h = heatmap(
        &table(),
        &quarters(),
        "district",
        "petitions",
        &flagged,
        None,
        "比值".into(),
        "注".into(),
        1.0,
    )
    .expect("heatmap");
    assert_eq!(h.rows.len(), 6);
    let d0 = h.rows.iter().find(|r| r.unit_id == "D0").expect("D0");
    // 2024Q4: 40 observed, 1,000 x 440 / 21,000 expected, shrunk toward 1.
    let raw = 40.0 / (1000.0 * 440.0 / 21_000.0);
    let want = d0.ratios[3].expect("ratio");
    assert!(1.0 < want && want <= raw, "{want} between 1 and {raw}");
    // Too few expected: no colour, whatever the count.
    let sparse = heatmap(
        &table(),
        &quarters(),
        "district",
        "petitions",
        &flagged,
        None,
        "比值".into(),
        "注".into(),
        1e9,
    )
    .expect("heatmap");
    assert!(
        sparse
            .rows
            .iter()
            .all(|r| r.ratios.iter().all(Option::is_none))
    );
    assert_eq!(d0.flagged, [false, false, false, true]);
    let svg = drawn(&Chart::Heatmap(h));
    assert!(
        svg.contains(&format!("{want:.2}")) && svg.contains("东湖区") && svg.contains("2024Q4")
    );
}

#[test]
fn bar_charts_stack_or_stand_side_by_side() {
    for stacked in [true, false] {
        let chart = Chart::Bars(BarChart {
            id: format!("bars_{stacked}"),
            title: "整改".into(),
            y_label: "个".into(),
            x_labels: quarters().iter().map(|q| q.to_string()).collect(),
            series: vec![
                BarSeries {
                    name: "到期应整改".into(),
                    values: vec![10.0, 12.0, 9.0, 14.0],
                    muted: false,
                },
                BarSeries {
                    name: "其他".into(),
                    values: vec![3.0, 2.0, 4.0, 1.0],
                    muted: true,
                },
            ],
            stacked,
            x_label: String::new(),
            marker: None,
            footnote: "数据来源：测试".into(),
        });
        let svg = drawn(&chart);
        assert!(svg.contains("到期应整改") && svg.contains("2024Q3"));
    }
}

/// The chart set's inputs over the hand-made table; D0 is flagged for
/// concentration and for construction.
fn inputs<'a>(own: &'a DataFrame, qs: &'a [Quarter], clues: &'a [ClueDays]) -> SetInputs<'a> {
    SetInputs {
        quarter: *qs.last().expect("quarters"),
        quarters: qs,
        zh: true,
        quarter_labels: yanpan::model::QuarterLabels::Code,
        own,
        rollup: own,
        persons: None,
        flagged: ["D0".to_string()].into(),
        flagged_fields: [("D0".to_string(), "construction".to_string())].into(),
        clue_days: clues,
        deadline_days: 30,
        profiles: vec!["D0".into()],
        min_expected: 1.0,
        follow_up: None,
        trend: yanpan::render::LineChart {
            id: "trend".into(),
            title: "趋势".into(),
            y_label: "件".into(),
            x_labels: vec![],
            lines: vec![],
            footnote: String::new(),
        },
        source_note: "数据来源：测试".into(),
    }
}

#[test]
fn the_pareto_ranks_the_excess_and_accumulates_its_share() {
    let (own, qs) = (table(), quarters());
    let chart = unit_charts::pareto(&inputs(&own, &qs, &[])).expect("pareto");
    let Chart::Ranked(r) = &chart else {
        panic!("a ranked chart")
    };
    // 2024Q4: only 东湖区 is above expected: 40 - 1,000 x 440 / 21,000.
    let want = 40.0 - 1000.0 * 440.0 / 21_000.0;
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].unit_id, "D0");
    assert!((r.rows[0].value - want).abs() < 1e-9);
    assert!(r.rows[0].highlight);
    assert_eq!(r.cumulative.as_ref().map(|c| c.1.clone()), Some(vec![1.0]));
    let svg = drawn(&chart);
    assert!(svg.contains("东湖区") && svg.contains(&format!("{want:.1}")));
}

#[test]
fn the_field_chart_ranks_units_by_share_against_the_citywide_share() {
    let (own, qs) = (table(), quarters());
    let chart = unit_charts::field_units(
        &inputs(&own, &qs, &[]),
        yanpan::model::KeyField::Construction,
    )
    .expect("field");
    let Chart::Ranked(r) = &chart else {
        panic!("a ranked chart")
    };
    assert_eq!(r.rows.len(), 6);
    assert_eq!(
        r.rows[0].unit_id, "D0",
        "东湖区 has half its petitions on construction"
    );
    assert!((r.rows[0].value - 50.0).abs() < 1e-9);
    assert!(r.rows[0].highlight && !r.rows[1].highlight);
    let city = r.reference.as_ref().expect("reference").1;
    assert!(city > 25.0 && city < 50.0, "{city}");
    let svg = drawn(&chart);
    assert!(svg.contains("工程建设") && svg.contains("50.0"));
}

#[test]
fn the_clue_days_chart_bins_by_a_sixth_of_the_deadline_and_marks_it() {
    let (own, qs) = (table(), quarters());
    let clues = [
        ClueDays {
            days: 0,
            disposed: true,
        },
        ClueDays {
            days: 4,
            disposed: true,
        },
        ClueDays {
            days: 5,
            disposed: true,
        },
        ClueDays {
            days: 31,
            disposed: false,
        },
        ClueDays {
            days: 400,
            disposed: false,
        },
    ];
    let chart = unit_charts::clue_days(&inputs(&own, &qs, &clues), &clues, 30);
    let Chart::Bars(b) = &chart else {
        panic!("bars")
    };
    assert_eq!(b.x_labels.first().map(String::as_str), Some("0–4"));
    assert_eq!(b.series[0].values[..2], [2.0, 1.0]);
    assert_eq!(b.series[1].values[6], 1.0, "31 days is in 30–34");
    assert_eq!(
        b.series[1].values.last(),
        Some(&1.0),
        "400 days is in the last bin"
    );
    assert_eq!(b.marker.as_ref().map(|m| m.0), Some(6.0));
    let svg = drawn(&chart);
    assert!(svg.contains("办理时限30天") && svg.contains("超过时限2件"));
}

#[test]
fn the_profile_draws_each_metric_beside_the_peers_median() {
    let (own, qs) = (table(), quarters());
    let chart = unit_charts::profile(&inputs(&own, &qs, &[]), "D1")
        .expect("profile")
        .expect("D1 exists");
    let Chart::Multiples(m) = &chart else {
        panic!("multiples")
    };
    assert_eq!(m.panels.len(), unit_charts::PROFILE_METRICS.len());
    // 西岭区: 40 petitions a quarter; the other five's median in 2024Q1 is 80.
    assert_eq!(m.panels[0].own, vec![Some(40.0); 4]);
    assert_eq!(m.panels[0].peers[0], Some(80.0));
    // Per 100 staff: 40 / 2,000.
    assert_eq!(m.panels[1].own[0], Some(2.0));
    let svg = drawn(&chart);
    assert!(svg.contains("西岭区") && svg.contains("同层级单位中位数"));
    assert!(
        unit_charts::profile(&inputs(&own, &qs, &[]), "nobody")
            .expect("runs")
            .is_none()
    );
}
