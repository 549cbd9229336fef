//! `yanpan eval`: scores the concentration detector on a simulated panel
//! with known planted signals (see [`crate::synth::panel`]).
//!
//! A unit-quarter is *null* when no spike falls in it or the three quarters
//! before it and no rise is active in those four quarters (the windows of
//! 2 and 4 quarters legitimately see a recent signal). Calibration and the
//! 1%-false-positive threshold come from the tested null unit-quarters;
//! detection counts every planted signal, tested or not.

pub mod subtree;
pub mod targets;

use std::collections::HashSet;
use std::time::Instant;

use crate::detect::concentration::ConcentrationSettings;
use crate::detect::concentration::test_quarter_knowing;
use crate::detect::panel::Panel;
use crate::synth::panel::{Planted, Simulated};

/// One line of the evaluation table.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    pub label: String,
    /// What the row is, for the reference script: `default` (the default
    /// settings over all units), `ceiling_one_quarter`, `ceiling_windows`,
    /// `ceiling_rises` (a truth-knowing test weighted for rises),
    /// `history_one_quarter` and `history_windows` (the history ceiling),
    /// `no_echo_cap` (the default without the echo cap), `known_size` (the
    /// default with the simulation's within-unit size known), `level` (the
    /// default over one level's units), `ceiling_level` and
    /// `history_level` (the one-quarter ceiling and history ceiling over
    /// one level's units), or `other`.
    pub role: &'static str,
    /// The level, for `level`, `ceiling_level` and `history_level` rows.
    pub level: Option<String>,
    pub null_tested: usize,
    /// Share of tested null unit-quarters with p < 0.01 (clean nulls: no
    /// signal in the quarter or the 3 before).
    pub fpr_at_nominal_1pct: f64,
    /// Tested nulls just after a spike (one in the 3 quarters before), and
    /// their share with p < 0.01: echoes of the spike in longer windows.
    pub post_spike_tested: usize,
    pub fpr_post_spike: f64,
    /// The p below which 1% of tested null unit-quarters fall.
    pub threshold_1pct_fpr: f64,
    /// Detection probability at 1% false positives, by spike size.
    pub spike_2sd: f64,
    pub spike_3sd: f64,
    pub spike_5sd: f64,
    pub spike_all: f64,
    /// Rises caught (at the 1%-FPR threshold) in their first 2 quarters.
    pub rise_within_2q: f64,
    /// Realised false-discovery proportion and recall at BH q = the setting,
    /// over all the flags of the scored quarters.
    pub fdp_bh: f64,
    /// Each BH run's (a level in a quarter) false flags / max(flags, 1),
    /// averaged over the runs: the false-discovery rate BH bounds by q ×
    /// the share of nulls. The pooled share above is larger when some runs
    /// hold few or no signals: such a run's flags are all false, BH keeps
    /// the chance of any to q, but in the pool each one counts fully.
    pub fdp_bh_runs: f64,
    pub recall_bh: f64,
    pub false_flags_per_1000_units_quarter: f64,
    pub seconds: f64,
}

struct Tested {
    unit: usize,
    t: usize,
    p: f64,
    flagged: bool,
}

fn rate(hit: usize, of: usize) -> f64 {
    if of == 0 {
        f64::NAN
    } else {
        hit as f64 / of as f64
    }
}

/// Evaluates one setting over quarters `from..` of the panel; `units`
/// restricts the scoring to some units (e.g. one level), `None`: all.
pub fn evaluate(
    label: &str,
    panel: &Panel,
    planted: &[Planted],
    from: usize,
    s: &ConcentrationSettings,
    units: Option<&HashSet<usize>>,
) -> EvalRow {
    evaluate_knowing(label, panel, planted, from, s, units, None)
}

/// [`evaluate`] with the within-unit size known (the simulation's).
pub fn evaluate_knowing(
    label: &str,
    panel: &Panel,
    planted: &[Planted],
    from: usize,
    s: &ConcentrationSettings,
    units: Option<&HashSet<usize>>,
    known_size: Option<f64>,
) -> EvalRow {
    let started = Instant::now();
    let min_p = s.min_p();
    let mut tested: Vec<Tested> = Vec::new();
    for t in from..panel.quarters.len() {
        for u in test_quarter_knowing(panel, t, s, &min_p, known_size).tested {
            tested.push(Tested {
                unit: u.unit,
                t,
                p: u.p,
                flagged: u.q < s.q.get(),
            });
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    score(label, panel, planted, from, tested, units, seconds)
}

/// The ceiling: a test that knows each unit's true mean in each quarter and
/// the true dispersion. Over `windows` (weighted as the detector weighs
/// them, the smallest p / weight calibrated the same way): mid-p of each
/// window's count against the sum of its quarters' negative binomials
/// (moment matched); BH within each level and quarter. With the one
/// quarter, no method can rank one-quarter spikes much better; with the
/// detector's windows, sustained rises.
pub fn ceiling(
    label: &str,
    sim: &Simulated,
    from: usize,
    s: &ConcentrationSettings,
    windows: (&[usize], &[f64]),
    units: Option<&HashSet<usize>>,
) -> EvalRow {
    let size = crate::synth::panel::NB_SIZE;
    truth_test(label, sim, from, s, windows, units, |u, quarters| {
        let (mut mean, mut var) = (0.0, 0.0);
        for i in quarters {
            let m = sim.baseline[u][i];
            (mean, var) = (mean + m, var + m + m * m / size);
        }
        (mean, var)
    })
}

/// The history ceiling: a test that knows all the simulation knows except
/// each unit's relative risk: the peers' rate with season and trend, the
/// gamma the units' risks are drawn from, the within-unit dispersion, and
/// which of the unit's past quarters held a spike or a rise (left out). The
/// risk is learnt from the `history_quarters` clean quarters before the
/// window (posterior on a grid, exact under the simulation's model); each
/// window's mid-p is taken under the posterior predictive (moment
/// matched). No method that learns a unit's level from its own history
/// can do better on average: what it falls short of the ceiling is the
/// price of learning the level.
pub fn history_ceiling(
    label: &str,
    sim: &Simulated,
    from: usize,
    s: &ConcentrationSettings,
    windows: (&[usize], &[f64]),
    units: Option<&HashSet<usize>>,
) -> EvalRow {
    use crate::synth::panel::{NB_SIZE, UNIT_SHAPE, peer_mean};
    let k = NB_SIZE;
    let grid: Vec<f64> = (0..160)
        .map(|j| (0.01f64.ln() + j as f64 * (20f64.ln() - 0.01f64.ln()) / 159.0).exp())
        .collect();
    let history = s.history_quarters.get() as usize;
    // Each unit's quarters that held a spike or a rise, left out.
    let mut signal = vec![vec![false; sim.panel.quarters.len()]; sim.panel.units.len()];
    for p in &sim.planted {
        if let Planted::Spike { unit, quarter, .. } = *p {
            signal[unit][quarter] = true;
        }
        if let Some((unit, active)) = p.rise_span() {
            signal[unit][active].fill(true);
        }
    }
    truth_test(label, sim, from, s, windows, units, |u, quarters| {
        let unit = &sim.panel.units[u];
        let first = *quarters.start();
        // Log posterior of the risk on the (log-spaced) grid.
        let clean: Vec<(f64, f64)> = (first.saturating_sub(history)..first)
            .filter(|&i| !signal[u][i])
            .map(|i| (unit.counts[i], peer_mean(unit.exposure, i)))
            .collect();
        let log_post: Vec<f64> = grid
            .iter()
            .map(|&theta| {
                let prior = UNIT_SHAPE * theta.ln() - UNIT_SHAPE * theta;
                clean
                    .iter()
                    .map(|&(y, peer)| {
                        let m = theta * peer;
                        y * m.ln() - (y + k) * (k + m).ln()
                    })
                    .sum::<f64>()
                    + prior
            })
            .collect();
        let top = log_post.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = log_post.iter().map(|l| (l - top).exp()).collect();
        let total: f64 = weights.iter().sum();
        // The predictive as a mixture over the grid: its mean and variance.
        let peers: Vec<f64> = quarters.map(|i| peer_mean(unit.exposure, i)).collect();
        let shape: f64 = peers.iter().sum();
        let shape_sq: f64 = peers.iter().map(|m| m * m).sum();
        let (mut mean, mut second) = (0.0, 0.0);
        for (&theta, &w) in grid.iter().zip(&weights) {
            let m = theta * shape;
            let v = m + theta * theta * shape_sq / k;
            mean += w / total * m;
            second += w / total * (v + m * m);
        }
        (mean, second - mean * mean)
    })
}

/// A test whose yardstick is given: `yardstick(unit, window quarters)` is
/// the mean and variance of the window's count under the null. Mid-p of
/// each window, the smallest p / weight calibrated, BH within each level
/// and quarter. Units whose true mean in the quarter is below
/// `min_expected` are not tested, as in the detector.
fn truth_test(
    label: &str,
    sim: &Simulated,
    from: usize,
    s: &ConcentrationSettings,
    (windows, weights): (&[usize], &[f64]),
    units: Option<&HashSet<usize>>,
    yardstick: impl Fn(usize, std::ops::RangeInclusive<usize>) -> (f64, f64),
) -> EvalRow {
    use crate::detect::stats::{MinP, bh_q_values, mid_p};
    let started = Instant::now();
    let min_p = (windows.len() > 1).then(|| MinP::new(windows, weights));
    let mut tested: Vec<Tested> = Vec::new();
    for t in from..sim.panel.quarters.len() {
        let mut by_level: std::collections::BTreeMap<&str, Vec<Tested>> = Default::default();
        for (u, unit) in sim.panel.units.iter().enumerate() {
            if sim.baseline[u][t] < s.min_expected {
                continue;
            }
            let smallest = windows
                .iter()
                .zip(weights)
                .filter(|(w, _)| **w <= t + 1)
                .map(|(&w, weight)| {
                    let y: f64 = unit.counts[t + 1 - w..=t].iter().sum();
                    let (mean, var) = yardstick(u, t + 1 - w..=t);
                    mid_p(y, mean, var) / weight
                })
                .fold(f64::INFINITY, f64::min);
            let p = match &min_p {
                Some(calibration) => calibration.calibrate(smallest),
                None => smallest * weights.first().copied().unwrap_or(1.0),
            };
            by_level
                .entry(unit.group.as_str())
                .or_default()
                .push(Tested {
                    unit: u,
                    t,
                    p,
                    flagged: false,
                });
        }
        for mut level in by_level.into_values() {
            let q = bh_q_values(&level.iter().map(|x| x.p).collect::<Vec<_>>());
            for (x, q) in level.iter_mut().zip(q) {
                x.flagged = q < s.q.get();
            }
            tested.extend(level);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    score(
        label,
        &sim.panel,
        &sim.planted,
        from,
        tested,
        units,
        seconds,
    )
}

/// Scores the p-values of the tested unit-quarters against what was planted.
fn score(
    label: &str,
    panel: &Panel,
    planted: &[Planted],
    from: usize,
    mut tested: Vec<Tested>,
    units: Option<&HashSet<usize>>,
    seconds: f64,
) -> EvalRow {
    let keep = |u: usize| units.is_none_or(|set| set.contains(&u));
    tested.retain(|x| keep(x.unit));
    let mut spikes: Vec<(usize, usize, f64)> = Vec::new();
    let mut rises: Vec<(usize, usize, usize)> = Vec::new();
    for p in planted {
        match *p {
            Planted::Spike { unit, quarter, sd } if keep(unit) && quarter >= from => {
                spikes.push((unit, quarter, sd))
            }
            Planted::Rise {
                unit,
                start,
                quarters,
                ..
            } if keep(unit) && start >= from => rises.push((unit, start, quarters)),
            _ => {}
        }
    }
    let signal_near = |u: usize, t: usize| {
        planted.iter().any(|p| match *p {
            Planted::Spike { unit, quarter, .. } => unit == u && quarter <= t && t < quarter + 4,
            _ => p.rise_near(u, t),
        })
    };
    // Each tested unit-quarter's null-ness, decided once.
    let null: Vec<bool> = tested.iter().map(|x| !signal_near(x.unit, x.t)).collect();
    // Nulls just after a spike: none in the quarter, one in the 3 before,
    // no rise in those 4 quarters (the windows' echoes show here).
    let post_spike_p: Vec<f64> = tested
        .iter()
        .filter(|x| post_spike(planted, x.unit, x.t))
        .map(|x| x.p)
        .collect();
    let mut null_p: Vec<f64> = tested
        .iter()
        .zip(&null)
        .filter(|(_, null)| **null)
        .map(|(x, _)| x.p)
        .collect();
    null_p.sort_by(f64::total_cmp);
    let null_tested = null_p.len();
    let threshold = null_p
        .get(((null_tested as f64) * 0.01).floor() as usize)
        .copied()
        .unwrap_or(0.0);
    let by_key: std::collections::HashMap<(usize, usize), f64> =
        tested.iter().map(|x| ((x.unit, x.t), x.p)).collect();
    // Untested (expecting too little): never detected.
    let p_of = |u: usize, t: usize| by_key.get(&(u, t)).copied().unwrap_or(1.0);
    let detected = |sd: Option<f64>| {
        let chosen: Vec<&(usize, usize, f64)> = spikes
            .iter()
            .filter(|s| sd.is_none_or(|sd| s.2 == sd))
            .collect();
        rate(
            chosen.iter().filter(|s| p_of(s.0, s.1) < threshold).count(),
            chosen.len(),
        )
    };
    let rise_caught = rises
        .iter()
        .filter(|&&(u, s, _)| {
            (s..s + 2).any(|t| t < panel.quarters.len() && p_of(u, t) < threshold)
        })
        .count();
    let flagged: Vec<&Tested> = tested.iter().filter(|x| x.flagged).collect();
    let false_flags = tested
        .iter()
        .zip(&null)
        .filter(|(x, null)| x.flagged && **null)
        .count();
    let signal_quarters: HashSet<(usize, usize)> = spikes
        .iter()
        .map(|s| (s.0, s.1))
        .chain(
            rises
                .iter()
                .flat_map(|&(u, s, q)| (s..s + q).map(move |t| (u, t))),
        )
        .collect();
    let recalled = flagged
        .iter()
        .filter(|x| signal_quarters.contains(&(x.unit, x.t)))
        .count();
    let fdp_bh_runs = fdp_per_run(
        tested
            .iter()
            .zip(&null)
            .map(|(x, &null)| ((x.t, panel.units[x.unit].group.as_str()), x.flagged, null)),
    );
    let n_units = units.map_or(panel.units.len(), HashSet::len);
    let n_quarters = panel.quarters.len() - from;
    EvalRow {
        label: label.to_string(),
        role: "other",
        level: None,
        null_tested,
        fpr_at_nominal_1pct: rate(null_p.iter().filter(|p| **p < 0.01).count(), null_tested),
        post_spike_tested: post_spike_p.len(),
        fpr_post_spike: rate(
            post_spike_p.iter().filter(|p| **p < 0.01).count(),
            post_spike_p.len(),
        ),
        threshold_1pct_fpr: threshold,
        spike_2sd: detected(Some(2.0)),
        spike_3sd: detected(Some(3.0)),
        spike_5sd: detected(Some(5.0)),
        spike_all: detected(None),
        rise_within_2q: rate(rise_caught, rises.len()),
        fdp_bh: if flagged.is_empty() {
            0.0
        } else {
            rate(false_flags, flagged.len())
        },
        fdp_bh_runs,
        recall_bh: rate(recalled, signal_quarters.len()),
        false_flags_per_1000_units_quarter: false_flags as f64 * 1000.0
            / (n_units * n_quarters).max(1) as f64,
        seconds,
    }
}

/// Whether unit `u` in quarter `t` is a null just after a spike: no spike
/// in `t`, one in the 3 quarters before, no rise active in those 4.
fn post_spike(planted: &[Planted], u: usize, t: usize) -> bool {
    let mut before = false;
    for p in planted {
        match *p {
            Planted::Spike { unit, quarter, .. } if unit == u => {
                if quarter == t {
                    return false;
                }
                before |= quarter < t && t <= quarter + 3;
            }
            _ if p.rise_near(u, t) => return false,
            _ => {}
        }
    }
    before
}

/// The mean over BH runs of each run's false flags / max(flags, 1), from
/// (run, flagged, null) for every tested unit-quarter; a run without flags
/// counts 0, as in the false-discovery rate's definition.
fn fdp_per_run<K: Ord>(tested: impl Iterator<Item = (K, bool, bool)>) -> f64 {
    let mut runs: std::collections::BTreeMap<K, (usize, usize)> = Default::default();
    for (run, flagged, null) in tested {
        let (false_flags, flags) = runs.entry(run).or_default();
        if flagged {
            *flags += 1;
            *false_flags += usize::from(null);
        }
    }
    if runs.is_empty() {
        return f64::NAN;
    }
    let sum: f64 = runs
        .values()
        .map(|&(v, r)| v as f64 / r.max(1) as f64)
        .sum();
    sum / runs.len() as f64
}

impl EvalRow {
    /// The figures after the count of null unit-quarters, in the tables'
    /// column order, with the decimals the Markdown table shows.
    fn figures(&self) -> [(f64, usize); 12] {
        [
            (self.fpr_at_nominal_1pct, 2),
            (self.fpr_post_spike, 2),
            (self.spike_2sd, 2),
            (self.spike_3sd, 2),
            (self.spike_5sd, 2),
            (self.spike_all, 2),
            (self.rise_within_2q, 2),
            (self.fdp_bh, 3),
            (self.fdp_bh_runs, 3),
            (self.recall_bh, 2),
            (self.false_flags_per_1000_units_quarter, 2),
            (self.seconds, 2),
        ]
    }
}

/// The rows as CSV, for `benches/surveillance.R` to print beside the
/// reference methods (shares as fractions, unrounded).
pub fn csv(rows: &[EvalRow]) -> std::io::Result<Vec<u8>> {
    const HEADER: [&str; 15] = [
        "role",
        "label",
        "null_tested",
        "fpr_nominal_1pct",
        "fpr_post_spike",
        "spike_2sd",
        "spike_3sd",
        "spike_5sd",
        "spike_all",
        "rise_within_2q",
        "fdp_bh",
        "fdp_bh_runs",
        "recall_bh",
        "false_flags_per_1000",
        "seconds",
    ];
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                r.role.to_string(),
                r.label.clone(),
                r.null_tested.to_string(),
            ];
            cells.extend(r.figures().iter().map(|(v, _)| v.to_string()));
            cells
        })
        .collect();
    crate::store::csv::records(
        std::iter::once(HEADER.to_vec())
            .chain(body.iter().map(|r| r.iter().map(String::as_str).collect())),
    )
}

/// The evaluation table as Markdown (the FPR as a percentage).
pub fn markdown(rows: &[EvalRow]) -> String {
    let mut out = String::from(
        "| setting | null tested | FPR at nominal 1%: clean nulls | just after a spike | detection at 1% FPR: 2 SD | 3 SD | 5 SD | all spikes | rises caught within 2 quarters | FDP at BH q | FDP per BH run, averaged | recall at BH q | false flags per 1,000 unit-quarters | seconds |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let figures: Vec<String> = r
            .figures()
            .iter()
            .enumerate()
            .map(|(i, (v, decimals))| match i {
                0 | 1 => format!("{:.*}%", decimals, v * 100.0),
                _ => format!("{v:.decimals$}"),
            })
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            r.label,
            r.null_tested,
            figures.join(" | ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_false_discovery_rate_is_averaged_over_runs_not_pooled() {
        // Run a: 1 false of 2 flags; run b: 3 true flags; run c: no flag.
        let tested = [
            ("a", true, true),
            ("a", true, false),
            ("a", false, true),
            ("b", true, false),
            ("b", true, false),
            ("b", true, false),
            ("c", false, true),
        ];
        // (1/2 + 0 + 0) / 3; pooled it would be 1 of 5.
        let fdr = fdp_per_run(tested.into_iter());
        assert!((fdr - 1.0 / 6.0).abs() < 1e-12, "{fdr}");
        assert!(fdp_per_run(std::iter::empty::<(u8, bool, bool)>()).is_nan());
    }

    #[test]
    fn learning_the_level_costs_detection_but_not_calibration() {
        let sim = crate::synth::panel::simulate(&crate::synth::panel::PanelSpec {
            seed: 3,
            units: 600,
            quarters: 40,
            first_signal: 4,
            spike_share: 0.03,
            rise_share: 0.1,
            cluster_share: 0.25,
        });
        let s = ConcentrationSettings::default();
        let one = (&[1usize][..], &[1.0][..]);
        let truth = ceiling("ceiling", &sim, 20, &s, one, None);
        let learnt = history_ceiling("history", &sim, 20, &s, one, None);
        // Exact under the simulation's model: calibrated like the ceiling.
        assert!(
            (0.006..=0.014).contains(&learnt.fpr_at_nominal_1pct),
            "{learnt:?}"
        );
        // Learning the level costs, and never gains beyond noise.
        assert!(
            learnt.spike_all > 0.3 && learnt.spike_all <= truth.spike_all + 0.02,
            "{learnt:?} {truth:?}"
        );
        assert!(learnt.recall_bh < truth.recall_bh, "{learnt:?} {truth:?}");
    }
}
