//! Petition concentration (信访举报比较集中): each node of the unit tree
//! (its own petitions plus those of the units below it) against its peers
//! and its own history shrunk toward them ([`super::expectation`]), over
//! windows of 1, 2 and 4 quarters (the smallest p / the window's weight,
//! calibrated for having looked at several windows: [`stats::MinP`]);
//! Benjamini–Hochberg across
//! the units of each level tested in the quarter.

use std::collections::HashMap;
use std::num::NonZeroU32;

use polars::prelude::*;
use rayon::prelude::*;

use super::expectation::{self, WindowTest};
use super::panel::{Panel, PanelUnit};
use super::{DetectInput, Detector, Outcome, Score, WindowScore, stats};
use crate::aggregate::uq;
use crate::model::{Evidence, Flag, Quarter, Ratio, Severity, setting};

pub const NAME: &str = "concentration";

/// Benjamini–Hochberg q below which a unit is flagged, by default.
pub const Q: f64 = 0.10;
/// Units expecting fewer petitions than this are not tested, by default.
pub const MIN_EXPECTED: f64 = 0.25;
/// Quarters of history before each window, by default.
pub const HISTORY_QUARTERS: u32 = 20;
/// The windows, by default.
pub const WINDOWS: [u32; 3] = [1, 2, 4];
/// The longest window the pipeline file may set.
pub const MAX_WINDOW: u32 = 8;
/// Most of the false-positive rate to the one-quarter window (spikes),
/// the rest to the 2- and 4-quarter windows (sustained rises):
/// docs/detection.md measures the choice.
pub const WINDOW_WEIGHTS: [f64; 3] = [0.6, 0.3, 0.1];
/// A window's earlier quarters count at most their expectation + this many
/// SD, by default: a quarter already high does not flag the next ones
/// again (docs/detection.md measures the choice).
pub const ECHO_CAP_SD: f64 = 2.5;
/// The bounds of `echo_cap_sd`.
pub const ECHO_CAP_SD_BOUNDS: (f64, f64) = (0.5, 10.0);

/// Settings of the concentration detector.
#[derive(Debug, Clone)]
pub struct ConcentrationSettings {
    /// Benjamini–Hochberg q below which a unit is flagged.
    pub q: Ratio,
    /// Units whose expected count is below this are not tested.
    pub min_expected: f64,
    /// Quarters before the target that define the peer rate.
    pub history_quarters: NonZeroU32,
    /// Windows (in quarters, ending at the target).
    pub windows: Vec<usize>,
    /// Each window's share of the test's false-positive rate (sum 1): the
    /// smallest p / weight is calibrated.
    pub window_weights: Vec<f64>,
    /// Each quarter of a window before the last counts at most its
    /// expectation + this many standard deviations.
    pub echo_cap_sd: f64,
}

impl ConcentrationSettings {
    /// The null distribution of the smallest weighted p over the windows.
    pub fn min_p(&self) -> stats::MinP {
        stats::MinP::with_echo_cap(&self.windows, &self.window_weights, self.echo_cap_sd)
    }

    /// The quarters the detector reads, ending at the tested one: the
    /// longest window and the history before it.
    pub fn quarters_read(&self) -> usize {
        self.windows.iter().copied().max().unwrap_or(1) + self.history_quarters.get() as usize
    }
}

impl ConcentrationSettings {
    /// `[detect.concentration]`: each value given, or its default, within
    /// its bounds. Weights are normalised to sum 1; other windows than the
    /// default ones without weights are weighted equally.
    pub fn configured(
        q: Option<f64>,
        min_expected: Option<f64>,
        history_quarters: Option<u32>,
        windows: Option<&[u32]>,
        window_weights: Option<&[f64]>,
        echo_cap_sd: Option<f64>,
    ) -> Result<Self, String> {
        let key = "[detect.concentration]";
        let windows = Self::windows(windows)?;
        Ok(ConcentrationSettings {
            q: setting::ratio(&format!("{key} q"), q, Q)?,
            min_expected: setting::non_negative(
                &format!("{key} min_expected"),
                min_expected,
                MIN_EXPECTED,
            )?,
            history_quarters: setting::at_least_one(
                &format!("{key} history_quarters"),
                history_quarters,
                HISTORY_QUARTERS,
            )?,
            window_weights: Self::weights(window_weights, &windows)?,
            windows,
            echo_cap_sd: match echo_cap_sd {
                None => ECHO_CAP_SD,
                Some(v) if (ECHO_CAP_SD_BOUNDS.0..=ECHO_CAP_SD_BOUNDS.1).contains(&v) => v,
                Some(v) => {
                    return Err(format!(
                        "{key} echo_cap_sd = {v}: give standard deviations between {} and {}",
                        ECHO_CAP_SD_BOUNDS.0, ECHO_CAP_SD_BOUNDS.1
                    ));
                }
            },
        })
    }

    fn windows(value: Option<&[u32]>) -> Result<Vec<usize>, String> {
        let w: Vec<usize> = value
            .unwrap_or(&WINDOWS)
            .iter()
            .map(|&w| w as usize)
            .collect();
        if w.is_empty() || w.iter().any(|&w| w == 0 || w > MAX_WINDOW as usize) || w[0] != 1 {
            return Err(format!(
                "[detect.concentration] windows = {w:?}: give quarters between 1 and {MAX_WINDOW}, starting with 1"
            ));
        }
        Ok(w)
    }

    fn weights(value: Option<&[f64]>, windows: &[usize]) -> Result<Vec<f64>, String> {
        let default_windows = WINDOWS
            .iter()
            .map(|&w| w as usize)
            .eq(windows.iter().copied());
        let w: Vec<f64> = match value {
            Some(v) => v.to_vec(),
            None if default_windows => WINDOW_WEIGHTS.to_vec(),
            None => vec![1.0; windows.len()],
        };
        if w.len() != windows.len() || w.iter().any(|x| !x.is_finite() || *x <= 0.0) {
            return Err(format!(
                "[detect.concentration] window_weights = {w:?}: give one positive weight for each of the windows {windows:?}"
            ));
        }
        let sum: f64 = w.iter().sum();
        if (sum - 1.0).abs() < 1e-9 {
            return Ok(w);
        }
        Ok(w.iter().map(|x| x / sum).collect())
    }
}

impl Default for ConcentrationSettings {
    /// The defaults of the pipeline file.
    fn default() -> Self {
        ConcentrationSettings {
            q: Ratio::of_const(Q),
            min_expected: MIN_EXPECTED,
            history_quarters: NonZeroU32::MIN.saturating_add(HISTORY_QUARTERS - 1),
            windows: WINDOWS.iter().map(|&w| w as usize).collect(),
            window_weights: WINDOW_WEIGHTS.to_vec(),
            echo_cap_sd: ECHO_CAP_SD,
        }
    }
}

/// A unit without a single petition over a history in which a unit of its
/// level would have some with at least this probability (its peers'
/// expectation, with the level's spread between units) is taken as new to
/// the tables, and not tested.
pub const NEW_UNIT_CHANCE: f64 = 0.999;

/// Levels with fewer units than this are not tested: a unit needs peers.
pub const MIN_PEERS: usize = 3;

#[derive(Debug, Clone)]
pub struct Concentration {
    pub settings: ConcentrationSettings,
}

/// One unit tested in one quarter: every window, the combined p and its q.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitTest {
    /// Index into the panel's units.
    pub unit: usize,
    pub windows: Vec<WindowTest>,
    /// The window whose weighted p (p / weight) is the smallest.
    pub decisive: usize,
    /// That weighted p, calibrated.
    pub p: f64,
    pub q: f64,
}

impl UnitTest {
    /// The window that decided the test: the one a flag reports.
    pub fn best(&self) -> &WindowTest {
        &self.windows[self.decisive]
    }
}

/// Why a unit was not tested in a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotTested {
    /// No headcount: no exposure to set an expectation.
    NoHeadcount,
    /// Fewer than [`MIN_PEERS`] units of its level: no peers.
    FewPeers,
    /// The data begin too late for 2 quarters of history, or the unit has
    /// no petition in a history where a unit of its level would have some
    /// with probability [`NEW_UNIT_CHANCE`] (new to the tables).
    NoHistory,
    /// Expecting fewer petitions than `min_expected`.
    TooSmall,
}

impl NotTested {
    pub const ALL: [NotTested; 4] = [
        NotTested::NoHeadcount,
        NotTested::FewPeers,
        NotTested::NoHistory,
        NotTested::TooSmall,
    ];

    /// The reason of a code of `scores.parquet`.
    pub fn from_code(code: &str) -> Option<NotTested> {
        NotTested::ALL.into_iter().find(|x| x.code() == code)
    }

    /// The code written to `scores.parquet`.
    pub fn code(self) -> &'static str {
        match self {
            NotTested::NoHeadcount => "no_headcount",
            NotTested::FewPeers => "few_peers",
            NotTested::NoHistory => "no_history",
            NotTested::TooSmall => "too_small",
        }
    }

    /// The reason in a report's sentence.
    pub fn zh(self) -> &'static str {
        match self {
            NotTested::NoHeadcount => "缺少干部职工人数",
            NotTested::FewPeers => "同层级单位不足3个",
            NotTested::NoHistory => "缺少历史数据（新设单位或此前无记录）",
            NotTested::TooSmall => "预期信访举报量过少",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            NotTested::NoHeadcount => "no headcount",
            NotTested::FewPeers => "fewer than 3 units in the level",
            NotTested::NoHistory => "no history (a new unit, or none recorded before)",
            NotTested::TooSmall => "too few petitions expected",
        }
    }
}

/// Every unit of a quarter: tested, or not and why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuarterTests {
    pub tested: Vec<UnitTest>,
    /// (index into the panel's units, reason); with the one-quarter window
    /// when an expectation was set.
    pub untested: Vec<(usize, NotTested, Option<WindowTest>)>,
}

/// One level's fit for one window: (window, weight), the history's
/// quarters, the fit, the counts with their history winsorised.
type WindowFit = (
    (usize, f64),
    std::ops::Range<usize>,
    expectation::GroupFit,
    Vec<Vec<f64>>,
);

/// Tests every unit of `panel` in quarter index `t`. Pure: `yanpan eval`
/// calls it on simulated panels.
pub fn test_quarter(
    panel: &Panel,
    t: usize,
    s: &ConcentrationSettings,
    min_p: &stats::MinP,
) -> QuarterTests {
    test_quarter_knowing(panel, t, s, min_p, None)
}

/// [`test_quarter`] with the within-unit negative-binomial size known
/// rather than estimated (`yanpan eval`'s measure of what estimating it
/// costs).
pub fn test_quarter_knowing(
    panel: &Panel,
    t: usize,
    s: &ConcentrationSettings,
    min_p: &stats::MinP,
    known_size: Option<f64>,
) -> QuarterTests {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut out = QuarterTests::default();
    for (i, u) in panel.units.iter().enumerate() {
        if u.exposure > 0.0 {
            groups.entry(u.group.as_str()).or_default().push(i);
        } else {
            out.untested.push((i, NotTested::NoHeadcount, None));
        }
    }
    let mut names: Vec<&&str> = groups.keys().collect();
    names.sort();
    // The levels are independent, and so are each level's windows: one
    // core each, the tests in the levels' order.
    let levels: Vec<QuarterTests> = names
        .par_iter()
        .map(|g| test_level(panel, &groups[**g], t, s, min_p, known_size))
        .collect();
    for l in levels {
        out.tested.extend(l.tested);
        out.untested.extend(l.untested);
    }
    out
}

/// The units of one level in quarter `t`.
fn test_level(
    panel: &Panel,
    members: &[usize],
    t: usize,
    s: &ConcentrationSettings,
    min_p: &stats::MinP,
    known_size: Option<f64>,
) -> QuarterTests {
    let all_untested = |why| QuarterTests {
        tested: Vec::new(),
        untested: members.iter().map(|&i| (i, why, None)).collect(),
    };
    if members.len() < MIN_PEERS {
        // Too few units of this level to have peers (the city itself).
        return all_untested(NotTested::FewPeers);
    }
    let h = s.history_quarters.get() as usize;
    let season = |i: usize| panel.quarters[i].number() as usize - 1;
    let counts: Vec<&[f64]> = members
        .iter()
        .map(|&i| panel.units[i].counts.as_slice())
        .collect();
    let exposure: Vec<f64> = members.iter().map(|&i| panel.units[i].exposure).collect();
    // One fit per window: the history ends where the window starts.
    let looked: Vec<((usize, f64), std::ops::Range<usize>)> = s
        .windows
        .iter()
        .zip(&s.window_weights)
        .filter_map(|(&w, &weight)| {
            let end = (t + 1).checked_sub(w)?;
            let start = end.saturating_sub(h);
            (end - start >= 2).then_some(((w, weight), start..end))
        })
        .collect();
    let fits: Vec<WindowFit> = looked
        .into_par_iter()
        .map(|(w, hist)| {
            let (mut fit, capped) =
                expectation::fit_robust(&counts, &exposure, hist.clone(), t + 1, &season);
            if let Some(k) = known_size {
                fit.size = k;
            }
            (w, hist, fit, capped)
        })
        .collect();
    if fits.is_empty() {
        return all_untested(NotTested::NoHistory);
    }
    // Early quarters lack history for the long windows: calibrate for
    // the windows looked at (once per level, not per unit).
    let fewer;
    let calibration = if fits.len() == s.windows.len() {
        min_p
    } else {
        let (looked, weights): (Vec<usize>, Vec<f64>) = fits.iter().map(|f| f.0).unzip();
        fewer = stats::MinP::with_echo_cap(&looked, &weights, s.echo_cap_sd);
        &fewer
    };
    let mut out = QuarterTests::default();
    for (k, &i) in members.iter().enumerate() {
        let windows: Vec<WindowTest> = fits
            .iter()
            .map(|((w, _), hist, fit, capped)| {
                expectation::test_window_capped(
                    &capped[k],
                    exposure[k],
                    fit,
                    hist.clone(),
                    t + 1 - w..t + 1,
                    s.echo_cap_sd,
                )
            })
            .collect();
        // Not one petition in a history where almost every unit of its
        // level would have had some: a unit new to the tables (or not
        // reporting), not a calm one; its first petitions are not a rise.
        let (_, hist, fit, _) = &fits[0];
        let before: f64 = hist.clone().map(|q| counts[k][q]).sum();
        let peers: f64 = hist.clone().map(|q| exposure[k] * fit.rate[q]).sum();
        // P(no petition) with the unit's rate drawn from the level's gamma.
        let none = if fit.alpha.is_finite() {
            (fit.alpha / (fit.alpha + peers)).powf(fit.alpha)
        } else {
            (-peers).exp()
        };
        if before == 0.0 && none < 1.0 - NEW_UNIT_CHANCE {
            out.untested
                .push((i, NotTested::NoHistory, Some(windows[0])));
            continue;
        }
        // The minimum-expectation rule, on the one-quarter window.
        if windows[0].expected_history < s.min_expected {
            out.untested
                .push((i, NotTested::TooSmall, Some(windows[0])));
            continue;
        }
        let (decisive, smallest) = windows
            .iter()
            .zip(&fits)
            .map(|(w, f)| w.p_history / f.0.1)
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 1.0));
        out.tested.push(UnitTest {
            unit: i,
            decisive,
            windows,
            p: calibration.calibrate(smallest),
            q: f64::NAN,
        });
    }
    let q = stats::bh_q_values(&out.tested.iter().map(|u| u.p).collect::<Vec<_>>());
    for (u, q) in out.tested.iter_mut().zip(q) {
        u.q = q;
    }
    out
}

/// "高出 87%" / "87% above": the excess of observed over expected.
fn excess_pct(observed: f64, expected: f64) -> f64 {
    if expected > 0.0 {
        (observed / expected - 1.0) * 100.0
    } else {
        f64::INFINITY
    }
}

/// High when q is below a tenth of the flagging threshold.
pub(super) fn severity(q: f64, threshold: f64) -> Severity {
    if q < threshold / 10.0 {
        Severity::High
    } else {
        Severity::Medium
    }
}

/// The roll-up's petitions as a panel, and every unit's test in the
/// input's quarter (its index in the panel); `None` when the tables do not
/// hold the quarter.
pub fn tested(
    input: &DetectInput<'_>,
    s: &ConcentrationSettings,
) -> PolarsResult<Option<(Panel, usize, QuarterTests)>> {
    let panel = Panel::from_table(&input.rollup.0, uq::PETITIONS)?;
    super::check_span(NAME, &panel, input.quarter, s.quarters_read())?;
    // Quarters before the data began are not history: a shorter record
    // gives a shorter history, as the flag's sentence says.
    let panel = panel.trimmed();
    let Some(t) = panel.index(input.quarter) else {
        return Ok(None);
    };
    let tests = test_quarter(&panel, t, s, &s.min_p());
    Ok(Some((panel, t, tests)))
}

/// 1 = the smallest p among the tested units of the quarter.
pub fn ranks(tests: &[UnitTest]) -> HashMap<usize, usize> {
    let mut order: Vec<&UnitTest> = tests.iter().collect();
    order.sort_by(|a, b| a.p.total_cmp(&b.p));
    order
        .iter()
        .enumerate()
        .map(|(r, u)| (u.unit, r + 1))
        .collect()
}

/// Each window's evidence, for `scores.parquet`.
pub fn window_scores(windows: &[WindowTest]) -> Vec<WindowScore> {
    windows
        .iter()
        .map(|w| WindowScore {
            quarters: w.window as u8,
            observed: w.observed,
            expected: w.expected_history,
            p: w.p_history,
        })
        .collect()
}

/// A tested unit's score (not yet ranked or flagged).
fn tested_score(unit: &PanelUnit, quarter: Quarter, u: &UnitTest) -> Score {
    let b = u.best();
    Score {
        detector: NAME,
        unit_id: unit.id.clone(),
        unit_name: unit.name.clone(),
        group: unit.group.clone(),
        quarter,
        window: b.window as u8,
        observed: b.observed,
        expected_peer: b.expected_peer,
        expected_history: b.expected_history,
        rr: b.rr_shape / b.rr_rate,
        rr_lo: stats::gamma_quantile(b.rr_shape, b.rr_rate, 0.05),
        rr_hi: stats::gamma_quantile(b.rr_shape, b.rr_rate, 0.95),
        p_peer: b.p_peer,
        p: u.p,
        q: u.q,
        rank: 0,
        flagged: false,
        windows: window_scores(&u.windows),
        not_tested: None,
    }
}

/// A unit not tested: its count in quarter index `t`, the expectation when
/// one was set, the reason, and no p.
fn untested_score(
    unit: &PanelUnit,
    (quarter, t): (Quarter, usize),
    why: NotTested,
    one: Option<WindowTest>,
) -> Score {
    Score {
        group: unit.group.clone(),
        observed: unit.counts.get(t).copied().unwrap_or(f64::NAN),
        expected_peer: one.map_or(f64::NAN, |w| w.expected_peer),
        expected_history: one.map_or(f64::NAN, |w| w.expected_history),
        not_tested: Some(why.code()),
        ..Score::blank(NAME, &unit.id, &unit.name, quarter)
    }
}

impl Detector for Concentration {
    fn name(&self) -> &'static str {
        NAME
    }

    fn explain(&self) -> super::Explanation {
        let s = &self.settings;
        // A street of 100 staff at its peers' 0.1 a head for 12 quarters,
        // then 25 petitions; peers vary (shape 4), counts scatter (size 10).
        let fit = expectation::GroupFit {
            rate: vec![0.1; 13],
            alpha: 4.0,
            size: 10.0,
        };
        let counts: Vec<f64> = (0..13).map(|t| if t == 12 { 25.0 } else { 10.0 }).collect();
        let w = expectation::test_window(&counts, 100.0, &fit, 0..12, 12..13);
        super::Explanation {
            method: format!(
                "Each node of the unit tree (its own petitions plus those below it), within its level:\n\
                1. the level's rate per head, log-linear in time over the history (trend from 6 quarters,\n   quarter-of-year effects from 8), projected into the window: peer expectation = headcount x rate;\n\
                2. per level, between-unit gamma shape and within-unit negative-binomial size by moments\n   (the size from how consecutive quarters split their sum, free of each unit's level;\n   pairs above the level of the unit's other quarters + {trim} SD left out, the rest corrected exactly);\n\
                3. history counts winsorised at expectation + {cap} SD (plus the mean a count loses to the line),\n   and the level fitted again;\n\
                4. history expectation = peer expectation x the unit's shrunk relative risk (empirical Bayes);\n   mid-p of the window's count against the predictive negative binomial;\n\
                5. in a window, each quarter before the last counts at most its expectation + {echo} SD (a past spike is not\n   reported again); the smallest p / weight over the windows (a weight: the window's share of the\n   false-positive rate), calibrated for the windows looked at;\n\
                6. Benjamini-Hochberg q within the level; flag when q < q (high severity when q < q/10).\n\
                Levels with fewer than 3 units are not tested. Details and measured figures: docs/detection.md",
                trim = expectation::TRIM_SD,
                cap = expectation::CAP_SD,
                echo = s.echo_cap_sd
            ),
            settings: vec![
                ("[detect.concentration] q".into(), s.q.get().to_string()),
                (
                    "[detect.concentration] min_expected".into(),
                    s.min_expected.to_string(),
                ),
                (
                    "[detect.concentration] history_quarters".into(),
                    s.history_quarters.to_string(),
                ),
                (
                    "[detect.concentration] windows".into(),
                    format!("{:?}", s.windows),
                ),
                (
                    "[detect.concentration] window_weights".into(),
                    format!("{:?}", s.window_weights),
                ),
                (
                    "[detect.concentration] echo_cap_sd".into(),
                    s.echo_cap_sd.to_string(),
                ),
                (
                    "quarters read (longest window + history)".into(),
                    s.quarters_read().to_string(),
                ),
            ],
            example: format!(
                "A street of 100 staff whose peers receive 0.1 petitions a head a quarter had 10 a quarter for\n\
                 12 quarters and 25 this quarter: peer expectation {:.1}, history expectation {:.1},\n\
                 mid-p {:.2e} (one window; the run then calibrates over windows and applies BH across the level).",
                w.expected_peer, w.expected_history, w.p_history
            ),
        }
    }

    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
        let s = &self.settings;
        let Some((panel, t, tests)) = tested(input, s)? else {
            return Ok(Outcome::default());
        };
        let threshold = s.q.get();
        let mut outcome = Outcome::default();
        for &(i, why, one) in &tests.untested {
            outcome.scores.push(untested_score(
                &panel.units[i],
                (input.quarter, t),
                why,
                one,
            ));
        }
        let tests = tests.tested;
        let mut per_group: HashMap<&str, usize> = HashMap::new();
        for u in &tests {
            *per_group
                .entry(panel.units[u.unit].group.as_str())
                .or_default() += 1;
        }
        // Excess of every tested unit in each window, for the children's shares.
        let excess: HashMap<(&str, usize), f64> = tests
            .iter()
            .flat_map(|u| {
                u.windows.iter().map(|w| {
                    (
                        (panel.units[u.unit].id.as_str(), w.window),
                        (w.observed - w.expected_history).max(0.0),
                    )
                })
            })
            .collect();
        let rank = ranks(&tests);
        for u in &tests {
            let unit = &panel.units[u.unit];
            let b = u.best();
            let flagged = u.q < threshold;
            outcome.scores.push(Score {
                rank: rank.get(&u.unit).copied().unwrap_or(0),
                flagged,
                ..tested_score(unit, input.quarter, u)
            });
            if !flagged {
                continue;
            }
            let children: Vec<(String, f64)> = {
                let parent_excess = excess
                    .get(&(unit.id.as_str(), b.window))
                    .copied()
                    .unwrap_or(0.0);
                let mut c: Vec<(String, f64)> = panel
                    .units
                    .iter()
                    .filter(|c| c.parent.as_deref() == Some(unit.id.as_str()))
                    .filter_map(|c| {
                        let e = excess.get(&(c.id.as_str(), b.window)).copied()?;
                        (e > 0.0 && parent_excess > 0.0)
                            .then(|| (c.name.clone(), e / parent_excess))
                    })
                    .collect();
                c.sort_by(|a, b| b.1.total_cmp(&a.1));
                c.truncate(3);
                c
            };
            let pct = excess_pct(b.observed, b.expected_history);
            let span_zh = if b.window == 1 {
                String::new()
            } else {
                format!("近{}个季度", b.window)
            };
            let span_en = if b.window == 1 {
                String::new()
            } else {
                format!(" over the last {} quarters", b.window)
            };
            let mut zh = format!(
                "{}{}{}信访举报{:.0}件，按同类单位和本单位历史预期{:.1}件，高出{:.0}%，q={:.3}",
                unit.name, input.quarter, span_zh, b.observed, b.expected_history, pct, u.q
            );
            let mut en = format!(
                "{} {}{}: {:.0} petitions against {:.1} expected from peers and its own history, {:.0}% above, q={:.3}",
                unit.name, input.quarter, span_en, b.observed, b.expected_history, pct, u.q
            );
            if !children.is_empty() {
                let list = |sep: &str| {
                    children
                        .iter()
                        .map(|(n, share)| format!("{n} {:.0}%", share * 100.0))
                        .collect::<Vec<_>>()
                        .join(sep)
                };
                zh.push_str(&format!("；超出部分主要来自{}", list("、")));
                en.push_str(&format!("; the excess comes mostly from {}", list(", ")));
            }
            zh.push('。');
            en.push('.');
            outcome.flags.push(Flag {
                detector: NAME,
                unit_id: unit.id.clone(),
                unit_name: unit.name.clone(),
                person_id: None,
                field: None,
                subject: None,
                quarter: input.quarter,
                window: b.window as u8,
                severity: severity(u.q, threshold),
                sentence_zh: zh,
                sentence_en: en,
                evidence: Evidence {
                    observed: b.observed,
                    expected: b.expected_history,
                    statistic: if b.expected_history > 0.0 { b.observed / b.expected_history } else { f64::INFINITY },
                    p_value: u.p,
                    q_value: u.q,
                    threshold,
                    n_tested: per_group.get(unit.group.as_str()).copied().unwrap_or(0),
                    rule: format!(
                        "{} units: peer rate per head over up to {} prior quarters (trend, season), own history shrunk by empirical Bayes, negative binomial; smallest p / weight of windows {:?} (weights {:?}), calibrated; BH q < {threshold} within the level; tested when expecting >= {} and with >= {MIN_PEERS} units in the level",
                        unit.group, s.history_quarters, s.windows, s.window_weights, s.min_expected
                    ),
                },
            });
        }
        outcome.flags.sort_by(|a, b| {
            a.evidence
                .q_value
                .total_cmp(&b.evidence.q_value)
                .then_with(|| a.unit_id.cmp(&b.unit_id))
        });
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, group: &str, exposure: f64, counts: Vec<f64>) -> PanelUnit {
        PanelUnit {
            id: id.into(),
            name: id.into(),
            group: group.into(),
            parent: None,
            exposure,
            counts,
        }
    }

    #[test]
    fn every_unit_is_tested_or_said_why_not() {
        let quarters: Vec<Quarter> = "2021Q1".parse::<Quarter>().expect("q").range(16).collect();
        let steady =
            |k: usize| -> Vec<f64> { (0..16).map(|t| 9.0 + ((k + t) % 3) as f64).collect() };
        let mut units: Vec<PanelUnit> = (0..10)
            .map(|k| unit(&format!("S{k}"), "street", 100.0, steady(k)))
            .collect();
        let mut new = vec![0.0; 16];
        new[15] = 12.0;
        units.push(unit("NEW", "street", 100.0, new));
        units.push(unit("TINY", "street", 1.0, vec![0.0; 16]));
        units.push(unit("NOHC", "street", 0.0, steady(1)));
        units.push(unit("CITY", "city", 1000.0, steady(2)));
        let panel = Panel { quarters, units };
        let s = ConcentrationSettings::default();
        let tests = test_quarter(&panel, 15, &s, &s.min_p());
        let mut why: Vec<(&str, NotTested)> = tests
            .untested
            .iter()
            .map(|(i, w, _)| (panel.units[*i].id.as_str(), *w))
            .collect();
        why.sort();
        assert_eq!(
            why,
            [
                ("CITY", NotTested::FewPeers),
                ("NEW", NotTested::NoHistory),
                ("NOHC", NotTested::NoHeadcount),
                ("TINY", NotTested::TooSmall),
            ]
        );
        assert_eq!(tests.tested.len(), 10, "the steady streets");
        for w in NotTested::ALL {
            assert_eq!(NotTested::from_code(w.code()), Some(w));
        }
    }
}
