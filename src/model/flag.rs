//! A flag and the evidence it carries: every flag says how it was decided.

use serde::Serialize;

use super::Quarter;

/// How a flag was decided, printed beside it in every report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// What was counted (e.g. petitions in the window).
    pub observed: f64,
    /// What the reference model expected.
    pub expected: f64,
    /// The test statistic (for concentration: observed / expected).
    pub statistic: f64,
    /// One-sided p-value of the observation under the reference model.
    pub p_value: f64,
    /// Benjamini–Hochberg q-value across everything tested together.
    pub q_value: f64,
    /// The q-value below which a flag is raised.
    pub threshold: f64,
    /// How many units were tested together.
    pub n_tested: usize,
    /// The rule in words, e.g. "peers: negative binomial, level rate over 4 quarters".
    pub rule: String,
}

/// How urgently a flag asks for attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Medium,
    High,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Severity::Medium => "关注",
            Severity::High => "重点关注",
        }
    }
}

/// One flag: a unit (and possibly a person) in a quarter that stands out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    /// The detector's name, as in the pipeline file.
    pub detector: &'static str,
    pub unit_id: String,
    pub unit_name: String,
    pub person_id: Option<String>,
    /// The key field the flag is about (key-field and common-problem flags).
    pub field: Option<super::KeyField>,
    /// What else within the unit the flag is about, e.g. the key-field
    /// detector's source (`petitions`, `findings`, `cases`).
    pub subject: Option<&'static str>,
    pub quarter: Quarter,
    /// Quarters in the window that ends at `quarter`.
    pub window: u8,
    pub severity: Severity,
    /// One plain sentence whose numbers are the evidence's.
    pub sentence_zh: String,
    pub sentence_en: String,
    pub evidence: Evidence,
}

#[cfg(test)]
impl Flag {
    /// A medium flag of `detector` on `unit` (named 单位`unit`) in
    /// `quarter`, one-quarter window, plain evidence: for tests.
    pub fn example(detector: &'static str, unit: &str, quarter: Quarter) -> Flag {
        Flag {
            detector,
            unit_id: unit.into(),
            unit_name: format!("单位{unit}"),
            person_id: None,
            field: None,
            subject: None,
            quarter,
            window: 1,
            severity: Severity::Medium,
            sentence_zh: String::new(),
            sentence_en: String::new(),
            evidence: Evidence {
                observed: 1.0,
                expected: 1.0,
                statistic: 1.0,
                p_value: 0.01,
                q_value: 0.05,
                threshold: 0.1,
                n_tested: 3,
                rule: String::new(),
            },
        }
    }
}
