//! The unit tree: each unit's children, and the units below a unit.

use std::collections::BTreeMap;

/// Each parent's direct children, from (unit, parent) pairs.
pub fn children<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (unit, parent) in pairs {
        let kids = out.entry(parent.to_string()).or_default();
        if !kids.iter().any(|k| k == unit) {
            kids.push(unit.to_string());
        }
    }
    out
}

/// `unit` and every unit below it, breadth first.
pub fn subtree(unit: &str, children: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut out = vec![unit.to_string()];
    let mut k = 0;
    while k < out.len() {
        if let Some(c) = children.get(&out[k]) {
            out.extend(c.iter().cloned());
        }
        k += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subtree_holds_the_unit_and_everything_below_it() {
        let kids = children([
            ("S1", "D1"),
            ("S2", "D1"),
            ("C1", "S1"),
            ("S3", "D2"),
            ("S1", "D1"),
        ]);
        assert_eq!(kids["D1"], ["S1", "S2"], "a repeated pair counts once");
        assert_eq!(subtree("D1", &kids), ["D1", "S1", "S2", "C1"]);
        assert_eq!(subtree("C1", &kids), ["C1"]);
    }
}
