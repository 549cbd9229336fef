//! Roll-up along the unit tree: for every count, a node's roll-up equals
//! its own figures plus the roll-ups of its children (property test over
//! random trees and counts).

use std::collections::BTreeMap;

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use yanpan::aggregate::{UnitQuarter, rollup, uq};

/// A random forest of `n` units over `quarters` quarters with random counts.
fn random_own(rng: &mut ChaCha8Rng, n: usize, quarters: &[&str]) -> UnitQuarter {
    let ids: Vec<String> = (0..n).map(|i| format!("U{i:03}")).collect();
    // A parent always comes earlier, so there are no cycles; some units are roots.
    let parents: Vec<Option<String>> = (0..n)
        .map(|i| (i > 0 && rng.random_bool(0.85)).then(|| ids[rng.random_range(0..i)].clone()))
        .collect();
    let rows = n * quarters.len();
    let mut cols = vec![
        Column::new(
            uq::UNIT_ID.into(),
            ids.iter()
                .flat_map(|id| std::iter::repeat_n(id.clone(), quarters.len()))
                .collect::<Vec<_>>(),
        ),
        Column::new(uq::NAME.into(), vec!["名"; rows]),
        Column::new(uq::LEVEL.into(), vec!["street"; rows]),
        Column::new(
            uq::PARENT_ID.into(),
            parents
                .iter()
                .flat_map(|p| std::iter::repeat_n(p.clone(), quarters.len()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            uq::HEADCOUNT.into(),
            (0..rows)
                .map(|_| rng.random_range(1..500i32))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            uq::QUARTER.into(),
            (0..n)
                .flat_map(|_| quarters.iter().map(|q| q.to_string()))
                .collect::<Vec<_>>(),
        ),
    ];
    for c in uq::COUNTS {
        cols.push(Column::new(
            c.into(),
            (0..rows)
                .map(|_| {
                    if rng.random_bool(0.3) {
                        0
                    } else {
                        rng.random_range(0..50u32)
                    }
                })
                .collect::<Vec<_>>(),
        ));
    }
    UnitQuarter(DataFrame::new(rows, cols).expect("frame"))
}

fn values(df: &DataFrame, column: &str) -> BTreeMap<(String, String), i64> {
    let ids = df
        .column(uq::UNIT_ID)
        .expect("id")
        .str()
        .expect("str")
        .clone();
    let qs = df
        .column(uq::QUARTER)
        .expect("q")
        .str()
        .expect("str")
        .clone();
    let v = df
        .column(column)
        .expect("col")
        .cast(&DataType::Int64)
        .expect("cast");
    let v = v.i64().expect("i64");
    (0..df.height())
        .map(|i| {
            (
                (
                    ids.get(i).expect("id").to_string(),
                    qs.get(i).expect("q").to_string(),
                ),
                v.get(i).unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn a_parent_rolls_up_its_own_figures_plus_its_childrens_rollups() {
    let quarters = ["2024Q1", "2024Q2", "2024Q3"];
    for case in 0..100u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(case);
        let n = rng.random_range(1..40);
        let own = random_own(&mut rng, n, &quarters);
        let rolled = rollup::rollup(&own).expect("rollup");
        assert_eq!(
            rolled.0.height(),
            own.0.height(),
            "one rolled row per unit and quarter"
        );
        let parent_of: BTreeMap<String, String> = {
            let ids = own
                .0
                .column(uq::UNIT_ID)
                .expect("id")
                .str()
                .expect("str")
                .clone();
            let ps = own
                .0
                .column(uq::PARENT_ID)
                .expect("p")
                .str()
                .expect("str")
                .clone();
            ids.iter()
                .zip(ps.iter())
                .filter_map(|(i, p)| Some((i?.to_string(), p?.to_string())))
                .collect()
        };
        for column in uq::COUNTS.iter().chain([&uq::HEADCOUNT]) {
            let own_v = values(&own.0, column);
            let roll_v = values(&rolled.0, column);
            let mut expected = own_v.clone();
            for ((unit, q), v) in &roll_v {
                if let Some(p) = parent_of.get(unit) {
                    *expected.entry((p.clone(), q.clone())).or_default() += v;
                }
            }
            assert_eq!(
                roll_v, expected,
                "case {case}, {column}: roll-up = own + children's roll-ups"
            );
        }
        // Roots together hold everything.
        let total_own: i64 = values(&own.0, uq::PETITIONS).values().sum();
        let total_roots: i64 = values(&rolled.0, uq::PETITIONS)
            .iter()
            .filter(|((u, _), _)| !parent_of.contains_key(u))
            .map(|(_, v)| v)
            .sum();
        assert_eq!(total_roots, total_own, "case {case}");
    }
}
