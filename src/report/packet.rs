//! Briefing packets by recipient: which reports each one gets, and the
//! one-page overview that opens the committee head's. Pure.

use super::model::{Figure, Report, Section, Table};
use super::wording::Wording;

/// Who a packet is for, from the pipeline file.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    /// Folder name under `packets/` (letters, digits, `-`, `_`).
    pub id: String,
    /// As printed on the packet, e.g. 委主要负责同志.
    pub name: String,
    pub kind: RecipientKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecipientKind {
    /// Every report, with a one-page overview first.
    CommitteeHead,
    /// Every report, limited to the units whose `portfolio` is this one.
    Portfolio(String),
    /// The problem-unit notification, the rotation watch and (when the
    /// store holds activities) supervision coverage.
    Organisation,
}

/// The one-page overview: the figures of the reports and the first
/// sentence of each, with the list of what follows.
pub fn overview(
    w: &Wording,
    quarter_label: &str,
    recipient: &str,
    reports: &[Report],
    follow_up: Option<Table>,
) -> Report {
    let first = |r: &Report| r.summary.first().cloned().unwrap_or_default();
    // The headline of the quarter: (report, figure) by position.
    const HEADLINE: [(&str, usize); 7] = [
        ("petitions", 0),
        ("petitions", 3),
        ("top_leader_clues", 3),
        ("problem_units", 0),
        ("rectification", 1),
        ("supervision", 0),
        ("supervision", 1),
    ];
    let figures: Vec<Figure> = HEADLINE
        .iter()
        .filter_map(|(id, k)| {
            reports
                .iter()
                .find(|r| r.id == *id)?
                .figures
                .get(*k)
                .cloned()
        })
        .collect();
    let issuer = reports
        .first()
        .map(|r| r.issuer.clone())
        .unwrap_or_default();
    let dateline = reports
        .first()
        .map(|r| r.dateline.clone())
        .unwrap_or_default();
    Report {
        zh: w.language() == crate::model::Language::Zh,
        id: "overview".into(),
        title: w.t("packet.overview_title", &[("quarter", &quarter_label)]),
        issuer,
        dateline,
        summary: vec![w.t(
            "packet.overview_intro",
            &[("recipient", &recipient), ("reports", &reports.len())],
        )],
        figures,
        sections: std::iter::once(Section {
            heading: w.s("packet.h_contents"),
            table: Some(Table {
                title: w.s("packet.h_contents"),
                headers: vec![w.s("packet.col_report"), w.s("packet.col_gist")],
                rows: reports
                    .iter()
                    .map(|r| vec![r.title.clone(), first(r)])
                    .collect(),
            }),
            ..Default::default()
        })
        .chain(follow_up.map(|t| Section {
            heading: t.title.clone(),
            table: Some(t),
            ..Default::default()
        }))
        .collect(),
    }
}
