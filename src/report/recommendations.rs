//! The recommendations report (纪检监察建议督办情况): open recommendations
//! by unit, feedback and return visits overdue, copies to the leader in
//! charge and the year's assessment (clause 二十六). A portfolio packet
//! holds those of the units in its portfolio.

use std::collections::{BTreeMap, HashSet};

use super::inputs::Inputs;
use super::model::{Figure, Report, Section, Table};
use crate::detect::loop_rules::LoopItem;
use crate::model::FlagKind;
use crate::model::ledger::Recommendation;

/// The report, or `None` without a recommendations source.
pub fn build(i: &Inputs<'_>, recs: &[Recommendation]) -> Option<Report> {
    if !i.followed.has_recommendations {
        return None;
    }
    let w = i.wording;
    let names = crate::detect::follow::unit_names(i.own).unwrap_or_default();
    let recs: Vec<&Recommendation> = recs
        .iter()
        .filter(|r| names.contains_key(&r.unit_id))
        .collect();
    let ids: HashSet<&str> = recs.iter().map(|r| r.id.as_str()).collect();
    let items: Vec<&LoopItem> = i
        .followed
        .items
        .iter()
        .filter(|it| ids.contains(it.record_id.as_str()))
        .collect();
    let of = |rule: FlagKind| items.iter().filter(|it| it.rule == rule).count();
    let as_of = i.quarter.last_day();
    let open: Vec<&&Recommendation> = recs.iter().filter(|r| r.open(as_of)).collect();
    let (feedback, visit) = (
        of(FlagKind::FeedbackOverdue),
        of(FlagKind::ReturnVisitMissing),
    );
    let (copied, assessed) = (of(FlagKind::NotCopied), of(FlagKind::NotAssessed));
    let date = if i.zh() {
        as_of.format("%Y年%-m月%-d日").to_string()
    } else {
        as_of.to_string()
    };
    let scope = if i.scope.is_empty() && i.zh() {
        "全市"
    } else {
        i.scope
    };
    let mut summary = vec![w.t(
        "recs.summary",
        &[
            ("date", &date),
            ("scope", &scope),
            ("total", &recs.len()),
            ("open", &open.len()),
        ],
    )];
    if feedback + visit + copied > 0 {
        summary.push(w.t(
            "recs.summary_overdue",
            &[
                ("feedback", &feedback),
                ("visit", &visit),
                ("days", &i.followed.settings.return_visit_days),
                ("copied", &copied),
            ],
        ));
    } else {
        summary.push(w.s("recs.summary_clean"));
    }
    if assessed > 0 {
        summary.push(w.t(
            "recs.summary_assessed",
            &[("year", &i.quarter.year()), ("n", &assessed)],
        ));
    }
    let name = |u: &str| names.get(u).cloned().unwrap_or_else(|| u.to_string());
    let by_id: BTreeMap<&str, &&Recommendation> = recs.iter().map(|r| (r.id.as_str(), r)).collect();
    Some(Report {
        zh: i.zh(),
        id: "recommendations".into(),
        title: w.t(
            "recs.title",
            &[
                ("quarter", &i.quarter_label(i.quarter)),
                ("scope", &i.scope),
            ],
        ),
        issuer: i.site.to_string(),
        dateline: i.dateline(),
        summary,
        figures: vec![
            figure(w.s("recs.fig_total"), recs.len()),
            figure(w.s("recs.fig_open"), open.len()),
            figure(w.s("recs.fig_feedback"), feedback),
            figure(w.s("recs.fig_visit"), visit),
        ],
        sections: vec![
            overdue_section(i, &items, &by_id, &name),
            units_section(i, &open, &items, &name),
            copies_section(i, &items, &by_id, &name),
        ],
    })
}

/// A section holding `rows` under `headers` (wording keys), or the
/// sentence `none` when there are none.
fn table_section(
    i: &Inputs<'_>,
    heading: &str,
    none: &str,
    headers: &[&str],
    rows: Vec<Vec<String>>,
) -> Section {
    let w = i.wording;
    let heading = w.s(heading);
    if rows.is_empty() {
        return Section {
            heading,
            paragraphs: vec![w.s(none)],
            ..Default::default()
        };
    }
    Section {
        heading: heading.clone(),
        table: Some(Table {
            title: heading,
            headers: headers.iter().map(|k| w.s(k)).collect(),
            rows,
        }),
        ..Default::default()
    }
}

fn figure(label: String, n: usize) -> Figure {
    Figure {
        label,
        value: n.to_string(),
    }
}

fn rule_label(i: &Inputs<'_>, rule: FlagKind) -> String {
    if i.zh() {
        rule.label_zh()
    } else {
        rule.label_en()
    }
    .to_string()
}

fn opt_date(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn overdue_section(
    i: &Inputs<'_>,
    items: &[&LoopItem],
    by_id: &BTreeMap<&str, &&Recommendation>,
    name: &dyn Fn(&str) -> String,
) -> Section {
    let mut rows: Vec<(&LoopItem, &Recommendation)> = items
        .iter()
        .filter(|it| {
            matches!(
                it.rule,
                FlagKind::FeedbackOverdue | FlagKind::ReturnVisitMissing
            )
        })
        .filter_map(|it| Some((*it, **by_id.get(it.record_id.as_str())?)))
        .collect();
    rows.sort_by(|a, b| b.0.days.cmp(&a.0.days).then_with(|| a.1.id.cmp(&b.1.id)));
    table_section(
        i,
        "recs.h_overdue",
        "recs.overdue_none",
        &[
            "recs.col_id",
            "recs.col_unit",
            "recs.col_subject",
            "recs.col_due",
            "recs.col_feedback",
            "recs.col_problem",
            "recs.col_days",
        ],
        rows.iter()
            .map(|(it, r)| {
                vec![
                    r.id.clone(),
                    name(&r.unit_id),
                    r.subject.clone(),
                    opt_date(r.due_on),
                    opt_date(r.feedback_on),
                    rule_label(i, it.rule),
                    it.days.to_string(),
                ]
            })
            .collect(),
    )
}

fn units_section(
    i: &Inputs<'_>,
    open: &[&&Recommendation],
    items: &[&LoopItem],
    name: &dyn Fn(&str) -> String,
) -> Section {
    let mut per: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for r in open {
        per.entry(r.unit_id.as_str()).or_default()[0] += 1;
    }
    for it in items {
        let k = match it.rule {
            FlagKind::FeedbackOverdue => 1,
            FlagKind::ReturnVisitMissing => 2,
            _ => continue,
        };
        if let Some(c) = per.get_mut(it.unit_id.as_str()) {
            c[k] += 1;
        }
    }
    let mut rows: Vec<(&str, [usize; 3])> = per.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    table_section(
        i,
        "recs.h_units",
        "recs.units_none",
        &[
            "recs.col_unit",
            "recs.col_open",
            "recs.col_feedback_overdue",
            "recs.col_visit_missing",
            "recs.col_leader",
        ],
        rows.iter()
            .map(|(u, c)| {
                vec![
                    name(u),
                    c[0].to_string(),
                    c[1].to_string(),
                    c[2].to_string(),
                    i.portfolios.get(*u).cloned().unwrap_or_default(),
                ]
            })
            .collect(),
    )
}

fn copies_section(
    i: &Inputs<'_>,
    items: &[&LoopItem],
    by_id: &BTreeMap<&str, &&Recommendation>,
    name: &dyn Fn(&str) -> String,
) -> Section {
    let rows: Vec<Vec<String>> = items
        .iter()
        .filter(|it| matches!(it.rule, FlagKind::NotCopied | FlagKind::NotAssessed))
        .filter_map(|it| {
            let r = by_id.get(it.record_id.as_str())?;
            Some(vec![
                r.id.clone(),
                name(&r.unit_id),
                r.issued_on.to_string(),
                rule_label(i, it.rule),
                i.portfolios.get(&r.unit_id).cloned().unwrap_or_default(),
                r.copied_to.clone().unwrap_or_default(),
            ])
        })
        .collect();
    table_section(
        i,
        "recs.h_copies",
        "recs.copies_none",
        &[
            "recs.col_id",
            "recs.col_unit",
            "recs.col_issued",
            "recs.col_problem",
            "recs.col_leader",
            "recs.col_copied",
        ],
        rows,
    )
}
