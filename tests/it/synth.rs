//! `yanpan synth`: determinism, and planted signals that really stand out.

use std::collections::BTreeMap;

use yanpan::model::Quarter;
use yanpan::synth::{self, Case, Finding, Petition, Plant, Sink, SynthSpec, Truth, World};

fn spec(seed: u64) -> SynthSpec {
    SynthSpec {
        seed,
        first: "2022Q1".parse().expect("quarter"),
        quarters: 12,
        scale: 0.15,
        units: None,
    }
}

fn files(dir: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| {
            let p = e.expect("entry").path();
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                std::fs::read(&p).expect("read"),
            )
        })
        .collect()
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let (a, b, c) = (
        crate::TempDir::new(),
        crate::TempDir::new(),
        crate::TempDir::new(),
    );
    yanpan::app::synth(&spec(7), a.path(), false).expect("synth a");
    yanpan::app::synth(&spec(7), b.path(), false).expect("synth b");
    yanpan::app::synth(&spec(8), c.path(), false).expect("synth c");
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    let names: Vec<&String> = fa.keys().collect();
    for want in [
        "units.csv",
        "leaders.csv",
        "petitions_2022.csv",
        "petitions_2023.csv",
        "petitions_2024.csv",
        "findings_2022.xlsx",
        "findings_2024.xlsx",
        "cases.csv",
        "ground_truth.csv",
    ] {
        assert!(fa.contains_key(want), "{want} missing from {names:?}");
    }
    assert_eq!(fa, fb, "same seed must give byte-identical files");
    assert_ne!(fa["petitions_2024.csv"], fc["petitions_2024.csv"]);
}

#[test]
fn the_export_looks_like_real_exports() {
    let dir = crate::TempDir::new();
    yanpan::app::synth(&spec(7), dir.path(), false).expect("synth");
    let f = files(dir.path());
    // 2022 in GBK: not UTF-8, decodes as GBK with the older header.
    assert!(std::str::from_utf8(&f["petitions_2022.csv"]).is_err());
    let (text, _, bad) = encoding_rs::GBK.decode(&f["petitions_2022.csv"]);
    assert!(
        !bad && text.starts_with("信访件编号,收件日期,"),
        "{}",
        &text[..40]
    );
    // 2023 with a BOM, 2024 plain UTF-8 with the contract's labels.
    assert!(f["petitions_2023.csv"].starts_with(b"\xEF\xBB\xBF"));
    assert!(
        std::str::from_utf8(&f["petitions_2024.csv"])
            .expect("utf-8")
            .starts_with("信访件编号,受理日期,")
    );
    // Ground truth names every kind of planted signal.
    let truth = String::from_utf8(f["ground_truth.csv"].clone()).expect("utf-8");
    for kind in [
        "concentration_spike",
        "sustained_rise",
        "cluster_rise",
        "field_share_shift",
        "common_problem",
        "prominent_leader",
        "overdue_top_leader_clues",
        "overdue_rectification",
    ] {
        assert!(truth.contains(kind), "{kind} missing from ground truth");
    }
}

/// Counts petitions per unit and quarter, in memory.
#[derive(Default)]
struct Counts {
    per_unit_quarter: BTreeMap<(usize, Quarter), u64>,
    plants: Vec<Plant>,
    units: usize,
    truth: Vec<Truth>,
}

impl Sink for Counts {
    type Error = std::convert::Infallible;
    fn reference(&mut self, world: &World) -> Result<(), Self::Error> {
        self.units = world.units.len();
        self.plants = world.plants.clone();
        Ok(())
    }
    fn quarter(
        &mut self,
        _: &World,
        q: Quarter,
        p: &[Petition],
        _: &[Finding],
        _: &[Case],
    ) -> Result<(), Self::Error> {
        for x in p {
            *self.per_unit_quarter.entry((x.unit, q)).or_default() += 1;
        }
        Ok(())
    }
    fn finish(&mut self, _: &World, truth: &[Truth]) -> Result<(), Self::Error> {
        self.truth = truth.to_vec();
        Ok(())
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[test]
fn planted_concentrations_stand_out_in_the_generated_counts() {
    let s = spec(7);
    let mut c = Counts::default();
    synth::generate(&s, &mut c).expect("generate");
    let quarters: Vec<Quarter> = s.first.range(s.quarters).collect();
    let count = |u: usize, q: Quarter| c.per_unit_quarter.get(&(u, q)).copied().unwrap_or(0) as f64;
    let mut spikes = 0;
    for p in &c.plants {
        match *p {
            Plant::Spike { unit, quarter, sd } => {
                spikes += 1;
                let others: Vec<f64> = quarters
                    .iter()
                    .filter(|q| **q != quarter)
                    .map(|q| count(unit, *q))
                    .collect();
                let base = median(others.clone());
                let z =
                    (count(unit, quarter) - base) / (base + base * base / synth::NB_SIZE).sqrt();
                assert!(
                    z >= sd - 1.5,
                    "spike of {sd} SD at unit {unit} {quarter}: z = {z:.2} (count {}, median {base})",
                    count(unit, quarter)
                );
                if sd >= 3.0 {
                    let max = others.iter().copied().fold(0.0, f64::max);
                    assert!(
                        count(unit, quarter) > max,
                        "{sd} SD spike {} not above every other quarter ({max})",
                        count(unit, quarter)
                    );
                }
            }
            Plant::Sustained {
                unit,
                from,
                quarters: n,
                rr,
            } => {
                let inside: Vec<f64> = from.range(n as usize).map(|q| count(unit, q)).collect();
                let before: Vec<f64> = quarters
                    .iter()
                    .filter(|q| **q < from)
                    .map(|q| count(unit, *q))
                    .collect();
                let (mi, mb) = (
                    inside.iter().sum::<f64>() / inside.len() as f64,
                    before.iter().sum::<f64>() / before.len().max(1) as f64,
                );
                // A relative risk of 1.5 is a weak signal by design: it must
                // only lift the mean; stronger ones by a third of the risk.
                let want = if rr >= 2.0 {
                    mb * (1.0 + (rr - 1.0) / 3.0)
                } else {
                    mb
                };
                assert!(
                    mi > want,
                    "sustained rr {rr} at unit {unit}: mean {mi:.1} vs {mb:.1} before"
                );
            }
            _ => {}
        }
    }
    assert_eq!(spikes, 6, "two spikes each of 2, 3 and 5 SD");
    // Every plant has its truth; the ledgers' faults add their own rows.
    let ledger = [
        "reply_overdue",
        "late_reply",
        "no_action",
        "feedback_overdue",
        "return_visit_missing",
        "not_copied",
        "not_assessed",
    ];
    let planted = c.truth.iter().filter(|t| !ledger.contains(&t.kind)).count();
    assert_eq!(planted, c.plants.len());
}

#[test]
fn size_flags_scale_the_data() {
    let mut small = Counts::default();
    let mut big = Counts::default();
    let base = SynthSpec {
        seed: 1,
        first: "2024Q1".parse().expect("quarter"),
        quarters: 2,
        scale: 0.05,
        units: Some(200),
    };
    synth::generate(&base, &mut small).expect("small");
    synth::generate(
        &SynthSpec {
            scale: 0.2,
            units: Some(1500),
            ..base.clone()
        },
        &mut big,
    )
    .expect("big");
    let total = |c: &Counts| c.per_unit_quarter.values().sum::<u64>();
    assert!(
        big.units > small.units * 4,
        "units {} vs {}",
        big.units,
        small.units
    );
    assert!(
        total(&big) > total(&small) * 3,
        "petitions {} vs {}",
        total(&big),
        total(&small)
    );
}
