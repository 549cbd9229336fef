//! `yanpan eval`: the concentration and subtree detectors scored on
//! simulated cities with planted spikes, rises and cluster rises, beside
//! tests that know the truth, and judged against the decided targets.

use std::path::Path;

use anyhow::{Context, Result};

use super::UsageError;
use crate::eval::targets::SeedResult;
use crate::store::csv::records;
use crate::synth::panel::{PanelSpec, Planted, Simulated, simulate};

/// `yanpan eval`: each seed's evaluation tables (Markdown), then the
/// targets over the seeds; with `out`, also each city's counts, planted
/// signals and rows as CSV (in `out`, or `out/seed-N` for several seeds).
pub fn eval(seeds: &[u64], units: usize, quarters: usize, out: Option<&Path>) -> Result<String> {
    if quarters < 24 {
        return Err(UsageError("eval needs at least 24 quarters (20 of history)".into()).into());
    }
    let mut text = String::new();
    let mut results = Vec::new();
    for &seed in seeds {
        let (sim, result) = seed_result(seed, units, quarters);
        if let Some(dir) = out {
            let dir = if seeds.len() > 1 {
                dir.join(format!("seed-{seed}"))
            } else {
                dir.to_path_buf()
            };
            write_out(&dir, &sim, &result.rows)?;
        }
        text.push_str(&describe(&sim, units, quarters, &result));
        results.push(result);
    }
    text.push_str(&crate::eval::targets::markdown(
        seeds,
        &crate::eval::targets::judge(&results),
    ));
    text.push_str(&crate::eval::targets::bounds_markdown(
        seeds,
        &crate::eval::targets::bounds(&results),
    ));
    Ok(text)
}

/// The scored quarters: after 20 quarters, the longest history evaluated.
const FROM: usize = 20;

fn spec(seed: u64, units: usize, quarters: usize) -> PanelSpec {
    PanelSpec {
        seed,
        units,
        quarters,
        // Signals everywhere after the first year, so every history holds
        // them at the density of the scored quarters.
        first_signal: 4,
        spike_share: 0.03,
        rise_share: 0.1,
        cluster_share: 0.25,
    }
}

/// Every row of one seed's city.
fn seed_result(seed: u64, units: usize, quarters: usize) -> (Simulated, SeedResult) {
    let spec = spec(seed, units, quarters);
    let sim = simulate(&spec);
    let (panel, planted) = (&sim.panel, &sim.planted);
    let from = FROM;
    let base = crate::detect::concentration::ConcentrationSettings::default();
    let mut rows = Vec::new();
    for h in [4u32, 8, 12, 20] {
        let s = crate::detect::concentration::ConcentrationSettings {
            history_quarters: std::num::NonZeroU32::new(h).unwrap_or(base.history_quarters),
            ..base.clone()
        };
        let mut row = crate::eval::evaluate(
            &format!("all units, history {h} quarters"),
            panel,
            planted,
            from,
            &s,
            None,
        );
        if s.history_quarters == base.history_quarters {
            row.role = "default";
        }
        rows.push(row);
    }
    // What the windows' weights buy, and what no method could beat.
    let equal = crate::detect::concentration::ConcentrationSettings {
        window_weights: vec![1.0 / base.windows.len() as f64; base.windows.len()],
        ..base.clone()
    };
    rows.push(crate::eval::evaluate(
        &format!(
            "all units, history {}, windows {:?} equally weighted",
            base.history_quarters, base.windows
        ),
        panel,
        planted,
        from,
        &equal,
        None,
    ));
    // What estimating the within-unit dispersion costs: the same tests
    // with the simulation's size known.
    rows.push(crate::eval::EvalRow {
        role: "known_size",
        ..crate::eval::evaluate_knowing(
            &format!(
                "all units, history {}, within-unit size known ({})",
                base.history_quarters,
                crate::synth::panel::NB_SIZE
            ),
            panel,
            planted,
            from,
            &base,
            None,
            Some(crate::synth::panel::NB_SIZE),
        )
    });
    // What the echo cap buys: a window's earlier quarters capped at
    // expectation + c SD, or not at all.
    for cap in [
        1.5,
        2.0,
        3.0,
        crate::detect::concentration::ECHO_CAP_SD_BOUNDS.1,
    ] {
        let capped = crate::detect::concentration::ConcentrationSettings {
            echo_cap_sd: cap,
            ..base.clone()
        };
        let what = if cap >= crate::detect::concentration::ECHO_CAP_SD_BOUNDS.1 {
            "no echo cap".to_string()
        } else {
            format!("echo cap {cap} SD")
        };
        let row = crate::eval::evaluate(
            &format!("all units, history {}, {what}", base.history_quarters),
            panel,
            planted,
            from,
            &capped,
            None,
        );
        rows.push(crate::eval::EvalRow {
            role: if what == "no echo cap" {
                "no_echo_cap"
            } else {
                "other"
            },
            ..row
        });
    }
    // Tests knowing the truth: over the one quarter (spikes), over the
    // detector's windows, and for rises caught within 2 quarters (most of
    // the false-positive rate to the two-quarter window, where a rise's
    // first two quarters add up).
    let (rise_windows, rise_weights) = ([1, 2], [0.3, 0.7]);
    let ceilings: [(&str, String, &[usize], &[f64]); 3] = [
        (
            "ceiling_one_quarter",
            "one-quarter window".into(),
            &[1],
            &[1.0],
        ),
        (
            "ceiling_windows",
            format!(
                "windows {:?} weighted {:?}",
                base.windows, base.window_weights
            ),
            &base.windows,
            &base.window_weights,
        ),
        (
            "ceiling_rises",
            format!("windows {rise_windows:?} weighted {rise_weights:?} (for rises)"),
            &rise_windows,
            &rise_weights,
        ),
    ];
    for (role, what, windows, weights) in ceilings {
        rows.push(crate::eval::EvalRow {
            role,
            ..crate::eval::ceiling(
                &format!("ceiling: every unit's true mean and dispersion known, {what}"),
                &sim,
                from,
                &base,
                (windows, weights),
                None,
            )
        });
    }
    // What learning each unit's level from its history costs: tests that
    // know everything but the unit's relative risk.
    for (role, what, windows, weights) in [
        (
            "history_one_quarter",
            "one-quarter window",
            &[1usize][..],
            &[1.0][..],
        ),
        (
            "history_windows",
            &*format!(
                "windows {:?} weighted {:?}",
                base.windows, base.window_weights
            ),
            &base.windows[..],
            &base.window_weights[..],
        ),
    ] {
        rows.push(crate::eval::EvalRow {
            role,
            ..crate::eval::history_ceiling(
                &format!(
                    "history ceiling: all but each unit's level known, learnt from its clean history ({} quarters), {what}",
                    base.history_quarters
                ),
                &sim,
                from,
                &base,
                (windows, weights),
                None,
            )
        });
    }
    let mut levels: Vec<&str> = panel.units.iter().map(|u| u.group.as_str()).collect();
    levels.sort();
    levels.dedup();
    for level in levels {
        let set: std::collections::HashSet<usize> = panel
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.group == level)
            .map(|(i, _)| i)
            .collect();
        let median = {
            let mut e: Vec<f64> = set.iter().map(|&i| panel.units[i].exposure).collect();
            e.sort_by(f64::total_cmp);
            e.get(e.len() / 2).copied().unwrap_or(0.0)
        };
        rows.push(crate::eval::EvalRow {
            role: "level",
            level: Some(level.to_string()),
            ..crate::eval::evaluate(
                &format!(
                    "{level} ({} units, median headcount {median:.0}), history {}",
                    set.len(),
                    base.history_quarters
                ),
                panel,
                planted,
                from,
                &base,
                Some(&set),
            )
        });
        rows.push(crate::eval::EvalRow {
            role: "history_level",
            level: Some(level.to_string()),
            ..crate::eval::history_ceiling(
                &format!("{level}: history ceiling, one-quarter window"),
                &sim,
                from,
                &base,
                (&[1], &[1.0]),
                Some(&set),
            )
        });
        rows.push(crate::eval::EvalRow {
            role: "ceiling_level",
            level: Some(level.to_string()),
            ..crate::eval::ceiling(
                &format!("{level}: ceiling, one-quarter window"),
                &sim,
                from,
                &base,
                (&[1], &[1.0]),
                Some(&set),
            )
        });
    }
    let subtree = crate::eval::subtree::evaluate(
        &sim,
        from,
        &base,
        &crate::detect::subtree_rise::SubtreeSettings::default(),
    );
    (
        sim,
        SeedResult {
            seed,
            rows,
            subtree,
        },
    )
}

/// Writes one city's counts, planted signals and rows as CSV.
fn write_out(dir: &Path, sim: &Simulated, rows: &[crate::eval::EvalRow]) -> Result<()> {
    let (panel, planted) = (&sim.panel, &sim.planted);
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let header = [
            "unit_id",
            "level",
            "headcount",
            "t",
            "quarter",
            "count",
            "parent_id",
        ]
        .map(String::from);
        let mut counts = vec![header.to_vec()];
        for u in &panel.units {
            for (t, (q, c)) in panel.quarters.iter().zip(&u.counts).enumerate() {
                counts.push(vec![
                    u.id.clone(),
                    u.group.clone(),
                    u.exposure.to_string(),
                    t.to_string(),
                    q.to_string(),
                    c.to_string(),
                    u.parent.clone().unwrap_or_default(),
                ]);
            }
        }
        let mut truth = vec![
            ["kind", "unit_id", "t", "quarters", "effect"]
                .map(String::from)
                .to_vec(),
        ];
        for p in planted {
            let (kind, u, t, n, e) = match *p {
                Planted::Spike { unit, quarter, sd } => ("spike", unit, quarter, 1, sd),
                Planted::Rise {
                    unit,
                    start,
                    quarters,
                    rr,
                } => ("rise", unit, start, quarters, rr),
                Planted::Cluster {
                    parent,
                    start,
                    quarters,
                    rr,
                    ..
                } => ("cluster", parent, start, quarters, rr),
                Planted::InCluster {
                    unit,
                    start,
                    quarters,
                } => ("in_cluster", unit, start, quarters, f64::NAN),
            };
            truth.push(vec![
                kind.to_string(),
                panel.units[u].id.clone(),
                t.to_string(),
                n.to_string(),
                e.to_string(),
            ]);
        }
        let as_csv =
            |rows: &[Vec<String>]| records(rows.iter().map(|r| r.iter().map(String::as_str)));
        std::fs::write(dir.join("counts.csv"), as_csv(&counts)?)?;
        std::fs::write(dir.join("planted.csv"), as_csv(&truth)?)?;
        std::fs::write(dir.join("yanpan_eval.csv"), crate::eval::csv(rows)?)?;
    }
    Ok(())
}

/// One seed's tables as Markdown.
fn describe(sim: &Simulated, units: usize, quarters: usize, r: &SeedResult) -> String {
    let count = |f: fn(&Planted) -> bool| sim.planted.iter().filter(|p| f(p)).count();
    let base = crate::detect::concentration::ConcentrationSettings::default();
    format!(
        "Simulated city: {units} units x {quarters} quarters (seed {}); signals planted from quarter {} on: {} spikes, {} rises, {} cluster rises; quarters {FROM}..{} scored; nominal BH q = {}.\n\n{}\nSubtree rises (default settings):\n\n{}\n",
        r.seed,
        spec(r.seed, units, quarters).first_signal,
        count(|p| matches!(p, Planted::Spike { .. })),
        count(|p| matches!(p, Planted::Rise { .. })),
        count(|p| matches!(p, Planted::Cluster { .. })),
        quarters - 1,
        base.q.get(),
        crate::eval::markdown(&r.rows),
        crate::eval::subtree::markdown(&r.subtree),
    )
}
