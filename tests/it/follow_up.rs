//! Closing the loop on the sample: every overdue record `yanpan synth`
//! planted in the two ledgers is flagged and nothing else; the next
//! quarter's report says what became of the flags published before.

use std::collections::BTreeSet;

use polars::prelude::*;

fn table(dir: &std::path::Path, quarter: &str, name: &str) -> DataFrame {
    yanpan::store::read_parquet(&dir.join(format!("reports/{quarter}/tables/{name}.parquet")))
        .expect(name)
}

/// The record ids `ground_truth.csv` plants for `kind` (its note starts
/// with the id).
fn planted(kind: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(crate::root().join("sample_data/ground_truth.csv"))
        .expect("ground truth");
    text.lines()
        .filter(|l| l.starts_with(&format!("{kind},")))
        .filter_map(|l| l.rsplit(',').next()?.split(':').next().map(str::to_string))
        .collect()
}

#[test]
fn every_planted_overdue_record_is_flagged_and_nothing_else() {
    let p = crate::published_sample();
    let items = table(&p.dir, "2024Q4", "follow_up_items");
    let (rules, ids) = (
        crate::texts(&items, "rule"),
        crate::texts(&items, "record_id"),
    );
    let mut checked = 0;
    for kind in [
        "reply_overdue",
        "feedback_overdue",
        "return_visit_missing",
        "not_copied",
        "not_assessed",
    ] {
        let truth = planted(kind);
        let found: BTreeSet<String> = rules
            .iter()
            .zip(&ids)
            .filter(|(r, _)| *r == kind)
            .map(|(_, id)| id.clone())
            .collect();
        assert_eq!(found, truth, "{kind}: flagged against planted");
        checked += truth.len();
    }
    assert!(checked >= 10, "the sample plants {checked} overdue records");
    // A reply that came late is answered, not overdue: the rules' unit
    // test has one (the sample plants none).
    // Each rule's flag names its unit's records, and counts in the scores.
    let flags = table(&p.dir, "2024Q4", "flags");
    let sentences: Vec<String> = crate::texts(&flags, "sentence_zh");
    for id in planted("feedback_overdue") {
        assert!(
            sentences
                .iter()
                .any(|s| s.contains(&id) && s.contains("逾期未反馈")),
            "{id} named in a feedback_overdue flag"
        );
    }
}

#[test]
fn the_petition_report_says_what_became_of_earlier_flags() {
    let p = crate::published_sample();
    let md = std::fs::read_to_string(p.publication().join("thematic/petitions.md")).expect("md");
    let status = table(&p.dir, "2024Q4", "flag_status");
    let detectors = crate::texts(&status, "detector");
    let raised = detectors.iter().filter(|d| *d == "concentration").count();
    let acted = status
        .column("actions")
        .expect("actions")
        .u32()
        .expect("u32")
        .iter()
        .zip(&detectors)
        .filter(|(n, d)| *d == "concentration" && n.unwrap_or(0) > 0)
        .count();
    assert!(raised > 0 && acted > 0, "{raised} raised, {acted} acted on");
    let sentence = format!("信访举报比较集中的提示{raised}条，已处置{acted}条");
    assert!(md.contains("上期研判发现问题处置情况"), "{md}");
    assert!(md.contains(&sentence), "{sentence} in the report");
    // Overdue flags head the table.
    let standing = crate::texts(&status, "standing");
    let first_fine = standing
        .iter()
        .position(|s| !s.starts_with("逾期"))
        .unwrap_or(standing.len());
    assert!(
        standing[first_fine..]
            .iter()
            .all(|s| !s.starts_with("逾期"))
    );
    // The yield table and the committee head's overview agree.
    let y = table(&p.dir, "2024Q4", "detector_yield");
    assert!(crate::texts(&y, "detector").contains(&"concentration".to_string()));
    let overview =
        std::fs::read_to_string(p.publication().join("packets/committee-head/index.html"))
            .expect("packet");
    assert!(overview.contains("研判预警处置成效"));
    // The recommendations report lists the overdue ones.
    let recs = std::fs::read_to_string(p.publication().join("thematic/recommendations.md"))
        .expect("recommendations report");
    for id in planted("feedback_overdue") {
        assert!(recs.contains(&id), "{id} in the recommendations report");
    }
}

#[test]
fn the_next_quarter_follows_the_flags_published_before() {
    let dir = crate::published_copy();
    crate::publish(dir.path(), &["2024Q3", "2024Q4"]);
    let published: BTreeSet<String> =
        crate::texts(&table(dir.path(), "2024Q3", "flags"), "flag_id")
            .into_iter()
            .filter(|id| id.starts_with("2024Q3"))
            .collect();
    let status = table(dir.path(), "2024Q4", "flag_status");
    let q3: Vec<usize> = crate::texts(&status, "quarter")
        .iter()
        .enumerate()
        .filter(|(_, q)| *q == "2024Q3")
        .map(|(i, _)| i)
        .collect();
    assert!(!q3.is_empty());
    let ids = crate::texts(&status, "flag_id");
    let recomputed = status
        .column("recomputed")
        .expect("r")
        .bool()
        .expect("b")
        .clone();
    for i in q3 {
        assert!(published.contains(&ids[i]), "{} was published", ids[i]);
        assert_eq!(recomputed.get(i), Some(false), "read from the record");
    }
}

#[test]
fn each_flag_links_to_the_records_it_counted() {
    let p = crate::published_sample();
    let page = std::fs::read_to_string(p.publication().join("tables/flag_records.html"))
        .expect("flag records page");
    let flags = table(&p.dir, "2024Q4", "flags");
    let (ids, detectors) = (
        crate::texts(&flags, "flag_id"),
        crate::texts(&flags, "detector"),
    );
    let observed = flags
        .column("observed")
        .expect("observed")
        .f64()
        .expect("f64")
        .clone();
    let mut compared = 0;
    for (i, (id, d)) in ids.iter().zip(&detectors).enumerate() {
        // These detectors count records one by one: the page lists them all.
        if ![
            "key_field",
            "prominent_complaints",
            "top_leader_clues",
            "reply_overdue",
        ]
        .contains(&d.as_str())
        {
            continue;
        }
        let head = format!("<h2>{id}　");
        let at = page
            .find(&head)
            .unwrap_or_else(|| panic!("{id} on the page"));
        let rest = &page[at..];
        let n: f64 = rest
            [rest.find('（').expect("count") + '（'.len_utf8()..rest.find("条）").expect("count")]
            .parse()
            .expect("number");
        assert_eq!(Some(n), observed.get(i), "{d} {id}");
        compared += 1;
    }
    assert!(compared >= 5, "{compared} flags compared");
    // The report links each of the quarter's flag ids to its records.
    let html =
        std::fs::read_to_string(p.publication().join("thematic/petitions.html")).expect("html");
    let linked = html
        .matches("href=\"../tables/flag_records.html#2024Q4-")
        .count();
    assert!(linked > 0, "flag ids linked");
    // Reporter identity stays pseudonymised: no name from the export.
    let export = std::fs::read_to_string(crate::root().join("sample_data/petitions_2024.csv"))
        .expect("export");
    let mut lines = export.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = header.iter().position(|h| *h == "举报人").expect("举报人");
    let names: Vec<&str> = lines
        .filter_map(|l| l.split(',').nth(col))
        .filter(|n| !n.is_empty())
        .take(200)
        .collect();
    assert!(names.len() > 50);
    assert!(names.iter().all(|n| !page.contains(n)), "a reporter's name");
    assert!(page.contains("rk_"), "the keyed pseudonym is shown");
}
