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
    df!("unit_id" => id, "name" => name, "level" => level, "headcount" => hc, "quarter" => q, "petitions" => n)
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
        &flagged,
        labels,
    )
    .expect("funnel");
    assert_eq!(f.points.len(), 6);
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
        &flagged,
        "比值".into(),
        "注".into(),
    )
    .expect("heatmap");
    assert_eq!(h.rows.len(), 6);
    let d0 = h.rows.iter().find(|r| r.unit_id == "D0").expect("D0");
    // 2024Q4: 40 observed, 1,000 x 440 / 21,000 expected.
    let want = 40.0 / (1000.0 * 440.0 / 21_000.0);
    assert!((d0.ratios[3].expect("ratio") - want).abs() < 1e-9);
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
            footnote: "数据来源：测试".into(),
        });
        let svg = drawn(&chart);
        assert!(svg.contains("到期应整改") && svg.contains("2024Q3"));
    }
}
