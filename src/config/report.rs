//! The report settings of the pipeline file: the wording folder, the
//! follow-up rules for problem units and the briefing packets.

use std::path::Path;

use serde::Deserialize;

use crate::detect::FLAGGING_DETECTORS;
use crate::report::inputs::{FollowUpRule, Measure};
use crate::report::packet::{Recipient, RecipientKind};

/// `[[report.follow_up]]`: propose `measure` from `min_score`, optionally
/// only where one of `detectors` flagged the unit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFollowUp {
    pub measure: String,
    pub min_score: f64,
    #[serde(default)]
    pub detectors: Vec<String>,
}

/// `[[packet]]`: one briefing packet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPacket {
    pub id: String,
    pub recipient: String,
    /// committee_head, portfolio or organisation.
    pub kind: String,
    pub portfolio: Option<String>,
}

pub(crate) fn follow_up(
    raw: Option<&[RawFollowUp]>,
    threshold: f64,
) -> Result<Vec<FollowUpRule>, String> {
    let Some(raw) = raw else {
        return Ok(FollowUpRule::defaults(threshold));
    };
    raw.iter()
        .map(|r| {
            let measure = Measure::parse(&r.measure).ok_or_else(|| {
                let all: Vec<&str> = Measure::ALL.iter().map(|m| m.code()).collect();
                format!(
                    "[[report.follow_up]] measure = \"{}\": use one of {}",
                    r.measure,
                    all.join(", ")
                )
            })?;
            if !r.min_score.is_finite() || r.min_score < 0.0 {
                return Err(format!(
                    "[[report.follow_up]] min_score = {} must be >= 0",
                    r.min_score
                ));
            }
            if let Some(d) = r
                .detectors
                .iter()
                .find(|d| !FLAGGING_DETECTORS.contains(&d.as_str()))
            {
                return Err(format!(
                    "[[report.follow_up]] detectors: no detector \"{d}\"; detectors: {}",
                    FLAGGING_DETECTORS.join(", ")
                ));
            }
            Ok(FollowUpRule {
                measure,
                min_score: r.min_score,
                detectors: r.detectors.clone(),
            })
        })
        .collect()
}

pub(crate) fn packets(raw: &[RawPacket]) -> Result<Vec<Recipient>, String> {
    let mut out: Vec<Recipient> = Vec::new();
    for p in raw {
        let safe = !p.id.is_empty()
            && p.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !safe {
            return Err(format!(
                "[[packet]] id = \"{}\": use letters, digits, - and _ (it names a folder)",
                p.id
            ));
        }
        if out.iter().any(|o| o.id == p.id) {
            return Err(format!("[[packet]] id = \"{}\" is used twice", p.id));
        }
        let kind = match (p.kind.as_str(), &p.portfolio) {
            ("committee_head", None) => RecipientKind::CommitteeHead,
            ("organisation", None) => RecipientKind::Organisation,
            ("portfolio", Some(name)) if !name.trim().is_empty() => {
                RecipientKind::Portfolio(name.trim().to_string())
            }
            ("portfolio", _) => {
                return Err(format!(
                    "[[packet]] {}: a portfolio packet names its portfolio (as in the units' 分管领导 column)",
                    p.id
                ));
            }
            (k @ ("committee_head" | "organisation"), Some(_)) => {
                return Err(format!(
                    "[[packet]] {}: only a portfolio packet has a portfolio (kind = \"{k}\")",
                    p.id
                ));
            }
            (other, _) => {
                return Err(format!(
                    "[[packet]] {}: kind = \"{other}\": use committee_head, portfolio or organisation",
                    p.id
                ));
            }
        };
        out.push(Recipient {
            id: p.id.clone(),
            name: p.recipient.clone(),
            kind,
        });
    }
    Ok(out)
}

/// The wording folder, relative to the pipeline file; it must exist when named.
pub(crate) fn templates(
    base: &Path,
    raw: Option<&str>,
) -> Result<Option<std::path::PathBuf>, String> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let dir = super::resolve(base, raw);
    if !dir.is_dir() {
        return Err(format!(
            "[report] templates = \"{raw}\": no folder {}",
            dir.display()
        ));
    }
    Ok(Some(dir))
}
