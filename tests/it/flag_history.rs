//! Flags keep their id when a quarter is published again, and say whether
//! they are new, continue last quarter's or return; last quarter's flags
//! no longer raised are listed.

use polars::prelude::*;

fn flags(dir: &std::path::Path, quarter: &str) -> DataFrame {
    yanpan::store::read_parquet(&dir.join(format!("reports/{quarter}/tables/flags.parquet")))
        .expect("flags")
}

fn ids(df: &DataFrame) -> Vec<String> {
    let mut v: Vec<String> = df
        .column("flag_id")
        .expect("flag_id")
        .str()
        .expect("str")
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn a_quarter_published_after_the_one_before_knows_each_flags_standing() {
    let dir = crate::published_copy();
    let first = flags(dir.path(), "2024Q4");
    let all_ids = ids(&first);
    let mut unique = all_ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), all_ids.len(), "every flag its own id");
    // Published first, with no quarter before it in the store's record.
    let standing = first
        .column("continuity")
        .expect("c")
        .str()
        .expect("s")
        .clone();
    assert!(standing.iter().all(|s| s == Some("unknown")));
    // Publish 2024Q3, then 2024Q4 again.
    crate::publish(dir.path(), &["2024Q3", "2024Q4"]);
    let again = flags(dir.path(), "2024Q4");
    assert_eq!(ids(&again), all_ids, "the same ids when published again");
    let q3 = ids(&flags(dir.path(), "2024Q3"));
    let standing: Vec<(String, String, u32)> = (0..again.height())
        .map(|i| {
            let get = |c: &str| {
                again
                    .column(c)
                    .expect(c)
                    .str()
                    .expect(c)
                    .get(i)
                    .unwrap_or("")
                    .to_string()
            };
            let n = again
                .column("quarters_running")
                .expect("n")
                .u32()
                .expect("u32")
                .get(i)
                .unwrap_or(0);
            (get("continuity"), get("continuity_zh"), n)
        })
        .collect();
    assert!(
        standing
            .iter()
            .any(|s| s.0 == "continuing" && s.1 == format!("连续第{}个季度", s.2) && s.2 >= 2)
    );
    assert!(standing.iter().any(|s| s.0 == "new" && s.2 == 1));
    // Every Q3 flag either continues (its key flagged now) or is listed as
    // subsided in the problem-unit report, with its id.
    let report =
        std::fs::read_to_string(dir.path().join("reports/2024Q4/thematic/problem_units.md"))
            .expect("report");
    let continuing = standing.iter().filter(|s| s.0 == "continuing").count();
    let listed = q3
        .iter()
        .filter(|id| report.contains(&format!("编号{id}，本季度已回落")))
        .count();
    assert!(listed > 0, "{report}");
    assert_eq!(
        listed + continuing,
        q3.len(),
        "each Q3 flag continues or subsided"
    );
    // The reports carry each flag's id beside its sentence.
    let petitions =
        std::fs::read_to_string(dir.path().join("reports/2024Q4/thematic/petitions.md"))
            .expect("petitions");
    assert!(
        all_ids
            .iter()
            .any(|id| petitions.contains(&format!("编号{id}，"))),
        "{petitions}"
    );
}
