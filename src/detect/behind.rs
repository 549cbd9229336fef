//! The records behind each flag, as selectors over the stored datasets:
//! which dataset, which units or person, which quarters, which key field.
//! Pure: the store is read at the edge (`aggregate::records_read`).

use std::collections::BTreeMap;

use super::continuity::flag_id;
use super::loop_rules::LoopItem;
use crate::model::{Dataset, Flag, FlagKind, KeyField};

/// How a selector narrows its dataset's rows beyond unit and quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Narrow {
    None,
    /// Top-leader clues (是否转为问题线索, 一把手) not disposed within
    /// this many days of receipt.
    TopLeaderClues {
        deadline_days: u32,
    },
    /// Findings open past their due date at the last quarter's end.
    OverdueFindings,
}

/// The rows of `dataset` behind one flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub flag_id: String,
    pub detector: &'static str,
    pub dataset: Dataset,
    /// Rows of these units (empty: any unit).
    pub units: Vec<String>,
    /// Rows naming this person.
    pub person_id: Option<String>,
    pub field: Option<KeyField>,
    /// Rows of these quarters (empty: any quarter).
    pub quarters: Vec<String>,
    /// Rows with these ids (ledger records), else every row that matches.
    pub ids: Vec<String>,
    pub narrow: Narrow,
}

/// The selectors of `flags` (the loop rules' through `items`);
/// `children` gives each unit's direct children. The risk score has no
/// rows of its own: its parts are the other flags.
pub fn selectors(
    flags: &[Flag],
    items: &[LoopItem],
    children: &BTreeMap<String, Vec<String>>,
    deadline_days: u32,
) -> Vec<Selector> {
    flags
        .iter()
        .filter_map(|f| selector(f, items, children, deadline_days))
        .collect()
}

fn selector(
    f: &Flag,
    items: &[LoopItem],
    children: &BTreeMap<String, Vec<String>>,
    deadline_days: u32,
) -> Option<Selector> {
    let window = super::window(f.quarter, usize::from(f.window).max(1));
    let mut s = Selector {
        flag_id: flag_id(f),
        detector: f.detector,
        dataset: Dataset::Petitions,
        units: vec![f.unit_id.clone()],
        person_id: None,
        field: None,
        quarters: window,
        ids: Vec::new(),
        narrow: Narrow::None,
    };
    match FlagKind::parse(f.detector)? {
        FlagKind::Concentration | FlagKind::Conversion => {}
        FlagKind::SubtreeRise => {
            // Every unit below the parent (its children with theirs).
            s.units = crate::model::tree::subtree(&f.unit_id, children).split_off(1);
        }
        FlagKind::KeyField => {
            // The detector reads the roll-up: the unit and every unit below.
            s.units = crate::model::tree::subtree(&f.unit_id, children);
            s.field = f.field;
            s.dataset = f
                .subject
                .and_then(Dataset::parse)
                .unwrap_or(Dataset::Petitions);
        }
        FlagKind::CommonProblem => {
            // Every unit's petitions of the field in the quarter.
            s.units = Vec::new();
            s.field = f.field;
            s.quarters = vec![f.quarter.to_string()];
        }
        FlagKind::Prominent => {
            s.units = Vec::new();
            s.person_id = f.person_id.clone();
        }
        FlagKind::TopLeaderClues => {
            s.quarters = super::window(f.quarter, 4);
            s.narrow = Narrow::TopLeaderClues { deadline_days };
        }
        FlagKind::Rectification => {
            s.dataset = Dataset::Findings;
            s.quarters = Vec::new();
            s.narrow = Narrow::OverdueFindings;
        }
        FlagKind::RiskScore | FlagKind::NoAction => return None,
        rule => {
            s.dataset = if rule == FlagKind::ReplyOverdue {
                Dataset::Dispositions
            } else {
                Dataset::Recommendations
            };
            s.quarters = Vec::new();
            s.ids = items
                .iter()
                .filter(|i| i.rule == rule && i.unit_id == f.unit_id)
                .map(|i| i.record_id.clone())
                .collect();
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Quarter;

    fn flag(detector: &'static str, window: u8) -> Flag {
        Flag {
            field: Some(KeyField::Land),
            subject: Some("cases"),
            window,
            ..Flag::example(detector, "D1", Quarter::new(2024, 4).expect("q"))
        }
    }

    #[test]
    fn each_flag_points_at_the_records_it_counted() {
        let children: BTreeMap<String, Vec<String>> =
            [("D1".to_string(), vec!["S1".to_string(), "S2".to_string()])].into();
        let flags = [
            flag("concentration", 2),
            flag("subtree_rise", 1),
            flag("key_field", 4),
            flag("risk_score", 1),
        ];
        let s = selectors(&flags, &[], &children, 30);
        assert_eq!(s.len(), 3, "the risk score has no rows of its own");
        assert_eq!(s[0].quarters, ["2024Q3", "2024Q4"]);
        assert_eq!(s[0].units, ["D1"]);
        assert_eq!(s[1].units, ["S1", "S2"], "below the parent");
        assert_eq!(s[2].dataset, Dataset::Cases);
        assert_eq!(s[2].units, ["D1", "S1", "S2"], "the roll-up");
        assert_eq!(s[2].field, Some(KeyField::Land));
        assert_eq!(s[2].quarters.len(), 4);
    }
}
