//! The scheduled run: killed runs leave the previous publication as it
//! was, one run at a time per store, clear refusals that write nothing,
//! `--stages`, `--dry-run` and `yanpan init`.

use std::path::Path;
use std::process::{Command, Output};

use crate::yanpan;

fn run(pipeline: &Path, extra: &[&str]) -> Output {
    crate::run_2024q4(pipeline, extra)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file of a publication but the manifest.
fn publication(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut t = crate::end_to_end::tree(dir);
    t.remove("manifest.json");
    t
}

#[test]
fn a_killed_run_leaves_the_previous_publication_and_the_next_run_completes() {
    let dir = crate::published_copy();
    let pipeline = dir.path().join("quarterly.toml");
    let published = dir.path().join("reports/2024Q4");
    let before = publication(&published);
    let manifest_before = std::fs::read(published.join("manifest.json")).expect("manifest");
    // After ingest and aggregate the store has changed; after compose every
    // stage but publish has run (detect and render, between them, write
    // nothing either).
    for stage in ["ingest", "aggregate", "compose"] {
        let killed = run(&pipeline, &["--abort-after", stage]);
        assert!(!killed.status.success(), "{stage}: the run was aborted");
        assert!(stderr(&killed).contains(&format!("aborting after {stage}")));
        assert_eq!(
            publication(&published),
            before,
            "{stage}: publication touched"
        );
        assert_eq!(
            std::fs::read(published.join("manifest.json")).expect("manifest"),
            manifest_before,
            "{stage}: manifest touched"
        );
        // The killed run's lock stays behind, as after a crash.
        assert!(
            dir.path().join("store/.yanpan-run.lock").is_file(),
            "{stage}"
        );
    }
    let leftovers = || {
        std::fs::read_dir(dir.path().join("reports"))
            .expect("reports")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".staging-"))
            .count()
    };
    // Runs stopped before publish wrote nothing: every stage before it
    // works in memory.
    assert_eq!(leftovers(), 0, "nothing staged before publish");
    // A staging folder of a run that is gone is cleared by the next run.
    std::fs::create_dir_all(dir.path().join("reports/.2024Q4.staging-4294967294/charts"))
        .expect("stale staging");
    assert_eq!(leftovers(), 1);
    let next = run(&pipeline, &[]);
    assert!(next.status.success(), "{}", stderr(&next));
    assert!(
        stderr(&next).contains("took over the lock of process"),
        "{}",
        stderr(&next)
    );
    assert_eq!(leftovers(), 0, "the next run clears what killed runs left");
    assert_eq!(
        publication(&published),
        before,
        "the next run publishes the same bytes"
    );
    assert!(
        !dir.path().join("store/.yanpan-run.lock").exists(),
        "the lock is released"
    );
}

#[test]
fn a_second_run_on_the_same_store_is_refused_with_exit_code_3() {
    let dir = crate::TempDir::new();
    let pipeline = crate::sample_pipeline(dir.path());
    let mut first = Command::new(env!("CARGO_BIN_EXE_yanpan"))
        .args([
            "run",
            pipeline.to_str().expect("utf-8"),
            "--quarter",
            "2024Q4",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawns");
    let lock = dir.path().join("store/.yanpan-run.lock");
    let start = std::time::Instant::now();
    while !lock.exists() && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(lock.exists(), "the first run takes the lock");
    let second = run(&pipeline, &[]);
    assert_eq!(second.status.code(), Some(3), "{}", stderr(&second));
    let msg = stderr(&second);
    assert!(
        msg.contains("another run started at")
            && msg.contains(&format!("by process {}", first.id())),
        "{msg}"
    );
    assert!(
        first.wait().expect("waits").success(),
        "the first run is not disturbed"
    );
}

#[test]
fn a_new_users_mistakes_get_one_clear_message_code_2_and_nothing_written() {
    let dir = crate::TempDir::new();
    let good = std::fs::read_to_string(crate::sample_pipeline(dir.path())).expect("pipeline");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").expect("write");
    let cases = [
        (
            "typo in a key",
            good.replace("history_quarters = 8", "history_quartrs = 8"),
            "history_quartrs",
        ),
        (
            "missing source",
            good.replace("units.csv", "units-missing.csv"),
            "units-missing.csv",
        ),
        (
            "output cannot be written",
            good.replace(
                "output = \"reports\"",
                &format!("output = \"{}/reports\"", file.display()),
            ),
            "cannot be written",
        ),
    ];
    for (what, text, says) in cases {
        assert_ne!(text, good, "{what}: the case changes the file");
        let p = dir.path().join("case.toml");
        std::fs::write(&p, &text).expect("write");
        let out = run(&p, &[]);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr(&out));
        let msg = stderr(&out);
        assert!(msg.contains(says), "{what}: {msg}");
        assert_eq!(
            msg.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{what}: {msg}"
        );
        assert!(
            !dir.path().join("store").exists(),
            "{what}: the store was written"
        );
        assert!(
            !dir.path().join("reports").exists(),
            "{what}: reports were written"
        );
    }
}

#[test]
fn stages_run_a_subset_and_a_dry_run_writes_nothing() {
    let dir = crate::TempDir::new();
    let pipeline = crate::sample_pipeline(dir.path());
    let dry = run(&pipeline, &["--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let plan = String::from_utf8_lossy(&dry.stdout);
    assert!(
        plan.contains("dry run") && plan.contains("petitions_2024.csv") && plan.contains("packets"),
        "{plan}"
    );
    assert!(!dir.path().join("store").exists() && !dir.path().join("reports").exists());
    let only_ingest = run(&pipeline, &["--stages", "ingest"]);
    assert!(only_ingest.status.success(), "{}", stderr(&only_ingest));
    assert!(dir.path().join("store/petitions").is_dir());
    assert!(
        !dir.path().join("store/derived").exists(),
        "no derived tables without the aggregate stage"
    );
    let ingest_only = run(&pipeline, &["--stages", "ingest,aggregate"]);
    assert!(ingest_only.status.success(), "{}", stderr(&ingest_only));
    assert!(
        dir.path()
            .join("store/derived/unit_quarter.parquet")
            .is_file()
    );
    assert!(
        !dir.path().join("reports/2024Q4").exists(),
        "no publication without the publish stage"
    );
    let publish_only = run(&pipeline, &["--stages", "publish"]);
    assert!(publish_only.status.success(), "{}", stderr(&publish_only));
    assert!(
        dir.path()
            .join("reports/2024Q4/thematic/petitions.pdf")
            .is_file()
    );
    let bad = run(&pipeline, &["--stages", "render"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("render cannot run without publish"),
        "{}",
        stderr(&bad)
    );
    let unknown = run(&pipeline, &["--stages", "thematic"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("ingest, aggregate, detect, render, compose, publish"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn init_writes_a_pipeline_that_parses_and_every_shipped_pipeline_validates() {
    let dir = crate::TempDir::new();
    let path = dir.path().join("site/pipeline.toml");
    let out = yanpan(&[
        "init",
        path.to_str().expect("utf-8"),
        "--site",
        "测试市纪委监委",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let p = yanpan::config::Pipeline::load(&path).expect("the written file parses");
    assert_eq!(p.site_name, "测试市纪委监委");
    assert_eq!(p.packets.len(), 2);
    let key = std::fs::read(dir.path().join("site/reporter.key")).expect("key");
    assert_eq!(key.len(), 64);
    let again = yanpan(&["init", path.to_str().expect("utf-8")]);
    assert_eq!(again.status.code(), Some(2), "init never overwrites");
    for e in std::fs::read_dir(crate::root().join("pipelines")).expect("pipelines") {
        let f = e.expect("entry").path();
        if f.extension().and_then(|x| x.to_str()) == Some("toml") {
            let v = yanpan(&["validate", f.to_str().expect("utf-8")]);
            assert!(
                matches!(v.status.code(), Some(0 | 1)),
                "{}: {}",
                f.display(),
                stderr(&v)
            );
        }
    }
}

#[test]
fn only_changed_inputs_are_read_again_and_the_result_equals_a_fresh_ingest() {
    let row = "XF2024NEW0000001,2024-11-12,来电,检举控告,D02,,其他,土地规划,廉洁纪律,是,否,,反映某街道违规审批宅基地。,否,,";
    // Incremental: run, change one export, run again.
    let a = crate::TempDir::new();
    let pipeline = crate::copied_sample_pipeline(a.path());
    assert!(run(&pipeline, &[]).status.success());
    crate::append_row(a.path(), "petitions_2024.csv", row);
    let again = run(&pipeline, &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    let log = stderr(&again);
    assert!(
        log.contains("11 of 12 inputs unchanged since the last ingest"),
        "{log}"
    );
    assert!(log.contains("petitions inserted 1, changed 0"), "{log}");
    assert!(
        !log.contains("petitions_2022.csv: read"),
        "an unchanged export is not read: {log}"
    );
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(a.path().join("reports/2024Q4/manifest.json")).expect("manifest"),
    )
    .expect("json");
    assert_eq!(
        manifest["inputs"].as_array().map(Vec::len),
        Some(12),
        "every input is listed"
    );
    // Fresh: the changed data ingested at once.
    let b = crate::TempDir::new();
    let fresh = crate::copied_sample_pipeline(b.path());
    crate::append_row(b.path(), "petitions_2024.csv", row);
    assert!(run(&fresh, &[]).status.success());
    assert_eq!(
        publication(&a.path().join("reports/2024Q4")),
        publication(&b.path().join("reports/2024Q4")),
        "incremental and fresh ingest publish the same bytes"
    );
}

#[test]
fn a_site_without_finding_or_case_exports_still_gets_its_publication() {
    let dir = crate::TempDir::new();
    let pipeline = crate::sample_pipeline(dir.path());
    let text = std::fs::read_to_string(&pipeline).expect("pipeline");
    // Keep the units, leaders and petitions sources only: drop each other
    // [[source]] block up to the blank line that ends it.
    let mut text = text;
    for dataset in ["findings", "cases"] {
        let at = text
            .find(&format!("dataset = \"{dataset}\""))
            .expect("source");
        let start = text[..at].rfind("[[source]]").expect("block");
        let end = at + text[at..].find("\n\n").expect("blank line");
        text.replace_range(start..end, "");
    }
    assert!(!text.contains("cases.csv") && text.contains("petitions_*.csv"));
    std::fs::write(&pipeline, text).expect("write");
    let out = run(&pipeline, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        dir.path()
            .join("reports/2024Q4/thematic/petitions.pdf")
            .is_file()
    );
}

#[test]
fn ingest_and_run_keep_one_record_so_a_reverted_export_is_read_again() {
    let dir = crate::TempDir::new();
    let pipeline = crate::copied_sample_pipeline(dir.path());
    assert!(run(&pipeline, &[]).status.success());
    // A correction to the last petition, loaded by `yanpan ingest`.
    let export = dir.path().join("sample_data/petitions_2024.csv");
    let original = std::fs::read_to_string(&export).expect("export");
    let last = original.lines().last().expect("a petition");
    let fields: Vec<&str> = last.split(',').collect();
    let (id, summary) = (fields[0].to_string(), fields[12].to_string());
    let corrected = original.replacen(
        last,
        &last.replacen(&summary, &format!("{summary}（更正）"), 1),
        1,
    );
    assert_ne!(corrected, original, "the row to correct is in the export");
    std::fs::write(&export, &corrected).expect("write");
    let ingest = yanpan(&["ingest", pipeline.to_str().expect("utf-8")]);
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    // The export goes back to the bytes the first run read: the store
    // holds the correction, so the run reads the export again.
    std::fs::write(&export, &original).expect("write");
    let after = run(&pipeline, &[]);
    assert!(after.status.success(), "{}", stderr(&after));
    assert!(
        stderr(&after).contains("petitions inserted 0, changed 1"),
        "{}",
        stderr(&after)
    );
    let store = dir.path().join("store");
    let ids = crate::reliability::stored_petitions(&store, "petition_id");
    let at = ids
        .iter()
        .position(|stored| *stored == id)
        .expect("the petition");
    let summaries = crate::reliability::stored_petitions(&store, "summary");
    let stored = summaries.get(at).map(String::as_str);
    assert_eq!(stored, Some(summary.as_str()));
}

/// The `i`th petition added to the copied sample's 2024 export.
fn new_petition(i: usize) -> String {
    format!(
        "XF2024NEW000000{i},2024-11-12,来电,检举控告,D02,,其他,土地规划,廉洁纪律,是,否,,反映某街道违规审批宅基地。,否,,"
    )
}

/// Every folder a swap left beside `dir`'s contents (`.X.staging-…`, `.X.old-…`).
fn swap_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".staging-") || n.contains(".old-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_run_killed_inside_a_swap_is_repaired_by_the_next_run() {
    let dir = crate::TempDir::new();
    let pipeline = crate::copied_sample_pipeline(dir.path());
    assert!(run(&pipeline, &[]).status.success());
    let points = [
        "store-old-moved",
        "store-new-moved",
        "publication-old-moved",
        "publication-new-moved",
    ];
    for (i, point) in points.iter().enumerate() {
        // A new petition, so the store's petitions are swapped too.
        crate::append_row(dir.path(), "petitions_2024.csv", &new_petition(i));
        let killed = run(&pipeline, &["--abort-in-swap", point]);
        assert!(!killed.status.success(), "{point}: the run was aborted");
        assert!(stderr(&killed).contains("aborting in a swap"), "{point}");
        let next = run(&pipeline, &[]);
        assert!(next.status.success(), "{point}: {}", stderr(&next));
        if point.ends_with("old-moved") {
            assert!(
                stderr(&next).contains("restored"),
                "{point}: the moved-aside copy is put back: {}",
                stderr(&next)
            );
        }
        for folder in ["store", "reports"] {
            assert_eq!(
                swap_leftovers(&dir.path().join(folder)),
                Vec::<String>::new(),
                "{point}: {folder}"
            );
        }
    }
    // The store and the publication are those of one clean run on the same files.
    let fresh = crate::TempDir::new();
    let clean = crate::copied_sample_pipeline(fresh.path());
    for i in 0..points.len() {
        crate::append_row(fresh.path(), "petitions_2024.csv", &new_petition(i));
    }
    assert!(run(&clean, &[]).status.success());
    assert_eq!(
        publication(&dir.path().join("reports/2024Q4")),
        publication(&fresh.path().join("reports/2024Q4")),
        "the repaired runs publish what a clean run does"
    );
}

#[test]
fn an_up_to_date_publication_is_confirmed_and_anything_changed_makes_it_again() {
    let dir = crate::TempDir::new();
    let pipeline = crate::copied_sample_pipeline(dir.path());
    let folder = dir.path().join("reports/2024Q4");
    let up_to_date = |o: &Output| {
        assert!(o.status.success(), "{}", stderr(o));
        String::from_utf8_lossy(&o.stdout).contains("(up to date:")
    };
    assert!(!up_to_date(&run(&pipeline, &[])));
    let made = publication(&folder);
    let manifest = |n: usize| {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).expect("read"))
                .expect("json");
        assert_eq!(
            m["confirmed_by"].as_array().map_or(0, Vec::len),
            n,
            "confirmations"
        );
    };
    manifest(0);

    // The same again, twice: confirmed, nothing recomputed or rewritten.
    for n in 1..=2 {
        let again = run(&pipeline, &[]);
        assert!(up_to_date(&again));
        assert!(
            !stderr(&again).contains("unit-quarter rows"),
            "no aggregation"
        );
        assert_eq!(publication(&folder), made);
        manifest(n);
    }

    // A published file altered: the publication is made again, whole.
    let chart = made
        .keys()
        .find(|k| k.ends_with(".png"))
        .expect("a chart")
        .clone();
    std::fs::write(folder.join(&chart), b"altered").expect("alter");
    assert!(!up_to_date(&run(&pipeline, &[])));
    assert_eq!(publication(&folder), made);
    manifest(0);

    // An extra file in the publication, a changed input, another date, the
    // store changed by another command, or `--recompute`: made again.
    std::fs::write(folder.join("notes.txt"), b"x").expect("extra");
    assert!(!up_to_date(&run(&pipeline, &[])));
    assert!(!folder.join("notes.txt").exists());
    assert!(up_to_date(&run(&pipeline, &[])));
    assert!(!up_to_date(&run(&pipeline, &["--recompute"])));
    assert!(up_to_date(&run(&pipeline, &[])));
    assert!(!up_to_date(&run(&pipeline, &["--today", "2025-06-30"])));
    assert!(!up_to_date(&run(&pipeline, &[])), "today changed back");
    let aggregated = yanpan(&[
        "aggregate",
        pipeline.to_str().expect("utf-8"),
        "--quarter",
        "2024Q3",
    ]);
    assert!(aggregated.status.success(), "{}", stderr(&aggregated));
    assert!(!up_to_date(&run(&pipeline, &[])), "the store changed");
    // One digit of the export changed, its size the same: read again,
    // though its hash was kept (store/.input_hashes.json).
    let export = dir.path().join("sample_data/petitions_2024.csv");
    let kept = std::fs::read_to_string(dir.path().join("store/.input_hashes.json"));
    assert!(
        kept.is_ok_and(|k| k.contains("petitions_2024.csv")),
        "the export's hash is kept"
    );
    let mut bytes = std::fs::read(&export).expect("read");
    let digit = bytes.iter().rposition(u8::is_ascii_digit).expect("a digit");
    bytes[digit] = if bytes[digit] == b'1' { b'2' } else { b'1' };
    std::fs::write(&export, bytes).expect("write");
    assert!(
        !up_to_date(&run(&pipeline, &[])),
        "same size, other content"
    );
    assert!(up_to_date(&run(&pipeline, &[])));
    crate::append_row(
        dir.path(),
        "petitions_2024.csv",
        "XF2024NEW0000001,2024-11-12,来电,检举控告,D02,,其他,土地规划,廉洁纪律,是,否,,反映某街道违规审批宅基地。,否,,",
    );
    assert!(!up_to_date(&run(&pipeline, &[])), "an input changed");
}

#[test]
fn an_unwritable_temporary_folder_is_named_and_the_last_publication_stands() {
    let dir = crate::TempDir::new();
    let pipeline = crate::sample_pipeline(dir.path());
    let missing = dir.path().join("no-such-folder");
    let o = Command::new(env!("CARGO_BIN_EXE_yanpan"))
        .args([
            "run",
            pipeline.to_str().expect("utf-8"),
            "--quarter",
            "2024Q4",
        ])
        .env("TMPDIR", &missing)
        .output()
        .expect("runs");
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains(&format!("temporary folder {}", missing.display())) && err.contains("TMPDIR"),
        "{err}"
    );
    assert!(
        !dir.path().join("reports/2024Q4").exists(),
        "nothing is published"
    );
}
