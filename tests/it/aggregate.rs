//! The unit × quarter table on a hand-made fixture, each figure worked out
//! by hand: first and last days of a quarter, an empty quarter, a unit with
//! no records, and the roll-up to the district and the city.

use polars::prelude::*;
use yanpan::aggregate::{Facts, Settings, UnitQuarter, rollup, unit_quarter};

const SETTINGS: Settings = Settings {
    top_leader_clue_deadline_days: 30,
    engine: yanpan::aggregate::Engine::Streaming,
};
use yanpan::model::Quarter;

fn days(s: &str) -> Option<i32> {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    Some((d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32)
}

fn dates(name: &str, v: &[&str]) -> Column {
    let d: Vec<Option<i32>> = v
        .iter()
        .map(|s| if s.is_empty() { None } else { days(s) })
        .collect();
    Column::new(name.into(), d)
        .cast(&DataType::Date)
        .expect("date column")
}

fn opt(v: &[&str]) -> Vec<Option<String>> {
    v.iter()
        .map(|s| (!s.is_empty()).then(|| s.to_string()))
        .collect()
}

fn facts() -> Facts {
    let units = df!(
        "unit_id" => ["C0", "D1", "S1", "E1", "R1"],
        "name" => ["市", "区", "街道", "企业", "另一棵树"],
        "parent_id" => opt(&["", "C0", "D1", "C0", ""]),
        "level" => ["city", "district", "street", "soe", "other"],
        "headcount" => [100i32, 200, 50, 400, 10],
    )
    .expect("units");
    let mut petitions = df!(
        "petition_id" => ["P1", "P2", "P3", "P4", "P5"],
        "person_id" => opt(&["L1", "", "", "", ""]),
        "unit_id" => ["S1", "S1", "D1", "R1", "R1"],
        "class" => ["accusation", "suggestion", "accusation", "accusation", "accusation"],
        "channel" => ["letter", "online", "phone", "letter", "letter"],
        "person_role" => ["top_leader", "member", "other", "top_leader", "top_leader"],
        "field" => opt(&["construction", "", "land", "", ""]),
        "discipline" => opt(&["integrity", "", "work", "", ""]),
        "signed" => [true, false, false, false, false],
        "repeat" => [false, true, false, false, false],
        "clue" => [true, false, true, true, true],
        "quarter" => ["2024Q1", "2024Q1", "2024Q2", "2024Q2", "2024Q2"],
    )
    .expect("petitions");
    petitions
        .with_column(dates(
            "received_on",
            &[
                "2024-01-01",
                "2024-03-31",
                "2024-04-01",
                "2024-05-01",
                "2024-06-15",
            ],
        ))
        .expect("col");
    petitions
        .with_column(dates("disposed_on", &["2024-01-10", "", "", "", ""]))
        .expect("col");
    let mut findings = df!(
        "finding_id" => ["F1", "F2", "F3"],
        "unit_id" => ["D1", "S1", "S1"],
        "kind" => ["circuit", "inspection", "circuit"],
        "involves_top_leader" => [true, true, false],
        "field" => opt(&["land", "", ""]),
        "status" => ["done", "ongoing", "done"],
        "quarter" => ["2024Q2", "2024Q1", "2024Q1"],
    )
    .expect("findings");
    // F1 is done 5 days late; F2 is never done; F3 is done before its due date.
    for (name, v) in [
        ("reported_on", ["2024-05-01", "2024-03-01", "2024-01-15"]),
        ("due_on", ["2024-06-30", "2024-04-15", "2024-03-31"]),
        ("rectified_on", ["2024-07-05", "", "2024-03-20"]),
    ] {
        findings.with_column(dates(name, &v)).expect("col");
    }
    let cases = df!(
        "case_id" => ["K1", "K2"],
        "person_id" => opt(&["L1", ""]),
        "unit_id" => ["S1", "S1"],
        "person_role" => ["top_leader", "other"],
        "form" => [2i32, 4],
        "sanction" => opt(&["party_light", ""]),
        "field" => opt(&["construction", ""]),
        "source" => ["petition", "audit"],
        "amount_yuan" => [Some(100.5f64), None],
        "quarter" => ["2024Q1", "2024Q1"],
    )
    .expect("cases");
    // K1, filed in 2024Q1, is closed on the last day of 2024Q2; K2 is open.
    let mut cases = cases;
    cases
        .with_column(dates("closed_on", &["2024-06-30", ""]))
        .expect("col");
    Facts {
        units: units.lazy(),
        petitions: petitions.lazy(),
        findings: Some(findings.lazy()),
        cases: Some(cases.lazy()),
    }
}

fn quarters() -> Vec<Quarter> {
    let q1: Quarter = "2024Q1".parse().expect("quarter");
    q1.range(3).collect()
}

/// The value of `column` for `unit` in `quarter`, as f64.
fn get(t: &UnitQuarter, unit: &str, quarter: &str, column: &str) -> f64 {
    let df = &t.0;
    let ids = df
        .column("unit_id")
        .expect("id")
        .str()
        .expect("str")
        .clone();
    let qs = df.column("quarter").expect("q").str().expect("str").clone();
    let v = df
        .column(column)
        .unwrap_or_else(|_| panic!("no column {column}"))
        .cast(&DataType::Float64)
        .expect("cast");
    let v = v.f64().expect("f64");
    let i = (0..df.height())
        .find(|&i| ids.get(i) == Some(unit) && qs.get(i) == Some(quarter))
        .unwrap_or_else(|| panic!("no row {unit} {quarter}"));
    v.get(i).unwrap_or(f64::NAN)
}

#[test]
fn streaming_and_in_memory_engines_give_the_same_table() {
    use yanpan::aggregate::Engine;
    let streamed = unit_quarter(facts(), &quarters(), &SETTINGS).expect("streaming");
    let in_memory = unit_quarter(
        facts(),
        &quarters(),
        &Settings {
            engine: Engine::InMemory,
            ..SETTINGS
        },
    )
    .expect("in memory");
    assert_eq!(streamed.0.shape(), in_memory.0.shape());
    assert!(
        streamed.0.equals_missing(&in_memory.0),
        "streamed:\n{}\nin memory:\n{}",
        streamed.0,
        in_memory.0
    );
}

#[test]
fn every_unit_and_quarter_has_a_row_even_when_empty() {
    let t = unit_quarter(facts(), &quarters(), &SETTINGS).expect("aggregate");
    assert_eq!(t.0.height(), 15, "5 units x 3 quarters");
    for column in [
        "petitions",
        "clues",
        "findings",
        "cases",
        "amount_fen",
        "petitions_field_land",
    ] {
        assert_eq!(
            get(&t, "E1", "2024Q2", column),
            0.0,
            "E1 has no records: {column}"
        );
        assert_eq!(
            get(&t, "S1", "2024Q3", column),
            0.0,
            "2024Q3 is empty: {column}"
        );
    }
}

#[test]
fn petition_metrics_match_the_hand_count() {
    let t = unit_quarter(facts(), &quarters(), &SETTINGS).expect("aggregate");
    // P1 (received on the quarter's first day) and P2 (on its last day) both count in 2024Q1.
    let want = [
        ("petitions", 2.0),
        ("petitions_top_leader", 1.0),
        ("petitions_member", 1.0),
        ("petitions_signed", 1.0),
        ("petitions_repeat", 1.0),
        ("clues", 1.0),
        ("clues_top_leader", 1.0),
        ("clues_disposed", 1.0),
        ("petitions_class_accusation", 1.0),
        ("petitions_class_suggestion", 1.0),
        ("petitions_channel_letter", 1.0),
        ("petitions_channel_online", 1.0),
        ("petitions_channel_phone", 0.0),
        ("petitions_field_construction", 1.0),
        ("petitions_discipline_integrity", 1.0),
    ];
    for (column, v) in want {
        assert_eq!(get(&t, "S1", "2024Q1", column), v, "S1 2024Q1 {column}");
    }
    // P3, received on 2024-04-01, counts in 2024Q2 for D1; its clue is still open.
    assert_eq!(get(&t, "D1", "2024Q2", "petitions"), 1.0);
    assert_eq!(get(&t, "D1", "2024Q2", "clues"), 1.0);
    assert_eq!(get(&t, "D1", "2024Q2", "clues_disposed"), 0.0);
    assert_eq!(get(&t, "D1", "2024Q1", "petitions"), 0.0);
}

#[test]
fn finding_and_case_metrics_match_the_hand_count() {
    let t = unit_quarter(facts(), &quarters(), &SETTINGS).expect("aggregate");
    assert_eq!(get(&t, "D1", "2024Q2", "findings"), 1.0);
    assert_eq!(get(&t, "D1", "2024Q2", "findings_top_leader"), 1.0);
    assert_eq!(get(&t, "D1", "2024Q2", "findings_field_land"), 1.0);
    for (column, v) in [
        ("cases", 2.0),
        ("cases_top_leader", 1.0),
        ("cases_form_2", 1.0),
        ("cases_form_4", 1.0),
        ("cases_form_1", 0.0),
        ("cases_sanction_party_light", 1.0),
        ("cases_source_petition", 1.0),
        ("cases_source_audit", 1.0),
        ("amount_fen", 10050.0),
    ] {
        assert_eq!(get(&t, "S1", "2024Q1", column), v, "S1 2024Q1 {column}");
    }
}

#[test]
fn cases_close_in_the_quarter_of_their_closing_date() {
    let t = unit_quarter(facts(), &quarters(), &SETTINGS).expect("aggregate");
    assert_eq!(get(&t, "S1", "2024Q1", "cases_closed"), 0.0);
    assert_eq!(get(&t, "S1", "2024Q2", "cases_closed"), 1.0);
    assert_eq!(get(&t, "S1", "2024Q3", "cases_closed"), 0.0);
}

#[test]
fn clues_open_at_quarter_end_and_top_leader_clues_past_the_deadline() {
    let t = unit_quarter(facts(), &quarters(), &SETTINGS).expect("aggregate");
    // P1 (S1, top leader) was disposed on 2024-01-10: open at no quarter end.
    assert_eq!(get(&t, "S1", "2024Q1", "clues_open_at_end"), 0.0);
    // P3 (D1), received 2024-04-01 and never disposed: open at the end of Q2 and Q3, not Q1.
    assert_eq!(get(&t, "D1", "2024Q1", "clues_open_at_end"), 0.0);
    assert_eq!(get(&t, "D1", "2024Q2", "clues_open_at_end"), 1.0);
    assert_eq!(get(&t, "D1", "2024Q3", "clues_open_at_end"), 1.0);
    // P3 is not about a top leader, so never overdue under 严查快办.
    assert_eq!(get(&t, "D1", "2024Q3", "clues_top_leader_overdue"), 0.0);
    assert_eq!(get(&t, "S1", "2024Q1", "clues_top_leader_overdue"), 0.0);
    // R1's top-leader clues, never disposed: P4 (2024-05-01) is 60 days old at
    // the end of Q2, past 30; P5 (2024-06-15) only 15 then, 107 at the end of Q3.
    assert_eq!(get(&t, "R1", "2024Q2", "clues_open_at_end"), 2.0);
    assert_eq!(get(&t, "R1", "2024Q2", "clues_top_leader_overdue"), 1.0);
    assert_eq!(get(&t, "R1", "2024Q3", "clues_top_leader_overdue"), 2.0); // Days to disposition of top-leader clues: P1 took 9 days; R1's are not disposed.
    assert_eq!(get(&t, "S1", "2024Q1", "clue_days_top_leader_median"), 9.0);
    assert_eq!(get(&t, "S1", "2024Q1", "clue_days_top_leader_p90"), 9.0);
    assert!(
        get(&t, "R1", "2024Q2", "clue_days_top_leader_median").is_nan(),
        "none disposed: unknown"
    );
    let rolled = rollup::rollup(&t).expect("rollup");
    assert!(
        get(&rolled, "D1", "2024Q1", "clue_days_top_leader_median").is_nan(),
        "not summed up the tree"
    );
}

#[test]
fn rectifications_due_on_time_late_overdue_and_completion() {
    let t = unit_quarter(facts(), &quarters(), &SETTINGS).expect("aggregate");
    let t = UnitQuarter(yanpan::aggregate::metrics::with_changes(t.0).expect("changes"));
    // S1: F3 due 2024-03-31, done 03-20 -> on time in Q1.
    assert_eq!(get(&t, "S1", "2024Q1", "rectifications_due"), 1.0);
    assert_eq!(
        get(&t, "S1", "2024Q1", "rectifications_due_done_on_time"),
        1.0
    );
    assert_eq!(
        get(&t, "S1", "2024Q1", "rectification_completion_rate"),
        1.0
    );
    // S1: F2 due 2024-04-15, never done -> due in Q2, overdue at the ends of Q2 and Q3.
    assert_eq!(get(&t, "S1", "2024Q2", "rectifications_due"), 1.0);
    assert_eq!(
        get(&t, "S1", "2024Q2", "rectification_completion_rate"),
        0.0
    );
    assert_eq!(get(&t, "S1", "2024Q2", "rectifications_overdue_open"), 1.0);
    assert_eq!(get(&t, "S1", "2024Q3", "rectifications_overdue_open"), 1.0);
    assert_eq!(get(&t, "S1", "2024Q1", "rectifications_overdue_open"), 0.0);
    // D1: F1 due on Q2's last day, done 07-05 -> late; not overdue at the end of Q2
    // (due that day) nor of Q3 (done by then).
    assert_eq!(get(&t, "D1", "2024Q2", "rectifications_due_done_late"), 1.0);
    assert_eq!(get(&t, "D1", "2024Q2", "rectifications_overdue_open"), 0.0);
    assert_eq!(get(&t, "D1", "2024Q3", "rectifications_overdue_open"), 0.0);
    assert!(
        get(&t, "E1", "2024Q2", "rectification_completion_rate").is_nan(),
        "nothing due"
    );
}

#[test]
fn rollup_adds_streets_to_districts_and_everything_to_the_city() {
    let own = unit_quarter(facts(), &quarters(), &SETTINGS).expect("aggregate");
    let r = rollup::rollup(&own).expect("rollup");
    assert_eq!(
        get(&r, "D1", "2024Q1", "petitions"),
        2.0,
        "D1 = its street's two"
    );
    assert_eq!(get(&r, "D1", "2024Q2", "petitions"), 1.0, "D1's own one");
    assert_eq!(get(&r, "C0", "2024Q1", "cases"), 2.0);
    assert_eq!(get(&r, "C0", "2024Q1", "amount_fen"), 10050.0);
    assert_eq!(get(&r, "C0", "2024Q2", "findings"), 1.0);
    assert_eq!(
        get(&r, "C0", "2024Q1", "headcount"),
        750.0,
        "the city's exposure is everyone's"
    );
    assert_eq!(
        get(&r, "S1", "2024Q1", "petitions"),
        2.0,
        "a leaf rolls up to itself"
    );
    assert_eq!(
        get(&own, "C0", "2024Q1", "petitions"),
        0.0,
        "own figures are not rolled up"
    );
}

#[test]
fn rates_per_100_staff_and_changes_against_earlier_quarters() {
    let own = unit_quarter(facts(), &quarters(), &SETTINGS).expect("aggregate");
    let t = UnitQuarter(yanpan::aggregate::metrics::with_changes(own.0).expect("changes"));
    assert_eq!(
        get(&t, "S1", "2024Q1", "petitions_per_100"),
        4.0,
        "2 petitions / 50 staff"
    );
    assert_eq!(get(&t, "S1", "2024Q2", "petitions_prev_quarter"), 2.0);
    assert_eq!(get(&t, "S1", "2024Q3", "petitions_prev_quarter"), 0.0);
    assert!(
        get(&t, "S1", "2024Q1", "petitions_prev_quarter").is_nan(),
        "before the table: unknown, not zero"
    );
    assert!(get(&t, "S1", "2024Q3", "petitions_year_before").is_nan());
    assert_eq!(
        get(&t, "D1", "2024Q2", "clues_per_100"),
        0.5,
        "1 clue / 200 staff"
    );
    assert_eq!(
        get(&t, "S1", "2024Q1", "amount_yuan"),
        100.5,
        "the published table shows yuan"
    );
    assert!(t.0.column("amount_fen").is_err(), "fen is internal");
}

/// S1 changed its top leader mid-quarter: L1 until 2024-02-15, L2 after.
fn leaders() -> LazyFrame {
    let mut l = df!(
        "person_id" => ["L1", "L2", "L3"],
        "unit_id" => ["S1", "S1", "D1"],
        "role" => ["top_leader", "top_leader", "member"],
    )
    .expect("leaders");
    l.with_column(dates(
        "start_on",
        &["2020-01-01", "2024-02-16", "2019-01-01"],
    ))
    .expect("col");
    l.with_column(dates("end_on", &["2024-02-15", "", ""]))
        .expect("col");
    l.lazy()
}

#[test]
fn person_quarter_names_each_leader_and_follows_the_change_of_top_leader() {
    use yanpan::aggregate::person::person_quarter;
    let qs: Vec<String> = quarters().iter().map(|q| q.to_string()).collect();
    let t = person_quarter(leaders(), facts(), &qs, SETTINGS.engine).expect("person_quarter");
    let row = |person: &str, column: &str| -> Option<f64> {
        let ids = t
            .column("person_id")
            .expect("id")
            .str()
            .expect("str")
            .clone();
        let v = t
            .column(column)
            .expect("col")
            .cast(&DataType::Float64)
            .expect("cast");
        let v = v.f64().expect("f64").clone();
        (0..t.height())
            .find(|&i| ids.get(i) == Some(person))
            .and_then(|i| v.get(i))
    };
    // P1 and K1 name L1 in 2024Q1; the finding of 2024-03-01 falls to L2, in office since 2024-02-16.
    assert_eq!(row("L1", "petitions"), Some(1.0));
    assert_eq!(row("L1", "petitions_signed"), Some(1.0));
    assert_eq!(row("L1", "clues"), Some(1.0));
    assert_eq!(row("L1", "cases"), Some(1.0));
    assert_eq!(row("L1", "findings"), Some(0.0));
    assert_eq!(row("L2", "findings"), Some(1.0));
    assert_eq!(row("L2", "petitions"), Some(0.0));
    assert_eq!(row("L3", "petitions"), None, "nothing names L3");
    let role = t
        .column("role")
        .expect("role")
        .str()
        .expect("str")
        .get(0)
        .map(str::to_string);
    assert_eq!(role.as_deref(), Some("top_leader"));
}

#[test]
fn a_follow_up_finding_in_a_field_found_before_counts_as_repeated_once() {
    use yanpan::aggregate::follow_up::{REPEATED, repeated};
    let d = |s: &str| days(s).expect("date");
    let findings = df!(
        "finding_id" => ["F1", "F2", "F3", "F4", "F5"],
        "unit_id" => ["U1", "U1", "U1", "U1", "U2"],
        "kind" => ["circuit", "inspection", "follow_up", "follow_up", "follow_up"],
        "field" => ["land", "land", "land", "finance", "land"],
        "reported_on" => [d("2024-01-10"), d("2024-02-01"), d("2024-05-10"), d("2024-05-11"), d("2024-05-12")],
        "quarter" => ["2024Q1", "2024Q1", "2024Q2", "2024Q2", "2024Q2"],
    )
    .expect("frame")
    .lazy()
    .with_column(col("reported_on").cast(DataType::Date));
    let qs = Series::new("quarter".into(), ["2024Q1", "2024Q2"]);
    let out = repeated(findings, &qs).collect().expect("collect");
    // F3 repeats F1 and F2 (counted once); F4's field was not found before;
    // F5's unit had no earlier finding.
    assert_eq!(out.height(), 1, "{out}");
    let n = out
        .column(REPEATED)
        .expect("column")
        .u32()
        .expect("u32")
        .get(0);
    assert_eq!(n, Some(1));
    assert_eq!(
        out.column("unit_id").expect("u").str().expect("s").get(0),
        Some("U1")
    );
}
