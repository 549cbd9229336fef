//! The shipped sample data loads with every row accounted for.

use yanpan::config::Pipeline;
use yanpan::model::Dataset;

#[test]
fn sample_data_loads_with_every_row_accounted_for() {
    let dir = crate::TempDir::new();
    let p = Pipeline::load(&crate::sample_pipeline(dir.path())).expect("pipeline");
    let today = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("date");
    let mut seen = Vec::new();
    let ing = yanpan::ingest::ingest(&p.ingest, today, &mut |r| seen.push(r.file.clone()))
        .expect("ingest");
    assert_eq!(seen.len(), ing.sources.len());
    crate::accounted(&ing);
    for s in &ing.sources {
        assert!(s.rows_read > 0, "{}", s.file.display());
    }
    // Every source row is a data row of its file: count them independently.
    let petitions_2024 =
        std::fs::read_to_string(crate::root().join("sample_data/petitions_2024.csv"))
            .expect("read");
    let lines = petitions_2024.lines().count() as u64 - 1;
    let src = ing
        .sources
        .iter()
        .find(|s| s.file.ends_with("petitions_2024.csv"))
        .expect("2024 source");
    assert_eq!(src.rows_read, lines);
    // The GBK year was detected as such, and the Excel findings were read below their title row.
    let gbk = ing
        .sources
        .iter()
        .find(|s| s.file.ends_with("petitions_2022.csv"))
        .expect("2022 source");
    assert_eq!(gbk.encoding.as_deref(), Some("GBK/GB18030"));
    let findings = ing.table(Dataset::Findings).expect("findings");
    assert!(findings.height() > 100, "{} findings", findings.height());
    // Reporter identity is pseudonymised: no raw name survives.
    let keys = ing
        .table(Dataset::Petitions)
        .expect("petitions")
        .column("reporter_key")
        .expect("column")
        .str()
        .expect("str")
        .clone();
    let first = keys.iter().flatten().next().expect("a signed petition");
    assert!(first.starts_with("rk_") && first.len() == 35, "{first}");
    assert_eq!(
        ing.rows_quarantined(),
        0,
        "the sample export is clean: {:?}",
        ing.quarantine.rows.first()
    );
}
