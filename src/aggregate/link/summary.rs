//! A petition summary as linking reads it: its distinct character bigrams
//! (spaces and punctuation ignored) and its facts (the numbers it states:
//! amounts, dates, counts). Pure.

/// One character bigram, the two characters packed into one word.
pub type Gram = u64;

/// What linking compares between two summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    /// Distinct bigrams, sorted.
    pub grams: Vec<Gram>,
    /// The distinct facts stated (numbers and dates, see [`numbers`]),
    /// hashed, sorted.
    pub facts: Vec<u64>,
}

impl Features {
    /// The bigrams of the summary's letters and digits, in order with
    /// what lies between them left out, and its facts.
    pub fn of(summary: &str) -> Features {
        let mut sets = FeatureSets::default();
        sets.push(summary);
        let mut grams = sets.grams(0).to_vec();
        sorted_distinct(&mut grams, 0);
        Features {
            grams,
            facts: sets.facts(0).to_vec(),
        }
    }
}

/// The features of many summaries end to end, in buffers that are
/// cleared and filled again (linking cuts one object's summaries after
/// another without allocating for each): summary `i`'s bigrams are
/// `grams[gram_at[i]..gram_at[i + 1]]`, in the order they occur (linking
/// ranks them first, then sorts the ranks), and its facts likewise.
#[derive(Debug, Clone)]
pub struct FeatureSets {
    grams: Vec<Gram>,
    gram_at: Vec<usize>,
    facts: Vec<u64>,
    fact_at: Vec<usize>,
    /// The fact being read.
    fact: String,
}

impl Default for FeatureSets {
    fn default() -> Self {
        FeatureSets {
            grams: Vec::new(),
            gram_at: vec![0],
            facts: Vec::new(),
            fact_at: vec![0],
            fact: String::new(),
        }
    }
}

impl FeatureSets {
    /// No summaries; the buffers are kept.
    pub fn clear(&mut self) {
        self.grams.clear();
        self.facts.clear();
        self.gram_at.truncate(1);
        self.fact_at.truncate(1);
    }

    pub fn len(&self) -> usize {
        self.gram_at.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Summary `i`'s bigrams in the order they occur, repeats kept.
    pub fn grams(&self, i: usize) -> &[Gram] {
        &self.grams[self.gram_at[i]..self.gram_at[i + 1]]
    }

    /// Summary `i`'s distinct facts, hashed, sorted.
    pub fn facts(&self, i: usize) -> &[u64] {
        &self.facts[self.fact_at[i]..self.fact_at[i + 1]]
    }

    /// Appends features already cut.
    #[cfg(test)]
    pub fn push_features(&mut self, grams: &[Gram], facts: &[u64]) {
        self.grams.extend_from_slice(grams);
        self.gram_at.push(self.grams.len());
        self.facts.extend_from_slice(facts);
        self.fact_at.push(self.facts.len());
    }

    /// Cuts `summary` and appends its features.
    pub fn push(&mut self, summary: &str) {
        let mut previous: Option<char> = None;
        for c in summary.chars().filter(|&c| letter_or_digit(c)) {
            if let Some(p) = previous {
                self.grams.push((u64::from(p) << 32) | u64::from(c));
            }
            previous = Some(c);
        }
        self.gram_at.push(self.grams.len());
        let from = self.facts.len();
        numbers(summary, &mut self.fact, &mut self.facts);
        sorted_distinct(&mut self.facts, from);
        self.fact_at.push(self.facts.len());
    }
}

/// Sorts `v[from..]` and drops its repeats.
pub fn sorted_distinct<T: Ord + Copy>(v: &mut Vec<T>, from: usize) {
    v[from..].sort_unstable();
    let mut kept = from;
    for i in from..v.len() {
        if kept == from || v[i] != v[kept - 1] {
            v[kept] = v[i];
            kept += 1;
        }
    }
    v.truncate(kept);
}

/// `char::is_alphanumeric`, answered without its table lookup for ASCII,
/// the CJK Unified Ideographs and the punctuation between them, which
/// make up most summaries.
fn letter_or_digit(c: char) -> bool {
    match c {
        _ if c.is_ascii() => c.is_ascii_alphanumeric(),
        '\u{4E00}'..='\u{9FFF}' => true,
        // Dashes and quotes, CJK punctuation (、。「」…), full-width
        // punctuation (，（）：；？…).
        '\u{2010}'..='\u{2027}'
        | '\u{3000}'..='\u{3004}'
        | '\u{3008}'..='\u{3020}'
        | '\u{FF01}'..='\u{FF0F}'
        | '\u{FF1A}'..='\u{FF20}' => false,
        _ => c.is_alphanumeric(),
    }
}

/// Two sorted, distinct fact sets conflict when both state facts and each
/// states one the other does not. Sets that do not conflict are empty on
/// one side or share a fact.
pub fn facts_conflict<T: Ord + Copy>(a: &[T], b: &[T]) -> bool {
    let within = |x: &[T], y: &[T]| overlap(x, y) == x.len();
    !a.is_empty() && !b.is_empty() && !within(a, b) && !within(b, a)
}

/// Appends the facts `s` states to `out`: each run of digits (full-width
/// read as ASCII), with the date separators (年 月 . / - :) that join runs
/// into one date (`12月9日` is one fact, not 12 and 9), as a hash of its
/// text. `fact` is room to read one in.
fn numbers(s: &str, fact: &mut String, out: &mut Vec<u64>) {
    fact.clear();
    let finish = |fact: &mut String, out: &mut Vec<u64>| {
        let text = fact.trim_end_matches(|c: char| !c.is_ascii_digit());
        if !text.is_empty() {
            out.push(fnv(text));
        }
        fact.clear();
    };
    for c in s.chars() {
        let digit = match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            _ => None,
        };
        match digit {
            Some(d) => fact.push(d),
            None if !fact.is_empty()
                && matches!(c, '年' | '月' | '.' | '/' | '-' | ':')
                && fact.ends_with(|c: char| c.is_ascii_digit()) =>
            {
                fact.push(c)
            }
            None if !fact.is_empty() => finish(fact, out),
            None => {}
        }
    }
    finish(fact, out);
}

/// FNV-1a: a fixed hash, so a fact is the same number in every run.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The number of elements two sorted, distinct sets share.
pub fn overlap<T: Ord + Copy>(a: &[T], b: &[T]) -> usize {
    overlap_reaching(a, b, 0).unwrap_or(0)
}

/// The number of elements two sorted, distinct sets share, or None as
/// soon as what remains of the shorter rest cannot bring it to `need`.
/// The merge steps without branching on the comparison, whose outcome
/// no predictor can guess.
pub fn overlap_reaching<T: Ord + Copy>(a: &[T], b: &[T], need: usize) -> Option<usize> {
    let (mut i, mut j, mut both) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if both + (a.len() - i).min(b.len() - j) < need {
            return None;
        }
        let (x, y) = (a[i], b[j]);
        both += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    (both >= need).then_some(both)
}

/// Jaccard similarity of two sorted, distinct sets (0 when either is empty).
pub fn jaccard<T: Ord + Copy>(a: &[T], b: &[T]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let both = overlap(a, b);
    both as f64 / (a.len() + b.len() - both) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_is_jaccard_of_character_bigrams() {
        let g = |s: &str| Features::of(s).grams;
        assert_eq!(jaccard(&g("反映局长违规"), &g("反映，局长 违规。")), 1.0);
        assert_eq!(jaccard(&g("甲乙丙"), &g("丁戊己")), 0.0);
        assert!((jaccard(&g("甲乙丙丁"), &g("甲乙丙戊")) - 0.5).abs() < 1e-12);
        assert_eq!(jaccard(&g("甲"), &g("甲")), 0.0, "no bigram, no evidence");
    }

    #[test]
    fn letters_and_digits_are_read_as_the_standard_library_reads_them() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(letter_or_digit(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn different_numbers_are_different_facts() {
        let f = Features::of;
        let conflict = |a: &str, b: &str| facts_conflict(&f(a).facts, &f(b).facts);
        assert_eq!(
            f("约35万元，2023年5月").facts.len(),
            2,
            "an amount and a date"
        );
        assert_eq!(
            f("约３５万元").facts,
            f("约35万元").facts,
            "full-width digits"
        );
        assert!(
            conflict("时间在12月9日前后", "时间在12月12日前后"),
            "a date is one fact"
        );
        assert!(conflict("涉及金额约35万元", "涉及金额约120万元"));
        assert!(!conflict("涉及金额约35万元", "35万元，另有3人"));
        assert!(
            conflict("2023年收受35万元", "2023年收受8万元"),
            "a shared year"
        );
        assert!(!conflict("涉及金额约35万元", "再次反映收受好处费"));
    }
}
