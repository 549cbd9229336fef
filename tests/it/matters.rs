//! Repeat linking through the pipeline: matters are kept in the store,
//! decided once, and decided again only when the rules change.

use yanpan::store::read_parquet;

use crate::{TempDir, sample_pipeline, yanpan};

fn aggregate(pipeline: &std::path::Path, quarter: &str) {
    let out = yanpan(&[
        "aggregate",
        pipeline.to_str().expect("utf-8"),
        "--quarter",
        quarter,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn modified(path: &std::path::Path) -> std::time::SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("mtime")
}

#[test]
fn matters_are_kept_extended_and_redecided_when_the_rules_change() {
    let dir = TempDir::new();
    let pipeline = sample_pipeline(dir.path());
    let ingest = yanpan(&["ingest", pipeline.to_str().expect("utf-8")]);
    assert!(
        ingest.status.success(),
        "{}",
        String::from_utf8_lossy(&ingest.stderr)
    );
    let matters = dir.path().join("store/derived/matters.parquet");
    // Through 2024Q3, then 2024Q4 adds only the new quarter's petitions.
    aggregate(&pipeline, "2024Q3");
    let through_q3 = read_parquet(&matters).expect("matters");
    aggregate(&pipeline, "2024Q4");
    let through_q4 = read_parquet(&matters).expect("matters");
    assert!(through_q4.height() > through_q3.height());
    let kept = through_q4.head(Some(through_q3.height()));
    assert!(
        kept.equals_missing(&through_q3),
        "a petition's matter is decided once"
    );
    // Nothing new: nothing linked, the table is not written again.
    let before = modified(&matters);
    std::thread::sleep(std::time::Duration::from_millis(20));
    aggregate(&pipeline, "2024Q4");
    assert_eq!(
        modified(&matters),
        before,
        "no linking without new petitions"
    );
    // Other rules: every matter is decided again under them.
    let text = std::fs::read_to_string(&pipeline).expect("pipeline");
    std::fs::write(
        &pipeline,
        text.replace("similarity = 0.6", "similarity = 0.8"),
    )
    .expect("write");
    aggregate(&pipeline, "2024Q4");
    let redecided = read_parquet(&matters).expect("matters");
    let rules = redecided
        .column("rules")
        .expect("rules")
        .str()
        .expect("text")
        .get(0);
    assert!(
        rules.is_some_and(|r| r.contains("similarity 0.8")),
        "{rules:?}"
    );
    assert_eq!(redecided.height(), through_q4.height());
}

#[test]
fn stored_matters_are_checked_row_by_row_once_a_partition_changes() {
    use polars::prelude::{ChunkCompareEq, DataType};
    let dir = TempDir::new();
    let pipeline = sample_pipeline(dir.path());
    let ingest = yanpan(&["ingest", pipeline.to_str().expect("utf-8")]);
    assert!(ingest.status.success());
    let aggregated = |quarter: &str| {
        let out = yanpan(&[
            "aggregate",
            pipeline.to_str().expect("utf-8"),
            "--quarter",
            quarter,
        ]);
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    aggregated("2024Q3");
    let log = aggregated("2024Q4");
    assert!(
        log.contains("partitions they were decided from are unchanged"),
        "{log}"
    );
    // A matter's first petition leaves the store: its partition is a new file.
    let store = dir.path().join("store");
    let matters = read_parquet(&store.join("derived/matters.parquet")).expect("matters");
    let ids = matters
        .column("petition_id")
        .expect("id")
        .str()
        .expect("text")
        .clone();
    let firsts = matters
        .column("matter_id")
        .expect("id")
        .str()
        .expect("text")
        .clone();
    let gone = ids
        .iter()
        .zip(firsts.iter())
        .find_map(|(p, m)| (p != m).then_some(m).flatten())
        .expect("a petition linked to an earlier one")
        .to_string();
    let mut removed = 0;
    for part in glob::glob(&format!("{}/petitions/*/part-0.parquet", store.display()))
        .expect("pattern")
        .flatten()
    {
        let df = read_parquet(&part).expect("partition");
        let keep = df
            .column("petition_id")
            .expect("id")
            .cast(&DataType::String)
            .expect("text")
            .str()
            .expect("text")
            .not_equal(gone.as_str());
        let kept = df.filter(&keep).expect("filter");
        if kept.height() < df.height() {
            removed += df.height() - kept.height();
            yanpan::store::write_parquet(&part, kept).expect("write");
        }
    }
    assert_eq!(removed, 1);
    let log = aggregated("2024Q4");
    assert!(
        log.contains("row by row against the stored petitions"),
        "{log}"
    );
    let after = read_parquet(&store.join("derived/matters.parquet")).expect("matters");
    assert_eq!(after.height(), matters.height() - 1);
    for column in ["petition_id", "matter_id"] {
        let named = after
            .column(column)
            .expect("column")
            .str()
            .expect("text")
            .iter()
            .any(|v| v == Some(gone.as_str()));
        assert!(!named, "{gone} is no longer stored, yet a matter names it");
    }
}
