//! Values the pipeline file sets and every stage may read: a share, the
//! report language, how quarters are named.

use std::fmt;

/// A share in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Ratio(f64);

impl Ratio {
    pub fn new(x: f64) -> Option<Self> {
        (0.0..=1.0).contains(&x).then_some(Self(x))
    }
    /// A share known when the program is written (a default).
    pub const fn of_const(x: f64) -> Self {
        assert!(0.0 <= x && x <= 1.0, "a share is between 0 and 1");
        Self(x)
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

/// The language of user-facing reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Zh,
    En,
}

/// How charts and tables name a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QuarterLabels {
    /// 2024Q3
    #[default]
    Code,
    /// 2024年三季度
    Chinese,
}

impl QuarterLabels {
    pub fn label(self, q: super::Quarter) -> String {
        match self {
            QuarterLabels::Code => q.to_string(),
            QuarterLabels::Chinese => q.label_zh(),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Language::Zh => "zh",
            Language::En => "en",
        })
    }
}

#[cfg(test)]
mod quarter_label_tests {
    use super::QuarterLabels;

    #[test]
    fn quarters_are_named_by_code_or_in_chinese() {
        let q = super::super::Quarter::new(2024, 3).expect("quarter");
        assert_eq!(QuarterLabels::Code.label(q), "2024Q3");
        assert_eq!(QuarterLabels::Chinese.label(q), "2024年三季度");
    }
}

/// A command asked for something that does not exist (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
