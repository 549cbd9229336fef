//! What carrying yanpan into an isolated network needs: a binary that
//! links only the C runtime, no crate that links a system library, a run
//! without network or fontconfig, and a store that says its format.

use std::process::Command;

use crate::{TempDir, published_sample, run_2024q4, sample_pipeline};

/// The shared libraries any Linux program may need: the C runtime, the
/// maths library, the unwinder and the loader.
const RUNTIME: &[&str] = &[
    "linux-vdso",
    "libc.so",
    "libm.so",
    "libgcc_s.so",
    "ld-linux",
];

#[test]
fn the_binary_links_only_the_c_runtime() {
    let out = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_yanpan"))
        .output()
        .expect("ldd (part of the C library) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("libc.so"), "{text}");
    let others: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !RUNTIME.iter().any(|r| l.contains(r)))
        .collect();
    assert!(
        others.is_empty(),
        "system libraries beyond the C runtime: {others:?}"
    );
}

/// `-sys` crates in the tree that link no system library: they compile
/// their bundled C sources into the binary, or are Rust bindings to the
/// kernel or libc.
const SELF_CONTAINED_SYS: &[&str] = &[
    "dirs-sys",        // calls libc's getpwuid_r
    "libmimalloc-sys", // builds the bundled mimalloc
    "linux-raw-sys",   // kernel constants, no library
    "lz4-sys",         // builds the bundled lz4
    "zstd-sys",        // builds the bundled zstd (no `pkg-config` feature)
];

/// `cargo tree ARGS` of this package, offline, as text; fails the test
/// unless it succeeded and names `expect`.
fn cargo_tree(args: &[&str], expect: &str) -> String {
    let out = Command::new(env!("CARGO"))
        .arg("tree")
        .args(args)
        .args(["--offline", "--locked", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("cargo tree runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && text.contains(expect),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn no_dependency_links_a_system_library() {
    let text = cargo_tree(&["-e", "normal", "--prefix", "none"], "polars");
    let mut sys: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| name.ends_with("-sys"))
        .collect();
    sys.sort_unstable();
    sys.dedup();
    let unknown: Vec<&&str> = sys
        .iter()
        .filter(|s| !SELF_CONTAINED_SYS.contains(s))
        .collect();
    assert!(
        unknown.is_empty(),
        "-sys crates not known to be self-contained: {unknown:?}; check what each links (`ldd`) before adding it to SELF_CONTAINED_SYS"
    );
    for banned in [
        "font-kit",
        "freetype",
        "servo-fontconfig",
        "yeslogic-fontconfig-sys",
    ] {
        assert!(!text.contains(banned), "{banned} is in the tree");
    }
    // Only the `pkg-config` feature of zstd-sys would link the system's.
    let features = cargo_tree(&["-e", "features", "-i", "zstd-sys"], "zstd-sys");
    assert!(!features.contains("pkg-config"), "{features}");
}

/// Whether this machine lets an unprivileged test make a network
/// namespace.
fn unshare_works() -> bool {
    Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_sample_runs_without_network_or_fontconfig() {
    let dir = TempDir::new();
    let pipeline = sample_pipeline(dir.path());
    let isolated = unshare_works();
    let mut cmd = if isolated {
        let mut c = Command::new("unshare");
        c.arg("-n").arg(env!("CARGO_BIN_EXE_yanpan"));
        c
    } else {
        eprintln!("unshare -n is not allowed here: the run has the network but no fontconfig");
        Command::new(env!("CARGO_BIN_EXE_yanpan"))
    };
    let out = cmd
        .args([
            "run",
            pipeline.to_str().expect("utf-8"),
            "--quarter",
            "2024Q4",
        ])
        .args(["--today", "2025-01-15"])
        .env("FONTCONFIG_FILE", "/nonexistent")
        .env("HOME", dir.path())
        .env_remove("XDG_CACHE_HOME")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "isolated run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same charts, byte for byte, as the run with the machine's own
    // configuration: the font comes from the binary.
    let ours = dir.path().join("reports/2024Q4/charts");
    let shared = published_sample().publication().join("charts");
    let mut compared = 0;
    for e in std::fs::read_dir(&shared).expect("charts") {
        let path = e.expect("entry").path();
        if path.extension().is_some_and(|x| x == "png") {
            let name = path.file_name().expect("name");
            assert_eq!(
                std::fs::read(&path).expect("png"),
                std::fs::read(ours.join(name)).expect("the isolated run drew it too"),
                "{name:?} differs without fontconfig"
            );
            compared += 1;
        }
    }
    assert!(compared >= 10, "only {compared} charts compared");
    let pdf = std::fs::read(dir.path().join("reports/2024Q4/thematic/petitions.pdf")).expect("pdf");
    assert!(crate::reports::pdf_text(&pdf).contains("信访举报"));
}

#[test]
fn a_store_of_a_newer_format_is_refused_by_name() {
    let published = published_sample();
    let marker = published.dir.join("store/store.json");
    let text = std::fs::read_to_string(&marker).expect("the run marks its store");
    let current: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(current["format"], 1, "{text}");
    assert_eq!(current["written_by"], env!("CARGO_PKG_VERSION"), "{text}");

    let copy = crate::published_copy();
    let marker = copy.path().join("store/store.json");
    std::fs::write(&marker, r#"{"format": 99, "written_by": "9.0.0"}"#).expect("write");
    let out = run_2024q4(
        &copy.path().join("quarterly.toml"),
        &["--today", "2025-01-15"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a newer store was read");
    assert!(
        stderr.contains("format 99")
            && stderr.contains("9.0.0")
            && stderr.contains(&marker.parent().expect("store").display().to_string()),
        "{stderr}"
    );
    assert!(
        std::fs::read_to_string(&marker)
            .expect("marker")
            .contains("99"),
        "the newer store was marked over"
    );
}
