//! The pipeline file as written: a serde mirror checked only for form.
//! `Pipeline::try_from` turns it into validated settings.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPipeline {
    pub site: RawSite,
    pub store: RawStore,
    #[serde(default)]
    pub source: Vec<RawSource>,
    #[serde(default)]
    pub ingest: RawIngest,
    #[serde(default)]
    pub aggregate: RawAggregate,
    #[serde(default)]
    pub detect: RawDetect,
    #[serde(default)]
    pub report: RawReport,
    #[serde(default)]
    pub packet: Vec<super::report::RawPacket>,
    #[serde(default)]
    pub sample: RawSample,
    pub rotation: Option<RawRotation>,
    pub link: Option<RawLink>,
    pub supervision: Option<crate::aggregate::supervision::SupervisionSection>,
    pub chain: Option<RawChain>,
    #[serde(rename = "loop")]
    pub follow: Option<RawLoop>,
    #[serde(default)]
    pub chart: Vec<crate::render::request::ChartOptions>,
}

/// `[loop]`: following flags and recommendations up.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLoop {
    pub action_days: Option<u32>,
    pub return_visit_days: Option<u32>,
    pub lookback_quarters: Option<u32>,
    pub high_from_days: Option<u32>,
    pub detectors: Option<Vec<String>>,
}

/// `[chain]`: how cases are traced back to their petitions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChain {
    pub window_days: Option<u32>,
}

/// `[link]`: repeat linking of petitions about the same matter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLink {
    pub window_days: Option<u32>,
    pub similarity: Option<f64>,
    pub related_similarity: Option<f64>,
}

/// `[rotation]`: years in the same post after which rotation is due, overdue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRotation {
    pub due_years: Option<f64>,
    pub overdue_years: Option<f64>,
}

/// `[sample.personal_matters]`: the spot-check sample of clause 二十.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSample {
    pub personal_matters: Option<crate::sample::PersonalMattersSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSite {
    pub name: String,
    pub language: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    pub path: String,
    pub reporter_key_file: Option<String>,
    pub reporter_key_env: Option<String>,
    #[serde(default)]
    pub reporter_key_is_demo: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSource {
    pub dataset: String,
    pub path: String,
    pub format: Option<String>,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    pub totals_labels: Option<Vec<String>>,
    pub delimiter: Option<String>,
    pub header_row: Option<u64>,
    pub skip_footer: Option<usize>,
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIngest {
    pub max_quarantine_share: Option<f64>,
    pub notice_quarantine_share: Option<f64>,
    pub earliest_date: Option<String>,
    pub today: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAggregate {
    pub top_leader_clue_deadline_days: Option<u32>,
    pub engine: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDetect {
    #[serde(default)]
    pub concentration: RawConcentration,
    #[serde(default)]
    pub subtree_rise: RawSubtreeRise,
    #[serde(default)]
    pub key_field: RawKeyField,
    #[serde(default)]
    pub common_problem: RawCommonProblem,
    #[serde(default)]
    pub prominent_complaints: RawProminent,
    #[serde(default)]
    pub risk_score: RawRiskScore,
    #[serde(default)]
    pub conversion: RawConversion,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSubtreeRise {
    pub q: Option<f64>,
    pub min_children: Option<u32>,
    pub child_cap_sd: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKeyField {
    pub window_quarters: Option<u32>,
    pub q: Option<f64>,
    pub min_records: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCommonProblem {
    pub history_quarters: Option<u32>,
    pub min_petitions: Option<f64>,
    pub alpha: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProminent {
    pub window_quarters: Option<u32>,
    pub min_quarters: Option<u32>,
    pub q: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRiskScore {
    pub weights: Option<BTreeMap<String, f64>>,
    pub threshold: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConcentration {
    pub q: Option<f64>,
    pub min_expected: Option<f64>,
    pub history_quarters: Option<u32>,
    pub windows: Option<Vec<u32>>,
    pub window_weights: Option<Vec<f64>>,
    pub echo_cap_sd: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReport {
    pub output: Option<String>,
    pub history_quarters: Option<u32>,
    pub quarter_labels: Option<String>,
    /// A folder with the site's wording.zh.toml / wording.en.toml / report.typ.
    pub templates: Option<String>,
    pub follow_up: Option<Vec<super::report::RawFollowUp>>,
    pub chart_min_expected: Option<f64>,
}

/// `[detect.conversion]`: units whose petitions lead to far fewer cases.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConversion {
    pub window_quarters: Option<u32>,
    pub q: Option<f64>,
    pub min_petitions: Option<f64>,
}
