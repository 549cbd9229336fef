//! No row lost without a word: inputs that used to lose rows silently now
//! stop ingest with a message naming the file and the line, or are counted
//! apart; nothing is written when ingest stops.

use std::path::Path;
use std::process::Output;

use crate::yanpan;

const HEADER: &str = "信访件编号,受理日期,来源渠道,信访类别,被反映单位,被反映人职务类别,是否署名,是否重复件,是否转为问题线索,反映内容摘要";

/// A pipeline over two units and `p*.csv` in `dir`.
fn setup(dir: &Path, max_share: f64) -> std::path::PathBuf {
    std::fs::write(
        dir.join("units.csv"),
        "单位编码,单位名称,上级单位编码,层级,干部职工人数\nC0,测试市,,市级,500\nD1,东区,C0,区,2000\n",
    )
    .expect("units");
    let text = format!(
        "[site]\nname = \"测试\"\n[store]\npath = \"store\"\n[ingest]\nmax_quarantine_share = {max_share}\ntoday = \"2025-01-15\"\n[[source]]\ndataset = \"units\"\npath = \"units.csv\"\n[[source]]\ndataset = \"petitions\"\npath = \"p*.csv\"\n"
    );
    let p = dir.join("p.toml");
    std::fs::write(&p, text).expect("write");
    p
}

/// `n` good petitions, ids from `first`.
fn rows(first: usize, n: usize) -> Vec<String> {
    (first..first + n)
        .map(|i| format!("XF{i:08},2024-11-12,来电,检举控告,D1,其他,否,否,否,反映第{i}件事。"))
        .collect()
}

fn write(dir: &Path, file: &str, lines: &[String]) {
    std::fs::write(dir.join(file), format!("{HEADER}\n{}\n", lines.join("\n"))).expect("write");
}

fn ingest(pipeline: &Path) -> Output {
    yanpan(&["ingest", pipeline.to_str().expect("utf-8")])
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `yanpan ingest` stops with exit code 2 and a message holding every one
/// of `wants`, and writes nothing into the store.
fn refused(dir: &Path, pipeline: &Path, wants: &[&str]) {
    let out = ingest(pipeline);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    for want in wants {
        assert!(
            stderr(&out).contains(want),
            "{want} not in {}",
            stderr(&out)
        );
    }
    assert!(!dir.join("store/units").exists(), "nothing written");
}

/// The text of `column` of every stored petition, in the store's order.
pub(crate) fn stored_petitions(store: &Path, column: &str) -> Vec<String> {
    yanpan::store::Store::new(store)
        .scan(yanpan::model::Dataset::Petitions)
        .expect("scan")
        .collect()
        .expect("petitions")
        .column(column)
        .expect("column")
        .cast(&polars::prelude::DataType::String)
        .expect("text")
        .str()
        .expect("text")
        .iter()
        .flatten()
        .map(str::to_string)
        .collect()
}

#[test]
fn an_unclosed_quote_stops_ingest_at_its_line_and_writes_nothing() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path(), 0.05);
    let mut lines = rows(1, 200);
    lines[5] = lines[5].replace("反映第6件", "\"反映第6件");
    write(dir.path(), "p.csv", &lines);
    refused(
        dir.path(),
        &p,
        &[
            "p.csv: line 7: a quoted field opens here and is never closed, so the 194 lines after it",
        ],
    );
}

#[test]
fn the_quarantine_limit_holds_for_each_file() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path(), 0.05);
    // A large good file and a small one with half its rows bad: 1% of all
    // rows, 50% of the small file's.
    write(dir.path(), "p1.csv", &rows(1, 1000));
    let mut bad = rows(5000, 20);
    for r in bad.iter_mut().take(10) {
        *r = r.replace("2024-11-12", "2024-13-45");
    }
    write(dir.path(), "p2.csv", &bad);
    refused(
        dir.path(),
        &p,
        &["p2.csv: 10 of 20 rows (50.0%) were quarantined, above the limit of 5.0% for one file"],
    );
}

#[test]
fn a_header_only_export_is_an_empty_input() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path(), 0.05);
    // On a fresh store it gives nothing to analyse: a message, nothing written.
    write(dir.path(), "p1.csv", &[]);
    refused(
        dir.path(),
        &p,
        &[
            "no petitions to analyse: its sources (",
            "p1.csv) have a header and no rows",
        ],
    );
    // Beside another export it adds nothing and loses nothing.
    write(dir.path(), "p2.csv", &rows(1, 3));
    let out = ingest(&p);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("read 5 rows"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_totals_row_at_the_foot_is_counted_apart() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path(), 0.0);
    let mut lines = rows(1, 5);
    lines.push("合计,5件,,,,,,,,".into());
    write(dir.path(), "p.csv", &lines);
    let out = ingest(&p);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let source = petitions_reconciled(dir.path());
    assert_eq!(source["rows_read"], 5);
    assert_eq!(source["rows_accepted"], 5);
    assert_eq!(source["totals_rows"], 1);
}

/// The reconciliation of the petitions export the last ingest recorded.
fn petitions_reconciled(dir: &Path) -> serde_json::Value {
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("store/ingest_state.json")).expect("state"))
            .expect("json");
    state["sources"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["dataset"] == "petitions"))
        .cloned()
        .expect("petitions")
}

/// The quarantine the last ingest kept, as CSV text.
fn quarantine(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("store/quarantine.csv")).unwrap_or_default()
}

#[test]
fn implausible_values_are_quarantined_and_control_characters_removed() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path(), 1.0);
    let mut lines = rows(1, 6);
    lines[0] = lines[0].replace("2024-11-12", "1900-01-01");
    lines[1] = lines[1].replace("反映第2件事。", &"长".repeat(40_000));
    lines[2] = lines[2].replace("反映第3件事。", "反映\u{0}第3件\u{1b}[31m事\u{7}。");
    write(dir.path(), "p.csv", &lines);
    let out = ingest(&p);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let q = quarantine(dir.path());
    assert!(q.contains("too_early") && q.contains("1900-01-01"), "{q}");
    assert!(q.contains("too_long") && q.contains("40000"), "{q}");
    assert!(
        stderr(&out).contains("accepted 4, quarantined 2; 3 control characters removed"),
        "{}",
        stderr(&out)
    );
    // The cleaned summary is what the store holds; no control character
    // reaches the screen.
    let summaries = stored_petitions(&dir.path().join("store"), "summary");
    assert!(
        summaries.contains(&"反映第3件[31m事。".to_string()),
        "{summaries:?}"
    );
    let screen = format!("{}{}", stderr(&out), String::from_utf8_lossy(&out.stdout));
    assert!(
        !screen.chars().any(|c| c.is_control() && c != '\n'),
        "{screen:?}"
    );
}

#[test]
fn real_export_options_read_a_titled_semicolon_export_with_a_footer() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path(), 0.0);
    let text = std::fs::read_to_string(&p).expect("pipeline");
    let fixture = crate::root().join("tests/fixtures/ingest/petitions_options.csv");
    let text = text.replace("path = \"p*.csv\"", &format!("path = \"{}\"\ndelimiter = \";\"\nheader_row = 2\nskip_footer = 2\n[source.values.channel]\n\"写信\" = \"来信\"", fixture.display()));
    std::fs::write(&p, text).expect("pipeline");
    let out = ingest(&p);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("read 3, accepted 3, quarantined 0; 1 totals rows skipped"),
        "{}",
        stderr(&out)
    );
    let source = petitions_reconciled(dir.path());
    assert_eq!(
        (
            source["totals_rows"].as_u64(),
            source["footer_rows"].as_u64()
        ),
        (Some(1), Some(2))
    );
    let channels = stored_petitions(&dir.path().join("store"), "channel");
    assert_eq!(channels, ["letter", "phone", "letter"], "写信 read as 来信");
}

#[test]
fn a_formula_without_a_saved_value_is_named_and_read_as_missing() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path(), 1.0);
    let text = std::fs::read_to_string(&p).expect("pipeline");
    let fixture = crate::root().join("tests/fixtures/ingest/petitions_formula.xlsx");
    std::fs::write(
        &p,
        text.replace(
            "path = \"p*.csv\"",
            &format!("path = \"{}\"", fixture.display()),
        ),
    )
    .expect("pipeline");
    let out = ingest(&p);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 formula cells have no saved value and are read as empty (B3)"),
        "{}",
        stderr(&out)
    );
    let q = quarantine(dir.path());
    assert!(q.contains(",3,") && q.contains("missing"), "{q}");
}

#[test]
fn every_line_of_a_csv_export_is_accounted_for() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path(), 0.0);
    let r = rows(1, 3);
    let text = format!(
        "2024年信访举报登记表\n\n{HEADER}\n{}\n{}\n{}\n\n,,,,,,,,,\n合计,3件,,,,,,,,\n",
        r[0],
        r[1].replace("反映第2件事。", "\"反映第2件事，\n另起一行。\""),
        r[2]
    );
    std::fs::write(dir.path().join("p.csv"), text).expect("write");
    let out = ingest(&p);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = petitions_reconciled(dir.path());
    let got: Vec<u64> = [
        "lines",
        "title_rows",
        "empty_lines",
        "rows_read",
        "continuation_lines",
        "empty_rows",
        "totals_rows",
    ]
    .iter()
    .map(|k| s[*k].as_u64().unwrap_or(u64::MAX))
    .collect();
    // 10 lines: a title, an empty line, the header, three rows (one on two
    // lines), an empty line, an empty row, a totals row.
    assert_eq!(got, [10, 1, 2, 3, 1, 1, 1]);
}

#[test]
fn every_ingest_fixture_accounts_for_every_line_and_row() {
    let dir = crate::root().join("tests/fixtures/ingest");
    let key = yanpan::ingest::Pseudonymiser::new(b"fixture-key-0123456789").expect("key");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let dataset = yanpan::model::Dataset::ALL
            .iter()
            .find(|d| name.starts_with(d.name()))
            .copied()
            .unwrap_or_else(|| panic!("{name}: no dataset"));
        let source = yanpan::ingest::Source {
            dataset,
            pattern: path.display().to_string(),
            format: None,
            encoding: yanpan::ingest::Encoding::Auto,
            sheet: (dataset == yanpan::model::Dataset::Findings).then(|| "巡察发现问题".into()),
            columns: Default::default(),
            totals_labels: yanpan::ingest::default_totals_labels(),
            delimiter: name.contains("options").then_some(b';'),
            header_row: name.contains("options").then_some(2),
            skip_footer: if name.contains("options") { 2 } else { 0 },
            values: Default::default(),
        };
        let bytes = std::fs::read(&path).expect("read");
        let loaded = yanpan::ingest::load_bytes(&path, bytes, &source, Some(&key));
        // A misspelt header is refused by design; every other fixture loads.
        if name.contains("misspelt") {
            assert!(loaded.is_err(), "{name}");
            continue;
        }
        let l = loaded.unwrap_or_else(|e| panic!("{name}: {e}"));
        let rejected: std::collections::BTreeSet<(Option<&String>, u64)> = l
            .rejected
            .iter()
            .map(|r| (r.sheet.as_ref(), r.row))
            .collect();
        assert_eq!(
            l.report.rows_read,
            l.frame.height() as u64 + rejected.len() as u64,
            "{name}: rows read = kept + rejected"
        );
        assert!(
            l.report.lines >= l.report.rows_read,
            "{name}: {:?}",
            l.report
        );
        checked += 1;
    }
    assert!(checked >= 12, "{checked} fixtures");
}

#[test]
fn messages_say_once_where_and_what_to_change() {
    // A binary file named .csv: the reason once, not twice.
    let dir = crate::TempDir::new();
    let p = setup(dir.path(), 0.05);
    let noise: Vec<u8> = (0..=255u8).cycle().take(10_240).collect();
    std::fs::write(dir.path().join("p.csv"), &noise).expect("write");
    let out = ingest(&p);
    let msg = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{msg}");
    assert_eq!(msg.matches("neither UTF-8 nor GBK").count(), 1, "{msg}");
    // UTF-8 then GBK: the line where UTF-8 stops.
    let mut mixed = format!("{HEADER}\n{}\n", rows(1, 30).join("\n")).into_bytes();
    mixed.extend(encoding_rs::GBK.encode(&rows(100, 5).join("\n")).0.iter());
    std::fs::write(dir.path().join("p.csv"), &mixed).expect("write");
    let msg = stderr(&ingest(&p));
    assert!(msg.contains("is on line 32"), "{msg}");
    // A CSV under an .xlsx name: set format.
    std::fs::remove_file(dir.path().join("p.csv")).expect("remove");
    write(dir.path(), "p.xlsx", &rows(1, 3));
    let text = std::fs::read_to_string(&p).expect("pipeline");
    std::fs::write(&p, text.replace("p*.csv", "p.xlsx")).expect("pipeline");
    let msg = stderr(&ingest(&p));
    assert!(
        msg.contains("not a readable Excel workbook") && msg.contains("set format = \"csv\""),
        "{msg}"
    );
}

#[test]
fn a_negative_amount_names_its_bound() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path(), 1.0);
    write(dir.path(), "p.csv", &rows(1, 3));
    std::fs::write(
        dir.path().join("cases.csv"),
        "案件编号,所在单位,涉案人,职务类别,干部层级,立案日期,结案日期,线索来源,重点领域,违纪类别,四种形态,处理结果,涉案金额(元),来源信访件编号\nAJ1,D1,,其他,其他,2024-11-01,,自查,其他,廉洁纪律,1,,-5,\n",
    )
    .expect("cases");
    let text = std::fs::read_to_string(&p).expect("pipeline");
    std::fs::write(
        &p,
        format!("{text}[[source]]\ndataset = \"cases\"\npath = \"cases.csv\"\n"),
    )
    .expect("pipeline");
    let out = ingest(&p);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let q = quarantine(dir.path());
    assert!(
        q.contains("must be at least 0") && !q.contains("9223372036854775807"),
        "{q}"
    );
}
