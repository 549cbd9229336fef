//! How well computed matters match known ones: pairwise and B-cubed
//! precision and recall. Pure.

use std::hash::Hash;

use polars::prelude::PlHashMap;

/// Precision and recall of a grouping against the truth.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Quality {
    pub petitions: usize,
    /// Of the pairs put in one matter, the share truly one matter.
    pub pairwise_precision: f64,
    /// Of the pairs truly one matter, the share put in one.
    pub pairwise_recall: f64,
    /// Per petition, the share of its computed matter truly its own, averaged.
    pub bcubed_precision: f64,
    /// Per petition, the share of its true matter found with it, averaged.
    pub bcubed_recall: f64,
}

/// `found[i]` and `truth[i]` name petition i's computed and true matter.
pub fn quality<F: Hash + Eq, T: Hash + Eq>(found: &[F], truth: &[T]) -> Quality {
    assert_eq!(found.len(), truth.len(), "one label of each per petition");
    let mut f_size: PlHashMap<&F, u64> = PlHashMap::default();
    let mut t_size: PlHashMap<&T, u64> = PlHashMap::default();
    let mut both: PlHashMap<(&F, &T), u64> = PlHashMap::default();
    for (f, t) in found.iter().zip(truth) {
        *f_size.entry(f).or_default() += 1;
        *t_size.entry(t).or_default() += 1;
        *both.entry((f, t)).or_default() += 1;
    }
    let pairs = |n: u64| n * n.saturating_sub(1) / 2;
    let tp: u64 = both.values().map(|&n| pairs(n)).sum();
    let found_pairs: u64 = f_size.values().map(|&n| pairs(n)).sum();
    let true_pairs: u64 = t_size.values().map(|&n| pairs(n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let n = found.len();
    let (mut bp, mut br) = (0.0, 0.0);
    for (f, t) in found.iter().zip(truth) {
        let shared = both[&(f, t)] as f64;
        bp += shared / f_size[f] as f64;
        br += shared / t_size[t] as f64;
    }
    let mean = |s: f64| if n == 0 { 1.0 } else { s / n as f64 };
    Quality {
        petitions: n,
        pairwise_precision: ratio(tp, found_pairs),
        pairwise_recall: ratio(tp, true_pairs),
        bcubed_precision: mean(bp),
        bcubed_recall: mean(br),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_costs_precision_and_a_split_costs_recall() {
        let truth = [1, 1, 2, 2];
        let same = quality(&["a", "a", "b", "b"], &truth);
        assert_eq!((same.pairwise_precision, same.pairwise_recall), (1.0, 1.0));
        assert_eq!((same.bcubed_precision, same.bcubed_recall), (1.0, 1.0));
        let merged = quality(&["a", "a", "a", "a"], &truth);
        assert_eq!(merged.pairwise_precision, 2.0 / 6.0);
        assert_eq!(merged.pairwise_recall, 1.0);
        assert_eq!(merged.bcubed_precision, 0.5);
        let split = quality(&["a", "b", "c", "d"], &truth);
        assert_eq!(
            (split.pairwise_precision, split.pairwise_recall),
            (1.0, 0.0)
        );
        assert_eq!(split.bcubed_recall, 0.5);
    }
}
