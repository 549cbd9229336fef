//! An exact similarity join: every pair of summaries, within a number of
//! days of each other, whose bigram sets' Jaccard similarity reaches a
//! threshold and whose facts do not conflict, found by prefix filtering
//! (the AllPairs family) instead of comparing every pair. Pure.
//!
//! Tokens are ranked by how rarely they occur among the sets joined, and
//! each set is indexed by the prefix of its rarest tokens. Two sets with
//! Jaccard ≥ t share at least ⌈t·|x|⌉ tokens, so they share a token among
//! the first |x| − ⌈t·|x|⌉ + 1 of either: every qualifying pair meets in
//! the index. A candidate is dropped as soon as the tokens it still could
//! share (its position in both sets) cannot reach the overlap needed (the
//! PPJoin positional filter); the rest are checked exactly. Nothing is
//! capped.
//!
//! Facts prune too: two summaries that both state facts (numbers, dates)
//! qualify only when the facts of one are all among the other's (see
//! [`facts_conflict`]). So an earlier summary y with facts qualifies for x
//! only if y's rarest fact is among x's (y's within x's) or y states x's
//! rarest fact (x's within y's). Each summary with facts is indexed under
//! every fact it states and, once more, under its rarest: x with facts
//! checks exactly the earlier summaries whose rarest fact it states and
//! those stating its own rarest, or, when those lists are longer than its
//! token lists, counts every summary with facts in them instead. The
//! token prefixes of summaries with facts are indexed only once a probe
//! needs them: a probe whose facts' lists hold few summaries reads those
//! without weighing the token lists.
//! Summaries of one template with different amounts, similar by their
//! words, are then never compared, even when all of them share a number
//! (a unit's name may hold one).

use polars::prelude::PlHashMap;

#[cfg(test)]
use super::summary::Features;
#[cfg(test)]
use super::summary::jaccard;
use super::summary::{FeatureSets, facts_conflict, overlap_reaching, sorted_distinct};

/// The summaries of one object made ready to join: tokens ranked by how
/// rarely they occur among them (rarest first), facts as dense ids, and
/// each summary's rarest fact. Laid out flat: summary `i`'s tokens are
/// `tokens[token_at[i]..token_at[i + 1]]`. Filled again for each object;
/// the buffers are kept.
#[derive(Debug, Default)]
pub struct Prepared {
    tokens: Vec<u32>,
    token_at: Vec<usize>,
    facts: Vec<u32>,
    fact_at: Vec<usize>,
    rarest: Vec<Option<u32>>,
    /// Room to rank the bigrams in: each distinct bigram's number (in
    /// order of first sight), the number of each bigram as cut (summary
    /// after summary), (count, bigram, number) of each number (then
    /// sorted into order of rarity), and each number's rank.
    gram_number: PlHashMap<u64, u32>,
    numbers: Vec<u32>,
    order: Vec<(u32, u64, u32)>,
    rank: Vec<u32>,
    /// Each fact's id and count.
    id: PlHashMap<u64, u32>,
    count: Vec<u32>,
}

impl Prepared {
    /// Prepared from summaries' features (tests).
    #[cfg(test)]
    pub fn of(features: &[Features]) -> Prepared {
        let mut sets = FeatureSets::default();
        for f in features {
            sets.push_features(&f.grams, &f.facts);
        }
        let mut p = Prepared::default();
        p.fill(&sets);
        p
    }

    /// Prepares `sets` in place of what was prepared before.
    pub fn fill(&mut self, sets: &FeatureSets) {
        self.rank_bigrams(sets);
        let mut numbers = self.numbers.iter();
        self.tokens.clear();
        self.facts.clear();
        self.token_at.clear();
        self.fact_at.clear();
        self.token_at.push(0);
        self.fact_at.push(0);
        self.id.clear();
        self.count.clear();
        for i in 0..sets.len() {
            let from = self.tokens.len();
            let rank = &self.rank;
            let cut = numbers.by_ref().take(sets.grams(i).len());
            self.tokens.extend(cut.map(|&n| rank[n as usize]));
            sorted_distinct(&mut self.tokens, from);
            self.token_at.push(self.tokens.len());
            let from = self.facts.len();
            for fact in sets.facts(i) {
                let next = self.id.len() as u32;
                let n = *self.id.entry(*fact).or_insert(next);
                if n == next {
                    self.count.push(0);
                }
                self.count[n as usize] += 1;
                self.facts.push(n);
            }
            self.facts[from..].sort_unstable();
            self.fact_at.push(self.facts.len());
        }
        self.rarest.clear();
        for i in 0..sets.len() {
            let count = &self.count;
            let rarest = self.facts[self.fact_at[i]..self.fact_at[i + 1]]
                .iter()
                .copied()
                .min_by_key(|&n| (count[n as usize], n));
            self.rarest.push(rarest);
        }
    }

    /// Each bigram of `sets` by its rank: how rarely it occurs (ties by
    /// value, so the ranking is the same in every run). Each bigram as
    /// cut is looked up once, for its number; ranks are then found by
    /// number.
    fn rank_bigrams(&mut self, sets: &FeatureSets) {
        self.gram_number.clear();
        self.numbers.clear();
        self.order.clear();
        for i in 0..sets.len() {
            for &g in sets.grams(i) {
                let next = self.order.len() as u32;
                let n = *self.gram_number.entry(g).or_insert(next);
                if n == next {
                    self.order.push((0, g, n));
                }
                // Until sorted, number n's entry is the n-th.
                self.order[n as usize].0 += 1;
                self.numbers.push(n);
            }
        }
        self.order.sort_unstable();
        self.rank.clear();
        self.rank.resize(self.order.len(), 0);
        for (r, &(_, _, n)) in self.order.iter().enumerate() {
            self.rank[n as usize] = r as u32;
        }
    }

    /// Summary `i` received on `day`.
    pub fn item(&self, i: usize, day: i32) -> Item<'_> {
        Item {
            day,
            tokens: &self.tokens[self.token_at[i]..self.token_at[i + 1]],
            facts: &self.facts[self.fact_at[i]..self.fact_at[i + 1]],
            rarest: self.rarest[i],
            problem: NO_PROBLEM,
        }
    }
}

/// One summary to join: its day, its ranked tokens (sorted, distinct), its
/// facts (sorted, distinct), its rarest fact, and the problem it is about
/// (key field and class, by a number; `NO_PROBLEM` when not both known).
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub day: i32,
    pub tokens: &'a [u32],
    pub facts: &'a [u32],
    pub rarest: Option<u32>,
    pub problem: u32,
}

/// An item's problem when its key field or class is not known.
pub const NO_PROBLEM: u32 = 0;

/// A qualifying pair: positions in the input (`earlier` before `later`)
/// and their similarity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub earlier: u32,
    pub later: u32,
    pub similarity: f64,
}

/// An index of summaries that later ones are matched against: a summary
/// is probed for its earlier partners, then inserted (or not: linking
/// inserts only the first petition of each matter). Summaries are probed
/// and inserted in order of day; every call names the same items. Cleared
/// for the next object, its buffers kept.
#[derive(Debug, Default)]
pub struct Join {
    window: i32,
    threshold: f64,
    /// Whether a probe leaves out the sets about its own problem (another
    /// join, over that problem's sets alone, finds those pairs).
    others_only: bool,
    /// Token prefixes of the sets without facts and of those with facts.
    plain: Postings,
    stated: Postings,
    /// Sets with facts inserted but not yet in `stated`: most probes of
    /// summaries with facts read only the facts' lists, so the token
    /// prefixes of such sets are indexed only when a probe needs them.
    pending: Vec<u32>,
    /// Sets by each fact they state, and by their rarest fact.
    by_fact: Postings,
    by_rarest: Postings,
}

impl Join {
    pub fn new(window: i32, threshold: f64) -> Self {
        Join {
            window,
            threshold,
            ..Join::default()
        }
    }

    /// Empty again, for other items.
    pub fn clear(&mut self, window: i32, threshold: f64) {
        self.window = window;
        self.threshold = threshold;
        self.others_only = false;
        self.pending.clear();
        for p in [
            &mut self.plain,
            &mut self.stated,
            &mut self.by_fact,
            &mut self.by_rarest,
        ] {
            p.clear();
        }
    }

    /// From now on, a probe leaves out the sets about the probe's own
    /// problem (unless it has none).
    pub fn leave_out_own_problem(&mut self) {
        self.others_only = true;
    }

    /// The summaries inserted so far at most the window before `x` with
    /// Jaccard similarity ≥ the threshold and facts that do not conflict,
    /// by position.
    pub fn probe<'s>(
        &mut self,
        items: &[Item<'_>],
        x: usize,
        seen: &'s mut Candidates,
    ) -> &'s [Pair] {
        let (window, t) = (self.window, self.threshold);
        let item = &items[x];
        let (day, len) = (item.day, item.tokens.len());
        let prefix = &item.tokens[..prefix_len(len, t)];
        seen.left_out = if self.others_only {
            item.problem
        } else {
            NO_PROBLEM
        };
        // While no summary without facts is indexed (most state one),
        // no list of `plain` is read.
        if !self.plain.is_empty() {
            for (i, &r) in prefix.iter().enumerate() {
                seen.count(self.plain.live(r, day, window), i, len, t);
            }
        }
        // The sets with facts: those whose rarest fact x states, and
        // those stating x's rarest; or all of them, if that is shorter.
        // (The sets whose rarest is x's rarest state it: they are listed
        // by that fact already.) The token lists are read only until
        // they are the longer.
        let others = |rarest: u32| item.facts.iter().copied().filter(move |&f| f != rarest);
        let facts_first = item.rarest.filter(|&rarest| {
            let by_facts = self.by_fact.live(rarest, day, window).len()
                + others(rarest)
                    .map(|f| self.by_rarest.live(f, day, window).len())
                    .sum::<usize>();
            if by_facts <= FEW {
                return true;
            }
            self.index_pending(items);
            let mut by_tokens = 0;
            prefix.iter().any(|&r| {
                by_tokens += self.stated.live(r, day, window).len();
                by_tokens >= by_facts
            })
        });
        if facts_first.is_none() {
            self.index_pending(items);
        }
        match facts_first {
            Some(rarest) => {
                for f in others(rarest) {
                    seen.mark(self.by_rarest.live(f, day, window), len, t);
                }
                seen.mark(self.by_fact.live(rarest, day, window), len, t);
            }
            None => {
                for (i, &r) in prefix.iter().enumerate() {
                    seen.count(self.stated.live(r, day, window), i, len, t);
                }
            }
        }
        seen.verify(x, items, t)
    }

    /// The token prefixes of the sets with facts inserted since the last
    /// call, into `stated` (in order of insertion, so of day).
    fn index_pending(&mut self, items: &[Item<'_>]) {
        for &set in &self.pending {
            index_prefix(&mut self.stated, &items[set as usize], set, self.threshold);
        }
        self.pending.clear();
    }

    /// Makes `x` a partner for the summaries probed after it.
    pub fn insert(&mut self, items: &[Item<'_>], x: usize) {
        let item = &items[x];
        let (set, day) = (x as u32, item.day);
        if item.facts.is_empty() {
            index_prefix(&mut self.plain, item, set, self.threshold);
        } else {
            self.pending.push(set);
        }
        for &f in item.facts {
            self.by_fact.push(f, set, 0, day);
        }
        if let Some(rarest) = item.rarest {
            self.by_rarest.push(rarest, set, 0, day);
        }
    }
}

/// A probe whose facts' lists hold at most this many sets reads them
/// without weighing the token lists (which may then stay unbuilt).
const FEW: usize = 32;

/// Indexes `item`'s token prefix as set `set`.
fn index_prefix(postings: &mut Postings, item: &Item<'_>, set: u32, threshold: f64) {
    let prefix = &item.tokens[..prefix_len(item.tokens.len(), threshold)];
    for (j, &r) in prefix.iter().enumerate() {
        postings.push(r, set, j as u32, item.day);
    }
}

/// Every pair of `items` (in order of day) at most `window` days apart
/// with Jaccard similarity ≥ `threshold` (> 0) and facts that do not
/// conflict, whose earlier item is `inserted`, ordered by `later`, then
/// `earlier`.
#[cfg(test)]
pub fn similar_pairs(
    items: &[Item<'_>],
    window: i32,
    threshold: f64,
    inserted: impl Fn(usize) -> bool,
) -> Vec<Pair> {
    let mut join = Join::new(window, threshold);
    let mut seen = Candidates::default();
    seen.reset(items);
    let mut out = Vec::new();
    for x in 0..items.len() {
        out.extend(join.probe(items, x, &mut seen));
        if inserted(x) {
            join.insert(items, x);
        }
    }
    out
}

/// Posting lists in order of day, each read from its first entry still
/// within the window; made as keys are pushed.
#[derive(Debug, Default)]
struct Postings {
    lists: Vec<List>,
    /// The keys pushed since the last clear.
    used: Vec<u32>,
}

/// One entry of a posting list.
#[derive(Debug, Clone, Copy)]
struct Posting {
    set: u32,
    /// The token's position in the set.
    position: u32,
    /// The set's day.
    day: i32,
}

/// One key's entries, where the live ones start and the day of the first
/// of them: a probe learns whether the list's head left the window, and
/// how many entries are live, from this alone, without reading the
/// entries (which are elsewhere in memory).
#[derive(Debug, Default)]
struct List {
    entries: Vec<Posting>,
    start: usize,
    start_day: i32,
}

impl Postings {
    fn push(&mut self, key: u32, set: u32, position: u32, day: i32) {
        let k = key as usize;
        if k >= self.lists.len() {
            self.lists.resize_with(k + 1, List::default);
        }
        let list = &mut self.lists[k];
        if list.entries.is_empty() {
            self.used.push(key);
        }
        if list.start == list.entries.len() {
            list.start_day = day;
        }
        list.entries.push(Posting { set, position, day });
    }

    /// Whether nothing was pushed since the last clear.
    fn is_empty(&self) -> bool {
        self.used.is_empty()
    }

    /// Every list empty; their room is kept.
    fn clear(&mut self) {
        for &k in &self.used {
            let list = &mut self.lists[k as usize];
            list.entries.clear();
            list.start = 0;
        }
        self.used.clear();
    }

    /// The entries of `key` at most `window` days before `day`.
    fn live(&mut self, key: u32, day: i32, window: i32) -> &[Posting] {
        let Some(list) = self.lists.get_mut(key as usize) else {
            return &[];
        };
        if list.start < list.entries.len() && day - list.start_day > window {
            let entries = &list.entries;
            while list.start < entries.len() && day - entries[list.start].day > window {
                list.start += 1;
            }
            if let Some(first) = entries.get(list.start) {
                list.start_day = first.day;
            }
        }
        &list.entries[list.start..]
    }
}

/// The earlier sets one probe meets: tokens shared so far with each
/// (PRUNED once it cannot reach the threshold), and which were touched.
/// One serves every join over the same items, probe after probe.
#[derive(Debug, Default)]
pub struct Candidates {
    sets: Vec<Met>,
    touched: Vec<u32>,
    /// The problem whose sets this probe leaves out (`NO_PROBLEM`: none).
    left_out: u32,
    /// The last probe's qualifying pairs.
    found: Vec<Pair>,
}

/// A set as a probe meets it: the tokens shared so far, beside the set's
/// size, so that counting reads one place for each entry.
#[derive(Debug, Clone, Copy, Default)]
struct Met {
    shared: i32,
    len: u32,
    problem: u32,
}

impl Candidates {
    /// Ready for `items` (each probe leaves every count at zero).
    pub fn reset(&mut self, items: &[Item<'_>]) {
        self.sets.clear();
        self.sets.extend(items.iter().map(|item| Met {
            shared: 0,
            len: item.tokens.len() as u32,
            problem: item.problem,
        }));
        self.touched.clear();
        self.found.clear();
    }

    /// A first meeting with `y`: touched, and pruned when the lengths
    /// alone rule it out or it is about the problem left out. Its state,
    /// None when it is (now) pruned.
    fn meet(&mut self, y: u32, len: usize, threshold: f64) -> Option<&mut Met> {
        let met = &mut self.sets[y as usize];
        if met.shared == 0 {
            self.touched.push(y);
            let left_out = self.left_out != NO_PROBLEM && met.problem == self.left_out;
            if left_out || !lengths_allow(len, met.len as usize, threshold) {
                met.shared = PRUNED;
            }
        }
        (met.shared != PRUNED).then_some(met)
    }

    /// The probe's token at position `i` (of `len`) is in each set of
    /// `list` at the position given: counted, or the set pruned by the
    /// positional filter (what is shared so far, this token, and at most
    /// what remains after it in the shorter remainder).
    fn count(&mut self, list: &[Posting], i: usize, len: usize, t: f64) {
        for e in list {
            let Some(met) = self.meet(e.set, len, t) else {
                continue;
            };
            let other = met.len as usize;
            let rest = (len - i - 1).min(other - e.position as usize - 1);
            met.shared = if met.shared as usize + 1 + rest >= required_overlap(len, other, t) {
                met.shared + 1
            } else {
                PRUNED
            };
        }
    }

    /// Each set of `list` may qualify: checked exactly.
    fn mark(&mut self, list: &[Posting], len: usize, t: f64) {
        for e in list {
            if let Some(met) = self.meet(e.set, len, t) {
                met.shared = met.shared.max(1);
            }
        }
    }

    /// The touched sets that qualify as partners of `x`, by position;
    /// cleared for the next probe.
    fn verify(&mut self, x: usize, items: &[Item<'_>], t: f64) -> &[Pair] {
        self.found.clear();
        for &y in &self.touched {
            let other = &items[y as usize];
            if self.sets[y as usize].shared > 0 && !facts_conflict(items[x].facts, other.facts) {
                let (a, b) = (items[x].tokens, other.tokens);
                let need = required_overlap(a.len(), b.len(), t);
                if let Some(both) = overlap_reaching(a, b, need) {
                    let similarity = both as f64 / (a.len() + b.len() - both) as f64;
                    if similarity >= t {
                        self.found.push(Pair {
                            earlier: y,
                            later: x as u32,
                            similarity,
                        });
                    }
                }
            }
            self.sets[y as usize].shared = 0;
        }
        self.touched.clear();
        self.found.sort_by_key(|p| p.earlier);
        &self.found
    }
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

/// Every pair compared, on the summaries' own bigrams and facts: what
/// [`similar_pairs`] must equal (tests).
#[cfg(test)]
pub fn brute_force(
    features: &[Features],
    days: &[i32],
    window: i32,
    threshold: f64,
    inserted: impl Fn(usize) -> bool,
) -> Vec<Pair> {
    let mut out = Vec::new();
    for x in 0..features.len() {
        for y in (0..x).filter(|&y| inserted(y) && days[x] - days[y] <= window) {
            let (a, b) = (&features[y], &features[x]);
            let similarity = jaccard(&a.grams, &b.grams);
            if similarity >= threshold && !facts_conflict(&a.facts, &b.facts) {
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
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Summaries from a few templates with words changed, added and cut,
    /// so that similarities spread over the whole range; half name one
    /// place whose name holds a number, most state an amount among
    /// `amounts` (few: many summaries share one; many: few do), some a
    /// date as well, some none of these.
    fn summaries(seed: u64, n: usize, amounts: u32) -> Vec<(i32, String)> {
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
                // Half name a place with a number in it, as unit names do.
                let mut text = if rng.random_bool(0.5) {
                    "建设屯13街道".to_string()
                } else {
                    String::new()
                };
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
                if rng.random_bool(0.6) {
                    text.push_str(&format!("约{}万元", rng.random_range(1..=amounts)));
                }
                if rng.random_bool(0.2) {
                    text.push_str(&format!(
                        "{}月{}日",
                        rng.random_range(1..=12),
                        rng.random_range(1..=3)
                    ));
                }
                (rng.random_range(0..720), text)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn the_join_finds_exactly_the_pairs_that_brute_force_finds() {
        for (seed, n, window, threshold, amounts) in [
            (1, 3000, 180, 0.6, 40),
            (2, 3000, 90, 0.3, 3),
            (3, 2000, 720, 0.8, 20),
            (4, 2500, 30, 0.45, 10),
            (5, 3000, 1, 0.5, 2),
            (6, 3000, 360, 0.5, 1000),
        ] {
            let rows = summaries(seed, n, amounts);
            let features: Vec<Features> = rows.iter().map(|(_, s)| Features::of(s)).collect();
            let days: Vec<i32> = rows.iter().map(|(day, _)| *day).collect();
            let prepared = Prepared::of(&features);
            let items: Vec<Item<'_>> = days
                .iter()
                .enumerate()
                .map(|(i, &day)| prepared.item(i, day))
                .collect();
            // As in linking, some are only probed (not the first of a matter).
            let inserted = |k: usize| !k.is_multiple_of(3);
            let fast = similar_pairs(&items, window, threshold, inserted);
            let slow = brute_force(&features, &days, window, threshold, inserted);
            let stating = |p: &Pair| {
                [p.earlier, p.later]
                    .iter()
                    .all(|&i| !items[i as usize].facts.is_empty())
            };
            assert!(
                slow.iter().filter(|p| stating(p)).count() > 10,
                "seed {seed}: the corpus has pairs that both state facts"
            );
            assert!(
                slow.iter().any(|p| !stating(p)),
                "seed {seed}: and pairs that do not"
            );
            assert_eq!(
                fast, slow,
                "seed {seed}, window {window}, threshold {threshold}"
            );
        }
    }

    #[test]
    fn a_cleared_join_finds_what_a_new_one_finds() {
        // One join, candidate list and preparation, used for a large
        // corpus and then cleared for smaller ones with other settings
        // (as linking reuses them object after object).
        let mut prepared = Prepared::default();
        let mut join = Join::default();
        let mut seen = Candidates::default();
        for (seed, n, window, threshold) in
            [(7, 3000, 180, 0.45), (8, 500, 30, 0.6), (9, 40, 720, 0.3)]
        {
            let rows = summaries(seed, n, 10);
            let mut sets = FeatureSets::default();
            for (_, s) in &rows {
                sets.push(s);
            }
            prepared.fill(&sets);
            let items: Vec<Item<'_>> = rows
                .iter()
                .enumerate()
                .map(|(i, (day, _))| prepared.item(i, *day))
                .collect();
            join.clear(window, threshold);
            seen.reset(&items);
            let mut reused: Vec<Pair> = Vec::new();
            for x in 0..items.len() {
                reused.extend(join.probe(&items, x, &mut seen));
                join.insert(&items, x);
            }
            let features: Vec<Features> = rows.iter().map(|(_, s)| Features::of(s)).collect();
            let days: Vec<i32> = rows.iter().map(|(day, _)| *day).collect();
            let slow = brute_force(&features, &days, window, threshold, |_| true);
            assert!(!slow.is_empty(), "seed {seed}: the corpus has pairs");
            assert_eq!(reused, slow, "seed {seed}");
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
