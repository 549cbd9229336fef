//! The oversight measures on the sample data: every repeat group, the
//! low-conversion unit, the leaders past the rotation thresholds and the
//! supervision gaps that `yanpan synth` planted (its ground truth) are found
//! and shown in the right report with their figures.

use std::collections::{BTreeSet, HashMap};

use yanpan::store::read_parquet;

/// `ground_truth.csv` rows as (kind, unit_id, unit_name, person_id, effect, note).
fn truth() -> Vec<[String; 6]> {
    let text = std::fs::read_to_string(crate::root().join("sample_data/ground_truth.csv"))
        .expect("ground truth");
    text.lines()
        .skip(1)
        .map(|line| {
            // Only the last field (the note) is ever quoted.
            let f: Vec<&str> = line.splitn(8, ',').collect();
            [f[0], f[1], f[2], f[3], f[6], f[7].trim_matches('"')].map(str::to_string)
        })
        .collect()
}

fn of_kind<'a>(t: &'a [[String; 6]], kind: &str) -> Vec<&'a [String; 6]> {
    t.iter().filter(|r| r[0] == kind).collect()
}

fn bool_col(df: &polars::prelude::DataFrame, c: &str) -> Vec<bool> {
    df.column(c)
        .expect(c)
        .bool()
        .expect("bool")
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect()
}

#[test]
fn the_planted_oversight_signals_are_found_and_reported() {
    let t = truth();
    let publication = crate::published_sample().publication();
    let read = |rel: &str| {
        std::fs::read_to_string(publication.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };

    // Repeat groups: each group is one matter; follow-ups the export does
    // not mark are repeats by linking all the same.
    let matters = read_parquet(&publication.join("tables/matters.parquet")).expect("matters");
    let ids = crate::texts(&matters, "petition_id");
    let matter = crate::texts(&matters, "matter_id");
    let computed = bool_col(&matters, "repeat_computed");
    let marked = bool_col(&matters, "repeat_marked");
    let at: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let groups = of_kind(&t, "repeat_group");
    assert_eq!(groups.len(), 4, "four groups planted");
    let mut unmarked_follow_ups = 0;
    for g in &groups {
        let members: Vec<&str> = g[5].rsplit(": ").next().expect("ids").split(' ').collect();
        assert!(members.len() >= 3, "{g:?}");
        let rows: Vec<usize> = members.iter().map(|m| at[m]).collect();
        let one: BTreeSet<&str> = rows.iter().map(|&i| matter[i].as_str()).collect();
        assert_eq!(one.len(), 1, "group {members:?} split over {one:?}");
        for &i in &rows[1..] {
            assert!(computed[i], "{} not linked as a repeat", ids[i]);
            if g[5].contains("not marked") {
                assert!(!marked[i]);
                unmarked_follow_ups += 1;
            } else {
                assert!(marked[i]);
            }
        }
    }
    assert!(unmarked_follow_ups >= 5);
    let petitions = read("thematic/petitions.md");
    assert!(petitions.contains("归并为同一事项") && petitions.contains("仅归并认定"));

    // The low-conversion unit: flagged, and named in the petition report's
    // chain section with its petitions and no case.
    let low = of_kind(&t, "low_conversion");
    assert_eq!(low.len(), 1);
    let flags = read("tables/flags.csv");
    assert!(
        flags
            .lines()
            .filter_map(|l| l.split_once(',').map(|(_id, rest)| rest))
            .any(|l| l.starts_with(&format!("conversion,{},", low[0][1]))),
        "{} not flagged for low conversion",
        low[0][1]
    );
    let line = petitions
        .lines()
        .find(|l| l.starts_with(low[0][2].as_str()) && l.contains("由信访举报立案0件"))
        .unwrap_or_else(|| panic!("{} missing from the chain section", low[0][2]));
    assert!(line.contains("近8个季度受理信访举报"), "{line}");
    // The chain follows each quarter's petitions to cases, forms and sanctions.
    let chain = read_parquet(&publication.join("tables/chain.parquet")).expect("chain");
    let cohorts: BTreeSet<String> = crate::texts(&chain, "quarter").into_iter().collect();
    assert_eq!(cohorts.len(), 8, "{cohorts:?}");
    assert!(petitions.contains("按受理季度跟踪信访举报的处置和立案"));

    // Rotation: the planted leaders are in the rotation report, overdue ones
    // by name with their years, the due one in its unit's count.
    let rotation = read("thematic/rotation.md");
    for r in of_kind(&t, "rotation_overdue") {
        let years: f64 = r[4].parse().expect("years");
        let row = format!("| {} | {} |", r[2], r[3]);
        let line = rotation
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| panic!("{row} not in the overdue list"));
        assert!(
            line.trim_end().ends_with(&format!("| {years:.1} |")),
            "{line}"
        );
    }
    for r in of_kind(&t, "rotation_due") {
        let line = rotation
            .lines()
            .find(|l| l.starts_with(&format!("| {} | ", r[2])) && l.split('|').count() == 5)
            .unwrap_or_else(|| panic!("{} not counted by unit", r[2]));
        let due: u32 = line
            .split('|')
            .nth(2)
            .expect("due")
            .trim()
            .parse()
            .expect("n");
        assert!(due >= 1, "{line}");
    }

    // Supervision: the gaps found are exactly the planted ones, and each is
    // in the supervision report and the committee head's packet.
    let gaps = read("tables/supervision_gaps.csv");
    let found: BTreeSet<(String, String, String)> = gaps
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[2].to_string(), f[4].to_string(), f[6].to_string())
        })
        .collect();
    let planted: BTreeSet<(String, String, String)> = of_kind(&t, "supervision_gap")
        .iter()
        .map(|r| (r[4].clone(), r[1].clone(), r[3].clone()))
        .collect();
    assert_eq!(planted.len(), 4);
    assert_eq!(found, planted);
    let report = read("thematic/supervision.md");
    let packet = crate::reports::pdf_text(
        &std::fs::read(publication.join("packets/committee-head/packet.pdf")).expect("packet"),
    );
    for r in of_kind(&t, "supervision_gap") {
        assert!(
            report
                .lines()
                .any(|l| l.contains(&r[2]) && l.contains(&r[3])),
            "{} {} not in the report",
            r[2],
            r[3]
        );
        assert!(packet.contains(&r[2]), "{} not in the packet", r[2]);
    }
    assert!(packet.contains("谈心谈话覆盖率"));
    let coverage = read("tables/supervision_coverage.csv");
    assert!(coverage.contains("talk,discipline,"), "{coverage}");
}

/// Every petition and case of a synthetic city, with the leaders' ids.
#[derive(Default)]
struct Records {
    petitions: Vec<yanpan::synth::Petition>,
    cases: Vec<yanpan::synth::Case>,
    people: Vec<String>,
    units: Vec<String>,
}

impl yanpan::synth::Sink for Records {
    type Error = std::convert::Infallible;
    fn reference(&mut self, world: &yanpan::synth::World) -> Result<(), Self::Error> {
        self.people = world.leaders.iter().map(|l| l.person_id.clone()).collect();
        self.units = world.units.iter().map(|u| u.id.clone()).collect();
        Ok(())
    }
    fn quarter(
        &mut self,
        _: &yanpan::synth::World,
        _: yanpan::model::Quarter,
        p: &[yanpan::synth::Petition],
        _: &[yanpan::synth::Finding],
        c: &[yanpan::synth::Case],
    ) -> Result<(), Self::Error> {
        self.petitions.extend_from_slice(p);
        self.cases.extend_from_slice(c);
        Ok(())
    }
    fn finish(
        &mut self,
        _: &yanpan::synth::World,
        _: &[yanpan::synth::Truth],
    ) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Tracing cases to petitions without the export's id, against the
/// petition each case truly grew from (a synthetic city of three years).
/// Precision: traced cases whose petition is the true one; recall: cases
/// from petitions traced to the true one.
#[test]
fn cases_are_traced_to_their_petitions_without_ids() {
    use yanpan::aggregate::chain::{CaseStep, ChainRules, MatchedBy, PetitionStep, trace};
    use yanpan::model::{CaseSource, Disposition};
    let spec = yanpan::synth::SynthSpec {
        seed: 11,
        first: "2022Q1".parse().expect("quarter"),
        quarters: 12,
        scale: 0.25,
        units: None,
    };
    let mut r = Records::default();
    yanpan::synth::generate(&spec, &mut r).expect("generate");
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let day = |d: chrono::NaiveDate| (d - epoch).num_days() as i32;
    let fields: Vec<Option<&str>> = r
        .petitions
        .iter()
        .map(|p| p.field.map(|f| f.code()))
        .collect();
    let petitions: Vec<PetitionStep<'_>> = r
        .petitions
        .iter()
        .enumerate()
        .map(|(i, p)| PetitionStep {
            id: &p.id,
            unit: &r.units[p.unit],
            person: p.person.map(|k| r.people[k].as_str()),
            field: fields[i],
            discipline: p.discipline.map(|d| d.code()),
            day: day(p.received),
            clue: p.clue,
            verified: p.disposition == Some(Disposition::Verify),
        })
        .collect();
    let cases: Vec<CaseStep<'_>> = r
        .cases
        .iter()
        .map(|c| CaseStep {
            unit: &r.units[c.unit],
            person: c.person.map(|k| r.people[k].as_str()),
            field: c.field.map(|f| f.code()),
            discipline: c.discipline.map(|d| d.code()),
            day: day(c.filed),
            from_petition: c.source == CaseSource::Petition,
            petition_id: None,
        })
        .collect();
    let traced = trace(&petitions, &cases, ChainRules::default());
    let (mut right, mut wrong, mut by_person) = (0usize, 0usize, 0usize);
    let from_petitions = r.cases.iter().filter(|c| c.petition.is_some()).count();
    for (c, m) in traced.iter().enumerate() {
        if let Some((i, how)) = m {
            if Some(petitions[*i].id) == r.cases[c].petition.as_deref() {
                right += 1;
            } else {
                wrong += 1;
            }
            by_person += usize::from(*how == MatchedBy::Person);
        }
    }
    let precision = right as f64 / (right + wrong) as f64;
    let recall = right as f64 / from_petitions as f64;
    assert!(from_petitions > 500, "{from_petitions}");
    assert!(by_person > 50, "{by_person}");
    // Stated in docs/linking.md.
    assert!(
        precision >= 0.85,
        "precision {precision:.3}, recall {recall:.3}"
    );
    assert!(
        recall >= 0.85,
        "precision {precision:.3}, recall {recall:.3}"
    );
    // Every case from a petition finds some petition of its unit.
    assert!((right + wrong) as f64 >= 0.95 * from_petitions as f64);
    eprintln!(
        "tracing: precision {precision:.3}, recall {recall:.3}, {from_petitions} cases from petitions"
    );
}
