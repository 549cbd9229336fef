//! Statistics shared by the detectors: mid-p tails of counts, the
//! calibration of the smallest p over windows, gamma quantiles and the
//! Benjamini–Hochberg q-values.

use statrs::distribution::{
    ContinuousCDF, Discrete, DiscreteCDF, Gamma, NegativeBinomial, Poisson,
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
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        const DRAWS: usize = 200_000;
        let longest = windows.iter().copied().max().unwrap_or(1);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let normal = statrs::distribution::Normal::standard();
        let mut z = vec![0.0f64; longest];
        let mut sorted: Vec<f64> = (0..DRAWS)
            .map(|_| {
                for x in z.iter_mut() {
                    *x = StandardNormal.sample(&mut rng);
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
    fn bh_matches_hand_computation() {
        let q = bh_q_values(&[0.01, 0.04, 0.03, 0.5]);
        let want = [0.04, 0.0533333, 0.0533333, 0.5];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{q:?}");
        }
    }
}
