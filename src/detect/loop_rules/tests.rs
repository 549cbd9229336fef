use super::*;
use crate::model::ledger::{Action, Recommendation};
use crate::model::{FlagAction, Verdict};

fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn q(s: &str) -> Quarter {
    s.parse().expect("quarter")
}

fn action(id: &str, unit: &str, due: Option<&str>, replied: Option<&str>) -> Action {
    Action {
        action_id: id.into(),
        flag_id: None,
        unit_id: unit.into(),
        detector: Some(FlagKind::Concentration),
        flag_quarter: Some(q("2024Q3")),
        action: FlagAction::Notice,
        sent_on: day("2024-10-15"),
        reply_due: due.map(day),
        replied_on: replied.map(day),
        verdict: Some(Verdict::True),
        note: String::new(),
    }
}

fn rec(id: &str, unit: &str) -> Recommendation {
    Recommendation {
        id: id.into(),
        unit_id: unit.into(),
        issued_on: day("2024-02-01"),
        subject: "工程建设".into(),
        field: None,
        copied_to: Some("市委常委、常务副市长".into()),
        due_on: Some(day("2024-05-01")),
        feedback_on: Some(day("2024-04-20")),
        return_visit_on: Some(day("2024-09-01")),
        assessed: Some(true),
    }
}

fn published(unit: &str, quarter: &str, id: &str) -> RecordedFlag {
    RecordedFlag {
        quarter: q(quarter),
        id: id.into(),
        key: ("concentration".into(), unit.into(), None, None, None),
        unit_name: unit.into(),
        sentence_zh: String::new(),
        sentence_en: String::new(),
    }
}

#[test]
fn every_rule_finds_its_overdue_records_and_nothing_else() {
    let s = LoopSettings::default();
    let ledger = Ledger {
        actions: Some(vec![
            // Overdue, no reply.
            action("A1", "U1", Some("2024-11-15"), None),
            // Answered late: not overdue any more.
            action("A2", "U2", Some("2024-11-15"), Some("2024-12-20")),
            // A reply dated after quarter end is not known yet.
            action("A3", "U3", Some("2024-11-15"), Some("2025-01-05")),
            // Not due yet.
            action("A4", "U4", Some("2025-01-15"), None),
        ]),
        recommendations: Some(vec![
            rec("R-ok", "U1"),
            // Feedback overdue.
            Recommendation {
                feedback_on: None,
                return_visit_on: None,
                ..rec("R-fb", "U2")
            },
            // Answered, never revisited: 180 days from 2024-04-20 passed.
            Recommendation {
                return_visit_on: None,
                ..rec("R-rv", "U3")
            },
            // Copied to the wrong leader, still open.
            Recommendation {
                copied_to: Some("市委副书记".into()),
                return_visit_on: None,
                feedback_on: Some(day("2024-12-01")),
                ..rec("R-cc", "U4")
            },
            // Not in the assessment.
            Recommendation {
                assessed: Some(false),
                ..rec("R-as", "U5")
            },
        ]),
    };
    let portfolios: BTreeMap<String, String> = ["U1", "U2", "U3", "U4", "U5"]
        .iter()
        .map(|u| (u.to_string(), "市委常委、常务副市长".to_string()))
        .collect();
    let followed = [
        // Acted on through the ledger's unit, type and quarter.
        published("U1", "2024Q3", "2024Q3-aaaaaaaaaa"),
        // Not acted on.
        published("U9", "2024Q3", "2024Q3-bbbbbbbbbb"),
    ];
    let found = items(
        &s,
        &LoopInput {
            quarter: q("2024Q4"),
            ledger: &ledger,
            followed: &followed,
            portfolios: &portfolios,
        },
    );
    let got: Vec<(&str, &str)> = found
        .iter()
        .map(|i| (i.rule.code(), i.record_id.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("reply_overdue", "A1"),
            ("reply_overdue", "A3"),
            ("no_action", "2024Q3-bbbbbbbbbb"),
            ("feedback_overdue", "R-fb"),
            ("return_visit_missing", "R-rv"),
            // R-fb and R-rv are open and copied right; R-cc is not.
            ("not_copied", "R-cc"),
            ("not_assessed", "R-as"),
        ]
    );
    assert_eq!(found[0].days, 46, "2024-11-15 to 2024-12-31");
    // One flag per unit and rule, naming its records.
    let names = BTreeMap::new();
    let o = flags(&s, q("2024Q4"), &found, &names);
    assert_eq!(o.flags.len(), 7);
    let copied = o
        .flags
        .iter()
        .find(|f| f.detector == "not_copied")
        .expect("not_copied");
    assert!(
        copied.sentence_zh.contains("R-cc"),
        "{}",
        copied.sentence_zh
    );
    assert!(copied.sentence_zh.contains("常务副市长"));
    // Before the fourth quarter there is no assessment to miss.
    let q3 = items(
        &s,
        &LoopInput {
            quarter: q("2024Q3"),
            ledger: &ledger,
            followed: &[],
            portfolios: &portfolios,
        },
    );
    assert!(q3.iter().all(|i| i.rule != FlagKind::NotAssessed));
}

#[test]
fn a_flag_named_by_id_is_matched_by_id_only() {
    let f = published("U1", "2024Q3", "2024Q3-aaaaaaaaaa");
    let other = published("U1", "2024Q3", "2024Q3-cccccccccc");
    let ids: BTreeSet<&str> = [f.id.as_str(), other.id.as_str()].into();
    let mut a = action("A1", "U1", None, None);
    a.flag_id = Some(other.id.clone());
    assert!(actions_on(&f, std::slice::from_ref(&a), &ids).is_empty());
    assert_eq!(actions_on(&other, std::slice::from_ref(&a), &ids).len(), 1);
    // An id that names no published flag falls back to unit, type, quarter.
    a.flag_id = Some("typo".into());
    assert_eq!(actions_on(&f, std::slice::from_ref(&a), &ids).len(), 1);
}

#[test]
fn settings_out_of_bounds_are_refused() {
    assert!(LoopSettings::configured(Some(0), None, None, None, None).is_err());
    assert!(LoopSettings::configured(None, None, Some(9), None, None).is_err());
    let bad = ["reply_overdue".to_string()];
    assert!(LoopSettings::configured(None, None, None, None, Some(&bad)).is_err());
    let s = LoopSettings::configured(Some(45), Some(90), Some(2), None, None).expect("ok");
    assert_eq!(s.followed(q("2024Q4")), [q("2024Q2"), q("2024Q3")]);
}
