//! The chart set's inputs, gathered once from the tables, the flags and
//! the render settings.

use std::collections::HashSet;

use polars::prelude::*;

use super::TrendLabels;
use super::quarterly::SetInputs;
use crate::model::{ClueDays, Flag, Language, Quarter, QuarterLabels};

/// What the render stage is set by.
#[derive(Debug, Clone)]
pub struct RenderSettings {
    pub site_name: String,
    pub language: Language,
    pub quarter_labels: QuarterLabels,
    /// 严查快办: the deadline of top-leader clues, marked on their chart.
    pub deadline_days: u32,
    /// Ratio charts leave cells expecting fewer than this uncoloured
    /// (`[report] chart_min_expected`, default [`MIN_EXPECTED`], bounds
    /// [`MIN_EXPECTED_BOUNDS`]).
    pub min_expected: f64,
    /// The pipeline's saved charts (`[[chart]]`), drawn into
    /// `charts/custom/` on every run.
    pub saved: Vec<super::request::ChartRequest>,
}

/// The default of `[report] chart_min_expected`: a cell expecting fewer
/// than one record is mostly noise.
pub const MIN_EXPECTED: f64 = 1.0;
/// The bounds of `[report] chart_min_expected`.
pub const MIN_EXPECTED_BOUNDS: (f64, f64) = (0.0, 100.0);

/// `[report] chart_min_expected`, or its default, within its bounds.
pub fn min_expected(value: Option<f64>) -> Result<f64, String> {
    let v = value.unwrap_or(MIN_EXPECTED);
    let (lo, hi) = MIN_EXPECTED_BOUNDS;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "[report] chart_min_expected = {v}: give an expected count between {lo} and {hi}"
        ))
    }
}

/// The flags the charts mark.
#[derive(Debug, Default, Clone)]
pub struct Marked {
    pub units: HashSet<String>,
    pub fields: HashSet<(String, String)>,
}

impl Marked {
    pub fn of(flags: &[Flag]) -> Self {
        Marked {
            units: super::quarterly::flagged_units(flags),
            fields: super::quarterly::flagged_fields(flags),
        }
    }
}

/// The trend chart's labels in the report's language.
pub fn trend_labels(p: &RenderSettings, q: Quarter) -> TrendLabels {
    let as_of = q.last_day();
    match p.language {
        Language::Zh => TrendLabels {
            title: "全市信访举报、问题线索、巡视巡察发现问题和立案季度趋势".into(),
            unit: "件".into(),
            petitions: "信访举报".into(),
            petitions_last_year: "信访举报（去年同期）".into(),
            clues: "问题线索".into(),
            findings: "巡视巡察发现问题".into(),
            cases: "立案".into(),
            footnote: format!(
                "数据来源：{}信访举报、巡视巡察和案件数据；数据截至{}。",
                p.site_name,
                as_of.format("%Y年%-m月%-d日")
            ),
        },
        Language::En => TrendLabels {
            title: "Petitions, clues, inspection findings and cases by quarter".into(),
            unit: "records".into(),
            petitions: "Petitions".into(),
            petitions_last_year: "Petitions (a year earlier)".into(),
            clues: "Clues".into(),
            findings: "Findings".into(),
            cases: "Cases filed".into(),
            footnote: format!(
                "Source: {} petition, inspection and case records, as of {as_of}.",
                p.site_name
            ),
        },
    }
}

/// Units with a risk-score flag, the most severe first (at most
/// `MAX_PROFILES`): the run draws each one's profile.
pub fn problem_units(flags: &[Flag]) -> Vec<String> {
    const MAX_PROFILES: usize = 20;
    let mut scored: Vec<&Flag> = flags
        .iter()
        .filter(|f| f.detector == crate::detect::risk_score::NAME)
        .collect();
    scored.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.evidence.statistic.total_cmp(&a.evidence.statistic))
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    scored
        .into_iter()
        .take(MAX_PROFILES)
        .map(|f| f.unit_id.clone())
        .collect()
}

/// What the chart set is drawn from, gathered once.
#[derive(Debug, Clone)]
pub struct SetSources<'a> {
    pub settings: &'a RenderSettings,
    pub quarter: Quarter,
    pub quarters: &'a [Quarter],
    pub own: &'a DataFrame,
    pub rollup: &'a DataFrame,
    /// Leaders × quarter, for `persons` charts.
    pub persons: Option<&'a DataFrame>,
    pub citywide: &'a DataFrame,
    pub marked: Marked,
    pub clue_days: &'a [ClueDays],
    pub profiles: Vec<String>,
    /// What became of earlier flags (a chart when there is a ledger).
    pub follow_up: Option<&'a crate::detect::follow::FollowUp>,
}

pub fn set_inputs<'a>(s: SetSources<'a>) -> PolarsResult<SetInputs<'a>> {
    let p = s.settings;
    let labels = trend_labels(p, s.quarter);
    let trend = super::spec::trend(s.citywide, s.quarters, &labels, &|q| {
        p.quarter_labels.label(q)
    })?;
    Ok(SetInputs {
        quarter: s.quarter,
        quarters: s.quarters,
        zh: p.language == Language::Zh,
        quarter_labels: p.quarter_labels,
        own: s.own,
        rollup: s.rollup,
        persons: s.persons,
        flagged: s.marked.units,
        flagged_fields: s.marked.fields,
        clue_days: s.clue_days,
        deadline_days: p.deadline_days,
        profiles: s.profiles,
        min_expected: p.min_expected,
        follow_up: s.follow_up,
        trend,
        source_note: labels.footnote,
    })
}
