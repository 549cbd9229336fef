//! Statistics shared by the detectors: tail probabilities of counts and the
//! Benjamini–Hochberg q-values.

use statrs::distribution::{
    ContinuousCDF, Discrete, DiscreteCDF, Gamma, NegativeBinomial, Poisson,
};

/// P(X >= k) for X negative binomial with mean `mu` and size `size`
/// (`size = inf`: Poisson).
pub fn upper_tail(k: u64, mu: f64, size: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mu <= 0.0 {
        return 0.0;
    }
    let p = if size.is_finite() {
        NegativeBinomial::new(size, size / (size + mu))
            .map(|d| d.sf(k - 1))
            .unwrap_or(f64::NAN)
    } else {
        Poisson::new(mu).map(|d| d.sf(k - 1)).unwrap_or(f64::NAN)
    };
    p.clamp(0.0, 1.0)
}

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

/// Simes' combination of p-values of one hypothesis tested several ways
/// (here: windows of 1, 2 and 4 quarters): min over j of m p_(j) / j.
/// Valid under the positive dependence of overlapping windows.
pub fn simes(p: &[f64]) -> f64 {
    let mut v: Vec<f64> = p.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() as f64;
    v.iter()
        .enumerate()
        .map(|(j, p)| m * p / (j + 1) as f64)
        .fold(1.0f64, f64::min)
}

/// The null distribution of the smallest of the p-values of nested windows
/// ending at the same quarter (e.g. 1, 2 and 4 quarters), so that the
/// smallest can be turned into one calibrated p-value: P(min p <= x).
///
/// Window sums of independent quarters are correlated (√(a/b) for windows
/// of a <= b quarters); under the normal approximation the distribution of
/// the minimum depends only on the window lengths, so it is simulated once
/// (fixed seed, 200,000 draws). Below the simulation's resolution it is
/// extrapolated linearly from the 200th smallest draw (the minimum of
/// correlated p-values has a tail c·x, 1 <= c <= number of windows).
#[derive(Debug, Clone)]
pub struct MinP {
    sorted: Vec<f64>,
    slope: f64,
}

impl MinP {
    pub fn new(windows: &[usize]) -> MinP {
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
                let best = windows
                    .iter()
                    .map(|&w| z[..w].iter().sum::<f64>() / (w as f64).sqrt())
                    .fold(f64::NEG_INFINITY, f64::max);
                1.0 - normal.cdf(best)
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

/// Method-of-moments negative-binomial size from (observed, expected)
/// pairs: `var = mu + mu^2 / size`. Infinite when there is no overdispersion.
pub fn nb_size(pairs: &[(f64, f64)]) -> f64 {
    let (num, den) = pairs.iter().fold((0.0, 0.0), |(n, d), (y, mu)| {
        (n + (y - mu).powi(2) - mu, d + mu * mu)
    });
    if den <= 0.0 || num <= 0.0 {
        f64::INFINITY
    } else {
        (den / num).max(0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_match_known_values() {
        // Poisson(2): P(X >= 5) = 1 - P(X <= 4) = 0.05265
        assert!((upper_tail(5, 2.0, f64::INFINITY) - 0.052653).abs() < 1e-5);
        assert_eq!(upper_tail(0, 2.0, 5.0), 1.0);
        // Overdispersion fattens the tail.
        assert!(upper_tail(10, 4.0, 2.0) > upper_tail(10, 4.0, f64::INFINITY));
    }

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
        let one = MinP::new(&[1]);
        assert!(
            (one.calibrate(0.05) - 0.05).abs() < 0.003,
            "{}",
            one.calibrate(0.05)
        );
        let three = MinP::new(&[1, 2, 4]);
        for x in [0.001, 0.01, 0.05] {
            let c = three.calibrate(x);
            assert!(c > x && c < 3.0 * x, "{x}: {c}");
        }
    }

    #[test]
    fn simes_by_hand() {
        // sorted 0.01, 0.02, 0.5: min(3 x 0.01, 3 x 0.02 / 2, 0.5) = 0.03
        assert!((simes(&[0.5, 0.02, 0.01]) - 0.03).abs() < 1e-12);
        assert_eq!(simes(&[0.2]), 0.2);
    }

    #[test]
    fn bh_matches_hand_computation() {
        let q = bh_q_values(&[0.01, 0.04, 0.03, 0.5]);
        let want = [0.04, 0.0533333, 0.0533333, 0.5];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{q:?}");
        }
    }

    #[test]
    fn nb_size_detects_overdispersion() {
        let poissonish = [(3.0, 3.0), (4.0, 4.0), (5.0, 5.0)];
        assert!(nb_size(&poissonish).is_infinite());
        let spread = [(0.0, 5.0), (12.0, 5.0), (1.0, 5.0), (11.0, 5.0)];
        let s = nb_size(&spread);
        assert!(s.is_finite() && s > 0.5 && s < 10.0, "{s}");
    }
}
