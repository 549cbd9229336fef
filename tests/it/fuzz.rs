//! A fuzzing harness for the readers: random and mutated CSV, Excel and
//! NDJSON bytes (bit flips, inserted delimiters, unbalanced quotes, quotes
//! inside unquoted fields, CR-only and CRLF line ends, a BOM in the middle,
//! cut and repeated pieces) go through reading, header mapping and
//! coercion. An `Err` is fine when it names the file; a load must account
//! for every row it read (accepted, rejected with a reason); a panic is a
//! bug.
//!
//! Parquet is left out: polars' Parquet decoder can abort the process on a
//! corrupt file (it tries to allocate a size read from damaged metadata),
//! which no caller can catch. yanpan decodes Parquet on the calling thread
//! and turns the decoder's panics into an error naming the file. It runs for `YANPAN_FUZZ_SECONDS`
//! (default 600):
//!
//! ```sh
//! cargo test --release --test it fuzz_readers -- --ignored --nocapture
//! ```
//!
//! A panicking input is saved under the system temp folder and named in
//! the failure message.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use yanpan::ingest::{self, Pseudonymiser};
use yanpan::ingest::{Encoding, Format, Source, default_totals_labels};
use yanpan::model::Dataset;

const SPECIAL: &[&[u8]] = &[
    b",",
    b"\"",
    b"\n",
    b"\r\n",
    b"\t",
    b";",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\x81\x40",
    b"\xC3",
    b"\xE4\xBD",
    b"0",
    b"-",
    b"=",
    b"2024-02-30",
    b"45356",
    b"\xEF\xBC\x91",
    b"\x00",
    b"\r",
    b"\"\"",
    b"\n\"",
    b",\"",
    b"\"\n",
    b"\xEF\xBB\xBF\n",
];

fn mutate(rng: &mut ChaCha8Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..rng.random_range(1..8) {
        let len = b.len().max(1);
        match rng.random_range(0..9) {
            0 if !b.is_empty() => {
                let i = rng.random_range(0..b.len());
                b[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let i = rng.random_range(0..=b.len());
                let s = SPECIAL[rng.random_range(0..SPECIAL.len())];
                b.splice(i..i, s.iter().copied());
            }
            2 if !b.is_empty() => {
                let i = rng.random_range(0..b.len());
                let j = (i + rng.random_range(0..64)).min(b.len());
                b.drain(i..j);
            }
            3 if !b.is_empty() => {
                let i = rng.random_range(0..b.len());
                let j = (i + rng.random_range(0..256)).min(b.len());
                let chunk = b[i..j].to_vec();
                let k = rng.random_range(0..=b.len());
                b.splice(k..k, chunk);
            }
            4 => b.truncate(rng.random_range(0..len)),
            5 => {
                let n = rng.random_range(0..64);
                let i = rng.random_range(0..=b.len());
                let noise: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                b.splice(i..i, noise);
            }
            // Line ends as another system writes them: CR only, or CRLF.
            6 => {
                b = b
                    .iter()
                    .map(|&c| if c == b'\n' { b'\r' } else { c })
                    .collect()
            }
            7 => {
                b = b
                    .iter()
                    .flat_map(|&c| {
                        if c == b'\n' {
                            vec![b'\r', b'\n']
                        } else {
                            vec![c]
                        }
                    })
                    .collect()
            }
            _ => {}
        }
    }
    b
}

/// A well-formed units CSV written the ways exports write them: title rows,
/// empty lines, quoted names with delimiters, quotes and line breaks in
/// them, LF, CRLF or CR line ends. It must load whole.
fn well_formed_units(rng: &mut ChaCha8Rng) -> (String, u64) {
    let end = ["\n", "\r\n", "\r"][rng.random_range(0..3)];
    let mut text = String::new();
    for _ in 0..rng.random_range(0..3) {
        text.push_str("组织单位台账");
        text.push_str(end);
    }
    text.push_str("单位编码,单位名称,上级单位编码,层级,干部职工人数");
    text.push_str(end);
    let n = rng.random_range(1..40);
    for i in 0..n {
        if rng.random_bool(0.2) {
            text.push_str(end);
        }
        let name = match rng.random_range(0..4) {
            0 => format!("单位{i}"),
            1 => format!("\"单位{i}，含逗号,\""),
            2 => format!("\"单位{i}\"\"引号\"\"\""),
            _ => format!("\"单位{i}{end}第二行\""),
        };
        let parent = if i == 0 { String::new() } else { "U0".into() };
        text.push_str(&format!("U{i},{name},{parent},街道乡镇,{}", 10 + i));
        text.push_str(end);
    }
    (text, n)
}

/// An in-memory workbook with a title row and random cells.
fn random_xlsx(rng: &mut ChaCha8Rng, headers: &[&str]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let _ = ws.write_string(0, 0, "标题");
    for (c, h) in headers.iter().enumerate() {
        if rng.random_bool(0.9) {
            let _ = ws.write_string(1 + u32::from(rng.random_bool(0.2)), c as u16, *h);
        }
    }
    for r in 2..rng.random_range(3..40u32) {
        for c in 0..headers.len() as u16 + 1 {
            let _ = match rng.random_range(0..6) {
                0 => ws.write_number(r, c, rng.random_range(-1e6..1e6)),
                1 => ws.write_number(r, c, f64::from(rng.random_range(0..100_000u32))),
                2 => ws.write_boolean(r, c, rng.random()),
                3 => ws.write_string(
                    r,
                    c,
                    String::from_utf8_lossy(SPECIAL[rng.random_range(0..SPECIAL.len())]).as_ref(),
                ),
                4 => ws.write_string(r, c, "2024年3月5日"),
                _ => continue,
            };
        }
    }
    wb.save_to_buffer().unwrap_or_default()
}

fn source(dataset: Dataset) -> Source {
    Source {
        dataset,
        pattern: String::new(),
        format: None,
        encoding: Encoding::Auto,
        sheet: None,
        columns: Default::default(),
        totals_labels: default_totals_labels(),
        delimiter: None,
        header_row: None,
        skip_footer: 0,
        values: Default::default(),
    }
}

#[test]
#[ignore = "long-running fuzzing harness; see the module docs"]
fn fuzz_readers() {
    let seconds: u64 = std::env::var("YANPAN_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let dir = crate::root().join("tests/fixtures/ingest");
    let mut seeds: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_none_or(|e| e != "parquet"))
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect();
    seeds.sort();
    let key = Pseudonymiser::new(b"fuzzing-key-0123456789").expect("key");
    let mut rng = ChaCha8Rng::seed_from_u64(
        std::env::var("YANPAN_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1),
    );
    let start = Instant::now();
    let (mut runs, mut ok) = (0u64, 0u64);
    while start.elapsed() < Duration::from_secs(seconds) {
        if rng.random_range(0..10) == 0 {
            // A well-formed export must load whole, every row accepted.
            let (text, n) = well_formed_units(&mut rng);
            let loaded = ingest::load_bytes(
                &PathBuf::from("units.csv"),
                text.clone().into_bytes(),
                &source(Dataset::Units),
                Some(&key),
            );
            match loaded {
                Ok(l) if l.report.rows_read == n && l.rejected.is_empty() => ok += 1,
                other => {
                    let saved = std::env::temp_dir().join("yanpan-fuzz-well-formed.csv");
                    let _ = std::fs::write(&saved, &text);
                    panic!(
                        "a well-formed export of {n} rows did not load whole (saved as {}): {:?}",
                        saved.display(),
                        other.map(|l| (l.report.rows_read, l.rejected.len()))
                    );
                }
            }
            runs += 1;
            continue;
        }
        let dataset = Dataset::ALL[rng.random_range(0..Dataset::ALL.len())];
        let (path, bytes) = match rng.random_range(0..10) {
            0 => (
                PathBuf::from("random.csv"),
                (0..rng.random_range(0..512))
                    .map(|_| rng.random())
                    .collect::<Vec<u8>>(),
            ),
            1 | 2 => {
                let headers: Vec<&str> = dataset.columns().iter().map(|c| c.zh).collect();
                (
                    PathBuf::from("random.xlsx"),
                    random_xlsx(&mut rng, &headers),
                )
            }
            _ => {
                let (p, seed) = &seeds[rng.random_range(0..seeds.len())];
                (p.clone(), mutate(&mut rng, seed))
            }
        };
        let mut src = source(dataset);
        if rng.random_bool(0.1) {
            src.format = Some(
                [Format::Csv, Format::Xlsx, Format::Ndjson, Format::Parquet]
                    [rng.random_range(0..4)],
            );
        }
        let name = path.display().to_string();
        let result = catch_unwind(AssertUnwindSafe(|| {
            match ingest::load_bytes(&path, bytes.clone(), &src, Some(&key)) {
                Ok(l) => {
                    // Every row read is in the table or rejected with a reason.
                    let rejected_rows: std::collections::BTreeSet<(Option<&String>, u64)> = l
                        .rejected
                        .iter()
                        .map(|r| (r.sheet.as_ref(), r.row))
                        .collect();
                    assert!(
                        l.frame.height() as u64 + rejected_rows.len() as u64 >= l.report.rows_read,
                        "{name}: rows read {} > kept {} + rejected {}",
                        l.report.rows_read,
                        l.frame.height(),
                        rejected_rows.len()
                    );
                    true
                }
                Err(e) => {
                    assert!(
                        e.to_string().contains(&name) || e.to_string().contains("column"),
                        "{name}: {e}"
                    );
                    false
                }
            }
        }));
        match result {
            Ok(true) => ok += 1,
            Ok(false) => {}
            Err(_) => {
                let saved = std::env::temp_dir().join(format!(
                    "yanpan-fuzz-crash-{runs}-{}",
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                ));
                let _ = std::fs::write(&saved, &bytes);
                panic!(
                    "panic on input saved as {} (dataset {dataset})",
                    saved.display()
                );
            }
        }
        runs += 1;
    }
    println!("fuzz: {runs} inputs in {seconds} s, {ok} read without error, no panic");
    assert!(runs > 0);
}
