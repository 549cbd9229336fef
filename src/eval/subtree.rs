//! `yanpan eval`: the subtree-rise detector scored on the simulated city's
//! planted cluster rises (every child of a parent at relative risk 1.5 or
//! 2 for 1–4 quarters).
//!
//! A parent-quarter is *null* when no cluster of that parent is active in
//! it or the three quarters before. Its children's own spikes and rises
//! are left in: one child's signal must not make its parent a cluster.

use std::collections::BTreeMap;

use crate::detect::concentration::{ConcentrationSettings, test_quarter};
use crate::detect::subtree_rise::{SubtreeSettings, test_parents};
use crate::synth::panel::{CLUSTER_MIN_CHILDREN, Planted, Simulated};

/// One line of the subtree table: the parents of one level, or all.
#[derive(Debug, Clone, PartialEq)]
pub struct SubtreeRow {
    pub label: String,
    pub null_tested: usize,
    /// Share of tested null parent-quarters with p < 0.01.
    pub fpr_at_nominal_1pct: f64,
    /// Clusters over at least [`CLUSTER_MIN_CHILDREN`] children at
    /// relative risk 2, and at 1.5, caught within their first 2 quarters at
    /// the 1%-FPR threshold; how many of the first were scored.
    pub caught_rr2: f64,
    pub clusters_rr2: usize,
    pub caught_rr15: f64,
    /// The same at BH q (the flags a reader sees).
    pub flagged_rr2: f64,
    /// Share of flags (BH q) on null parent-quarters.
    pub fdp_bh: f64,
}

struct Tested {
    parent: usize,
    t: usize,
    p: f64,
    flagged: bool,
}

/// Scores the subtree test over quarters `from..`, by the parents' level
/// and over all.
pub fn evaluate(
    sim: &Simulated,
    from: usize,
    c: &ConcentrationSettings,
    s: &SubtreeSettings,
) -> Vec<SubtreeRow> {
    let panel = &sim.panel;
    let min_p = c.min_p();
    let mut tested: Vec<Tested> = Vec::new();
    for t in from..panel.quarters.len() {
        let units = test_quarter(panel, t, c, &min_p);
        for p in test_parents(panel, &units.tested, s, c, &min_p).tested {
            tested.push(Tested {
                parent: p.unit,
                t,
                p: p.p,
                flagged: p.q < s.q.get(),
            });
        }
    }
    let mut levels: BTreeMap<&str, Vec<&Tested>> = BTreeMap::new();
    for x in &tested {
        levels
            .entry(panel.units[x.parent].group.as_str())
            .or_default()
            .push(x);
    }
    let mut rows: Vec<SubtreeRow> = levels
        .iter()
        .map(|(level, xs)| score(&format!("parents: {level}"), sim, from, xs))
        .collect();
    rows.push(score(
        "parents: all levels",
        sim,
        from,
        &tested.iter().collect::<Vec<_>>(),
    ));
    rows
}

fn score(label: &str, sim: &Simulated, from: usize, tested: &[&Tested]) -> SubtreeRow {
    let clusters: Vec<(usize, usize, usize, f64)> = sim
        .planted
        .iter()
        .filter_map(|p| match *p {
            Planted::Cluster {
                parent,
                children,
                start,
                quarters,
                rr,
            } if start >= from && children >= CLUSTER_MIN_CHILDREN => {
                Some((parent, start, quarters, rr))
            }
            _ => None,
        })
        .filter(|c| tested.iter().any(|x| x.parent == c.0))
        .collect();
    let active = |u: usize, t: usize| {
        sim.planted.iter().any(|p| {
            matches!(*p, Planted::Cluster { parent, start, quarters, .. }
                if parent == u && start <= t && t < start + quarters + 3)
        })
    };
    let null: Vec<bool> = tested.iter().map(|x| !active(x.parent, x.t)).collect();
    let mut null_p: Vec<f64> = tested
        .iter()
        .zip(&null)
        .filter(|(_, n)| **n)
        .map(|(x, _)| x.p)
        .collect();
    null_p.sort_by(f64::total_cmp);
    let threshold = null_p
        .get((null_p.len() as f64 * 0.01).floor() as usize)
        .copied()
        .unwrap_or(0.0);
    let at: std::collections::HashMap<(usize, usize), &Tested> =
        tested.iter().map(|x| ((x.parent, x.t), *x)).collect();
    let caught = |rr: f64, hit: &dyn Fn(&Tested) -> bool| {
        let of: Vec<_> = clusters.iter().filter(|c| c.3 == rr).collect();
        let n = of
            .iter()
            .filter(|c| (c.1..c.1 + 2).any(|t| at.get(&(c.0, t)).is_some_and(|x| hit(x))))
            .count();
        (super::rate(n, of.len()), of.len())
    };
    let below = |x: &Tested| x.p < threshold;
    let flagged = |x: &Tested| x.flagged;
    let (caught_rr2, clusters_rr2) = caught(2.0, &below);
    let flags = tested.iter().filter(|x| x.flagged).count();
    let false_flags = tested
        .iter()
        .zip(&null)
        .filter(|(x, n)| x.flagged && **n)
        .count();
    SubtreeRow {
        label: label.to_string(),
        null_tested: null_p.len(),
        fpr_at_nominal_1pct: super::rate(
            null_p.iter().filter(|p| **p < 0.01).count(),
            null_p.len(),
        ),
        caught_rr2,
        clusters_rr2,
        caught_rr15: caught(1.5, &below).0,
        flagged_rr2: caught(2.0, &flagged).0,
        fdp_bh: if flags == 0 {
            0.0
        } else {
            super::rate(false_flags, flags)
        },
    }
}

/// The subtree table as Markdown.
pub fn markdown(rows: &[SubtreeRow]) -> String {
    let mut out = String::from(
        "| parents | null tested | FPR at nominal 1% | clusters at RR 2 (≥ 10 children) | caught within 2 quarters at 1% FPR: RR 2 | RR 1.5 | flagged at BH q within 2 quarters: RR 2 | FDP at BH q |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {:.2}% | {} | {:.2} | {:.2} | {:.2} | {:.3} |\n",
            r.label,
            r.null_tested,
            r.fpr_at_nominal_1pct * 100.0,
            r.clusters_rr2,
            r.caught_rr2,
            r.caught_rr15,
            r.flagged_rr2,
            r.fdp_bh
        ));
    }
    out
}
