//! Repeat linking (重复信访举报归并): petitions about the same matter are
//! grouped whether or not the export marks them. Pure.
//!
//! A repeat is the same matter raised again: the same **object** (the
//! person named, or the unit where no person is named) **and** the same
//! **problem**, within `window_days` of the matter's first petition. The
//! problem is the same when one of these holds:
//! - the summaries are near-identical (character-bigram Jaccard ≥
//!   `similarity`) and state no different numbers;
//! - they carry the same key field and problem class, their summaries are
//!   related (≥ `related_similarity`) and state no different numbers;
//! - the same reporter wrote both.
//!
//! Matters do not chain: a petition joins a matter only on evidence
//! against the matter's first petition, never through another member, so
//! a busy leader's unrelated petitions stay apart. Petitions are taken in
//! order of receipt; each joins the matter whose first petition it shares
//! the most kinds of evidence with (then the most similar summary, then
//! the latest), or starts a new one. A petition decided in an earlier
//! run keeps its matter.

pub mod join;
pub mod quality;
pub mod summary;

use polars::prelude::PlHashMap;
use rayon::prelude::*;

use crate::model::setting;
use join::{Candidates, Item, Join, NO_PROBLEM, Prepared};
use summary::{FeatureSets, Features, jaccard};

/// The fields linking reads from one petition.
#[derive(Debug, Clone, Copy)]
pub struct PetitionRef<'a> {
    pub id: &'a str,
    /// Days since 1970-01-01.
    pub day: i32,
    pub unit: &'a str,
    pub person: Option<&'a str>,
    pub reporter: Option<&'a str>,
    /// Key field (重点领域).
    pub field: Option<&'a str>,
    /// Problem class (问题类别).
    pub class: Option<&'a str>,
    pub summary: &'a str,
    /// Decided in an earlier run as the first petition of its matter: it
    /// keeps that, and later petitions may join it.
    pub decided: bool,
}

/// `[link]`: how petitions about the same matter are linked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkRules {
    /// A petition joins a matter within this many days of the matter's
    /// first petition (default 180, at least 1).
    pub window_days: i32,
    /// Summaries this similar are the same problem on their own (default
    /// 0.6, in (0, 1]).
    pub similarity: f64,
    /// Summaries this similar are the same problem when key field and
    /// problem class agree too (default 0.45, in (0, similarity]).
    pub related_similarity: f64,
}

impl Default for LinkRules {
    fn default() -> Self {
        LinkRules {
            window_days: 180,
            similarity: 0.6,
            related_similarity: 0.45,
        }
    }
}

impl LinkRules {
    /// `[link]`: each value given, or its default, within its bounds.
    pub fn configured(
        window_days: Option<u32>,
        similarity: Option<f64>,
        related_similarity: Option<f64>,
    ) -> Result<Self, String> {
        let d = Self::default();
        let positive = |key: &str, v: Option<f64>, default: f64| {
            let r = setting::ratio(key, v, default)?.get();
            if r > 0.0 {
                Ok(r)
            } else {
                Err(format!("{key} = {r} must be above 0"))
            }
        };
        let similarity = positive("[link] similarity", similarity, d.similarity)?;
        let related = positive(
            "[link] related_similarity",
            related_similarity,
            d.related_similarity.min(similarity),
        )?;
        if related > similarity {
            return Err(format!(
                "[link] related_similarity = {related} must not exceed [link] similarity = {similarity}"
            ));
        }
        Ok(LinkRules {
            window_days: setting::at_least_one(
                "[link] window_days",
                window_days,
                d.window_days as u32,
            )?
            .get() as i32,
            similarity,
            related_similarity: related,
        })
    }

    /// Names the rules a stored matter was decided under; matters decided
    /// under other rules are decided again.
    pub fn fingerprint(&self) -> String {
        format!(
            "link 2: window_days {} similarity {} related_similarity {}",
            self.window_days, self.similarity, self.related_similarity
        )
    }
}

/// Why a petition joined its matter (several may hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Evidence(u8);

impl Evidence {
    /// The first petition of its matter: nothing linked it.
    pub const FIRST: Evidence = Evidence(0);
    pub const SIMILAR_SUMMARY: Evidence = Evidence(1);
    pub const SAME_REPORTER: Evidence = Evidence(2);
    pub const SAME_FIELD_AND_CLASS: Evidence = Evidence(4);

    /// How many kinds of evidence hold.
    fn count(self) -> u32 {
        self.0.count_ones()
    }

    fn with(self, other: Evidence) -> Evidence {
        Evidence(self.0 | other.0)
    }

    /// As the matters table states it: `first`, or the evidence joined by
    /// `+` (`similar_summary+same_reporter`).
    pub fn label(self) -> String {
        if self == Self::FIRST {
            return "first".into();
        }
        [
            (Self::SIMILAR_SUMMARY, "similar_summary"),
            (Self::SAME_REPORTER, "same_reporter"),
            (Self::SAME_FIELD_AND_CLASS, "same_field_and_class"),
        ]
        .iter()
        .filter(|(e, _)| self.0 & e.0 != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join("+")
    }
}

/// The matter a petition was given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// The matter's first petition (the petition itself when it starts one).
    pub matter: usize,
    pub evidence: Evidence,
    /// Of its summary with the first petition's (1 for a first petition).
    pub similarity: f64,
}

/// A possible matter for a petition: an earlier petition and the evidence.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    earlier: usize,
    evidence: Evidence,
    similarity: f64,
}

/// The matter of each petition not `decided` (None for the decided).
pub fn link(p: &[PetitionRef<'_>], rules: LinkRules) -> Vec<Option<Link>> {
    // Each petition by its day, so that sorting compares days in place.
    let mut by_object: PlHashMap<(&str, &str), Vec<(i32, usize)>> = PlHashMap::default();
    for (i, x) in p.iter().enumerate() {
        by_object.entry(object(x)).or_default().push((x.day, i));
    }
    let objects: Vec<Vec<(i32, usize)>> = by_object.into_values().collect();
    let mut out = vec![None; p.len()];
    for (x, l) in objects
        .into_par_iter()
        .map_init(Scratch::default, |scratch, mut g| {
            // In order of receipt; ids tell apart the petitions of one day.
            g.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| p[a.1].id.cmp(p[b.1].id)));
            let g: Vec<usize> = g.into_iter().map(|(_, i)| i).collect();
            link_object(p, &g, rules, scratch)
        })
        .flatten_iter()
        .collect::<Vec<_>>()
    {
        out[x] = Some(l);
    }
    out
}

/// The buffers one thread links object after object with, kept between
/// them: cutting and joining allocate only while an object is larger
/// than any before it.
#[derive(Debug, Default)]
struct Scratch {
    sets: FeatureSets,
    prepared: Prepared,
    seen: Candidates,
    /// The join of every summary at `similarity`, less the pairs about one
    /// (key field, problem class), which that problem's join finds.
    similar: Join,
    /// The joins of each (key field, problem class), as many as the
    /// largest object has had.
    problems: Vec<Join>,
}

/// The matters of one object's petitions `g` (in order of receipt). Each
/// petition is matched against the first petitions of the matters before
/// it (only they are indexed): by summary, by summary within its key field
/// and problem class, and by reporter.
fn link_object(
    p: &[PetitionRef<'_>],
    g: &[usize],
    rules: LinkRules,
    scratch: &mut Scratch,
) -> Vec<(usize, Link)> {
    let Scratch {
        sets,
        prepared,
        seen,
        similar,
        problems: pool,
    } = scratch;
    sets.clear();
    for &i in g {
        sets.push(p[i].summary);
    }
    prepared.fill(sets);
    // Each (key field, problem class) of the object's petitions, by a
    // number from 1; problem n is joined in `pool[n - 1]`.
    let mut numbers: PlHashMap<(&str, &str), u32> = PlHashMap::default();
    let items: Vec<Item<'_>> = g
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let mut item = prepared.item(k, p[i].day);
            if let Some(key) = present(p[i].field).zip(present(p[i].class)) {
                let next = numbers.len() as u32 + 1;
                item.problem = *numbers.entry(key).or_insert(next);
            }
            item
        })
        .collect();
    let window = rules.window_days;
    seen.reset(&items);
    // Pairs about one problem are found by that problem's join (its
    // threshold is at most this one's), so this join leaves them out.
    similar.clear(window, rules.similarity);
    similar.leave_out_own_problem();
    while pool.len() < numbers.len() {
        pool.push(Join::default());
    }
    for join in &mut pool[..numbers.len()] {
        join.clear(window, rules.related_similarity);
    }
    // The latest first petition of each reporter, and for each first
    // petition the reporter's one before it: a chain to walk back along.
    let mut latest_by_reporter: PlHashMap<&str, usize> = PlHashMap::default();
    let mut before_by_reporter: Vec<Option<usize>> = vec![None; g.len()];
    let mut out = Vec::with_capacity(g.len());
    let mut found: Vec<Candidate> = Vec::new();
    for (k, &i) in g.iter().enumerate() {
        let problem = (items[k].problem != NO_PROBLEM).then(|| items[k].problem as usize - 1);
        let reporter = present(p[i].reporter);
        if !p[i].decided {
            found.clear();
            let mut add = |earlier: usize, evidence: Evidence, similarity: f64| match found
                .iter_mut()
                .find(|c| c.earlier == earlier)
            {
                Some(c) => c.evidence = c.evidence.with(evidence),
                None => found.push(Candidate {
                    earlier,
                    evidence,
                    similarity,
                }),
            };
            for pair in similar.probe(&items, k, seen).iter().copied() {
                add(
                    pair.earlier as usize,
                    Evidence::SIMILAR_SUMMARY,
                    pair.similarity,
                );
            }
            if let Some(j) = problem {
                for pair in pool[j].probe(&items, k, seen).iter().copied() {
                    let earlier = pair.earlier as usize;
                    add(earlier, Evidence::SAME_FIELD_AND_CLASS, pair.similarity);
                    if pair.similarity >= rules.similarity {
                        add(earlier, Evidence::SIMILAR_SUMMARY, pair.similarity);
                    }
                }
            }
            let latest = reporter.and_then(|r| latest_by_reporter.get(r).copied());
            for y in std::iter::successors(latest, |&y| before_by_reporter[y])
                .take_while(|&y| items[k].day - items[y].day <= window)
            {
                let similarity = jaccard(items[k].tokens, items[y].tokens);
                add(y, Evidence::SAME_REPORTER, similarity);
            }
            let best = found.iter().max_by(|a, b| {
                (a.evidence.count().cmp(&b.evidence.count()))
                    .then(a.similarity.total_cmp(&b.similarity))
                    .then(
                        (items[a.earlier].day, p[g[a.earlier]].id)
                            .cmp(&(items[b.earlier].day, p[g[b.earlier]].id)),
                    )
            });
            if let Some(c) = best {
                out.push((
                    i,
                    Link {
                        matter: g[c.earlier],
                        evidence: c.evidence,
                        similarity: c.similarity,
                    },
                ));
                continue;
            }
            out.push((
                i,
                Link {
                    matter: i,
                    evidence: Evidence::FIRST,
                    similarity: 1.0,
                },
            ));
        }
        // The first petition of a matter: later ones are matched against it.
        similar.insert(&items, k);
        if let Some(j) = problem {
            pool[j].insert(&items, k);
        }
        if let Some(r) = reporter {
            before_by_reporter[k] = latest_by_reporter.insert(r, k);
        }
    }
    out
}

/// A text field that is there and not empty.
fn present(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// What a petition is about: the person named, or else the unit.
fn object<'a>(x: &PetitionRef<'a>) -> (&'static str, &'a str) {
    match x.person.filter(|s| !s.is_empty()) {
        Some(person) => ("person", person),
        None => ("unit", x.unit),
    }
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

impl Agreement {
    /// Counts (computed repeat, marked repeat) per petition.
    pub fn of(petitions: impl IntoIterator<Item = (bool, bool)>) -> Agreement {
        let mut a = Agreement::default();
        for (computed, marked) in petitions {
            a.petitions += 1;
            a.computed += usize::from(computed);
            a.marked += usize::from(marked);
            match (computed, marked) {
                (true, true) => a.both += 1,
                (false, true) => a.marked_only += 1,
                (true, false) => a.computed_only += 1,
                _ => {}
            }
        }
        a
    }
}

impl LinkRules {
    /// For `yanpan explain link`.
    pub fn explain(&self) -> crate::model::Explanation {
        let first = "反映某局副局长张某在工程招标中收受好处费约35万元";
        let again = "再次反映某局副局长张某在工程招标中收受好处费";
        let other = "反映某局副局长张某在工程招标中收受好处费约8万元";
        let f = |s: &str| Features::of(s);
        let s = jaccard(&f(first).grams, &f(again).grams);
        let t = jaccard(&f(first).grams, &f(other).grams);
        crate::model::Explanation {
            method: "A repeat (重复件) is the same matter raised again: the same object (the person named, or the unit\n\
                     where no person is named) and the same problem, within window_days of the matter's first\n\
                     petition. The problem is the same when the summaries are near-identical (character-bigram\n\
                     Jaccard >= similarity), or when key field and problem class agree and the summaries are related\n\
                     (>= related_similarity), or when the same reporter wrote both. Summaries that state numbers,\n\
                     none of them shared (another amount, another date), are different facts and never similar.\n\
                     A shared object alone is not enough, nor a shared reporter about another person.\n\
                     Matters do not chain: in order of receipt, each petition joins the matter whose first petition\n\
                     it resembles most, or starts a new one. Every pair above the thresholds is found (an exact\n\
                     similarity join, no cap). Matters are kept in store/derived/matters.parquet and a petition's\n\
                     matter is decided once; tables/matters.parquet gives the quarter's petitions with their matter,\n\
                     the evidence and the export's own mark."
                .into(),
            settings: vec![
                ("[link] window_days".into(), self.window_days.to_string()),
                ("[link] similarity".into(), self.similarity.to_string()),
                (
                    "[link] related_similarity".into(),
                    self.related_similarity.to_string(),
                ),
            ],
            example: format!(
                "\"{first}\", then \"{again}\" about the same person 30 days later: similarity {s:.2}, {}.\n\
                 \"{other}\" instead: similarity {t:.2}, but 35 and 8 are different amounts, so two matters.",
                if s >= self.similarity { "one matter" } else { "two matters" }
            ),
        }
    }
}

#[cfg(test)]
mod tests;
