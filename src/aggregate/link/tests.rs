//! Linking against a corpus with known matters and the hard negatives a
//! petition officer meets: one leader with several matters in one field,
//! one template with different facts, one reporter about two people.

use super::quality::quality;
use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One petition of the corpus, with its true matter.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    day: i32,
    unit: String,
    person: Option<String>,
    reporter: Option<String>,
    field: String,
    class: String,
    summary: String,
    matter: usize,
}

impl Row {
    fn as_ref(&self, decided: bool) -> PetitionRef<'_> {
        PetitionRef {
            id: &self.id,
            day: self.day,
            unit: &self.unit,
            person: self.person.as_deref(),
            reporter: self.reporter.as_deref(),
            field: Some(&self.field),
            class: Some(&self.class),
            summary: &self.summary,
            decided,
        }
    }
}

const PROBLEMS: [&str; 8] = [
    "在工程招投标中围标串标",
    "违规分包转包工程",
    "虚报工程量套取资金",
    "在行政审批中吃拿卡要",
    "违规发放贷款",
    "在土地出让中暗箱操作",
    "违规收送礼品礼金",
    "干预案件办理",
];

/// A re-telling of `text`: re-typed (a few characters changed), shortened
/// (the numbers dropped), with a detail added, or prefixed 再次反映.
fn retold(rng: &mut ChaCha8Rng, text: &str) -> String {
    match rng.random_range(0..4) {
        0 => text
            .chars()
            .map(|c| {
                if !c.is_ascii_digit() && rng.random_bool(0.05) {
                    '某'
                } else {
                    c
                }
            })
            .collect(),
        1 => text.split('，').next().unwrap_or(text).to_string(),
        2 => format!("{text}，并称其亲属从中获利"),
        _ => format!("再次反映：{text}"),
    }
}

/// Matters of 1 to 4 petitions over two years in 30 units, many about the
/// same few leaders with the same problems, each stating its own amount.
fn corpus(seed: u64, matters: usize) -> Vec<Row> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows = Vec::new();
    for m in 0..matters {
        let unit = rng.random_range(0..30);
        // Few leaders per unit, so one leader has several matters.
        let person = rng
            .random_bool(0.6)
            .then(|| format!("P{unit}-{}", rng.random_range(0..3)));
        let who = person
            .as_deref()
            .map_or("工作人员".to_string(), |p| format!("{p}局长"));
        let problem = rng.random_range(0..PROBLEMS.len());
        let text = format!(
            "反映U{unit}{who}{}，涉及金额约{}万元",
            PROBLEMS[problem],
            rng.random_range(3..900)
        );
        // One reporter in ten also writes about someone else.
        let reporter = rng.random_bool(0.5).then(|| {
            format!(
                "R{}",
                if rng.random_bool(0.1) {
                    m / 2
                } else {
                    m + 10_000
                }
            )
        });
        let start = rng.random_range(0..720);
        for k in 0..1 + rng.random_range(0..10) / 4 {
            rows.push(Row {
                id: format!("X{m:05}-{k}"),
                day: if k == 0 {
                    start
                } else {
                    start + rng.random_range(1..170)
                },
                unit: format!("U{unit}"),
                person: person.clone(),
                reporter: if k == 0 || rng.random_bool(0.7) {
                    reporter.clone()
                } else {
                    None
                },
                field: format!("F{}", problem / 3),
                class: "integrity".into(),
                summary: if k == 0 {
                    text.clone()
                } else {
                    retold(&mut rng, &text)
                },
                matter: m,
            });
        }
    }
    rows
}

fn linked(rows: &[Row]) -> Vec<usize> {
    let refs: Vec<PetitionRef<'_>> = rows.iter().map(|r| r.as_ref(false)).collect();
    link(&refs, LinkRules::default())
        .into_iter()
        .map(|l| l.expect("every petition undecided").matter)
        .collect()
}

#[test]
fn linking_finds_the_known_matters_among_hard_negatives() {
    let rows = corpus(3, 3000);
    let found = linked(&rows);
    let truth: Vec<usize> = rows.iter().map(|r| r.matter).collect();
    let q = quality(&found, &truth);
    // Figures stated in docs/linking.md.
    eprintln!("linking, hard cases: {q:?}");
    // The misses are retellings that drop the amount, which fit two
    // matters of one leader and problem equally (without them: 0.99).
    assert!(q.pairwise_precision >= 0.90, "{q:?}");
    assert!(q.pairwise_recall >= 0.92, "{q:?}");
    assert!(
        q.bcubed_precision >= 0.95 && q.bcubed_recall >= 0.95,
        "{q:?}"
    );
    for (i, &m) in found.iter().enumerate() {
        assert!(
            rows[m].day <= rows[i].day,
            "a matter is named by its first petition"
        );
    }
}

#[test]
fn a_busy_leaders_unrelated_petitions_stay_apart() {
    // Ten matters about one leader, same field and class, one reporter
    // each: only the retold ones join, and nothing chains.
    let rows: Vec<Row> = (0..10)
        .map(|k| Row {
            id: format!("B{k:02}"),
            day: k * 10,
            unit: "U1".into(),
            person: Some("P1".into()),
            reporter: Some(format!("R{k}")),
            field: "construction".into(),
            class: "integrity".into(),
            summary: format!("反映P1局长在工程招投标中围标串标，涉及金额约{}万元", 10 + k),
            matter: k as usize,
        })
        .collect();
    let found = linked(&rows);
    assert_eq!(found, (0..10).collect::<Vec<_>>());
}

#[test]
fn matters_do_not_chain_through_a_middle_petition() {
    // B resembles A and C resembles B, but C is far from A.
    let row = |id: &str, day: i32, summary: &str| Row {
        id: id.into(),
        day,
        unit: "U1".into(),
        person: None,
        reporter: None,
        field: "other".into(),
        class: "work".into(),
        summary: summary.into(),
        matter: 0,
    };
    let rows = [
        row("A", 0, "反映甲乙丙丁戊己庚辛壬癸子丑"),
        row("B", 10, "反映甲乙丙丁戊己庚辛壬癸寅卯辰巳午未申酉"),
        row("C", 20, "寅卯辰巳午未申酉戌亥天地"),
    ];
    let refs: Vec<PetitionRef<'_>> = rows.iter().map(|r| r.as_ref(false)).collect();
    let f = |s: &str| Features::of(s).grams;
    let rules = LinkRules {
        related_similarity: 0.3,
        similarity: 0.3,
        ..LinkRules::default()
    };
    assert!(jaccard(&f(&rows[0].summary), &f(&rows[1].summary)) >= 0.3);
    assert!(jaccard(&f(&rows[1].summary), &f(&rows[2].summary)) >= 0.3);
    assert!(jaccard(&f(&rows[0].summary), &f(&rows[2].summary)) < 0.3);
    let m: Vec<usize> = link(&refs, rules)
        .into_iter()
        .map(|l| l.map_or(9, |l| l.matter))
        .collect();
    assert_eq!(m, vec![0, 0, 2]);
}

#[test]
fn linking_in_two_runs_decides_as_one_run_does() {
    let mut rows = corpus(7, 800);
    rows.sort_by(|a, b| (a.day, &a.id).cmp(&(b.day, &b.id)));
    let whole = linked(&rows);
    let cut = rows.len() / 2;
    let first = linked(&rows[..cut]);
    assert_eq!(first, whole[..cut]);
    // The second run sees the first run's matter starts as decided.
    let refs: Vec<PetitionRef<'_>> = rows
        .iter()
        .enumerate()
        .filter(|&(i, _)| i >= cut || first[i] == i)
        .map(|(i, r)| r.as_ref(i < cut))
        .collect();
    let kept: Vec<usize> = (0..rows.len())
        .filter(|&i| i >= cut || first[i] == i)
        .collect();
    let second = link(&refs, LinkRules::default());
    for (k, l) in second.iter().enumerate() {
        if let Some(l) = l {
            assert_eq!(
                kept[l.matter], whole[kept[k]],
                "petition {}",
                rows[kept[k]].id
            );
        }
    }
}

#[test]
fn the_evidence_is_named() {
    assert_eq!(Evidence::FIRST.label(), "first");
    let both = Evidence::SIMILAR_SUMMARY.with(Evidence::SAME_REPORTER);
    assert_eq!(both.label(), "similar_summary+same_reporter");
}

#[test]
fn settings_out_of_bounds_are_refused_by_name() {
    assert_eq!(
        LinkRules::configured(None, None, None),
        Ok(LinkRules::default())
    );
    let e = LinkRules::configured(None, Some(0.5), Some(0.6)).expect_err("related above");
    assert!(
        e.contains("related_similarity") && e.contains("must not exceed"),
        "{e}"
    );
    assert!(LinkRules::configured(None, Some(0.0), None).is_err());
    // A lower similarity pulls the related default down with it.
    let low = LinkRules::configured(None, Some(0.3), None).expect("valid");
    assert_eq!(low.related_similarity, 0.3);
}

fn problem<'a>(z: &PetitionRef<'a>) -> Option<(&'a str, &'a str)> {
    present(z.field).zip(present(z.class))
}

/// Linking by its definition, every earlier petition compared: what
/// [`link`] must equal.
fn by_definition(p: &[PetitionRef<'_>], rules: LinkRules) -> Vec<Option<Link>> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| (p[a].day, p[a].id).cmp(&(p[b].day, p[b].id)));
    let features: Vec<Features> = p.iter().map(|x| Features::of(x.summary)).collect();
    let mut first: Vec<bool> = p.iter().map(|x| x.decided).collect();
    let mut out = vec![None; p.len()];
    for (k, &x) in order.iter().enumerate().filter(|&(_, &x)| !p[x].decided) {
        let mut best: Option<Link> = None;
        for &y in order[..k].iter().filter(|&&y| first[y]) {
            if object(&p[x]) != object(&p[y]) || p[x].day - p[y].day > rules.window_days {
                continue;
            }
            let similarity = jaccard(&features[x].grams, &features[y].grams);
            let alike = !summary::facts_conflict(&features[x].facts, &features[y].facts);
            let mut evidence = Evidence::FIRST;
            if alike && similarity >= rules.similarity {
                evidence = evidence.with(Evidence::SIMILAR_SUMMARY);
            }
            if alike
                && similarity >= rules.related_similarity
                && problem(&p[x]).is_some()
                && problem(&p[x]) == problem(&p[y])
            {
                evidence = evidence.with(Evidence::SAME_FIELD_AND_CLASS);
            }
            if present(p[x].reporter).is_some() && present(p[x].reporter) == present(p[y].reporter)
            {
                evidence = evidence.with(Evidence::SAME_REPORTER);
            }
            // Later candidates win ties: order is by day and id.
            let better = best.is_none_or(|b| {
                (evidence.count(), similarity) >= (b.evidence.count(), b.similarity)
            });
            if evidence != Evidence::FIRST && better {
                best = Some(Link {
                    matter: y,
                    evidence,
                    similarity,
                });
            }
        }
        first[x] = best.is_none();
        out[x] = Some(best.unwrap_or(Link {
            matter: x,
            evidence: Evidence::FIRST,
            similarity: 1.0,
        }));
    }
    out
}

#[test]
fn linking_decides_as_the_definition_does() {
    let rows = corpus(11, 1500);
    // Every fifth matter start decided in an earlier run.
    let truth_firsts: Vec<bool> = {
        let mut seen = std::collections::HashSet::new();
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| (rows[a].day, &rows[a].id).cmp(&(rows[b].day, &rows[b].id)));
        let mut first = vec![false; rows.len()];
        for i in order {
            first[i] = seen.insert(rows[i].matter);
        }
        first
    };
    let refs: Vec<PetitionRef<'_>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| r.as_ref(truth_firsts[i] && i % 5 == 0))
        .collect();
    for rules in [
        LinkRules::default(),
        LinkRules {
            window_days: 60,
            similarity: 0.4,
            related_similarity: 0.3,
        },
        // Field and class add nothing to the summary's own threshold.
        LinkRules {
            window_days: 180,
            similarity: 0.5,
            related_similarity: 0.5,
        },
    ] {
        let fast = link(&refs, rules);
        let slow = by_definition(&refs, rules);
        assert_eq!(fast, slow, "{rules:?}");
        assert!(
            fast.iter()
                .flatten()
                .filter(|l| l.evidence != Evidence::FIRST)
                .count()
                > 500,
            "the corpus has repeats"
        );
    }
}
