//! `yanpan run` on the sample data, as a user runs it.

use std::collections::BTreeMap;
use std::path::Path;

use std::process::Command;

use polars::prelude::SerReader;

fn run(pipeline: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_yanpan"))
        .args([
            "run",
            pipeline.to_str().expect("utf-8 path"),
            "--quarter",
            "2024Q4",
            "--today",
            "2025-01-15",
        ])
        .output()
        .expect("runs")
}

/// Petitions received in 2024Q4 according to the raw export, counted
/// without yanpan's code.
pub fn raw_q4_petitions() -> usize {
    let text = std::fs::read_to_string(crate::root().join("sample_data/petitions_2024.csv"))
        .expect("read");
    text.lines()
        .skip(1)
        .filter(|l| {
            l.split(',')
                .nth(1)
                .is_some_and(|d| ("2024-10-01"..="2024-12-31").contains(&d))
        })
        .count()
}

/// One cell of a unit × quarter Parquet table, as an integer.
fn cell(parquet: &[u8], unit: &str, quarter: &str, column: &str) -> Option<i64> {
    let df = polars::prelude::ParquetReader::new(std::io::Cursor::new(parquet.to_vec()))
        .finish()
        .expect("parquet");
    let ids = df
        .column("unit_id")
        .expect("unit_id")
        .str()
        .expect("str")
        .clone();
    let qs = df
        .column("quarter")
        .expect("quarter")
        .str()
        .expect("str")
        .clone();
    let v = df
        .column(column)
        .expect("column")
        .cast(&polars::prelude::DataType::Int64)
        .expect("cast");
    let i = (0..df.height()).find(|&i| ids.get(i) == Some(unit) && qs.get(i) == Some(quarter))?;
    v.i64().expect("i64").get(i)
}

/// The number of inputs the first run's manifest lists.
fn outputs_inputs(files: &BTreeMap<String, Vec<u8>>) -> Option<usize> {
    let m: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).ok()?;
    m["inputs"].as_array().map(Vec::len)
}

pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).expect("prefix").display().to_string(),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    out
}

#[test]
fn the_quarterly_run_publishes_a_report_with_real_units_and_counts() {
    let shared = crate::published_sample();
    let stderr = shared.stderr();
    // Runs again below, so on a copy of the shared publication.
    let dir = crate::published_copy();
    let pipeline = dir.path().join("quarterly.toml");
    assert!(
        stderr.contains("demo reporter key"),
        "the demo key is announced: {stderr}"
    );
    let pub_dir = dir.path().join("reports/2024Q4");
    let files = tree(&pub_dir);
    for want in [
        "thematic/petitions.md",
        "charts/trend.svg",
        "charts/trend.png",
        "tables/unit_quarter.parquet",
        "tables/unit_quarter_rollup.parquet",
        "tables/person_quarter.parquet",
        "tables/unit_quarter.xlsx",
        "tables/flags.csv",
        "tables/quarantine.csv",
        "manifest.json",
    ] {
        assert!(
            files.contains_key(want),
            "{want} missing: {:?}",
            files.keys()
        );
    }
    let md = String::from_utf8(files["thematic/petitions.md"].clone()).expect("utf-8");
    let n = raw_q4_petitions();
    assert!(
        md.contains(&format!("全市共受理信访举报{n}件")),
        "report should state {n} petitions:\n{md}"
    );
    // The concentration section states its threshold whether or not a unit is flagged.
    assert!(
        md.contains("q值低于0.1") || md.contains("q值均不低于0.1"),
        "{md}"
    );
    // Rolled up, the city's row holds every petition of the quarter.
    let rolled = &files["tables/unit_quarter_rollup.parquet"];
    assert_eq!(
        cell(rolled, "C0000", "2024Q4", "petitions"),
        Some(n as i64),
        "city roll-up"
    );
    // The planted overdue top-leader clues (ground truth) are counted as overdue.
    let truth =
        std::fs::read_to_string(crate::root().join("sample_data/ground_truth.csv")).expect("truth");
    let planted = truth
        .lines()
        .find(|l| l.starts_with("overdue_top_leader_clues,"))
        .expect("planted overdue clues");
    let (unit, count) = (
        planted.split(',').nth(1).expect("unit"),
        planted.split(',').nth(6).expect("effect"),
    );
    let got = cell(
        &files["tables/unit_quarter.parquet"],
        unit,
        "2024Q4",
        "clues_top_leader_overdue",
    )
    .expect("row");
    assert!(
        got >= count.parse::<i64>().expect("count"),
        "{unit}: {got} overdue, {count} planted"
    );
    // The workbook shows the same figure under Chinese headers, unit names in full.
    {
        use calamine::{Reader, open_workbook_auto_from_rs};
        let mut wb = open_workbook_auto_from_rs(std::io::Cursor::new(
            files["tables/unit_quarter.xlsx"].clone(),
        ))
        .expect("xlsx");
        let sheet = wb.worksheet_range("含下级单位").expect("rolled-up sheet");
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        let col_of = |h: &str| {
            rows[0]
                .iter()
                .position(|x| x == h)
                .unwrap_or_else(|| panic!("no header {h}: {:?}", rows[0]))
        };
        let (name, q, p) = (col_of("单位名称"), col_of("季度"), col_of("信访举报件数"));
        let city = rows
            .iter()
            .find(|r| r[name] == "京华市" && r[q] == "2024Q4")
            .expect("city row");
        assert_eq!(city[p], n.to_string());
    }
    // The unit with the most petitions in 2024Q4 (counted from the raw
    // export) is named with its count.
    let raw = std::fs::read_to_string(crate::root().join("sample_data/petitions_2024.csv"))
        .expect("read");
    let mut per_unit: BTreeMap<&str, usize> = BTreeMap::new();
    for l in raw.lines().skip(1) {
        let cells: Vec<&str> = l.split(',').collect();
        if cells[1] >= "2024-10-01" {
            *per_unit.entry(cells[4]).or_default() += 1;
        }
    }
    let (top_id, top_n) = per_unit
        .iter()
        .max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))
        .expect("petitions in Q4");
    let units =
        std::fs::read_to_string(crate::root().join("sample_data/units.csv")).expect("units");
    let name = units
        .lines()
        .find(|l| l.starts_with(&format!("{top_id},")))
        .and_then(|l| l.split(',').nth(1))
        .expect("unit name");
    let row = format!("| {} |", yanpan::text::escape_markdown(name));
    let line = md
        .lines()
        .find(|l| l.starts_with(&row))
        .unwrap_or_else(|| panic!("{name} not in report:\n{md}"));
    assert!(
        line.contains(&format!("| {top_n} |")),
        "{line} should show {top_n}"
    );
    // Every flag in flags.csv names a real unit.
    let flags = String::from_utf8(files["tables/flags.csv"].clone()).expect("utf-8");
    // The planted overdue top-leader clues and the planted overdue
    // rectifications are flagged, with their counts in the sentence.
    for (detector, kind, words) in [
        (
            "top_leader_clues",
            "overdue_top_leader_clues,",
            "件反映主要负责人的问题线索",
        ),
        (
            "rectification",
            "overdue_rectification,",
            "个巡视巡察发现问题",
        ),
    ] {
        let planted = truth
            .lines()
            .find(|l| l.starts_with(kind))
            .expect("planted");
        let unit = planted.split(',').nth(1).expect("unit");
        let flag = flags
            .lines()
            // After the flag's id.
            .find(|l| {
                l.split_once(',')
                    .is_some_and(|(_, rest)| rest.starts_with(&format!("{detector},{unit},")))
            })
            .unwrap_or_else(|| panic!("{detector} does not flag {unit}:\n{flags}"));
        let own = cell(
            &files["tables/unit_quarter.parquet"],
            unit,
            "2024Q4",
            if detector == "rectification" {
                "rectifications_overdue_open"
            } else {
                "clues_top_leader_overdue"
            },
        )
        .expect("row");
        assert!(flag.contains(&format!("末有{own}{words}")), "{flag}");
    }
    for f in flags.lines().skip(1) {
        // flag_id, detector, unit_id, …
        let id = f.split(',').nth(2).expect("unit id");
        assert!(
            units.lines().any(|l| l.starts_with(&format!("{id},"))),
            "flag on unknown unit {id}"
        );
    }
    // The chart carries Chinese text the embedded font covers.
    let svg = String::from_utf8(files["charts/trend.svg"].clone()).expect("utf-8");
    assert!(svg.contains("信访举报") && svg.contains("Yanpan Noto Sans SC"));
    assert!(yanpan::render::fonts::covers(
        "全市信访举报问题线索巡视巡察发现问题和立案季度趋势件"
    ));
    assert!(
        files["charts/trend.png"].len() > 20_000,
        "PNG is suspiciously small"
    );
    for t in ["unit_quarter", "unit_quarter_rollup", "person_quarter"] {
        assert!(
            dir.path()
                .join(format!("store/derived/{t}.parquet"))
                .is_file(),
            "{t} in the store"
        );
    }
    // The manifest lists every output with its hash.
    let manifest: serde_json::Value =
        serde_json::from_slice(&files["manifest.json"]).expect("json");
    let outputs = manifest["outputs"].as_array().expect("outputs");
    assert_eq!(outputs.len(), files.len() - 1);
    assert_eq!(manifest["quarter"], "2024Q4");

    // Running again on the same inputs changes nothing but the manifest.
    let again = run(&pipeline);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let second = tree(&pub_dir);
    for (k, v) in &files {
        if k != "manifest.json" {
            assert_eq!(Some(v), second.get(k), "{k} differs on the second run");
        }
    }
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("every input is unchanged since the last ingest"),
        "the second run does not read its inputs again: {stderr}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&second["manifest.json"]).expect("json");
    assert_eq!(manifest["inputs_unchanged"], true);
    assert_eq!(
        manifest["inputs"].as_array().map(Vec::len),
        outputs_inputs(&files)
    );
    // `yanpan chart` draws from the store the same chart the run published.
    let chart = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_yanpan"))
            .arg("chart")
            .args(args)
            .args([pipeline.to_str().expect("utf-8"), "--quarter", "2024Q4"])
            .output()
            .expect("runs")
    };
    let on_demand = dir.path().join("funnel.svg");
    let out = chart(&[
        "funnel",
        "--level",
        "district",
        "--out",
        on_demand.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&on_demand).expect("chart"),
        second["charts/funnel_district.svg"],
        "the on-demand funnel plot is the published one"
    );
    assert_eq!(
        std::fs::read(on_demand.with_extension("csv")).expect("chart data"),
        second["charts/funnel_district.csv"],
        "its numbers beside it are the published ones"
    );
    let out = chart(&["heatmap", "--level", "moon", "--out", "x.svg"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("street"));
    // Every other kind too, with its unit or field.
    for (args, published) in [
        (vec!["pareto"], "charts/pareto.svg"),
        (vec!["clue_days"], "charts/clue_days.svg"),
        (
            vec!["field", "--field", "工程建设"],
            "charts/field_construction.svg",
        ),
        (vec!["profile", "--unit", "B017"], "charts/profile_B017.svg"),
    ] {
        let out_path = dir.path().join("on_demand.svg");
        let mut a = args.clone();
        a.extend(["--out", out_path.to_str().expect("utf-8")]);
        let out = chart(&a);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read(&out_path).expect("chart"),
            second[published],
            "{args:?} is the published chart"
        );
        assert_eq!(
            std::fs::read(out_path.with_extension("csv")).expect("chart data"),
            second[&published.replace(".svg", ".csv")],
            "{args:?}: the published numbers"
        );
    }
    let cases = dir.path().join("cases.png");
    let out = chart(&[
        "funnel",
        "--metric",
        "cases",
        "--out",
        cases.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success() && cases.is_file());
    for (args, says) in [
        (vec!["field", "--out", "x.svg"], "construction"),
        (
            vec!["profile", "--unit", "nobody", "--out", "x.svg"],
            "nobody",
        ),
        (
            vec!["funnel", "--metric", "leaves", "--out", "x.svg"],
            "yanpan chart --list",
        ),
        // Options a chart cannot use are refused, all named at once,
        // rather than a citywide chart drawn as if they were heeded.
        (
            vec!["pareto", "--unit", "D03", "--out", "x.svg"],
            "chart pareto does not use --unit; it takes no option",
        ),
        (
            vec!["trend", "--own", "--out", "x.svg"],
            "name the unit with --unit",
        ),
        (
            vec![
                "funnel", "--unit", "D03", "--field", "land", "--out", "x.svg",
            ],
            "chart funnel does not use --field; it takes --level, --metric, --unit",
        ),
        (
            vec![
                "profile", "--unit", "B017", "--level", "street", "--out", "x.svg",
            ],
            "does not use --level",
        ),
    ] {
        let out = chart(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{args:?}"
        );
    }
    // `--quarter auto` without a date to go by: the last quarter the
    // store's tables hold, the chart the run published for it.
    let auto = dir.path().join("auto.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_yanpan"))
        .args(["chart", "trend", pipeline.to_str().expect("utf-8"), "--out"])
        .arg(&auto)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&auto).expect("chart"),
        second["charts/trend.svg"]
    );
    // A quarter the tables do not hold: one range and the command.
    let out = Command::new(env!("CARGO_BIN_EXE_yanpan"))
        .args([
            "chart",
            "trend",
            pipeline.to_str().expect("utf-8"),
            "--quarter",
            "2026Q3",
            "--out",
            "x.svg",
        ])
        .output()
        .expect("runs");
    let says = String::from_utf8_lossy(&out.stderr);
    assert!(
        says.contains("the chart shows 2024Q4–2026Q3; run `yanpan aggregate")
            && says.contains("--quarter 2026Q3` first"),
        "{says}"
    );
}

#[test]
fn a_bad_pipeline_file_is_refused_with_exit_code_2() {
    let dir = crate::TempDir::new();
    let p = dir.path().join("bad.toml");
    std::fs::write(
        &p,
        "[site]\nname = \"x\"\n[store]\npath = \"s\"\nbogus = 1\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_yanpan"))
        .args(["run", p.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bogus"), "{stderr}");
}

#[test]
fn every_chart_has_the_numbers_it_draws_beside_it() {
    use polars::prelude::*;
    let p = crate::published_sample();
    let charts = p.publication().join("charts");
    let mut pngs = 0;
    for e in std::fs::read_dir(&charts).expect("charts").flatten() {
        let path = e.path();
        if path.extension().is_some_and(|x| x == "png") {
            pngs += 1;
            let csv = std::fs::read(path.with_extension("csv")).expect("csv beside");
            assert!(csv.starts_with("\u{feff}".as_bytes()), "{}", path.display());
        }
    }
    assert!(pngs > 20);
    // The trend's petitions are the sums of the units' own petitions.
    let trend = std::fs::read_to_string(charts.join("trend.csv")).expect("trend");
    let mut lines = trend.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(header[..2], ["季度", "信访举报"]);
    let own = yanpan::store::read_parquet(&p.publication().join("tables/unit_quarter.parquet"))
        .expect("unit_quarter")
        .lazy()
        .group_by([col("quarter")])
        .agg([col("petitions").sum()])
        .collect()
        .expect("sums");
    let sums = crate::by_quarter(&own, "petitions");
    let mut rows = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let drawn: f64 = cells[1].parse().expect("number");
        assert_eq!(Some(&drawn), sums.get(cells[0]), "{line}");
        rows += 1;
    }
    assert_eq!(rows, 8, "the report's quarters");
    // The report's workbook holds the numbers of its charts.
    use calamine::Reader;
    let book = calamine::open_workbook_auto(p.publication().join("thematic/petitions.xlsx"))
        .expect("xlsx");
    let sheets = book.sheet_names();
    assert!(sheets.iter().any(|s| s.starts_with("图1")), "{sheets:?}");
}

#[test]
fn every_html_page_embeds_the_glyphs_of_its_chinese() {
    let p = crate::published_sample();
    for page in [
        "thematic/petitions.html",
        "thematic/recommendations.html",
        "packets/committee-head/index.html",
        "tables/flag_records.html",
    ] {
        let html = std::fs::read_to_string(p.publication().join(page)).expect("page");
        let start = "src:url(data:font/otf;base64,";
        let at = html
            .find(start)
            .unwrap_or_else(|| panic!("{page}: no embedded font"))
            + start.len();
        let b64 = &html[at..at + html[at..].find(')').expect("end of url")];
        let font = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64)
            .expect("base64");
        let face = ttf_parser::Face::parse(&font, 0).expect("a font");
        let missing: Vec<char> = html
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .filter(|c| face.glyph_index(*c).is_none())
            .collect();
        assert!(missing.is_empty(), "{page}: no glyph for {missing:?}");
        assert!(font.len() < 400_000, "{page}: {} bytes of font", font.len());
        assert!(
            html.contains("font-src data:"),
            "{page}: the policy lets it load"
        );
    }
    // Chart text is drawn as outlines: an SVG image cannot use the page's font.
    let html =
        std::fs::read_to_string(p.publication().join("thematic/petitions.html")).expect("page");
    let svg_b64 = html
        .split("src=\"data:image/svg+xml;base64,")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a chart");
    let svg = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, svg_b64)
        .expect("base64");
    let svg = String::from_utf8(svg).expect("utf-8");
    assert!(!svg.contains("<text"), "text as outlines");
    assert!(svg.contains("<path"));
}

#[test]
fn saved_charts_are_drawn_every_run_and_a_bad_one_is_refused_by_name() {
    let p = crate::published_sample();
    let custom = p.publication().join("charts/custom");
    for name in [
        "street_land_heatmap",
        "district_cases_funnel",
        "d03_petitions_by_field",
    ] {
        for ext in ["svg", "png", "csv"] {
            assert!(
                custom.join(format!("{name}.{ext}")).is_file(),
                "{name}.{ext}"
            );
        }
    }
    let svg = std::fs::read_to_string(custom.join("street_land_heatmap.svg")).expect("svg");
    assert!(
        svg.contains("街道乡镇土地规划领域信访举报实际与预期之比"),
        "its own title"
    );
    // An entry's own quarters: twelve, where the reports show fewer.
    let (_, rows) = chart_csv(&custom.join("d03_petitions_by_field.csv"));
    assert_eq!(rows.len(), 12);
    assert_eq!(rows.last().map(|r| r[0].as_str()), Some("2024Q4"));
    // An entry with an option its kind cannot use stops the load, named.
    let dir = crate::TempDir::new();
    let pipeline = crate::sample_pipeline(dir.path());
    let mut text = std::fs::read_to_string(&pipeline).expect("pipeline");
    text.push_str("\n[[chart]]\nname = \"city_pareto\"\nkind = \"pareto\"\nunit = \"D03\"\n");
    std::fs::write(&pipeline, text).expect("write");
    let err = yanpan::config::Pipeline::load(&pipeline).expect_err("refused");
    assert!(
        err.to_string()
            .contains("[[chart]] city_pareto: chart pareto does not use --unit"),
        "{err}"
    );
}

#[test]
fn a_trend_asked_for_a_district_is_that_districts_and_says_so() {
    use polars::prelude::*;
    let p = crate::published_sample();
    let dir = crate::TempDir::new();
    let out = dir.path().join("d03.svg");
    let pipeline = p.pipeline();
    let chart = |extra: &[&str], out: &Path| {
        let mut args = vec!["chart", "trend", pipeline.to_str().expect("utf-8")];
        args.extend(extra);
        args.extend(["--quarter", "2024Q4", "--out", out.to_str().expect("utf-8")]);
        let run = crate::yanpan(&args);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    };
    chart(&["--unit", "D03"], &out);
    let svg = std::fs::read_to_string(&out).expect("svg");
    assert!(
        svg.contains("含下级单位") && !svg.contains("全市"),
        "titled with the district"
    );
    let rollup =
        yanpan::store::read_parquet(&p.publication().join("tables/unit_quarter_rollup.parquet"))
            .expect("rollup")
            .lazy()
            .filter(col("unit_id").eq(lit("D03")))
            .collect()
            .expect("D03");
    let name = rollup
        .column("name")
        .expect("name")
        .str()
        .expect("s")
        .get(0)
        .expect("a name")
        .to_string();
    assert!(svg.contains(&name), "{name} in the title");
    let want = crate::by_quarter(&rollup, "petitions");
    let csv = std::fs::read_to_string(out.with_extension("csv")).expect("csv");
    for line in csv.trim_start_matches('\u{feff}').lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(
            Some(&cells[1].parse::<f64>().expect("n")),
            want.get(cells[0]),
            "{line}"
        );
    }
    // Several units side by side: one line each, the same numbers.
    let cmp = dir.path().join("cmp.svg");
    chart(&["--compare", "D01,D03", "--metric", "petitions"], &cmp);
    let csv = std::fs::read_to_string(cmp.with_extension("csv")).expect("csv");
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert_eq!(lines.next().map(|h| h.split(',').count()), Some(3));
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(
            Some(&cells[2].parse::<f64>().expect("n")),
            want.get(cells[0]),
            "{line}"
        );
    }
}

#[test]
fn the_explorer_is_one_self_contained_page() {
    let p = crate::published_sample();
    let html = std::fs::read_to_string(p.publication().join("explorer.html")).expect("explorer");
    assert!(html.contains("default-src 'none'; script-src 'unsafe-inline'"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "nothing from the network"
    );
    // The data: one JSON script, nothing in it can close it.
    let tag = "<script id=\"data\" type=\"application/json\">";
    let start = html.find(tag).expect("data") + tag.len();
    let json = &html[start..start + html[start..].find("</script>").expect("end")];
    assert!(!json.contains('<'));
    let data: serde_json::Value = serde_json::from_str(json).expect("JSON");
    assert_eq!(data["quarters"].as_array().map(Vec::len), Some(8));
    // The pipeline's [report] chart_min_expected, not a number of the page's own.
    assert_eq!(data["min_expected"].as_f64(), Some(1.0));
    assert!(html.contains("预期不足1的格为空") && !html.contains("{{MIN_EXPECTED}}"));
    assert_eq!(data["metrics"].as_array().map(Vec::len), Some(72));
    assert!(data["units"].as_array().is_some_and(|u| u.len() > 500));
    assert!(html.len() < 5_000_000, "{} bytes", html.len());
}

/// The numbers of a chart's CSV: its header and rows of cells.
fn chart_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).expect("chart data");
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let split = |l: &str| l.split(',').map(str::to_string).collect::<Vec<_>>();
    let head = lines.next().map(split).unwrap_or_default();
    (head, lines.map(split).collect())
}

#[test]
fn an_analyst_breaks_down_scopes_and_ranks_leaders() {
    use polars::prelude::*;
    let p = crate::published_sample();
    let dir = crate::TempDir::new();
    let pipeline = p.pipeline();
    let chart = |args: &[&str], name: &str| {
        let out = dir.path().join(name);
        let mut all = vec!["chart"];
        all.extend(args);
        all.extend([
            pipeline.to_str().expect("utf-8"),
            "--quarter",
            "2024Q4",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        (crate::yanpan(&all), out)
    };
    let ok = |args: &[&str], name: &str| {
        let (run, out) = chart(args, name);
        assert!(
            run.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        chart_csv(&out.with_extension("csv"))
    };
    let tables = p.publication().join("tables");
    let rollup =
        yanpan::store::read_parquet(&tables.join("unit_quarter_rollup.parquet")).expect("rollup");
    let d03 = rollup
        .clone()
        .lazy()
        .filter(col("unit_id").eq(lit("D03")))
        .collect()
        .expect("D03");
    // A breakdown: each part is the district's own column, quarter by quarter.
    let (head, rows) = ok(&["trend", "--unit", "D03", "--by", "field"], "by.svg");
    assert_eq!(head.len(), 8, "quarter and seven fields: {head:?}");
    for (k, code) in [
        "approval",
        "construction",
        "resources",
        "finance",
        "land",
        "enforcement",
        "other",
    ]
    .iter()
    .enumerate()
    {
        let want = crate::by_quarter(&d03, &format!("petitions_field_{code}"));
        for r in &rows {
            assert_eq!(
                Some(&r[k + 1].parse::<f64>().expect("n")),
                want.get(&r[0]),
                "{code} in {}",
                r[0]
            );
        }
    }
    // A scope: the streets of the district only, each below it.
    let (_, rows) = ok(&["heatmap", "--unit", "D03"], "scoped.svg");
    let q4 = rollup
        .clone()
        .lazy()
        .filter(
            col("quarter")
                .eq(lit("2024Q4"))
                .and(col("parent_id").eq(lit("D03")))
                .and(col("headcount").gt(lit(0))),
        )
        .collect()
        .expect("streets");
    let streets: std::collections::BTreeSet<String> = q4
        .column("unit_id")
        .expect("id")
        .str()
        .expect("s")
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    let shown: std::collections::BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
    assert!(!streets.is_empty());
    assert_eq!(shown, streets);
    let (head, rows) = ok(&["funnel", "--unit", "D03", "--metric", "cases"], "f.svg");
    assert!(head.contains(&"数量过少".to_string()), "{head:?}");
    assert_eq!(rows.len(), streets.len());
    // Leaders most named: the first is the largest count in the scope.
    let (head, rows) = ok(
        &["persons", "--unit", "D03", "--metric", "问题线索"],
        "p.svg",
    );
    assert_eq!(head[0], "人员编码");
    let pq = yanpan::store::read_parquet(&tables.join("person_quarter.parquet")).expect("pq");
    let ids = rollup
        .column("unit_id")
        .expect("id")
        .str()
        .expect("s")
        .clone();
    let parents = rollup
        .column("parent_id")
        .expect("p")
        .str()
        .expect("s")
        .clone();
    let kids = yanpan::model::tree::children(
        ids.iter()
            .zip(parents.iter())
            .filter_map(|(u, parent)| Some((u?, parent?))),
    );
    let units = yanpan::model::tree::subtree("D03", &kids);
    let top =
        pq.lazy()
            .filter(col("quarter").eq(lit("2024Q4")).and(
                col("unit_id").is_in(lit(Series::new("u".into(), units)).implode(false), false),
            ))
            .select([col("clues").cast(DataType::Float64).max()])
            .collect()
            .expect("max");
    let top = top.column("clues").expect("c").f64().expect("f").get(0);
    assert_eq!(rows.first().map(|r| r[2].parse::<f64>().expect("n")), top);
    // Refusals name what is wrong.
    for (args, says) in [
        (
            vec!["trend", "--by", "channel", "--metric", "cases"],
            "by channel breaks down petitions",
        ),
        (vec!["funnel", "--quarters", "4"], "does not use --quarters"),
        (
            vec!["persons", "--metric", "petitions_field_land"],
            "no leader metric",
        ),
        (
            vec!["heatmap", "--unit", "D03", "--level", "district"],
            "under D03",
        ),
    ] {
        let (run, _) = chart(&args, "x.svg");
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
