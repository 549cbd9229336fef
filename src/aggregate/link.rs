//! Repeat linking (重复信访举报归并): petitions about the same matter are
//! grouped even when the export does not mark them. Two petitions are the
//! same matter when, within `window_days` of each other, they share a
//! reporter key, or name the same person at the same unit, or are about the
//! same unit with near-identical summaries (Jaccard similarity of character
//! bigrams at least `similarity`). Groups are closed under these links
//! (union-find); a matter's id is its earliest petition's. Pure.

use crate::model::setting;
use std::collections::HashMap;

/// The fields linking reads from one petition.
#[derive(Debug, Clone, Copy)]
pub struct PetitionRef<'a> {
    pub id: &'a str,
    /// Days since 1970-01-01.
    pub day: i32,
    pub unit: &'a str,
    pub person: Option<&'a str>,
    pub reporter: Option<&'a str>,
    pub summary: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkRules {
    pub window_days: i32,
    pub similarity: f64,
}

impl Default for LinkRules {
    fn default() -> Self {
        LinkRules {
            window_days: 180,
            similarity: 0.6,
        }
    }
}

impl LinkRules {
    /// `[link]`: each value given, or its default, within its bounds.
    pub fn configured(window_days: Option<u32>, similarity: Option<f64>) -> Result<Self, String> {
        let d = Self::default();
        Ok(LinkRules {
            window_days: setting::at_least_one(
                "[link] window_days",
                window_days,
                d.window_days as u32,
            )?
            .get() as i32,
            similarity: setting::ratio("[link] similarity", similarity, d.similarity)?.get(),
        })
    }
}

/// Summaries compared at most per petition (the most recent ones of its
/// unit within the window), so the cost stays linear in the records.
pub const MAX_COMPARED: usize = 300;

struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// Sorted distinct character bigrams of a summary, ignoring spaces and
/// punctuation.
fn bigrams(s: &str) -> Vec<(char, char)> {
    let chars: Vec<char> = s.chars().filter(|c| c.is_alphanumeric()).collect();
    let mut out: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Jaccard similarity of two sorted sets.
fn jaccard(a: &[(char, char)], b: &[(char, char)]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut both) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f64 / (a.len() + b.len() - both) as f64
}

/// For each petition, the index of its matter's earliest petition.
impl LinkRules {
    /// For `yanpan explain link`.
    pub fn explain(&self) -> crate::model::Explanation {
        let (a, b) = (
            "反映某局副局长在工程招标中收受好处费",
            "再次反映某局副局长在工程招标中收受好处费",
        );
        let s = jaccard(&bigrams(a), &bigrams(b));
        crate::model::Explanation {
            method: "Petitions about the same matter are linked into one matter (重复件归并), whether or not the export\n\
                     marks them: within window_days of each other, two petitions are linked when they share a reporter\n\
                     key, or name the same person at the same unit, or concern the same unit with summaries whose\n\
                     character-bigram Jaccard similarity is at least `similarity`. Links are closed transitively\n\
                     (union-find); a matter's id is its earliest petition's. Each petition of the quarter gets a\n\
                     matter_id in tables/matters.parquet beside the export's own mark, and the petition report says\n\
                     how often the two disagree."
                .into(),
            settings: vec![
                ("[link] window_days".into(), self.window_days.to_string()),
                ("[link] similarity".into(), self.similarity.to_string()),
            ],
            example: format!(
                "\"{a}\" and \"{b}\" at one unit, 30 days apart: similarity {s:.2}, {}.",
                if s >= self.similarity { "one matter" } else { "two matters" }
            ),
        }
    }
}

pub fn link(p: &[PetitionRef<'_>], rules: LinkRules) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| (p[a].day, p[a].id).cmp(&(p[b].day, p[b].id)));
    let mut sets = Sets((0..p.len()).collect());
    // Shared keys: consecutive petitions with the same key within the window.
    let mut by_key = |key: &dyn Fn(&PetitionRef<'_>) -> Option<String>| {
        let mut last: HashMap<String, usize> = HashMap::new();
        for &i in &order {
            if let Some(k) = key(&p[i]) {
                if let Some(&j) = last.get(&k)
                    && p[i].day - p[j].day <= rules.window_days
                {
                    sets.union(i, j);
                }
                last.insert(k, i);
            }
        }
    };
    by_key(&|x| x.reporter.filter(|r| !r.is_empty()).map(str::to_string));
    by_key(&|x| {
        x.person
            .filter(|r| !r.is_empty())
            .map(|person| format!("{person}\u{1f}{}", x.unit))
    });
    // Near-identical summaries about the same unit. Exports repeat the same
    // wording often, so each distinct bigram set is kept once and each pair
    // of distinct sets is compared once.
    let mut distinct: HashMap<Vec<(char, char)>, usize> = HashMap::new();
    let mut grams: Vec<Vec<(char, char)>> = Vec::new();
    let set_of: Vec<usize> = p
        .iter()
        .map(|x| {
            let g = bigrams(x.summary);
            let next = grams.len();
            *distinct.entry(g.clone()).or_insert_with(|| {
                grams.push(g);
                next
            })
        })
        .collect();
    let mut similar: HashMap<(usize, usize), bool> = HashMap::new();
    let mut by_unit: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in &order {
        by_unit.entry(p[i].unit).or_default().push(i);
    }
    for list in by_unit.values() {
        for (k, &i) in list.iter().enumerate() {
            let earlier = list[..k]
                .iter()
                .rev()
                .take_while(|&&j| p[i].day - p[j].day <= rules.window_days)
                .take(MAX_COMPARED);
            for &j in earlier {
                let (a, b) = (set_of[i].min(set_of[j]), set_of[i].max(set_of[j]));
                let near = *similar
                    .entry((a, b))
                    .or_insert_with(|| jaccard(&grams[a], &grams[b]) >= rules.similarity);
                if near {
                    sets.union(i, j);
                }
            }
        }
    }
    // The earliest petition of each group names it.
    let mut first: HashMap<usize, usize> = HashMap::new();
    for &i in &order {
        let root = sets.find(i);
        first.entry(root).or_insert(i);
    }
    (0..p.len()).map(|i| first[&sets.find(i)]).collect()
}

/// How the computed repeats of a quarter compare with the export's mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Agreement {
    pub petitions: usize,
    /// Not the first petition of their matter.
    pub computed: usize,
    /// Marked as repeats in the export.
    pub marked: usize,
    pub both: usize,
    pub marked_only: usize,
    pub computed_only: usize,
}

/// The agreement over the petitions `of` (indices), given each petition's
/// matter (from [`link`]) and the export's mark.
pub fn agreement(of: &[usize], matter: &[usize], marked: &[bool]) -> Agreement {
    let mut a = Agreement {
        petitions: of.len(),
        ..Default::default()
    };
    for &i in of {
        let computed = matter[i] != i;
        a.computed += usize::from(computed);
        a.marked += usize::from(marked[i]);
        match (computed, marked[i]) {
            (true, true) => a.both += 1,
            (false, true) => a.marked_only += 1,
            (true, false) => a.computed_only += 1,
            _ => {}
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A corpus with known matters: each matter has 1 to 4 petitions that
    /// share a reporter, or name the same person, or repeat the summary
    /// with a few characters changed; summaries of different matters are
    /// drawn from the same vocabulary, so unrelated petitions of one unit
    /// share words.
    /// (id, day, unit, person, reporter, summary) of one petition.
    type Row = (String, i32, String, Option<String>, Option<String>, String);

    fn corpus(seed: u64, matters: usize) -> (Vec<Row>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let words = [
            "反映",
            "某局",
            "局长",
            "违规",
            "收受",
            "礼金",
            "干预",
            "工程",
            "招标",
            "项目",
            "土地",
            "审批",
            "公款",
            "吃喝",
            "亲属",
            "经商",
            "办企业",
            "拖欠",
            "补偿款",
            "截留",
            "扶贫",
            "资金",
            "安置",
            "房屋",
            "虚报",
            "冒领",
            "套取",
        ];
        let mut out = Vec::new();
        let mut truth = Vec::new();
        for m in 0..matters {
            let unit = format!("U{}", rng.random_range(0..40));
            let size = 1 + (rng.random_range(0..10) / 4);
            let text: String = (0..rng.random_range(8..14))
                .map(|_| words[rng.random_range(0..words.len())])
                .collect::<Vec<_>>()
                .join("");
            let how = rng.random_range(0..3);
            let start = rng.random_range(0..1000);
            for k in 0..size {
                let day = start + k * rng.random_range(5..40);
                let reporter = (how == 0).then(|| format!("R{m}"));
                let person = (how == 1).then(|| format!("P{m}"));
                let summary = if how == 2 || k == 0 {
                    // A few characters changed, as a re-typed petition.
                    text.chars()
                        .map(|c| if rng.random_bool(0.03) { '某' } else { c })
                        .collect()
                } else {
                    (0..rng.random_range(8..14))
                        .map(|_| words[rng.random_range(0..words.len())])
                        .collect::<Vec<_>>()
                        .join("")
                };
                out.push((
                    format!("X{m}-{k}"),
                    day,
                    unit.clone(),
                    person,
                    reporter,
                    summary,
                ));
                truth.push(m);
            }
        }
        (out, truth)
    }

    /// Pairwise precision and recall of a grouping against the truth.
    fn score(found: &[usize], truth: &[usize]) -> (f64, f64) {
        let (mut tp, mut fp, mut fne) = (0u64, 0u64, 0u64);
        for i in 0..found.len() {
            for j in i + 1..found.len() {
                match (found[i] == found[j], truth[i] == truth[j]) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fne += 1,
                    _ => {}
                }
            }
        }
        (
            tp as f64 / (tp + fp).max(1) as f64,
            tp as f64 / (tp + fne).max(1) as f64,
        )
    }

    #[test]
    fn linking_finds_the_known_matters_with_high_precision_and_recall() {
        let (rows, truth) = corpus(3, 1500);
        let refs: Vec<PetitionRef<'_>> = rows
            .iter()
            .map(|r| PetitionRef {
                id: &r.0,
                day: r.1,
                unit: &r.2,
                person: r.3.as_deref(),
                reporter: r.4.as_deref(),
                summary: &r.5,
            })
            .collect();
        let found = link(&refs, LinkRules::default());
        let (precision, recall) = score(&found, &truth);
        // Figures stated in docs/linking.md.
        eprintln!(
            "linking: {} petitions, precision {precision:.3}, recall {recall:.3}",
            rows.len()
        );
        assert!(precision >= 0.98, "precision {precision:.3}");
        assert!(recall >= 0.95, "recall {recall:.3}");
        // A matter is named by its earliest petition.
        for (i, &m) in found.iter().enumerate() {
            assert!(refs[m].day <= refs[i].day);
        }
    }

    #[test]
    fn similarity_is_jaccard_of_character_bigrams() {
        let (a, b) = (bigrams("反映局长违规"), bigrams("反映局长违规"));
        assert_eq!(jaccard(&a, &b), 1.0);
        assert_eq!(jaccard(&bigrams("甲乙丙"), &bigrams("丁戊己")), 0.0);
        assert!((jaccard(&bigrams("甲乙丙丁"), &bigrams("甲乙丙戊")) - 0.5).abs() < 1e-12);
    }
}
