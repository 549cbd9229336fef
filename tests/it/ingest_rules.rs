//! Ingest on the fixture corpus (`tests/fixtures/ingest/`): every format,
//! encoding, date form and rule. Each broken row lands in the quarantine
//! with its file, row number (as an editor or Excel shows it) and reason,
//! while the good rows load.

use std::path::PathBuf;

use yanpan::config::Pipeline;
use yanpan::ingest::{self, Ingested};
use yanpan::model::Dataset;

fn fixture(name: &str) -> PathBuf {
    crate::root().join("tests/fixtures/ingest").join(name)
}

/// A pipeline over `sources` (dataset, file, extra TOML lines), units first.
fn pipeline(dir: &crate::TempDir, sources: &[(&str, &str, &str)]) -> Pipeline {
    let mut text = format!(
        "[site]\nname = \"测试\"\n[store]\npath = \"store\"\nreporter_key_file = \"{}\"\n[ingest]\nmax_quarantine_share = 1.0\ntoday = \"2025-01-15\"\n",
        crate::root().join("pipelines/demo-reporter.key").display()
    );
    for (dataset, file, extra) in std::iter::once(&("units", "units.csv", "")).chain(sources) {
        text.push_str(&format!(
            "[[source]]\ndataset = \"{dataset}\"\npath = \"{}\"\n{extra}\n",
            fixture(file).display()
        ));
    }
    let path = dir.path().join("p.toml");
    std::fs::write(&path, text).expect("write");
    Pipeline::load(&path).expect("valid pipeline")
}

fn load(sources: &[(&str, &str, &str)]) -> Ingested {
    let dir = crate::TempDir::new();
    let p = pipeline(&dir, sources);
    let today = chrono::NaiveDate::from_ymd_opt(2025, 1, 15).expect("date");
    ingest::ingest(&p.ingest, today, &mut |_| {}).expect("ingest")
}

fn load_err(sources: &[(&str, &str, &str)]) -> String {
    let dir = crate::TempDir::new();
    let p = pipeline(&dir, sources);
    let today = chrono::NaiveDate::from_ymd_opt(2025, 1, 15).expect("date");
    ingest::ingest(&p.ingest, today, &mut |_| {})
        .expect_err("should fail")
        .to_string()
}

/// Asserts that `file` row `row` was quarantined for `code`.
fn rejected(ing: &Ingested, file: &str, row: u64, code: &str) {
    let hit = ing
        .quarantine
        .rows
        .iter()
        .any(|r| r.file.ends_with(file) && r.row == row && r.reason.code() == code);
    let mine: Vec<String> = ing
        .quarantine
        .rows
        .iter()
        .filter(|r| r.file.ends_with(file))
        .map(|r| {
            format!(
                "row {} {} {} ({})",
                r.row,
                r.column,
                r.reason.code(),
                r.reason.zh()
            )
        })
        .collect();
    assert!(
        hit,
        "{file} row {row} should be quarantined for {code}; quarantine has {mine:#?}"
    );
}

/// The non-null values of `column` of dataset `d`, as text.
fn texts(ing: &Ingested, d: Dataset, column: &str) -> Vec<String> {
    ing.table(d)
        .expect("table")
        .column(column)
        .expect("column")
        .cast(&polars::prelude::DataType::String)
        .expect("cast")
        .str()
        .expect("str")
        .iter()
        .flatten()
        .map(str::to_string)
        .collect()
}

fn ids(ing: &Ingested, d: Dataset) -> Vec<String> {
    texts(ing, d, d.id_column())
}

#[test]
fn good_units_load() {
    let ing = load(&[]);
    assert_eq!(ids(&ing, Dataset::Units), ["C0", "D1", "S1", "B1"]);
    crate::accounted(&ing);
}

#[test]
fn good_leaders_load() {
    let ing = load(&[("leaders", "leaders.csv", "")]);
    assert_eq!(ids(&ing, Dataset::Leaders), ["P1", "P2"]);
    crate::accounted(&ing);
}

#[test]
fn every_date_and_boolean_form_loads() {
    let ing = load(&[("petitions", "petitions_utf8.csv", "")]);
    assert_eq!(
        ids(&ing, Dataset::Petitions),
        ["A01", "A02", "A03", "A04", "A05", "A06"]
    );
    let dates = texts(&ing, Dataset::Petitions, "received_on");
    assert!(
        dates.iter().all(|d| d == "2024-03-05"),
        "every date form is 2024-03-05: {dates:?}"
    );
    let src = &ing.sources[1];
    assert_eq!(
        (src.rows_read, src.rows_accepted, src.rows_quarantined),
        (15, 6, 9)
    );
    crate::accounted(&ing);
}

/// Loads one fixture (with the units fixture, which every load needs).
fn load_for(dataset: &str, file: &str) -> Ingested {
    match dataset {
        "units" => load(&[]),
        "findings" => load(&[(dataset, file, "sheet = \"巡察发现问题\"")]),
        _ => load(&[(dataset, file, "")]),
    }
}

/// One test per rule: the fixture row that breaks it is quarantined with
/// its row number and reason, and every row is accounted for.
macro_rules! rule_tests {
    ($($name:ident: $dataset:literal, $file:literal, row $row:literal, $code:literal;)+) => {
        $(
            #[test]
            fn $name() {
                let ing = load_for($dataset, $file);
                rejected(&ing, $file, $row, $code);
                crate::accounted(&ing);
            }
        )+
    };
}

rule_tests! {
    rule_unit_ids_are_unique: "units", "units.csv", row 6, "duplicate_id";
    rule_level_is_a_known_value: "units", "units.csv", row 7, "unknown_value";
    rule_headcount_is_positive: "units", "units.csv", row 8, "out_of_range";
    rule_leaders_point_to_units: "leaders", "leaders.csv", row 4, "unknown_unit";
    rule_tenure_ends_after_it_starts: "leaders", "leaders.csv", row 5, "date_order";
    rule_dates_must_be_dates: "petitions", "petitions_utf8.csv", row 8, "bad_date";
    rule_dates_not_in_the_future: "petitions", "petitions_utf8.csv", row 9, "future_date";
    rule_disposed_not_before_received: "petitions", "petitions_utf8.csv", row 10, "date_order";
    rule_petitions_name_a_known_unit: "petitions", "petitions_utf8.csv", row 11, "unknown_unit";
    rule_petition_ids_are_unique: "petitions", "petitions_utf8.csv", row 12, "duplicate_id";
    rule_channel_is_a_known_value: "petitions", "petitions_utf8.csv", row 13, "unknown_value";
    rule_required_values_are_present: "petitions", "petitions_utf8.csv", row 14, "missing";
    rule_booleans_are_yes_or_no: "petitions", "petitions_utf8.csv", row 15, "bad_bool";
    rule_rows_fit_the_header: "petitions", "petitions_utf8.csv", row 16, "field_count";
    rule_ndjson_rows_are_checked_too: "petitions", "petitions.ndjson", row 2, "unknown_value";
    rule_closed_not_before_filed: "cases", "cases.csv", row 4, "date_order";
    rule_four_forms_are_1_to_4: "cases", "cases.csv", row 5, "out_of_range";
    rule_amounts_are_not_negative: "cases", "cases.csv", row 6, "out_of_range";
    rule_parquet_rows_are_checked_too: "cases", "cases.parquet", row 3, "date_order";
    rule_done_needs_a_rectification_date: "findings", "findings.xlsx", row 6, "rectified_missing";
    rule_findings_name_a_known_unit: "findings", "findings.xlsx", row 7, "unknown_unit";
    rule_talks_name_the_person_talked_to: "supervision", "supervision.csv", row 4, "talk_without_person";
    rule_supervised_units_exist: "supervision", "supervision.csv", row 5, "unknown_unit";
    rule_activities_not_in_the_future: "supervision", "supervision.csv", row 6, "future_date";
    rule_activity_kind_is_a_known_value: "supervision", "supervision.csv", row 7, "unknown_value";
    rule_a_disposition_names_its_flag: "dispositions", "dispositions.csv", row 4, "flag_unidentified";
    rule_a_flag_quarter_is_a_quarter: "dispositions", "dispositions.csv", row 5, "bad_quarter";
    rule_a_reply_comes_after_its_notice: "dispositions", "dispositions.csv", row 6, "date_order";
    rule_dispositions_name_a_known_unit: "dispositions", "dispositions.csv", row 7, "unknown_unit";
    rule_an_action_is_a_known_measure: "dispositions", "dispositions.csv", row 8, "unknown_value";
    rule_a_finding_is_a_known_verdict: "dispositions", "dispositions.csv", row 9, "unknown_value";
    rule_feedback_comes_after_the_recommendation: "recommendations", "recommendations.csv", row 4, "date_order";
    rule_a_return_visit_comes_after_feedback: "recommendations", "recommendations.csv", row 5, "date_order";
    rule_recommendations_name_a_known_unit: "recommendations", "recommendations.csv", row 6, "unknown_unit";
    rule_assessed_is_yes_or_no: "recommendations", "recommendations.csv", row 7, "bad_bool";
    rule_recommendation_ids_are_unique: "recommendations", "recommendations.csv", row 8, "duplicate_id";
}

#[test]
fn ledgers_load_by_their_aliases() {
    let ing = load(&[
        ("dispositions", "dispositions.csv", ""),
        ("recommendations", "recommendations.csv", ""),
    ]);
    assert_eq!(ids(&ing, Dataset::Dispositions), ["CZ1", "CZ2"]);
    assert_eq!(
        texts(&ing, Dataset::Dispositions, "action"),
        ["notice", "admonish"]
    );
    assert_eq!(
        texts(&ing, Dataset::Dispositions, "detector"),
        ["concentration"]
    );
    assert_eq!(texts(&ing, Dataset::Dispositions, "verdict"), ["true"]);
    assert_eq!(ids(&ing, Dataset::Recommendations), ["JY1", "JY2"]);
    crate::accounted(&ing);
}

#[test]
fn supervision_activities_load_by_their_aliases() {
    let ing = load(&[("supervision", "supervision.csv", "")]);
    assert_eq!(ids(&ing, Dataset::Supervision), ["JD1", "JD2"]);
    assert_eq!(
        texts(&ing, Dataset::Supervision, "kind"),
        ["talk", "attendance"]
    );
    crate::accounted(&ing);
}

#[test]
fn reporter_identity_never_reaches_tables_or_quarantine() {
    let ing = load(&[("petitions", "petitions_utf8.csv", "")]);
    let df = ing.table(Dataset::Petitions).expect("petitions");
    let keys = texts(&ing, Dataset::Petitions, "reporter_key");
    assert_eq!(keys.len(), 1);
    assert!(keys[0].starts_with("rk_"));
    let all = format!("{:?}{:?}", df, ing.quarantine.rows);
    assert!(
        !all.contains("王伟") && !all.contains("13800000000"),
        "raw identity leaked"
    );
}

#[test]
fn gbk_tab_and_bom_semicolon_csv_and_ndjson_load() {
    let ing = load(&[
        ("petitions", "petitions_gbk_tab.csv", ""),
        ("petitions", "petitions_bom_semicolon.csv", ""),
        ("petitions", "petitions.ndjson", ""),
    ]);
    assert_eq!(ids(&ing, Dataset::Petitions), ["G01", "G02", "M01", "N01"]);
    let enc: Vec<Option<&str>> = ing.sources[1..3]
        .iter()
        .map(|s| s.encoding.as_deref())
        .collect();
    assert_eq!(enc, [Some("GBK/GB18030"), Some("UTF-8 (BOM)")]);
    crate::accounted(&ing);
}

#[test]
fn good_cases_load_with_their_amounts() {
    let ing = load(&[("cases", "cases.csv", "")]);
    assert_eq!(ids(&ing, Dataset::Cases), ["K01", "K02"]);
    let amount = ing
        .table(Dataset::Cases)
        .expect("cases")
        .column("amount_yuan")
        .expect("col")
        .f64()
        .expect("f64")
        .get(0);
    assert_eq!(amount, Some(120_000.5));
    crate::accounted(&ing);
}

#[test]
fn excel_header_is_found_below_a_title() {
    let ing = load(&[("findings", "findings.xlsx", "sheet = \"巡察发现问题\"")]);
    assert_eq!(ids(&ing, Dataset::Findings), ["F01", "F02"]);
    let q = ing
        .quarantine
        .rows
        .iter()
        .find(|r| r.file.ends_with("findings.xlsx"))
        .expect("a findings rejection");
    assert_eq!(q.sheet.as_deref(), Some("巡察发现问题"));
    crate::accounted(&ing);
}

#[test]
fn parquet_loads_like_csv() {
    let ing = load(&[("cases", "cases.parquet", "")]);
    assert_eq!(ids(&ing, Dataset::Cases), ["K01", "K02"]);
    crate::accounted(&ing);
}

#[test]
fn a_misspelt_header_says_which_column_and_what_to_write() {
    let msg = load_err(&[("petitions", "petitions_misspelt.csv", "")]);
    assert!(msg.contains("petitions_misspelt.csv"), "{msg}");
    assert!(msg.contains("受理日期 (received_on)"), "{msg}");
    assert!(
        msg.contains("\"受理日起\" = \"received_on\"") || msg.contains("`受理日起` looks close"),
        "{msg}"
    );
}

#[test]
fn a_wrong_sheet_name_lists_the_sheets() {
    let msg = load_err(&[("findings", "findings.xlsx", "sheet = \"问题清单\"")]);
    assert!(
        msg.contains("问题清单") && msg.contains("巡察发现问题") && msg.contains("sheet ="),
        "{msg}"
    );
}

#[test]
fn a_file_in_an_undeclared_encoding_says_what_to_set() {
    let msg = load_err(&[("petitions", "petitions_gbk_tab.csv", "encoding = \"utf-8\"")]);
    assert!(
        msg.contains("petitions_gbk_tab.csv") && msg.contains("encoding = \"gbk\""),
        "{msg}"
    );
}

#[test]
fn the_quarantine_cap_stops_the_load_with_the_reasons() {
    let dir = crate::TempDir::new();
    let mut p = pipeline(&dir, &[("petitions", "petitions_utf8.csv", "")]);
    p.ingest.max_quarantine_share = yanpan::model::Ratio::new(0.05).expect("ratio");
    let today = chrono::NaiveDate::from_ymd_opt(2025, 1, 15).expect("date");
    let msg = ingest::ingest(&p.ingest, today, &mut |_| {})
        .expect_err("over the cap")
        .to_string();
    assert!(
        msg.contains("max_quarantine_share") && msg.contains("quarantined"),
        "{msg}"
    );
}

/// Regenerates the binary fixtures (`findings.xlsx`, `cases.parquet`):
/// `cargo test --release --test it write_binary_fixtures -- --ignored`.
#[test]
#[ignore = "regenerates checked-in fixtures"]
fn write_binary_fixtures() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let other = wb.add_worksheet();
    other.set_name("说明").expect("name");
    other.write_string(0, 0, "本表为测试数据").expect("write");
    let ws = wb.add_worksheet();
    ws.set_name("巡察发现问题").expect("name");
    let header = [
        "问题编号",
        "巡视巡察轮次",
        "监督类型",
        "被巡视巡察单位",
        "反馈日期",
        "重点领域",
        "是否涉及一把手",
        "问题描述",
        "整改时限",
        "整改状态",
        "整改完成日期",
    ];
    ws.merge_range(
        0,
        0,
        0,
        header.len() as u16 - 1,
        "2024年巡察发现问题整改台账",
        &Format::new().set_bold(),
    )
    .expect("title");
    for (c, h) in header.iter().enumerate() {
        ws.write_string(2, c as u16, *h).expect("header");
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let d = |y, m, day| ExcelDateTime::from_ymd(y, m, day).expect("date");
    // Row 4 (Excel numbering): good, with real Excel dates.
    let rows: [[&str; 11]; 4] = [
        [
            "F01",
            "2024年第1轮",
            "巡察",
            "S1",
            "",
            "工程建设",
            "否",
            "招标不规范",
            "",
            "已完成",
            "",
        ],
        [
            "F02",
            "2024年第1轮",
            "巡察",
            "S1",
            "2024年4月1日",
            "",
            "是",
            "“三重一大”不规范",
            "2024/9/30",
            "推进中",
            "",
        ],
        [
            "F03",
            "2024年第1轮",
            "巡察",
            "S1",
            "2024-04-01",
            "",
            "否",
            "完成但无日期",
            "2024-09-30",
            "已完成",
            "",
        ],
        [
            "F04",
            "2024年第1轮",
            "巡视",
            "NOUNIT",
            "2024-04-01",
            "",
            "否",
            "单位不存在",
            "2024-09-30",
            "未启动",
            "",
        ],
    ];
    for (i, r) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        for (c, v) in r.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(row, c as u16, *v).expect("cell");
            }
        }
    }
    ws.write_datetime_with_format(3, 4, d(2024, 3, 5), &date)
        .expect("date");
    ws.write_datetime_with_format(3, 8, d(2024, 6, 30), &date)
        .expect("date");
    ws.write_datetime_with_format(3, 10, d(2024, 6, 1), &date)
        .expect("date");
    wb.save(fixture("findings.xlsx")).expect("save");

    let csv = std::fs::read_to_string(fixture("cases.csv")).expect("cases");
    let mut lines = csv.lines();
    let headers: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows: Vec<Vec<String>> = lines
        .take(3)
        .map(|l| {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(l.as_bytes());
            r.records()
                .next()
                .expect("record")
                .expect("ok")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    let cols: Vec<polars::prelude::Column> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            polars::prelude::Column::new(
                h.as_str().into(),
                rows.iter().map(|r| r[i].clone()).collect::<Vec<_>>(),
            )
        })
        .collect();
    let df = polars::prelude::DataFrame::new(rows.len(), cols).expect("frame");
    yanpan::store::write_parquet(&fixture("cases.parquet"), df).expect("parquet");
}

#[test]
fn a_corrupt_file_is_an_error_naming_it_not_a_crash() {
    let good = std::fs::read(fixture("cases.parquet")).expect("fixture");
    let src = ingest::Source {
        dataset: Dataset::Cases,
        pattern: String::new(),
        format: None,
        encoding: ingest::Encoding::Auto,
        sheet: None,
        columns: Default::default(),
        totals_labels: ingest::default_totals_labels(),
        delimiter: None,
        header_row: None,
        skip_footer: 0,
        values: Default::default(),
    };
    for (name, bytes) in [
        ("cut.parquet", good[..good.len() / 2].to_vec()),
        (
            "cut.xlsx",
            std::fs::read(fixture("findings.xlsx")).expect("fixture")[..3000].to_vec(),
        ),
        ("binary.csv", vec![0xFF, 0xFE, 0x00, 0xD8, 0x00, 0xDC, 0x81]),
    ] {
        let path = PathBuf::from(name);
        let err = ingest::load_bytes(&path, bytes, &src, None)
            .expect_err(name)
            .to_string();
        assert!(err.contains(name), "{err}");
    }
}

#[test]
fn a_broken_unit_tree_stops_ingest_and_names_the_units() {
    let dir = crate::TempDir::new();
    let mut p = pipeline(&dir, &[]);
    p.ingest.sources[0].pattern = fixture("units_broken_tree.csv").display().to_string();
    let today = chrono::NaiveDate::from_ymd_opt(2025, 1, 15).expect("date");
    let e = ingest::ingest(&p.ingest, today, &mut |_| {}).expect_err("a broken tree");
    let msg = e.to_string();
    for want in [
        "unit tree is broken at 3 units",
        "row 4 (parent NOPE: parent_id not found in units)",
        "row 5 (parent Y2: parent links form a cycle)",
        "row 6 (parent Y1: parent links form a cycle)",
    ] {
        assert!(msg.contains(want), "{want} not in {msg}");
    }
}
