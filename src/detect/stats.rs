//! Statistics shared by the detectors: mid-p tails of counts, the
//! calibration of the smallest p over windows, gamma quantiles and the
//! Benjamini–Hochberg q-values.

use statrs::distribution::{
    Continuous, ContinuousCDF, Discrete, DiscreteCDF, Gamma, NegativeBinomial, Poisson,
};

/// Mid-p upper tail, P(X > y) + P(X = y) / 2, of a count with the given
/// mean and variance: negative binomial by moment matching when the
/// variance exceeds the mean, Poisson otherwise. Mid-p values are uniform
/// on average under the null, where P(X >= y) is conservative for small
/// counts.
pub fn mid_p(y: f64, mean: f64, variance: f64) -> f64 {
    if mean.is_nan() || mean <= 0.0 {
        return if y > 0.0 { 0.0 } else { 0.5 };
    }
    let k = y.max(0.0).round() as u64;
    let (gt, eq) = if variance > mean * (1.0 + 1e-9) {
        let size = mean * mean / (variance - mean);
        match NegativeBinomial::new(size, size / (size + mean)) {
            Ok(d) => (d.sf(k), d.pmf(k)),
            Err(_) => return f64::NAN,
        }
    } else {
        match Poisson::new(mean) {
            Ok(d) => (d.sf(k), d.pmf(k)),
            Err(_) => return f64::NAN,
        }
    };
    (gt + 0.5 * eq).clamp(0.0, 1.0)
}

/// The null distribution of the smallest of the weighted p-values (p /
/// weight) of nested windows ending at the same quarter (e.g. 1, 2 and 4
/// quarters), so that the smallest can be turned into one calibrated
/// p-value: P(min p / weight <= x). With weights summing to 1 this is a
/// weighted Bonferroni made exact for the windows' correlation: a window's
/// weight is its share of the false-positive rate.
///
/// Window sums of independent quarters are correlated (√(a/b) for windows
/// of a <= b quarters); under the normal approximation the distribution of
/// the minimum depends only on the window lengths and weights, so it is
/// simulated once (fixed seed, 200,000 draws). Below the simulation's
/// resolution it is extrapolated linearly from the 200th smallest draw (the
/// minimum has a tail c·x, the largest weight <= c <= 1).
#[derive(Debug, Clone)]
pub struct MinP {
    sorted: Vec<f64>,
    slope: f64,
}

impl MinP {
    /// `weights`: each window's share of the false-positive rate; the
    /// statistic is the smallest p / weight.
    pub fn new(windows: &[usize], weights: &[f64]) -> MinP {
        MinP::with_echo_cap(windows, weights, f64::INFINITY)
    }

    /// For windows whose quarters before the last are capped at their
    /// expectation + `echo_cap_sd` SD (plus the mean the cap takes off, as
    /// [`super::expectation::test_window_capped`] does): the simulated
    /// standard normals are capped the same way.
    pub fn with_echo_cap(windows: &[usize], weights: &[f64], echo_cap_sd: f64) -> MinP {
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        const DRAWS: usize = 200_000;
        let longest = windows.iter().copied().max().unwrap_or(1);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let normal = statrs::distribution::Normal::standard();
        let mut z = vec![0.0f64; longest];
        // E[(Z - c)+] for a standard normal Z.
        let lost = if echo_cap_sd.is_finite() {
            normal.pdf(echo_cap_sd) - echo_cap_sd * normal.sf(echo_cap_sd)
        } else {
            0.0
        };
        let mut sorted: Vec<f64> = (0..DRAWS)
            .map(|_| {
                for (i, x) in z.iter_mut().enumerate() {
                    let draw: f64 = StandardNormal.sample(&mut rng);
                    // z[0] is the window's last quarter, never capped.
                    *x = if i > 0 && draw > echo_cap_sd {
                        echo_cap_sd + lost
                    } else {
                        draw
                    };
                }
                windows
                    .iter()
                    .zip(weights)
                    .map(|(&w, weight)| {
                        normal.sf(z[..w].iter().sum::<f64>() / (w as f64).sqrt()) / weight
                    })
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        sorted.sort_by(f64::total_cmp);
        let k = 200.min(DRAWS - 1);
        let slope = ((k + 1) as f64 / DRAWS as f64) / sorted[k].max(f64::MIN_POSITIVE);
        MinP { sorted, slope }
    }

    /// P(min p <= x) under the null.
    pub fn calibrate(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        let k = self.sorted.partition_point(|v| *v <= x);
        if k <= 200 {
            (x * self.slope).min(1.0)
        } else {
            k as f64 / self.sorted.len() as f64
        }
    }
}

/// A negative binomial count Y (mean `m`, size 1 / `inv_k`) below a line
/// `cap`: P(Y <= cap), E[Y; Y <= cap] and E[(Y − m)²; Y <= cap]. Exact
/// (the probabilities summed) up to `cap` = 500; above, Y is taken as
/// gamma with its mean and variance (continuity corrected), where
/// E[X^j; X <= c] is a gamma CDF of shape + j.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Below {
    pub m: f64,
    pub inv_k: f64,
    pub cap: f64,
    pub prob: f64,
    pub sum: f64,
    pub moment: f64,
}

impl Below {
    pub fn new(m: f64, inv_k: f64, cap: f64) -> Below {
        let (prob, sum, moment) = if m.is_nan() || m <= 0.0 || cap < 0.0 {
            (f64::from(cap >= 0.0), 0.0, 0.0)
        } else if cap <= 500.0 {
            below_exact(m, inv_k, cap)
        } else {
            below_gamma(m, inv_k, cap)
        };
        Below {
            m,
            inv_k,
            cap,
            prob,
            sum,
            moment,
        }
    }

    /// The share of the variance that counts at most the line keep:
    /// E[(Y − m)² | Y <= cap] / Var Y (1 when nothing is above the line).
    pub fn kept_variance_share(&self) -> f64 {
        let variance = self.m + self.m * self.m * self.inv_k;
        if self.prob > 0.0 && self.moment > 0.0 && variance > 0.0 {
            (self.moment / (self.prob * variance)).min(1.0)
        } else {
            1.0
        }
    }

    /// E[(Y − cap)+]: what capping Y at the line takes off its mean.
    pub fn excess(&self) -> f64 {
        (self.m - self.sum - self.cap * (1.0 - self.prob)).max(0.0)
    }
}

fn below_exact(m: f64, inv_k: f64, cap: f64) -> (f64, f64, f64) {
    let mut p = if inv_k > 0.0 {
        (-(m * inv_k).ln_1p() / inv_k).exp()
    } else {
        (-m).exp()
    };
    let (mut prob, mut sum, mut moment) = (0.0, 0.0, 0.0);
    for y in 0..=cap as u64 {
        let y = y as f64;
        prob += p;
        sum += p * y;
        moment += p * (y - m).powi(2);
        p *= m * (1.0 + y * inv_k) / ((y + 1.0) * (1.0 + m * inv_k));
    }
    (prob, sum, moment)
}

fn below_gamma(m: f64, inv_k: f64, cap: f64) -> (f64, f64, f64) {
    use statrs::function::gamma::gamma_lr;
    let variance = m + m * m * inv_k;
    let (shape, scale) = (m * m / variance, variance / m);
    let below = |a: f64| gamma_lr(a, (cap + 0.5) / scale);
    let (p0, p1, p2) = (below(shape), below(shape + 1.0), below(shape + 2.0));
    let moment = m * m * ((1.0 + 1.0 / shape) * p2 - 2.0 * p1 + p0);
    (p0, m * p1, moment)
}

/// The `prob` quantile of a gamma distribution with this shape and rate.
pub fn gamma_quantile(shape: f64, rate: f64, prob: f64) -> f64 {
    Gamma::new(shape, rate)
        .map(|g| g.inverse_cdf(prob))
        .unwrap_or(f64::NAN)
}

/// Benjamini–Hochberg q-values, in the order of `p`.
pub fn bh_q_values(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_p_halves_the_point_mass() {
        // Poisson(2): P(X > 3) = 0.142877, P(X = 3) = 0.180447.
        let p = mid_p(3.0, 2.0, 2.0);
        assert!((p - (0.142877 + 0.180447 / 2.0)).abs() < 1e-5, "{p}");
        // Overdispersion (variance 6 for mean 2) fattens the tail.
        assert!(mid_p(8.0, 2.0, 6.0) > mid_p(8.0, 2.0, 2.0));
    }

    #[test]
    fn capping_earlier_quarters_makes_small_minima_rarer_not_commoner() {
        let (w, weights) = ([1, 2, 4], [0.6, 0.3, 0.1]);
        let plain = MinP::new(&w, &weights);
        let capped = MinP::with_echo_cap(&w, &weights, 2.5);
        for x in [0.001, 0.01, 0.05] {
            let (a, b) = (plain.calibrate(x), capped.calibrate(x));
            // Above the one-quarter window's own share, below the plain.
            assert!(b <= a + 1e-9 && b >= 0.6 * x - 1e-3, "{x}: {a} vs {b}");
        }
        let off = MinP::with_echo_cap(&w, &weights, f64::INFINITY);
        assert_eq!(off.calibrate(0.01), plain.calibrate(0.01));
    }

    #[test]
    fn min_p_calibration_lies_between_one_window_and_bonferroni() {
        let one = MinP::new(&[1], &[1.0]);
        assert!(
            (one.calibrate(0.05) - 0.05).abs() < 0.003,
            "{}",
            one.calibrate(0.05)
        );
        let three = MinP::new(&[1, 2, 4], &[1.0 / 3.0; 3]);
        let weighted = MinP::new(&[1, 2, 4], &[0.6, 0.3, 0.1]);
        for x in [0.001, 0.01, 0.05] {
            // Equal weights, the statistic 3 × the smallest p: between
            // one window (x / 3) and Bonferroni (x).
            let c = three.calibrate(x);
            assert!(c > x / 3.0 && c < x, "{x}: {c}");
            // Weighted: between the largest weight's share and Bonferroni.
            let c = weighted.calibrate(x);
            assert!(c > 0.6 * x && c < x, "{x}: {c}");
        }
    }

    #[test]
    fn counts_below_a_line_match_the_distribution() {
        // Poisson(2) up to 4, by hand: P(Y = y) for y = 0..4.
        let p = [0.135335, 0.270671, 0.270671, 0.180447, 0.090224];
        let prob: f64 = p.iter().sum();
        let sum: f64 = p.iter().enumerate().map(|(y, p)| p * y as f64).sum();
        let moment: f64 = p
            .iter()
            .enumerate()
            .map(|(y, p)| p * (y as f64 - 2.0).powi(2))
            .sum();
        let b = Below::new(2.0, 0.0, 4.0);
        assert!((b.prob - prob).abs() < 1e-5, "{b:?}");
        assert!(
            (b.kept_variance_share() - moment / prob / 2.0).abs() < 1e-5,
            "{b:?}"
        );
        // E[(Y − 4)+] = 2 − E[Y; Y <= 4] − 4 P(Y > 4).
        assert!(
            (b.excess() - (2.0 - sum - 4.0 * (1.0 - prob))).abs() < 1e-5,
            "{b:?}"
        );
        // Nothing above the line: all of the variance kept, nothing taken off.
        let b = Below::new(5.0, 0.1, 200.0);
        assert!((b.kept_variance_share() - 1.0).abs() < 1e-9 && b.excess() < 1e-9);
        // The exact sum and the gamma approximation agree where they meet
        // (mean 300, size 10: sd 96; the line 2 SD up).
        let (m, inv_k): (f64, f64) = (300.0, 0.1);
        let cap = (m + 2.0 * (m + m * m * inv_k).sqrt()).floor();
        let variance = m + m * m * inv_k;
        let exact = below_exact(m, inv_k, cap);
        let gamma = below_gamma(m, inv_k, cap);
        assert!((exact.0 - gamma.0).abs() < 0.003, "{exact:?} vs {gamma:?}");
        assert!(
            (exact.1 - gamma.1).abs() / m < 0.003,
            "{exact:?} vs {gamma:?}"
        );
        assert!(
            (exact.2 - gamma.2).abs() / variance < 0.01,
            "{exact:?} vs {gamma:?}"
        );
        // A 2 SD line keeps most of the variance of a skewed count, not all.
        let share = Below::new(m, inv_k, cap).kept_variance_share();
        assert!(share > 0.7 && share < 0.95, "{share}");
    }

    #[test]
    fn bh_matches_hand_computation() {
        let q = bh_q_values(&[0.01, 0.04, 0.03, 0.5]);
        let want = [0.04, 0.0533333, 0.0533333, 0.5];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{q:?}");
        }
    }
}
