//! `yanpan sample personal-matters` on the sample data: the rules hold,
//! every district head is drawn, nobody twice, the same seed gives the same
//! list, and last year's random draws are not drawn again.

use std::collections::HashSet;

fn sample(pipeline: &std::path::Path, year: &str, seed: &str) -> String {
    let path = pipeline.to_str().expect("utf-8");
    let out = crate::yanpan(&[
        "sample",
        "personal-matters",
        path,
        "--year",
        year,
        "--seed",
        seed,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn column(df: &polars::prelude::DataFrame, c: &str) -> Vec<String> {
    df.column(c)
        .expect("column")
        .str()
        .expect("text")
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_personal_matters_sample_follows_the_rules_and_is_reproducible() {
    // The leaders in the store of the shared publication.
    let dir = crate::published_copy();
    let pipeline = dir.path().join("quarterly.toml");
    let printed = sample(&pipeline, "2025", "20250101");
    assert!(
        printed.contains("seed 20250101") && printed.contains("list sha256"),
        "{printed}"
    );
    let out = dir.path().join("reports/sample");
    let first = std::fs::read(out.join("personal_matters_2025.parquet")).expect("parquet");
    assert!(out.join("personal_matters_2025.xlsx").is_file());
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("personal_matters_2025.json")).expect("json"),
    )
    .expect("json");
    assert_eq!(record["seed"], 20250101);
    // The same seed: the same bytes.
    sample(&pipeline, "2025", "20250101");
    assert_eq!(
        std::fs::read(out.join("personal_matters_2025.parquet")).expect("parquet"),
        first
    );
    // The rules against the leaders in office on 1 January 2025.
    let drawn =
        yanpan::store::read_parquet(&out.join("personal_matters_2025.parquet")).expect("read");
    let (ids, reasons, ranks, roles) = (
        column(&drawn, "person_id"),
        column(&drawn, "reason"),
        column(&drawn, "rank"),
        column(&drawn, "role"),
    );
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "no one twice"
    );
    let leaders =
        std::fs::read_to_string(crate::root().join("sample_data/leaders.csv")).expect("leaders");
    let units =
        std::fs::read_to_string(crate::root().join("sample_data/units.csv")).expect("units");
    let districts: HashSet<&str> = units
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(3) == Some("区"))
        .filter_map(|l| l.split(',').next())
        .collect();
    let (mut city, mut top, mut heads) = (0, 0, Vec::new());
    for l in leaders.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let in_office =
            f[4] <= "2025-01-01" && (f.get(5).is_none_or(|e| e.is_empty() || *e >= "2025-01-01"));
        if !in_office {
            continue;
        }
        city += usize::from(f[3] == "市管");
        top += usize::from(f[2] == "一把手");
        if f[2] == "一把手" && districts.contains(f[1]) {
            heads.push(f[0].to_string());
        }
    }
    let count = |r: &str| reasons.iter().filter(|x| *x == r).count();
    assert_eq!(
        count("city_managed_random"),
        yanpan::sample::quota(city, 0.10)
    );
    assert_eq!(count("top_leader_random"), yanpan::sample::quota(top, 0.10));
    assert!(!heads.is_empty());
    for h in &heads {
        assert!(ids.contains(h), "district head {h} not drawn");
    }
    for ((r, rank), role) in reasons.iter().zip(&ranks).zip(&roles) {
        match r.as_str() {
            "city_managed_random" => assert_eq!(rank, "city_managed"),
            "top_leader_random" | "district_head" => assert_eq!(role, "top_leader"),
            other => panic!("reason {other}"),
        }
    }
    // Next year: last year's random draws are not drawn at random again.
    sample(&pipeline, "2026", "20260101");
    let next =
        yanpan::store::read_parquet(&out.join("personal_matters_2026.parquet")).expect("read");
    let last_random: HashSet<&String> = ids
        .iter()
        .zip(&reasons)
        .filter(|(_, r)| *r != "district_head")
        .map(|(i, _)| i)
        .collect();
    for (i, r) in column(&next, "person_id")
        .iter()
        .zip(column(&next, "reason"))
    {
        if r != "district_head" {
            assert!(!last_random.contains(i), "{i} drawn again");
        }
    }
}
