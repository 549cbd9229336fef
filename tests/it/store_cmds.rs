//! `yanpan ingest` and `yanpan validate` as a user runs them: reloading an
//! export changes nothing, a corrected export replaces records by id and
//! says how many changed, and validate writes nothing.

use std::path::Path;
use std::process::Output;

const HEADER: &str = "信访件编号,受理日期,来源渠道,信访类别,被反映单位,被反映人职务类别,是否署名,是否重复件,是否转为问题线索,反映内容摘要\n";

use crate::yanpan;

fn setup(dir: &Path) -> std::path::PathBuf {
    let units = crate::root().join("tests/fixtures/ingest/units.csv");
    let text = format!(
        "[site]\nname = \"测试\"\n[store]\npath = \"store\"\n[ingest]\nmax_quarantine_share = 1.0\n[[source]]\ndataset = \"units\"\npath = \"{}\"\n[[source]]\ndataset = \"petitions\"\npath = \"p.csv\"\n",
        units.display()
    );
    let p = dir.join("p.toml");
    std::fs::write(&p, text).expect("write");
    p
}

fn petitions(dir: &Path, rows: &[&str]) {
    std::fs::write(dir.join("p.csv"), format!("{HEADER}{}\n", rows.join("\n"))).expect("write");
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn reload_changes_nothing_and_a_correction_replaces_by_id() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path());
    let pipeline = p.to_str().expect("utf-8");
    petitions(
        dir.path(),
        &[
            "Z1,2024-03-05,来信,检举控告,D1,其他,否,否,否,原文",
            "Z2,2024-03-06,来信,检举控告,D1,其他,否,否,否,原文",
        ],
    );
    let first = yanpan(&["ingest", pipeline, "--today", "2025-01-15"]);
    assert!(
        stderr(&first).contains("petitions inserted 2, changed 0, unchanged 0, total 2"),
        "{}",
        stderr(&first)
    );
    let again = yanpan(&["ingest", pipeline, "--today", "2025-01-15"]);
    assert!(
        stderr(&again).contains("petitions inserted 0, changed 0, unchanged 2, total 2"),
        "{}",
        stderr(&again)
    );
    // The units, replaced whole, are compared row by row too.
    assert!(
        stderr(&again).contains("units     inserted 0, changed 0, unchanged 4, total 4"),
        "{}",
        stderr(&again)
    );
    // A corrected export: Z2's text changed, Z3 is new; Z1 is not in it.
    petitions(
        dir.path(),
        &[
            "Z2,2024-03-06,来信,检举控告,D1,其他,否,否,否,更正后",
            "Z3,2024-04-01,来信,检举控告,D1,其他,否,否,否,新件",
        ],
    );
    let corrected = yanpan(&["ingest", pipeline, "--today", "2025-01-15"]);
    assert!(
        stderr(&corrected).contains("petitions inserted 1, changed 1, unchanged 0, total 3"),
        "{}",
        stderr(&corrected)
    );
    assert!(
        dir.path()
            .join("store/petitions/quarter=2024Q2/part-0.parquet")
            .is_file()
    );
    // The units fixture has broken rows: exit code 1 and the quarantine beside the store.
    assert_eq!(corrected.status.code(), Some(1));
    assert!(dir.path().join("store/quarantine.csv").is_file());
}

#[test]
fn an_upsert_rewrites_only_the_quarters_it_touches_and_follows_a_moved_record() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path());
    let pipeline = p.to_str().expect("utf-8");
    petitions(
        dir.path(),
        &[
            "Z1,2024-01-05,来信,检举控告,D1,其他,否,否,否,一季度",
            "Z2,2024-04-06,来信,检举控告,D1,其他,否,否,否,二季度",
            "Z3,2024-07-07,来信,检举控告,D1,其他,否,否,否,三季度",
        ],
    );
    yanpan(&["ingest", pipeline, "--today", "2025-01-15"]);
    let part = |q: &str| {
        dir.path()
            .join(format!("store/petitions/quarter={q}/part-0.parquet"))
    };
    let q3_before = std::fs::read(part("2024Q3")).expect("Q3");
    // Z1's date was corrected into 2024Q2: it must leave 2024Q1.
    petitions(
        dir.path(),
        &["Z1,2024-05-05,来信,检举控告,D1,其他,否,否,否,一季度"],
    );
    let moved = yanpan(&["ingest", pipeline, "--today", "2025-01-15"]);
    assert!(
        stderr(&moved).contains("petitions inserted 0, changed 1, unchanged 0, total 3"),
        "{}",
        stderr(&moved)
    );
    assert!(!part("2024Q1").exists(), "2024Q1 held only Z1, which moved");
    assert!(part("2024Q2").is_file());
    assert_eq!(
        std::fs::read(part("2024Q3")).expect("Q3"),
        q3_before,
        "an untouched quarter is carried over as it was"
    );
    // Z2 corrected into 2024Q3, between two new ids: found, not doubled.
    petitions(
        dir.path(),
        &[
            "Z0,2024-10-01,来信,检举控告,D1,其他,否,否,否,四季度",
            "Z2,2024-08-08,来信,检举控告,D1,其他,否,否,否,二季度",
            "Z9,2024-10-02,来信,检举控告,D1,其他,否,否,否,四季度",
        ],
    );
    let inside = yanpan(&["ingest", pipeline, "--today", "2025-01-15"]);
    assert!(
        stderr(&inside).contains("petitions inserted 2, changed 1, unchanged 0, total 5"),
        "{}",
        stderr(&inside)
    );
}

#[test]
fn validate_checks_everything_and_writes_nothing() {
    let dir = crate::TempDir::new();
    let p = setup(dir.path());
    petitions(
        dir.path(),
        &[
            "Z1,2024-03-05,来信,检举控告,D1,其他,否,否,否,原文",
            "Z2,2024-13-01,来信,检举控告,D1,其他,否,否,否,坏日期",
        ],
    );
    let out = yanpan(&[
        "validate",
        p.to_str().expect("utf-8"),
        "--today",
        "2025-01-15",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("p.csv row 3 column 受理日期: 无法识别的日期 / not a recognised date (value: 2024-13-01)"), "{err}");
    assert!(
        !dir.path().join("store").exists(),
        "validate must not write"
    );
}
