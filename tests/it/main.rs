//! Integration tests: one crate, one module per stage or command.

mod aggregate;
mod charts;
mod deploy;
mod detect;
mod end_to_end;
mod flag_history;
mod follow_up;
mod fuzz;
mod ingest_rules;
mod ingest_sample;
mod matters;
mod oversight;
mod pdf_text;
mod reliability;
mod reports;
mod rollup;
mod sample;
mod scheduled;
mod store_cmds;
mod synth;

use std::path::{Path, PathBuf};

/// A temporary folder removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl Default for TempDir {
    fn default() -> Self {
        Self::new()
    }
}

impl TempDir {
    pub fn new() -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "yanpan-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A pipeline file in `dir` that reads the shipped sample data and writes
/// its store and reports inside `dir`.
pub fn sample_pipeline(dir: &Path) -> PathBuf {
    let text =
        std::fs::read_to_string(root().join("pipelines/quarterly.toml")).expect("sample pipeline");
    let sample = root().join("sample_data");
    let text = text
        .replace("\"../sample_data/", &format!("\"{}/", sample.display()))
        .replace(
            "\"demo-reporter.key\"",
            &format!(
                "\"{}\"",
                root().join("pipelines/demo-reporter.key").display()
            ),
        )
        .replace("\"../store\"", "\"store\"")
        .replace("\"../reports\"", "\"reports\"");
    let path = dir.join("quarterly.toml");
    std::fs::write(&path, text).expect("write pipeline");
    path
}

/// The sample's 2024Q4 publication (today 2025-01-15), run once per test
/// process and shared by the tests that only read it.
#[derive(Debug)]
pub struct Published {
    /// The folder holding `quarterly.toml`, `store/` and `reports/`.
    pub dir: PathBuf,
    pub output: std::process::Output,
}

impl Published {
    pub fn pipeline(&self) -> PathBuf {
        self.dir.join("quarterly.toml")
    }

    pub fn publication(&self) -> PathBuf {
        self.dir.join("reports/2024Q4")
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

/// The shared publication of the sample (see [`Published`]).
pub fn published_sample() -> &'static Published {
    static SHARED: std::sync::OnceLock<Published> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        // One folder per test process; those of processes that are gone
        // are removed.
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        for e in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("published-sample-")
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let dir = tmp.join(format!("published-sample-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("shared folder");
        let pipeline = sample_pipeline(&dir);
        let output = run_2024q4(&pipeline, &["--today", "2025-01-15"]);
        assert!(
            output.status.success(),
            "the shared sample run failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Published { dir, output }
    })
}

/// A copy of the shared publication's folder (pipeline, store, reports) in
/// a new temporary folder, for a test that runs again on it.
pub fn published_copy() -> TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("folder");
        for e in std::fs::read_dir(from).expect("read folder") {
            let e = e.expect("entry");
            let target = to.join(e.file_name());
            if e.file_type().expect("type").is_dir() {
                copy(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), &target).expect("copy");
            }
        }
    }
    let dir = TempDir::new();
    copy(&published_sample().dir, dir.path());
    dir
}

/// Runs the yanpan binary with `args`.
pub fn yanpan(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_yanpan"))
        .args(args)
        .output()
        .expect("runs")
}

/// `yanpan run PIPELINE --quarter 2024Q4 EXTRA…`.
pub fn run_2024q4(pipeline: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        pipeline.to_str().expect("utf-8"),
        "--quarter",
        "2024Q4",
    ];
    args.extend(extra);
    yanpan(&args)
}

/// A pipeline in `dir` over a copy of the sample data in `dir/sample_data`
/// (for tests that change an export).
pub fn copied_sample_pipeline(dir: &Path) -> PathBuf {
    let data = dir.join("sample_data");
    std::fs::create_dir_all(&data).expect("dir");
    for e in std::fs::read_dir(root().join("sample_data")).expect("sample") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), data.join(e.file_name())).expect("copy");
    }
    let pipeline = sample_pipeline(dir);
    let text = std::fs::read_to_string(&pipeline).expect("pipeline");
    let text = text.replace(
        &format!("{}/", root().join("sample_data").display()),
        &format!("{}/", data.display()),
    );
    std::fs::write(&pipeline, text).expect("write pipeline");
    pipeline
}

/// Appends `line` (CSV, no newline) to the copied sample's `file`.
pub fn append_row(dir: &Path, file: &str, line: &str) {
    let path = dir.join("sample_data").join(file);
    let mut text = std::fs::read_to_string(&path).expect("csv");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(line);
    text.push('\n');
    std::fs::write(&path, text).expect("write");
}

/// Publishes `quarters` in turn from the pipeline in `dir` (today
/// 2025-01-15), each run required to succeed.
pub fn publish(dir: &Path, quarters: &[&str]) {
    let pipeline = dir.join("quarterly.toml");
    for q in quarters {
        let out = yanpan(&[
            "run",
            pipeline.to_str().expect("utf-8"),
            "--quarter",
            q,
            "--today",
            "2025-01-15",
        ]);
        assert!(
            out.status.success(),
            "{q}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A number column by quarter (the table's `quarter` column).
pub fn by_quarter(
    df: &polars::prelude::DataFrame,
    column: &str,
) -> std::collections::BTreeMap<String, f64> {
    use polars::prelude::DataType;
    let values = df
        .column(column)
        .expect(column)
        .cast(&DataType::Float64)
        .expect("numbers");
    df.column("quarter")
        .expect("quarter")
        .str()
        .expect("text")
        .iter()
        .zip(values.f64().expect("f64").iter())
        .filter_map(|(q, v)| Some((q?.to_string(), v?)))
        .collect()
}

/// A text column as strings (a null as "").
pub fn texts(df: &polars::prelude::DataFrame, c: &str) -> Vec<String> {
    df.column(c)
        .expect(c)
        .str()
        .expect("text")
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect()
}

/// Every file's rows are accounted for: read = accepted + quarantined.
pub fn accounted(ing: &yanpan::ingest::Ingested) {
    for s in &ing.sources {
        assert_eq!(
            s.rows_read,
            s.rows_accepted + s.rows_quarantined,
            "{}",
            s.file.display()
        );
    }
}
