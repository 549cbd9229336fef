//! `yanpan explain`: how a detector or a rule decides, with the settings
//! in force.

use std::path::Path;

use anyhow::Result;

use super::UsageError;
use crate::config::Pipeline;
use crate::detect;

/// `yanpan explain`: one detector's method, settings and example, or the list.
pub fn explain(detector: Option<&str>, pipeline: Option<&Path>) -> Result<String> {
    let p = match pipeline {
        Some(path) => Some(Pipeline::load(path)?),
        None => None,
    };
    let settings = match &p {
        Some(p) => p.detect_settings(),
        None => detect::DetectSettings::defaults(),
    };
    let names: Vec<&str> = detect::FLAGGING_DETECTORS
        .iter()
        .copied()
        .chain(std::iter::once(detect::risk_score::NAME))
        .collect();
    const RULES: [&str; 4] = ["link", "chain", "rotation", "supervision"];
    let rules = |name: &str| match name {
        "link" => Some(p.as_ref().map(|p| p.link).unwrap_or_default().explain()),
        "chain" => Some(p.as_ref().map(|p| p.chain).unwrap_or_default().explain()),
        "rotation" => Some(p.as_ref().map(|p| p.rotation).unwrap_or_default().explain()),
        "supervision" => Some(
            p.as_ref()
                .map(|p| p.supervision.clone())
                .unwrap_or_default()
                .explain(),
        ),
        _ => None,
    };
    match detector {
        None => Ok(format!(
            "Detectors, in the order a run applies them:\n  {}\n\nRules checked beside them:\n  {}\n\nyanpan explain NAME [--pipeline FILE] for one of them.",
            names.join("\n  "),
            RULES.join("\n  ")
        )),
        Some(name) => detect::explain(&settings, name)
            .or_else(|| rules(name))
            .map(|e| format!("{name}\n\n{e}"))
            .ok_or_else(|| {
                UsageError(format!(
                    "no detector or rule {name}; detectors: {}; rules: {}",
                    names.join(", "),
                    RULES.join(", ")
                ))
                .into()
            }),
    }
}
