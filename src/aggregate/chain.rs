//! The chain from petitions to sanctions (信访举报—问题线索—立案—处理):
//! each case is traced back to the petition it grew from, so a unit's
//! petitions of a quarter can be followed through clues, verification and
//! cases to the four forms and the sanctions. Pure.
//!
//! A case names its petition when the export gives the id (来源信访件编号).
//! Otherwise a case whose source is a petition is matched, in order of
//! filing, to a clue petition about the same unit received at most
//! `window_days` before it: one naming the same person if the case names
//! one, else one in the same key field; among them, those of the same key
//! field and problem category first, then verified clues (初步核实), then
//! the most recent. A petition feeds at most one case.

use crate::model::setting;
use std::collections::HashMap;

/// How far back a case looks for its petition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainRules {
    pub window_days: i32,
}

impl Default for ChainRules {
    fn default() -> Self {
        ChainRules { window_days: 730 }
    }
}

impl ChainRules {
    /// `[chain]`: the window given, or its default, at least a day.
    pub fn configured(window_days: Option<u32>) -> Result<Self, String> {
        let d = Self::default();
        Ok(ChainRules {
            window_days: setting::at_least_one(
                "[chain] window_days",
                window_days,
                d.window_days as u32,
            )?
            .get() as i32,
        })
    }
}

impl ChainRules {
    /// For `yanpan explain chain`.
    pub fn explain(&self) -> crate::model::Explanation {
        crate::model::Explanation {
            method: "The chain from petitions to sanctions: each case is traced back to the petition it grew from -\n\
                     by the source petition's id where the case export gives it (来源信访件编号); otherwise, for a\n\
                     case whose source is 信访举报, in order of filing, to a clue petition about the same unit received\n\
                     at most window_days before it, naming the same person when the case names one, else naming no\n\
                     one and in the same key field; the same field and problem category first, then verified clues\n\
                     (初步核实), then the most recent. A petition feeds at most one case. Per unit and petition\n\
                     quarter (the eight quarters to the run's): petitions, clues, verified, cases traced back, by form\n\
                     and sanction, in tables/chain.parquet and the petition report."
                .into(),
            settings: vec![("[chain] window_days".into(), self.window_days.to_string())],
            example: "A case filed 2024-09-10 at B017 about P001810, with no petition id: the clue of 2024-05-02 naming\n\
                      P001810 at B017 (verified) is taken before the one of 2024-07-20 (closed); one of 2022-06-01 is\n\
                      outside a 730-day window."
                .into(),
        }
    }
}

/// The fields matching reads from a petition.
#[derive(Debug, Clone, Copy)]
pub struct PetitionStep<'a> {
    pub id: &'a str,
    pub unit: &'a str,
    pub person: Option<&'a str>,
    pub field: Option<&'a str>,
    pub discipline: Option<&'a str>,
    /// Days since 1970-01-01.
    pub day: i32,
    pub clue: bool,
    /// Disposed by preliminary verification (初步核实).
    pub verified: bool,
}

/// The fields matching reads from a case.
#[derive(Debug, Clone, Copy)]
pub struct CaseStep<'a> {
    pub unit: &'a str,
    pub person: Option<&'a str>,
    pub field: Option<&'a str>,
    pub discipline: Option<&'a str>,
    /// Filing day, days since 1970-01-01.
    pub day: i32,
    /// The export's source is a petition.
    pub from_petition: bool,
    /// The source petition's id, where the export gives it.
    pub petition_id: Option<&'a str>,
}

/// How a case was traced to its petition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchedBy {
    Id,
    Person,
    Field,
}

impl MatchedBy {
    pub fn code(self) -> &'static str {
        match self {
            MatchedBy::Id => "id",
            MatchedBy::Person => "person",
            MatchedBy::Field => "unit_field",
        }
    }
}

/// For each case, the index of its petition and how it was found.
pub fn trace(
    petitions: &[PetitionStep<'_>],
    cases: &[CaseStep<'_>],
    rules: ChainRules,
) -> Vec<Option<(usize, MatchedBy)>> {
    let by_id: HashMap<&str, usize> = petitions
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, i))
        .collect();
    let mut by_unit: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in petitions.iter().enumerate().filter(|(_, p)| p.clue) {
        by_unit.entry(p.unit).or_default().push(i);
    }
    let mut used = vec![false; petitions.len()];
    let mut out: Vec<Option<(usize, MatchedBy)>> = vec![None; cases.len()];
    // Named petitions first: they are certain, and must not be taken by a guess.
    for (c, case) in cases.iter().enumerate() {
        if let Some(&i) = case.petition_id.and_then(|id| by_id.get(id))
            && !used[i]
        {
            used[i] = true;
            out[c] = Some((i, MatchedBy::Id));
        }
    }
    let mut order: Vec<usize> = (0..cases.len())
        .filter(|&c| out[c].is_none() && cases[c].from_petition)
        .collect();
    order.sort_by_key(|&c| cases[c].day);
    for c in order {
        let case = &cases[c];
        let Some(pool) = by_unit.get(case.unit) else {
            continue;
        };
        let how = if case.person.is_some() {
            MatchedBy::Person
        } else {
            MatchedBy::Field
        };
        // The same person, or (a case naming no one) a petition naming no
        // one in the same key field.
        let wanted = |p: &PetitionStep<'_>| match case.person {
            Some(person) => p.person == Some(person),
            None => p.person.is_none() && p.field == case.field,
        };
        let best = pool
            .iter()
            .copied()
            .filter(|&i| {
                let p = &petitions[i];
                !used[i] && p.day <= case.day && case.day - p.day <= rules.window_days && wanted(p)
            })
            .max_by_key(|&i| {
                let p = &petitions[i];
                let same = |a: Option<&str>, b: Option<&str>| a.is_some() && a == b;
                (
                    same(p.field, case.field) && same(p.discipline, case.discipline),
                    p.verified,
                    p.day,
                    std::cmp::Reverse(i),
                )
            });
        if let Some(i) = best {
            used[i] = true;
            out[c] = Some((i, how));
        }
    }
    out
}

/// What became of one unit's petitions of one quarter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainRow {
    pub unit_id: String,
    /// The quarter the petitions were received in.
    pub quarter: String,
    pub petitions: u32,
    pub clues: u32,
    pub verified: u32,
    pub cases: u32,
    /// Cases by the four forms (四种形态), first to fourth.
    pub forms: [u32; 4],
    /// Cases by sanction, in `Sanction::ALL` order (closed cases only).
    pub sanctions: [u32; 5],
}

impl ChainRow {
    /// Adds another row's counts (for totals over units).
    pub fn add(&mut self, o: &ChainRow) {
        self.petitions += o.petitions;
        self.clues += o.clues;
        self.verified += o.verified;
        self.cases += o.cases;
        for k in 0..4 {
            self.forms[k] += o.forms[k];
        }
        for k in 0..5 {
            self.sanctions[k] += o.sanctions[k];
        }
    }
}

/// The outcome of a traced case: its form (1..=4) and sanction index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaseOutcome {
    pub form: u8,
    pub sanction: Option<usize>,
}

/// Adds the traced cases to `counts` (one row per unit and petition
/// quarter, with petitions, clues and verified counted): each case counts
/// in its petition's row, where there is one. `quarters[i]` is petition
/// i's quarter.
pub fn add_cases(
    counts: &mut [ChainRow],
    petitions: &[PetitionStep<'_>],
    quarters: &[&str],
    traced: &[(usize, CaseOutcome)],
) {
    let at: HashMap<(&str, &str), usize> = counts
        .iter()
        .enumerate()
        .map(|(k, r)| ((r.unit_id.as_str(), r.quarter.as_str()), k))
        .collect();
    let mut add: Vec<(usize, CaseOutcome)> = Vec::new();
    for &(i, o) in traced {
        if let Some(&k) = at.get(&(petitions[i].unit, quarters[i])) {
            add.push((k, o));
        }
    }
    for (k, o) in add {
        let r = &mut counts[k];
        r.cases += 1;
        if (1..=4).contains(&o.form) {
            r.forms[usize::from(o.form - 1)] += 1;
        }
        if let Some(s) = o.sanction.filter(|s| *s < 5) {
            r.sanctions[s] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p<'a>(id: &'a str, person: Option<&'a str>, day: i32, verified: bool) -> PetitionStep<'a> {
        PetitionStep {
            id,
            unit: "U",
            person,
            field: Some("land"),
            discipline: None,
            day,
            clue: true,
            verified,
        }
    }

    fn c<'a>(person: Option<&'a str>, day: i32, petition_id: Option<&'a str>) -> CaseStep<'a> {
        CaseStep {
            unit: "U",
            person,
            field: Some("land"),
            discipline: None,
            day,
            from_petition: true,
            petition_id,
        }
    }

    #[test]
    fn a_case_finds_its_petition_by_id_then_person_then_field() {
        let petitions = [
            p("A", Some("P1"), 100, true),
            p("B", Some("P1"), 150, false),
            p("C", None, 120, true),
            p("D", None, 130, false),
            p("E", Some("P2"), 10, true),
        ];
        let cases = [
            // By id, although another petition would fit better.
            c(Some("P1"), 200, Some("B")),
            // P1's other petition: A (verified) is left.
            c(Some("P1"), 210, None),
            // Nobody named: the verified clue in the field (C) before the later D.
            c(None, 220, None),
            // P2's petition is more than the window before.
            c(Some("P2"), 10 + 731, None),
            // Filed before any petition of P1 is left: none.
            c(Some("P1"), 90, None),
        ];
        let m = trace(&petitions, &cases, ChainRules::default());
        assert_eq!(m[0], Some((1, MatchedBy::Id)));
        assert_eq!(m[1], Some((0, MatchedBy::Person)));
        assert_eq!(m[2], Some((2, MatchedBy::Field)));
        assert_eq!(m[3], None);
        assert_eq!(m[4], None);
    }

    #[test]
    fn a_petition_feeds_one_case_and_other_sources_are_not_traced() {
        let petitions = [p("A", Some("P1"), 100, true)];
        let mut other = c(Some("P1"), 150, None);
        other.from_petition = false;
        let cases = [c(Some("P1"), 140, None), c(Some("P1"), 160, None), other];
        let m = trace(&petitions, &cases, ChainRules::default());
        assert_eq!(m, vec![Some((0, MatchedBy::Person)), None, None]);
    }
}
