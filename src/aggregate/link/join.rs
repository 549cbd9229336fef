//! An exact similarity join: every pair of token sets, within a number of
//! days of each other, whose Jaccard similarity reaches a threshold, found
//! by prefix filtering (the AllPairs family) instead of comparing every
//! pair. Pure.
//!
//! Tokens are ranked by how rarely they occur among the sets joined, and
//! each set is indexed by the prefix of its rarest tokens. Two sets with
//! Jaccard ≥ t share at least ⌈t·|x|⌉ tokens, so they share a token among
//! the first |x| − ⌈t·|x|⌉ + 1 of either: every qualifying pair meets in
//! the index. A candidate is dropped as soon as the tokens it still could
//! share (its position in both sets) cannot reach the overlap needed (the
//! PPJoin positional filter); the rest are checked exactly. Nothing is
//! capped.

use polars::prelude::PlHashMap;

use super::summary::{Gram, jaccard};

/// One set to join: its day, its tokens (sorted, distinct), and whether
/// its pairs with earlier sets are wanted (a set decided before is only
/// a partner for later ones).
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub day: i32,
    pub grams: &'a [Gram],
    pub probe: bool,
}

/// A qualifying pair: positions in the input (`earlier` before `later`)
/// and their similarity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub earlier: u32,
    pub later: u32,
    pub similarity: f64,
}

/// Every pair of `items` (in order of day) at most `window` days apart
/// with Jaccard similarity ≥ `threshold` (> 0) whose later set probes,
/// ordered by `later`, then `earlier`.
pub fn similar_pairs(items: &[Item<'_>], window: i32, threshold: f64) -> Vec<Pair> {
    debug_assert!(items.windows(2).all(|w| w[0].day <= w[1].day));
    let sets = ranked(items);
    let tokens = sets.iter().flatten().max().map_or(0, |&r| r as usize + 1);
    // Each token's list of (set, the token's position in it), in time order.
    let mut index: Vec<Vec<(u32, u32)>> = vec![Vec::new(); tokens];
    let mut start = vec![0usize; tokens];
    // Tokens shared so far with each candidate of the set probed; PRUNED
    // once the candidate cannot reach the threshold.
    let mut shared = vec![0i32; items.len()];
    let mut touched: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    for (x, set) in sets.iter().enumerate() {
        let prefix = prefix_len(set.len(), threshold);
        let probed = if items[x].probe { prefix } else { 0 };
        for (i, &r) in set[..probed].iter().enumerate() {
            let list = &index[r as usize];
            let from = &mut start[r as usize];
            while *from < list.len() && items[x].day - items[list[*from].0 as usize].day > window {
                *from += 1;
            }
            for &(y, j) in &list[*from..] {
                let s = &mut shared[y as usize];
                if *s == PRUNED {
                    continue;
                }
                let other = sets[y as usize].len();
                if *s == 0 {
                    touched.push(y);
                    if !lengths_allow(set.len(), other, threshold) {
                        *s = PRUNED;
                        continue;
                    }
                }
                // Positional filter: what is shared so far, this token, and
                // at most what remains after it in the shorter remainder.
                let rest = (set.len() - i - 1).min(other - j as usize - 1);
                if *s as usize + 1 + rest >= required_overlap(set.len(), other, threshold) {
                    *s += 1;
                } else {
                    *s = PRUNED;
                }
            }
        }
        let mut found: Vec<Pair> = Vec::new();
        for &y in &touched {
            if shared[y as usize] > 0 {
                let similarity = jaccard(set, &sets[y as usize]);
                if similarity >= threshold {
                    found.push(Pair {
                        earlier: y,
                        later: x as u32,
                        similarity,
                    });
                }
            }
            shared[y as usize] = 0;
        }
        touched.clear();
        found.sort_by_key(|p| p.earlier);
        out.extend(found);
        for (j, &r) in set[..prefix].iter().enumerate() {
            index[r as usize].push((x as u32, j as u32));
        }
    }
    out
}

/// Marks a candidate that cannot reach the threshold.
const PRUNED: i32 = -1;

/// The overlap two sets of these sizes need for Jaccard ≥ t:
/// ⌈t / (1 + t) · (a + b)⌉ (rounded so as never to miss a pair).
fn required_overlap(a: usize, b: usize, threshold: f64) -> usize {
    (threshold / (1.0 + threshold) * (a + b) as f64 - 1e-9)
        .ceil()
        .max(1.0) as usize
}

/// Each set's tokens as ranks, rarest first (ties by token), sorted.
fn ranked(items: &[Item<'_>]) -> Vec<Vec<u32>> {
    let mut freq: PlHashMap<Gram, u32> = PlHashMap::default();
    for g in items.iter().flat_map(|i| i.grams) {
        *freq.entry(*g).or_default() += 1;
    }
    let mut tokens: Vec<(u32, Gram)> = freq.iter().map(|(&g, &n)| (n, g)).collect();
    tokens.sort_unstable();
    let rank: PlHashMap<Gram, u32> = tokens
        .iter()
        .enumerate()
        .map(|(r, &(_, g))| (g, r as u32))
        .collect();
    items
        .iter()
        .map(|i| {
            let mut set: Vec<u32> = i.grams.iter().map(|g| rank[g]).collect();
            set.sort_unstable();
            set
        })
        .collect()
}

/// The tokens of a set of `len` that a qualifying partner must meet:
/// `len − ⌈t·len⌉ + 1` (rounded so as never to miss a pair).
fn prefix_len(len: usize, threshold: f64) -> usize {
    let overlap = (threshold * len as f64 - 1e-9).ceil().max(1.0) as usize;
    (len + 1).saturating_sub(overlap).min(len)
}

/// Jaccard ≥ t needs the smaller set to hold at least t of the larger.
fn lengths_allow(a: usize, b: usize, threshold: f64) -> bool {
    let (small, large) = (a.min(b) as f64, a.max(b) as f64);
    small >= threshold * large - 1e-9
}

/// Every pair compared: what [`similar_pairs`] must equal (tests).
#[cfg(test)]
pub fn brute_force(items: &[Item<'_>], window: i32, threshold: f64) -> Vec<Pair> {
    let mut out = Vec::new();
    for x in 0..items.len() {
        for y in 0..x {
            if !items[x].probe || items[x].day - items[y].day > window {
                continue;
            }
            let similarity = jaccard(items[y].grams, items[x].grams);
            if similarity >= threshold {
                out.push(Pair {
                    earlier: y as u32,
                    later: x as u32,
                    similarity,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::summary::Features;
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Summaries from a few templates with words changed, added and cut,
    /// so that similarities spread over the whole range.
    fn summaries(seed: u64, n: usize) -> Vec<(i32, String)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let words: Vec<String> = "反映 某局 局长 违规 收受 礼金 干预 工程 招标 项目 土地 审批 公款 吃喝 亲属 经商 拖欠 补偿款 截留 扶贫 资金 安置 房屋 虚报 冒领 套取"
            .split(' ')
            .map(str::to_string)
            .collect();
        let templates: Vec<Vec<usize>> = (0..12)
            .map(|_| {
                (0..rng.random_range(4..12))
                    .map(|_| rng.random_range(0..words.len()))
                    .collect()
            })
            .collect();
        let mut out: Vec<(i32, String)> = (0..n)
            .map(|_| {
                let t = &templates[rng.random_range(0..templates.len())];
                let mut text = String::new();
                for &w in t {
                    if rng.random_bool(0.15) {
                        continue;
                    }
                    let w = if rng.random_bool(0.1) {
                        rng.random_range(0..words.len())
                    } else {
                        w
                    };
                    text.push_str(&words[w]);
                }
                (rng.random_range(0..720), text)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn the_join_finds_exactly_the_pairs_that_brute_force_finds() {
        for (seed, n, window, threshold) in [
            (1, 3000, 180, 0.6),
            (2, 3000, 90, 0.3),
            (3, 2000, 720, 0.8),
            (4, 2500, 30, 0.45),
            (5, 1500, 0, 0.5),
        ] {
            let rows = summaries(seed, n);
            let features: Vec<Features> = rows.iter().map(|(_, s)| Features::of(s)).collect();
            let items: Vec<Item<'_>> = rows
                .iter()
                .zip(&features)
                .enumerate()
                .map(|(k, ((day, _), f))| Item {
                    day: *day,
                    grams: &f.grams,
                    // Some sets were decided before: they only index.
                    probe: k % 5 != 0,
                })
                .collect();
            let fast = similar_pairs(&items, window, threshold);
            let slow = brute_force(&items, window, threshold);
            assert!(!slow.is_empty(), "seed {seed}: the corpus has pairs");
            assert_eq!(
                fast, slow,
                "seed {seed}, window {window}, threshold {threshold}"
            );
        }
    }

    #[test]
    fn prefixes_never_miss_a_pair() {
        for len in 1..200 {
            for t in [0.05, 0.3, 1.0 / 3.0, 0.5, 0.6, 0.7, 0.9, 1.0] {
                let p = prefix_len(len, t);
                assert!((1..=len).contains(&p), "len {len}, t {t}");
                let need = (t * len as f64).ceil() as usize;
                assert!(p >= len + 1 - need.max(1), "len {len}, t {t}: {p}");
            }
        }
    }
}
