//! A rise across a unit's subtree (辖区普遍上升): the units directly below a
//! parent (a district's streets, a street's communities), each against its
//! own expectation as the concentration detector sets it (its level's
//! peers and its own history, [`super::concentration`]), their excesses
//! pooled with each child's own dispersion. A rise spread thinly over
//! twenty streets is invisible in the district's own count, which is tested
//! against districts whose counts scatter widely; pooled over the streets,
//! each with its own small scatter, it stands out.
//!
//! Per window: each child's standardised excess z = (observed − expected) /
//! SD is capped at `child_cap_sd` (one child's spike does not make its
//! parent a cluster; that child has its own flag), the expectations are
//! scaled by the rest of the children's level in the window (a rise of the
//! whole level is not one parent's), and Z = Σ SD·z / √Σ SD². The windows
//! are combined as the concentration detector combines them; BH within the
//! parents' level.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;

use polars::prelude::*;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use super::concentration::{self, ConcentrationSettings, UnitTest};
use super::panel::Panel;
use super::{DetectInput, Detector, Explanation, Outcome, Score, WindowScore, stats};
use crate::model::{Evidence, Flag, Quarter, Ratio, setting};

pub const NAME: &str = "subtree_rise";
/// Benjamini–Hochberg q below which a parent is flagged, by default.
pub const Q: f64 = 0.10;
/// Parents with fewer tested children are not tested, by default.
pub const MIN_CHILDREN: u32 = 5;
/// A child's standardised excess counts at most this, by default.
pub const CHILD_CAP_SD: f64 = 2.0;
/// The bounds of `child_cap_sd`.
pub const CHILD_CAP_SD_BOUNDS: (f64, f64) = (0.5, 10.0);

/// Settings of `[detect.subtree_rise]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubtreeSettings {
    /// Benjamini–Hochberg q below which a parent is flagged.
    pub q: Ratio,
    /// Parents with fewer children tested by the concentration detector are
    /// not tested.
    pub min_children: NonZeroU32,
    /// Each child's standardised excess counts at most this many SD.
    pub child_cap_sd: f64,
}

impl Default for SubtreeSettings {
    fn default() -> Self {
        SubtreeSettings {
            q: Ratio::of_const(Q),
            min_children: NonZeroU32::MIN.saturating_add(MIN_CHILDREN - 1),
            child_cap_sd: CHILD_CAP_SD,
        }
    }
}

impl SubtreeSettings {
    /// `[detect.subtree_rise]`: each value given, or its default, within
    /// its bounds.
    pub fn configured(
        q: Option<f64>,
        min_children: Option<u32>,
        child_cap_sd: Option<f64>,
    ) -> Result<Self, String> {
        let key = "[detect.subtree_rise]";
        let min_children =
            setting::at_least_one(&format!("{key} min_children"), min_children, MIN_CHILDREN)?;
        if min_children.get() < 2 {
            return Err(format!(
                "{key} min_children = 1: a subtree needs at least 2 children"
            ));
        }
        let cap = child_cap_sd.unwrap_or(CHILD_CAP_SD);
        if !(CHILD_CAP_SD_BOUNDS.0..=CHILD_CAP_SD_BOUNDS.1).contains(&cap) {
            return Err(format!(
                "{key} child_cap_sd = {cap}: give standard deviations between {} and {}",
                CHILD_CAP_SD_BOUNDS.0, CHILD_CAP_SD_BOUNDS.1
            ));
        }
        Ok(SubtreeSettings {
            q: setting::ratio(&format!("{key} q"), q, Q)?,
            min_children,
            child_cap_sd: cap,
        })
    }
}

/// The detector: its own settings and the concentration detector's, which
/// set each child's expectation and the windows.
#[derive(Debug, Clone)]
pub struct SubtreeRise {
    pub settings: SubtreeSettings,
    pub concentration: ConcentrationSettings,
}

/// One window of a parent's pooled test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PooledWindow {
    pub window: usize,
    /// The children's counts, and their expectations scaled by the rest
    /// of their level.
    pub observed: f64,
    pub expected: f64,
    /// Children above their expectation, of those tested.
    pub above: usize,
    pub children: usize,
    pub p: f64,
}

/// One parent tested in one quarter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParentTest {
    /// Index into the panel's units.
    pub unit: usize,
    pub windows: Vec<PooledWindow>,
    pub decisive: usize,
    pub p: f64,
    pub q: f64,
}

impl ParentTest {
    pub fn best(&self) -> &PooledWindow {
        &self.windows[self.decisive]
    }
}

/// Every parent of the quarter with at least one tested child: tested, or
/// (fewer than `min_children`) not, with its number of children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParentTests {
    pub tested: Vec<ParentTest>,
    pub untested: Vec<(usize, usize)>,
}

/// Each level's observed and expected sums per window length, over its
/// tested units: the yardstick for a level-wide movement.
type LevelSums = HashMap<(String, usize), (f64, f64)>;

/// Tests the parents of the units in `tests` (the concentration detector's
/// tests of quarter `t`). Pure: `yanpan eval` calls it on simulated panels.
pub fn test_parents(
    panel: &Panel,
    tests: &[UnitTest],
    s: &SubtreeSettings,
    c: &ConcentrationSettings,
    min_p: &stats::MinP,
) -> ParentTests {
    let at: HashMap<&str, usize> = panel
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id.as_str(), i))
        .collect();
    let mut children: BTreeMap<usize, Vec<&UnitTest>> = BTreeMap::new();
    for u in tests {
        if let Some(&p) = panel.units[u.unit]
            .parent
            .as_deref()
            .and_then(|p| at.get(p))
        {
            children.entry(p).or_default().push(u);
        }
    }
    let mut level: LevelSums = HashMap::new();
    for u in tests {
        for w in &u.windows {
            let e = level
                .entry((panel.units[u.unit].group.clone(), w.window))
                .or_default();
            *e = (e.0 + w.observed, e.1 + w.expected_history);
        }
    }
    let mut out = ParentTests::default();
    // Early quarters lack history for the long windows: one calibration
    // per set of windows looked at (each is a 200,000-draw simulation).
    let mut fewer: HashMap<Vec<usize>, stats::MinP> = HashMap::new();
    for (parent, kids) in children {
        if kids.len() < s.min_children.get() as usize {
            out.untested.push((parent, kids.len()));
            continue;
        }
        let windows: Vec<PooledWindow> = c
            .windows
            .iter()
            .filter_map(|&w| pooled(panel, &kids, w, &level, s))
            .collect();
        if windows.is_empty() {
            out.untested.push((parent, kids.len()));
            continue;
        }
        let weight = |w: usize| {
            c.windows
                .iter()
                .position(|x| *x == w)
                .map_or(1.0, |k| c.window_weights[k])
        };
        let (decisive, smallest) = windows
            .iter()
            .map(|w| w.p / weight(w.window))
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 1.0));
        let p = if windows.len() == c.windows.len() {
            min_p.calibrate(smallest)
        } else {
            let looked: Vec<usize> = windows.iter().map(|w| w.window).collect();
            fewer
                .entry(looked)
                .or_insert_with_key(|looked| {
                    let weights: Vec<f64> = looked.iter().map(|&w| weight(w)).collect();
                    stats::MinP::with_echo_cap(looked, &weights, c.echo_cap_sd)
                })
                .calibrate(smallest)
        };
        out.tested.push(ParentTest {
            unit: parent,
            windows,
            decisive,
            p,
            q: f64::NAN,
        });
    }
    // BH within each level of parents.
    let mut by_level: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (k, t) in out.tested.iter().enumerate() {
        by_level
            .entry(panel.units[t.unit].group.as_str())
            .or_default()
            .push(k);
    }
    let mut q = vec![f64::NAN; out.tested.len()];
    for members in by_level.values() {
        let p: Vec<f64> = members.iter().map(|&k| out.tested[k].p).collect();
        for (&k, v) in members.iter().zip(stats::bh_q_values(&p)) {
            q[k] = v;
        }
    }
    for (t, q) in out.tested.iter_mut().zip(q) {
        t.q = q;
    }
    out
}

/// The children's excesses in the window of `w` quarters, pooled.
fn pooled(
    panel: &Panel,
    kids: &[&UnitTest],
    w: usize,
    level: &LevelSums,
    s: &SubtreeSettings,
) -> Option<PooledWindow> {
    let of_w: Vec<(&UnitTest, &super::expectation::WindowTest)> = kids
        .iter()
        .filter_map(|u| Some((*u, u.windows.iter().find(|x| x.window == w)?)))
        .collect();
    if of_w.len() < s.min_children.get() as usize {
        return None;
    }
    // The rest of each child's level: observed / expected without this
    // parent's children.
    let mut own: HashMap<&str, (f64, f64)> = HashMap::new();
    for (u, x) in &of_w {
        let e = own.entry(panel.units[u.unit].group.as_str()).or_default();
        *e = (e.0 + x.observed, e.1 + x.expected_history);
    }
    let scale = |group: &str| {
        let (o, e) = level
            .get(&(group.to_string(), w))
            .copied()
            .unwrap_or_default();
        let (mo, me) = own.get(group).copied().unwrap_or_default();
        let (o, e) = (o - mo, e - me);
        if o > 0.0 && e > 0.0 { o / e } else { 1.0 }
    };
    let normal = Normal::standard();
    let c = s.child_cap_sd;
    let lost = normal.pdf(c) - c * normal.sf(c);
    let (mut observed, mut expected, mut excess, mut variance, mut above) = (0.0, 0.0, 0.0, 0.0, 0);
    for (u, x) in &of_w {
        let e = x.expected_history * scale(&panel.units[u.unit].group);
        let sd = x.variance_history.max(e).sqrt();
        if sd.is_nan() || sd <= 0.0 {
            continue;
        }
        let z = (x.observed - e) / sd;
        let z = if z > c { c + lost } else { z };
        observed += x.observed;
        expected += e;
        excess += sd * z;
        variance += sd * sd;
        above += usize::from(x.observed > e);
    }
    let z = if variance > 0.0 {
        excess / variance.sqrt()
    } else {
        0.0
    };
    Some(PooledWindow {
        window: w,
        observed,
        expected,
        above,
        children: of_w.len(),
        p: normal.sf(z),
    })
}

impl Detector for SubtreeRise {
    fn name(&self) -> &'static str {
        NAME
    }

    fn explain(&self) -> Explanation {
        let (s, c) = (&self.settings, &self.concentration);
        // Ten streets expecting 10 petitions each (SD 3.3), each with 14.
        let z = (10.0f64 * 3.3 * (4.0 / 3.3)) / (10.0f64 * 3.3 * 3.3).sqrt();
        Explanation {
            method: format!(
                "The units directly below a parent (a district's streets, a street's communities), each against its own\n\
                 expectation as the concentration detector sets it (peers of its level, its own history):\n\
                 1. per window, each child's standardised excess (observed - expected) / SD, capped at {cap} SD (one child's\n   spike is that child's flag, not its parent's);\n\
                 2. expectations scaled by the rest of the children's level in the window (a rise of the whole level is\n   not one parent's);\n\
                 3. pooled with each child's own dispersion: Z = sum of SD x z / sqrt(sum of SD^2), one-sided normal p;\n\
                 4. the windows combined as for concentration; Benjamini-Hochberg within the parents' level; flag when\n   q < {q} (high when q < {q}/10). The flag names how many children are above their expectation.\n\
                 Parents with fewer than {min} tested children are not tested. Details and measured figures: docs/detection.md",
                cap = s.child_cap_sd,
                q = s.q.get(),
                min = s.min_children,
            ),
            settings: vec![
                ("[detect.subtree_rise] q".into(), s.q.get().to_string()),
                (
                    "[detect.subtree_rise] min_children".into(),
                    s.min_children.to_string(),
                ),
                (
                    "[detect.subtree_rise] child_cap_sd".into(),
                    s.child_cap_sd.to_string(),
                ),
                (
                    "windows and weights (from [detect.concentration])".into(),
                    format!("{:?} {:?}", c.windows, c.window_weights),
                ),
            ],
            example: format!(
                "A district of 10 streets, each expecting 10 petitions (SD 3.3), each receiving 14: no street stands out\n\
                 alone (z = 1.2 each), pooled Z = {z:.2}, p = {:.1e} (one window; the run then combines windows and applies BH).",
                Normal::standard().sf(z)
            ),
        }
    }

    fn detect(&self, input: &DetectInput<'_>) -> PolarsResult<Outcome> {
        let c = &self.concentration;
        let Some((panel, _, tests)) = concentration::tested(input, c)? else {
            return Ok(Outcome::default());
        };
        let parents = test_parents(&panel, &tests.tested, &self.settings, c, &c.min_p());
        let threshold = self.settings.q.get();
        let mut per_level: HashMap<&str, usize> = HashMap::new();
        for t in &parents.tested {
            *per_level
                .entry(panel.units[t.unit].group.as_str())
                .or_default() += 1;
        }
        let mut out = Outcome::default();
        for &(i, _) in &parents.untested {
            out.scores.push(Score {
                not_tested: Some("few_children"),
                ..score(&panel, i, input.quarter, None)
            });
        }
        for t in &parents.tested {
            let flagged = t.q < threshold;
            out.scores.push(Score {
                flagged,
                ..score(&panel, t.unit, input.quarter, Some(t))
            });
            if flagged {
                let n_tested = per_level
                    .get(panel.units[t.unit].group.as_str())
                    .copied()
                    .unwrap_or(0);
                out.flags
                    .push(self.flag(&panel, t, input.quarter, n_tested));
            }
        }
        out.flags.sort_by(|a, b| {
            a.evidence
                .q_value
                .total_cmp(&b.evidence.q_value)
                .then_with(|| a.unit_id.cmp(&b.unit_id))
        });
        Ok(out)
    }
}

/// A parent's score: its pooled windows, or (untested) nothing but its name.
fn score(panel: &Panel, i: usize, quarter: Quarter, t: Option<&ParentTest>) -> Score {
    let unit = &panel.units[i];
    let blank = Score {
        group: unit.group.clone(),
        ..Score::blank(NAME, &unit.id, &unit.name, quarter)
    };
    let Some(t) = t else {
        return blank;
    };
    let b = t.best();
    Score {
        window: b.window as u8,
        observed: b.observed,
        expected_history: b.expected,
        p: t.p,
        q: t.q,
        windows: t
            .windows
            .iter()
            .map(|w| WindowScore {
                quarters: w.window as u8,
                observed: w.observed,
                expected: w.expected,
                p: w.p,
            })
            .collect(),
        ..blank
    }
}

impl SubtreeRise {
    fn flag(&self, panel: &Panel, t: &ParentTest, quarter: Quarter, n_tested: usize) -> Flag {
        let unit = &panel.units[t.unit];
        let b = t.best();
        let threshold = self.settings.q.get();
        let pct = if b.expected > 0.0 {
            (b.observed / b.expected - 1.0) * 100.0
        } else {
            f64::INFINITY
        };
        let (span_zh, span_en) = if b.window == 1 {
            (String::new(), String::new())
        } else {
            (
                format!("近{}个季度", b.window),
                format!(" over the last {} quarters", b.window),
            )
        };
        let c = &self.concentration;
        Flag {
            detector: NAME,
            unit_id: unit.id.clone(),
            unit_name: unit.name.clone(),
            person_id: None,
            field: None,
            subject: None,
            quarter,
            window: b.window as u8,
            severity: concentration::severity(t.q, threshold),
            sentence_zh: format!(
                "{}{}{}下辖{}个单位中{}个信访举报高于预期，合计{:.0}件，预期{:.1}件，高出{:.0}%，q={:.3}。",
                unit.name, quarter, span_zh, b.children, b.above, b.observed, b.expected, pct, t.q
            ),
            sentence_en: format!(
                "{} {}{}: {} of the {} units below it above expectation, {:.0} petitions against {:.1} expected, {:.0}% above, q={:.3}.",
                unit.name, quarter, span_en, b.above, b.children, b.observed, b.expected, pct, t.q
            ),
            evidence: Evidence {
                observed: b.observed,
                expected: b.expected,
                statistic: b.above as f64 / b.children.max(1) as f64,
                p_value: t.p,
                q_value: t.q,
                threshold,
                n_tested,
                rule: format!(
                    "the units directly below (at least {}), each against its concentration expectation scaled by the rest of its level; standardised excesses capped at {} SD, pooled with each child's own dispersion; smallest p / weight of windows {:?} (weights {:?}), calibrated; BH q < {threshold} within the level; statistic: the share of children above expectation",
                    self.settings.min_children,
                    self.settings.child_cap_sd,
                    c.windows,
                    c.window_weights
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::concentration::test_quarter;
    use crate::detect::panel::PanelUnit;

    /// Three districts of twelve streets, 16 quarters of 10 petitions a
    /// quarter give or take one; `last(district, street)` is the last
    /// quarter's count.
    fn city(last: impl Fn(usize, usize) -> f64) -> Panel {
        let quarters: Vec<Quarter> = "2021Q1".parse::<Quarter>().expect("q").range(16).collect();
        let mut units = Vec::new();
        for d in 0..3 {
            units.push(PanelUnit {
                id: format!("D{d}"),
                name: format!("第{d}区"),
                group: "district".into(),
                parent: None,
                exposure: 1200.0,
                counts: vec![120.0; 16],
            });
            for s in 0..12 {
                let mut counts: Vec<f64> =
                    (0..16).map(|t| 9.0 + ((s + t + d) % 3) as f64).collect();
                counts[15] = last(d, s);
                units.push(PanelUnit {
                    id: format!("D{d}S{s:02}"),
                    name: format!("第{d}区{s}街道"),
                    group: "street".into(),
                    parent: Some(format!("D{d}")),
                    exposure: 100.0,
                    counts,
                });
            }
        }
        Panel { quarters, units }
    }

    fn flagged(panel: &Panel) -> Vec<(String, usize, usize)> {
        let c = ConcentrationSettings::default();
        let s = SubtreeSettings::default();
        let units = test_quarter(panel, 15, &c, &c.min_p());
        let parents = test_parents(panel, &units.tested, &s, &c, &c.min_p());
        assert!(parents.untested.is_empty(), "{:?}", parents.untested);
        assert_eq!(parents.tested.len(), 3, "every district tested");
        parents
            .tested
            .iter()
            .filter(|t| t.q < s.q.get())
            .map(|t| {
                let b = t.best();
                (panel.units[t.unit].id.clone(), b.above, b.children)
            })
            .collect()
    }

    #[test]
    fn a_district_whose_streets_all_rise_a_little_is_flagged_with_their_count() {
        // Each of D0's streets at 14 (about 1.2 SD each): none stands out.
        let panel = city(|d, s| {
            if d == 0 {
                14.0
            } else {
                9.0 + ((s + 15 + d) % 3) as f64
            }
        });
        assert_eq!(flagged(&panel), [("D0".to_string(), 12, 12)]);
    }

    #[test]
    fn one_streets_spike_does_not_make_its_district_a_cluster() {
        let panel = city(|d, s| {
            if d == 1 && s == 0 {
                60.0
            } else {
                9.0 + ((s + 15 + d) % 3) as f64
            }
        });
        assert!(flagged(&panel).is_empty());
    }

    #[test]
    fn a_rise_of_every_street_of_the_city_is_no_one_districts() {
        let panel = city(|_, _| 14.0);
        assert!(flagged(&panel).is_empty());
    }

    #[test]
    fn settings_keep_their_bounds() {
        assert_eq!(
            SubtreeSettings::configured(None, None, None),
            Ok(SubtreeSettings::default())
        );
        for (min, cap) in [(Some(1), None), (None, Some(0.1)), (None, Some(20.0))] {
            assert!(SubtreeSettings::configured(None, min, cap).is_err());
        }
        assert!(SubtreeSettings::configured(Some(1.5), None, None).is_err());
    }
}
