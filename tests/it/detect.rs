//! The concentration detector on a hand-made city: twenty streets of the
//! same size with the same steady petitions, one of which doubles in the
//! target quarter; its twin (same size, same history) does not.

use polars::prelude::*;
use yanpan::aggregate::UnitQuarter;
use yanpan::detect::concentration::ConcentrationSettings;
use yanpan::detect::{Concentration, DetectInput, Detector};
use yanpan::model::Quarter;

/// 20 streets × 13 quarters (2021Q4–2024Q4), 10 petitions a quarter each
/// give or take one; S00 has 30 in 2024Q4. The table spans the 24 quarters
/// the detector reads by default: the first eleven, before the data began,
/// hold nothing.
fn city() -> UnitQuarter {
    let quarters: Vec<Quarter> = "2019Q1".parse::<Quarter>().expect("q").range(24).collect();
    city_over(&quarters, 11)
}

/// 20 streets over `quarters`, with petitions from index `first` on (the
/// same counts as [`city`] there).
fn city_over(quarters: &[Quarter], first: usize) -> UnitQuarter {
    let last = quarters.len() - 1;
    let (mut id, mut name, mut level, mut parent, mut hc, mut q, mut n) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for u in 0..20u32 {
        for (t, quarter) in quarters.iter().enumerate() {
            id.push(format!("S{u:02}"));
            name.push(format!("第{u}街道"));
            level.push("street".to_string());
            parent.push("D1".to_string());
            hc.push(100i32);
            q.push(quarter.to_string());
            let steady = 10 + ((u as usize + t + 3 - first) % 3) as u32 - 1;
            n.push(match t {
                t if t < first => 0,
                t if u == 0 && t == last => 30,
                _ => steady,
            });
        }
    }
    let df = df!(
        "unit_id" => id,
        "name" => name,
        "level" => level,
        "parent_id" => parent,
        "headcount" => hc,
        "quarter" => q,
        "petitions" => n,
    )
    .expect("frame");
    UnitQuarter(df)
}

/// The sample pipeline with `[detect.concentration]` set to `extra`.
fn pipeline_with(extra: &str) -> yanpan::config::Pipeline {
    let text = format!(
        "[site]\nname = \"测试\"\n[store]\npath = \"store\"\n[[source]]\ndataset = \"units\"\npath = \"units.csv\"\n[detect.concentration]\n{extra}\n"
    );
    yanpan::config::Pipeline::from_toml(&text, std::path::Path::new("p.toml"))
        .expect("valid pipeline")
}

#[test]
fn windows_of_1_and_8_quarters_with_20_of_history_are_read_whole() {
    let p = pipeline_with("windows = [1, 8]\nwindow_weights = [0.5, 0.5]\nhistory_quarters = 20");
    let q4: Quarter = "2024Q4".parse().expect("q");
    // The tables span what the longest window and its history read.
    let span = yanpan::run::table_quarters(&p, q4);
    assert_eq!(span.len(), 28, "8 + 20 quarters");
    // `yanpan explain` prints what the detector reads.
    let explained = yanpan::detect::explain(&p.detect_settings(), "concentration").expect("known");
    assert!(
        explained.settings.contains(&(
            "quarters read (longest window + history)".into(),
            "28".into()
        )),
        "{explained}"
    );
    let t = city_over(&span, 0);
    let panel = yanpan::detect::panel::Panel::from_table(&t.0, "petitions").expect("panel");
    let s = &p.concentration;
    let tests = yanpan::detect::concentration::test_quarter(&panel, span.len() - 1, s, &s.min_p());
    assert_eq!(tests.tested.len(), 20, "every street tested");
    assert!(tests.untested.is_empty(), "{:?}", tests.untested);
    for u in &tests.tested {
        let seen: Vec<(usize, usize)> = u.windows.iter().map(|w| (w.window, w.history)).collect();
        assert_eq!(seen, [(1, 20), (8, 20)], "each window on its whole history");
    }
    // The detector refuses tables a quarter short rather than cut the history.
    let short = city_over(&span[1..], 0);
    let e = Concentration {
        settings: s.clone(),
    }
    .detect(&DetectInput {
        unit_quarter: &short,
        rollup: &short,
        person_quarter: &DataFrame::empty(),
        quarter: q4,
    })
    .expect_err("27 of 28 quarters");
    assert!(
        e.to_string().contains("hold 27 quarters") && e.to_string().contains("reads 28"),
        "{e}"
    );
}

#[test]
fn the_unit_that_triples_is_flagged_and_its_twin_is_not() {
    let t = city();
    let settings = ConcentrationSettings::default();
    let out = detected(&Concentration { settings }, &t);
    assert_eq!(out.scores.len(), 20, "every street is tested and scored");
    let flagged: Vec<&str> = out.flags.iter().map(|f| f.unit_id.as_str()).collect();
    assert_eq!(flagged, ["S00"], "only the street that tripled");
    let twin = out
        .scores
        .iter()
        .find(|s| s.unit_id == "S03")
        .expect("S03 has the same history as S00");
    assert!(!twin.flagged && twin.p > 0.1, "{twin:?}");
    let f = &out.flags[0];
    let e = &f.evidence;
    assert_eq!(e.observed, 30.0);
    assert!(
        (e.expected - 10.0).abs() < 1.0,
        "about 10 expected: {}",
        e.expected
    );
    // The sentence carries the flag's own numbers.
    for text in [
        "第0街道2024Q4信访举报30件".to_string(),
        format!("预期{:.1}件", e.expected),
        format!("高出{:.0}%", (e.observed / e.expected - 1.0) * 100.0),
        format!("q={:.3}", e.q_value),
    ] {
        assert!(
            f.sentence_zh.contains(&text),
            "{text} not in {}",
            f.sentence_zh
        );
    }
    assert!(f.sentence_en.contains("30 petitions"), "{}", f.sentence_en);
}

/// `detector` on table `t` (as its own figures and its roll-up) for 2024Q4.
fn detected(detector: &dyn Detector, t: &UnitQuarter) -> yanpan::detect::Outcome {
    detector
        .detect(&DetectInput {
            unit_quarter: t,
            rollup: t,
            person_quarter: &DataFrame::empty(),
            quarter: "2024Q4".parse().expect("q"),
        })
        .expect("detect")
}

/// Runs the binary from the repository root (the sample pipeline's
/// relative paths).
fn yanpan(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_yanpan"))
        .args(args)
        .current_dir(crate::root())
        .output()
        .expect("runs")
}

/// Runs `yanpan explain NAME` with the sample pipeline and checks that it
/// succeeds and prints every one of `wants`.
fn explained(name: &str, wants: &[&str]) {
    let out = yanpan(&["explain", name, "--pipeline", "pipelines/quarterly.toml"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    contains_all(&text, wants);
}

/// Asserts that `text` contains every one of `wants`.
fn contains_all(text: &str, wants: &[&str]) {
    for want in wants {
        assert!(text.contains(want), "{want} not in:\n{text}");
    }
}

#[test]
fn explain_prints_the_settings_in_force_and_refuses_an_unknown_detector() {
    explained(
        "concentration",
        &[
            "[detect.concentration] history_quarters = 20",
            "[detect.concentration] windows = [1, 2, 4]",
            "[detect.concentration] window_weights = [0.6, 0.3, 0.1]",
            "[detect.concentration] echo_cap_sd = 2.5",
            "quarters read (longest window + history) = 24",
            "peer expectation 10.0",
            "Benjamini-Hochberg",
        ],
    );
    explained(
        "subtree_rise",
        &[
            "[detect.subtree_rise] min_children = 5",
            "[detect.subtree_rise] child_cap_sd = 2",
            "pooled Z = 3.83",
        ],
    );
    let bad = yanpan(&["explain", "no_such_detector"]);
    assert_eq!(bad.status.code(), Some(2));
    let listed = String::from_utf8_lossy(&bad.stderr).into_owned();
    for name in [
        "concentration",
        "subtree_rise",
        "common_problem",
        "top_leader_clues",
        "rectification",
    ] {
        assert!(listed.contains(name), "{name} not listed: {listed}");
    }
}

/// The evaluation city's row for one setting, as numbers.
fn eval_row(table: &str, label: &str) -> Vec<f64> {
    let line = table
        .lines()
        .find(|l| l.starts_with(&format!("| {label}")))
        .unwrap_or_else(|| panic!("{label} not in:\n{table}"));
    line.split('|')
        .skip(2)
        .filter_map(|c| c.trim().trim_end_matches('%').parse().ok())
        .collect()
}

#[test]
fn on_the_evaluation_city_the_detector_is_calibrated_and_finds_large_spikes() {
    let out = yanpan(&["eval", "--seed", "3"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{table}");
    // null tested, FPR % (clean nulls), FPR % just after a spike, 2 SD,
    // 3 SD, 5 SD, all, rises, FDP, FDP per run, recall, false flags, seconds
    let r = eval_row(&table, "all units, history 20 quarters");
    assert!(r[0] > 10_000.0, "{r:?}");
    assert!(r[1] > 0.3 && r[1] < 1.5, "FPR at nominal 1%: {}%", r[1]);
    assert!(r[5] > 0.6, "5 SD spikes detected: {}", r[5]);
    assert!(r[5] > r[3], "bigger spikes are easier: {r:?}");
    assert!(
        r[8] < 0.2,
        "false-discovery proportion at q = 0.10: {}",
        r[8]
    );
    // What BH bounds, each level's runs averaged: q x the null share.
    assert!(r[9] > 0.0 && r[9] < 0.1, "FDP per BH run: {}", r[9]);
    // No echo: just after a spike, a null quarter is flagged about as
    // often as any null; without the cap, the longer windows echo it.
    assert!(r[2] < 1.5, "FPR just after a spike: {}%", r[2]);
    let uncapped = eval_row(&table, "all units, history 20, no echo cap");
    assert!(uncapped[2] > 3.0 * r[2].max(0.5), "{uncapped:?} vs {r:?}");
    assert!(
        r[7] >= uncapped[7] - 0.05,
        "rises kept: {r:?} vs {uncapped:?}"
    );
    // Most of the false-positive rate to the one-quarter window finds more
    // spikes than equal shares, and no test beats knowing the truth.
    let equal = eval_row(&table, "all units, history 20, windows [1, 2, 4] equally");
    assert!(r[6] > equal[6] - 0.02, "weighted {r:?} vs equal {equal:?}");
    let ceiling = eval_row(&table, "ceiling");
    assert!(ceiling[6] >= r[6], "ceiling {ceiling:?} vs {r:?}");
    assert!(
        (ceiling[1] - 1.0).abs() < 0.3,
        "the truth is calibrated: {ceiling:?}"
    );
    // Knowing the truth over the detector's windows, and over the windows
    // weighted for rises: calibrated too, and they catch rises.
    for windows in ["[1, 2, 4]", "[1, 2]"] {
        let row = eval_row(
            &table,
            &format!("ceiling: every unit's true mean and dispersion known, windows {windows}"),
        );
        assert!(
            (row[1] - 1.0).abs() < 0.3 && row[7] > 0.2,
            "{windows}: {row:?}"
        );
    }
    // Subtree rises: calibrated on parents without a cluster, and most
    // clusters of ten children at relative risk 2 caught within 2 quarters.
    // (null tested, FPR %, clusters, caught RR 2, RR 1.5, flagged RR 2, FDP)
    let all = eval_row(&table, "parents: all levels");
    assert!(all[0] > 500.0 && all[1] < 1.5, "{all:?}");
    assert!(all[2] >= 3.0 && all[3] >= 0.6, "{all:?}");
    // The decided targets close the output, each met or not.
    let (targets, bounds) = table
        .split("Targets (seeds 3;")
        .nth(1)
        .and_then(|t| t.split_once("What learning the level allows"))
        .expect("the targets table, then the bounds");
    let judged = |t: &str| {
        t.lines()
            .filter(|l| l.ends_with("| yes |") || l.ends_with("| no |"))
            .count()
    };
    assert_eq!(judged(targets), 9, "{targets}");
    // How far the spike, rise and recall targets and the FPR band can be
    // reached, the band from each level's history-ceiling row.
    assert_eq!(judged(bounds), 4, "{bounds}");
    assert!(
        bounds.contains("| FPR at nominal 1%: the one-quarter history ceiling's"),
        "{bounds}"
    );
    let community = eval_row(&table, "community: history ceiling, one-quarter window");
    assert!(community[0] > 1000.0 && community[1] < 1.5, "{community:?}");
    let learnt = eval_row(
        &table,
        "history ceiling: all but each unit's level known, learnt from its clean history (20 quarters), one-quarter window",
    );
    assert!(
        (learnt[1] - 1.0).abs() < 0.4 && learnt[6] <= ceiling[6] + 0.02,
        "the history ceiling is calibrated and no better than the truth: {learnt:?}"
    );
    assert!(
        targets.contains("| FPR at nominal 1% just after a spike <= 1.5% |"),
        "{targets}"
    );
}

/// `eval --out` leaves what other tools need to be scored on the same city
/// and printed beside yanpan: the counts, the plants, and the table's rows
/// with their roles, the same figures as the printed table.
#[test]
fn eval_out_writes_the_counts_the_plants_and_the_rows() {
    let dir = crate::TempDir::new();
    let path = dir.path().to_str().expect("utf-8");
    let out = yanpan(&[
        "eval",
        "--seed",
        "2",
        "--units",
        "200",
        "--quarters",
        "28",
        "--out",
        path,
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{table}");
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).expect(f);
    assert_eq!(read("counts.csv").lines().count(), 1 + 200 * 28);
    assert!(read("planted.csv").lines().count() > 10);
    let rows = read("yanpan_eval.csv");
    let role = |r: &str| -> Vec<String> {
        rows.lines()
            .filter(|l| l.starts_with(&format!("{r},")))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(role("default").len(), 1, "{rows}");
    assert_eq!(role("ceiling_one_quarter").len(), 1, "{rows}");
    assert_eq!(role("ceiling_windows").len(), 1, "{rows}");
    assert_eq!(role("ceiling_rises").len(), 1, "{rows}");
    // The default row: the table's "history 20 quarters" row, FPR as a
    // fraction against the table's percentage.
    let default = &role("default")[0];
    assert!(
        default.contains("\"all units, history 20 quarters\""),
        "{default}"
    );
    let fpr: f64 = default
        .rsplit("\",")
        .next()
        .and_then(|rest| rest.split(',').nth(1))
        .and_then(|v| v.parse().ok())
        .expect("fpr");
    let printed = eval_row(&table, "all units, history 20 quarters");
    assert!(
        (fpr * 100.0 - printed[1]).abs() < 0.006,
        "{fpr} vs {printed:?}"
    );
}

/// Ten streets with 20 petitions a quarter, 2 of them in construction;
/// S00 has 10 of its 20 in construction every quarter of 2024.
fn field_city() -> UnitQuarter {
    use yanpan::model::KeyField;
    let quarters: Vec<Quarter> = "2024Q1".parse::<Quarter>().expect("q").range(4).collect();
    let mut columns: Vec<(String, Vec<f64>)> = Vec::new();
    for src in ["petitions", "findings", "cases"] {
        for v in KeyField::VALUES {
            columns.push((format!("{src}_field_{}", v.code), Vec::new()));
        }
    }
    let (mut id, mut name, mut level, mut q) = (vec![], vec![], vec![], vec![]);
    for u in 0..10 {
        for quarter in &quarters {
            id.push(format!("S{u:02}"));
            name.push(format!("第{u}街道"));
            level.push("street");
            q.push(quarter.to_string());
            let construction = if u == 0 { 10.0 } else { 2.0 };
            for (c, v) in &mut columns {
                v.push(match c.as_str() {
                    "petitions_field_construction" => construction,
                    "petitions_field_other" => 20.0 - construction,
                    _ => 0.0,
                });
            }
        }
    }
    let mut cols = vec![
        Column::new("unit_id".into(), id),
        Column::new("name".into(), name),
        Column::new("level".into(), level),
        Column::new("quarter".into(), q),
    ];
    cols.extend(columns.into_iter().map(|(c, v)| Column::new(c.into(), v)));
    UnitQuarter(DataFrame::new(40, cols).expect("frame"))
}

#[test]
fn key_field_flags_the_unit_whose_share_stands_out_and_not_its_twin() {
    use yanpan::detect::key_field::KeyFieldRisk;
    let t = field_city();
    let out = detected(&KeyFieldRisk::default(), &t);
    let flagged: Vec<(&str, &str)> = out
        .flags
        .iter()
        .map(|f| (f.unit_id.as_str(), f.sentence_zh.as_str()))
        .collect();
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    let (unit, sentence) = flagged[0];
    assert_eq!(unit, "S00");
    // 40 of 80 (50.0%) against the pooled (40 + 9 x 8) of 800 (14.0%).
    contains_all(
        sentence,
        &[
            "工程建设领域信访举报占比50.0%（40/80件）",
            "同层级单位为14.0%",
        ],
    );
    let twin = out
        .scores
        .iter()
        .find(|s| {
            s.unit_id == "S01" && s.unit_name.contains("工程建设") && s.unit_name.contains("信访")
        })
        .expect("S01 tested");
    assert!(!twin.flagged && twin.p > 0.3, "{twin:?}");
}

#[test]
fn prominent_complaints_flag_the_leader_named_far_above_their_peers_and_not_the_twin() {
    use yanpan::detect::prominent::ProminentComplaints;
    let quarters: Vec<String> = "2024Q1"
        .parse::<Quarter>()
        .expect("q")
        .range(4)
        .map(|q| q.to_string())
        .collect();
    let (mut uid, mut uname, mut level, mut uq_q, mut petitions) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut pid, mut punit, mut role, mut pq_q, mut named, mut signed, mut repeat) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for b in 0..8u32 {
        for q in &quarters {
            uid.push(format!("B{b}"));
            uname.push(format!("市第{b}局"));
            level.push("bureau");
            uq_q.push(q.clone());
            petitions.push(100u32);
            pid.push(format!("P{b}"));
            punit.push(format!("B{b}"));
            role.push("top_leader");
            pq_q.push(q.clone());
            named.push(if b == 0 { 25u32 } else { 5 + b % 2 });
            signed.push(if b == 0 { 10u32 } else { 1 });
            repeat.push(0u32);
        }
    }
    let t = UnitQuarter(
        df!("unit_id" => uid, "name" => uname, "level" => level, "quarter" => uq_q, "petitions" => petitions)
            .expect("units"),
    );
    let people = df!(
        "person_id" => pid, "unit_id" => punit, "role" => role, "quarter" => pq_q,
        "petitions" => named, "petitions_signed" => signed, "petitions_repeat" => repeat
    )
    .expect("people");
    let out = ProminentComplaints::default()
        .detect(&DetectInput {
            unit_quarter: &t,
            rollup: &t,
            person_quarter: &people,
            quarter: "2024Q4".parse().expect("q"),
        })
        .expect("detect");
    let flagged: Vec<&str> = out
        .flags
        .iter()
        .filter_map(|f| f.person_id.as_deref())
        .collect();
    assert_eq!(flagged, ["P0"], "{:?}", out.flags);
    let s = &out.flags[0].sentence_zh;
    contains_all(
        s,
        &[
            "市第0局一把手（P0）",
            "4个季度被信访举报反映，共100件（署名40件",
            "占该单位信访举报的25.0%",
        ],
    );
    let twin = out
        .scores
        .iter()
        .find(|s| s.unit_id == "B2")
        .expect("B2 tested");
    assert!(!twin.flagged, "{twin:?}");
}

#[test]
fn risk_weights_come_from_the_pipeline_file_and_an_unknown_detector_is_refused() {
    explained(
        "risk_score",
        &[
            "[detect.risk_score] weights.top_leader_clues = 4",
            "[detect.risk_score] threshold = 6",
        ],
    );
    let dir = crate::TempDir::new();
    let original =
        std::fs::read_to_string(crate::root().join("pipelines/quarterly.toml")).expect("read");
    let bad = original.replace("conversion = 2 }", "conversion = 2, rumours = 9 }");
    assert_ne!(bad, original, "the sample pipeline sets the weights");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, bad).expect("write");
    let out = yanpan(&[
        "explain",
        "risk_score",
        "--pipeline",
        path.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no detector rumours") && err.contains("prominent_complaints"),
        "{err}"
    );
}

/// Ten streets with 30 petitions a quarter; nine turn 3 a quarter into
/// cases, S00 none at all.
fn conversion_city() -> UnitQuarter {
    let quarters: Vec<Quarter> = "2024Q1".parse::<Quarter>().expect("q").range(4).collect();
    let (mut id, mut name, mut level, mut q, mut petitions, mut from) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for u in 0..10u32 {
        for quarter in &quarters {
            id.push(format!("S{u:02}"));
            name.push(format!("第{u}街道"));
            level.push("street");
            q.push(quarter.to_string());
            petitions.push(30u32);
            from.push(if u == 0 { 0u32 } else { 3 });
        }
    }
    UnitQuarter(
        df!("unit_id" => id, "name" => name, "level" => level, "quarter" => q,
            "petitions" => petitions, "cases_source_petition" => from)
        .expect("frame"),
    )
}

#[test]
fn low_conversion_flags_the_unit_that_follows_up_nothing_and_not_its_twin() {
    use yanpan::detect::conversion::LowConversion;
    let t = conversion_city();
    let out = detected(&LowConversion::default(), &t);
    let flagged: Vec<&str> = out.flags.iter().map(|f| f.unit_id.as_str()).collect();
    assert_eq!(flagged, ["S00"]);
    // 0 of 120 against the pooled 108 of 1,200 (9.0%): 10.8 expected.
    contains_all(
        &out.flags[0].sentence_zh,
        &[
            "受理信访举报120件",
            "立案0件",
            "同层级单位为9.0%",
            "应约10.8件",
        ],
    );
    let twin = out
        .scores
        .iter()
        .find(|s| s.unit_id == "S01")
        .expect("S01 tested");
    assert!(!twin.flagged && twin.p > 0.3, "{twin:?}");
    explained("conversion", &["[detect.conversion] min_petitions = 20"]);
    explained("link", &["[link] window_days = 180", "one matter"]);
    explained("chain", &["[chain] window_days = 730", "来源信访件编号"]);
    explained(
        "rotation",
        &["[rotation] overdue_years = 10", "rotation due"],
    );
    explained(
        "supervision",
        &[
            "[supervision] appointment_talk_days = 30",
            "[supervision] bodies = discipline, organisation",
            "任职廉政谈话",
        ],
    );
}

/// The sample's 5 SD spike (ground_truth.csv) is flagged in its quarter,
/// and the flag's sentence carries the quarter's count.
#[test]
fn the_planted_five_sd_spike_of_the_sample_is_flagged() {
    let truth = std::fs::read_to_string(crate::root().join("sample_data/ground_truth.csv"))
        .expect("ground truth");
    let spike: Vec<&str> = truth
        .lines()
        .find(|l| l.starts_with("concentration_spike,") && l.contains(",2024Q3,2024Q3,5,"))
        .expect("a 5 SD spike in 2024Q3")
        .split(',')
        .collect();
    let (unit, name) = (spike[1], spike[2]);
    let dir = crate::TempDir::new();
    let pipeline = crate::sample_pipeline(dir.path());
    let out = crate::yanpan(&[
        "run",
        pipeline.to_str().expect("utf-8"),
        "--quarter",
        "2024Q3",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flags =
        yanpan::store::read_parquet(&dir.path().join("reports/2024Q3/tables/flags.parquet"))
            .expect("flags");
    let hit = flags
        .lazy()
        .filter(
            col("detector")
                .eq(lit("concentration"))
                .and(col("unit_id").eq(lit(unit))),
        )
        .collect()
        .expect("filter");
    assert_eq!(hit.height(), 1, "{unit} {name} not flagged");
    let observed = hit
        .column("observed")
        .expect("observed")
        .f64()
        .expect("f64")
        .get(0);
    let sentence = hit
        .column("sentence_zh")
        .expect("sentence")
        .str()
        .expect("str")
        .get(0);
    let (observed, sentence) = (observed.expect("observed"), sentence.expect("sentence"));
    assert!(
        sentence.starts_with(&format!("{name}2024Q3信访举报{observed}件")),
        "{sentence}"
    );
}

/// The sample's planted cluster rise (ground_truth.csv: every street of a
/// district at relative risk 2 in 2024Q3–Q4) is flagged in 2024Q4, and
/// its sentence says how many of the units below rose. `scores.parquet`
/// holds every window's evidence and every unit the concentration
/// detector did not test, with the reason and no p; the report says how
/// many were not tested and why.
#[test]
fn the_sample_cluster_rise_is_flagged_and_every_window_is_in_the_scores() {
    let truth = std::fs::read_to_string(crate::root().join("sample_data/ground_truth.csv"))
        .expect("ground truth");
    let cluster: Vec<&str> = truth
        .lines()
        .find(|l| l.starts_with("cluster_rise,"))
        .expect("a cluster rise")
        .split(',')
        .collect();
    let (unit, name) = (cluster[1], cluster[2]);
    let published = crate::published_sample();
    let tables = published.publication().join("tables");
    let flags = yanpan::store::read_parquet(&tables.join("flags.parquet")).expect("flags");
    let hit = flags
        .lazy()
        .filter(
            col("detector")
                .eq(lit("subtree_rise"))
                .and(col("unit_id").eq(lit(unit))),
        )
        .collect()
        .expect("filter");
    assert_eq!(hit.height(), 1, "{unit} {name} not flagged");
    let sentence = hit
        .column("sentence_zh")
        .expect("s")
        .str()
        .expect("str")
        .get(0);
    let sentence = sentence.expect("sentence");
    assert!(
        sentence.starts_with(name)
            && sentence.contains("下辖")
            && sentence.contains("个信访举报高于预期"),
        "{sentence}"
    );
    let scores = yanpan::store::read_parquet(&tables.join("scores.parquet")).expect("scores");
    let conc = scores
        .lazy()
        .filter(col("detector").eq(lit("concentration")))
        .collect()
        .expect("filter");
    for w in [1, 2, 4] {
        for c in ["observed", "expected", "p"] {
            let column = conc.column(&format!("{c}_{w}q")).expect("window column");
            assert!(column.null_count() < conc.height(), "{c}_{w}q all empty");
        }
    }
    // The city has no peers: not tested, with its reason and no p.
    let untested = conc
        .clone()
        .lazy()
        .filter(col("not_tested").is_not_null())
        .collect()
        .expect("filter");
    assert!(untested.height() >= 1, "the city is listed");
    let reason = untested
        .column("not_tested")
        .expect("c")
        .str()
        .expect("s")
        .get(0);
    assert_eq!(reason, Some("few_peers"));
    assert_eq!(
        untested
            .column("p")
            .expect("p")
            .f64()
            .expect("f")
            .get(0)
            .map(f64::is_nan),
        Some(true)
    );
    let report = std::fs::read_to_string(published.publication().join("thematic/petitions.md"))
        .expect("report");
    assert!(
        report.contains(&format!(
            "另有{}个单位未作检验：同层级单位不足3个（",
            untested.height()
        )),
        "{report}"
    );
}
