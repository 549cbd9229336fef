//! Supervision coverage (clauses 八, 十, 二十二): each year's minimum contacts
//! of the supervising bodies with the lower-level units and their top
//! leaders, checked from the supervision activities. Pure: the edge reads
//! the activities, units and top leaders and hands them in.
//!
//! The year runs from 1 January to the check day (the quarter's last day);
//! before the fourth quarter a gap means "not yet", and the table says so.

use chrono::{Datelike, NaiveDate};

use crate::model::{ActivityKind, SupervisingBody, UnitLevel};

/// The minimums, from `[supervision]` in the pipeline file.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisionRules {
    /// Levels of the units supervised (the lower level of the supervising bodies).
    pub levels: Vec<UnitLevel>,
    /// The bodies each minimum applies to, one by one.
    pub bodies: Vec<SupervisingBody>,
    /// Talks (谈心谈话) a year by each body with each top leader.
    pub talks_per_top_leader: u32,
    /// Attendances (列席) a year by each body at each unit's committee meeting.
    pub attendance_per_unit: u32,
    /// Share of the units whose democratic life meeting each body attends
    /// in a year (随机参加一定数量, clause 二十二).
    pub democratic_life_share: f64,
    /// Days after taking office within which a new top leader gets the
    /// appointment talk (任职廉政谈话, clause 十).
    pub appointment_talk_days: u32,
    /// Top leaders in office fewer days of the year are not counted for talks.
    pub min_days_in_office: u32,
}

/// `[supervision]`: the yearly minimums of supervision coverage.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisionSection {
    pub levels: Option<Vec<String>>,
    pub bodies: Option<Vec<String>>,
    pub talks_per_top_leader: Option<u32>,
    pub attendance_per_unit: Option<u32>,
    pub democratic_life_share: Option<f64>,
    pub appointment_talk_days: Option<u32>,
    pub min_days_in_office: Option<u32>,
}

impl SupervisionRules {
    /// `[supervision]`, checked: known levels and bodies, a share in 0..=1,
    /// at least a day for appointment talks; the defaults for what is not given.
    pub fn configured(r: Option<&SupervisionSection>) -> Result<Self, String> {
        use crate::model::setting::{at_least_one, ratio};
        let d = Self::default();
        let Some(r) = r else { return Ok(d) };
        Ok(SupervisionRules {
            levels: listed(
                "[supervision] levels",
                r.levels.as_ref(),
                d.levels,
                UnitLevel::parse,
                UnitLevel::VALUES,
            )?,
            bodies: listed(
                "[supervision] bodies",
                r.bodies.as_ref(),
                d.bodies,
                SupervisingBody::parse,
                SupervisingBody::VALUES,
            )?,
            talks_per_top_leader: r.talks_per_top_leader.unwrap_or(d.talks_per_top_leader),
            attendance_per_unit: r.attendance_per_unit.unwrap_or(d.attendance_per_unit),
            democratic_life_share: ratio(
                "[supervision] democratic_life_share",
                r.democratic_life_share,
                d.democratic_life_share,
            )?
            .get(),
            appointment_talk_days: at_least_one(
                "[supervision] appointment_talk_days",
                r.appointment_talk_days,
                d.appointment_talk_days,
            )?
            .get(),
            min_days_in_office: r.min_days_in_office.unwrap_or(d.min_days_in_office),
        })
    }
}

/// Codes of an enumeration, each known, at least one; or `default`.
fn listed<T: Copy>(
    key: &str,
    raw: Option<&Vec<String>>,
    default: Vec<T>,
    parse: fn(&str) -> Option<T>,
    allowed: &[crate::model::EnumValue],
) -> Result<Vec<T>, String> {
    let Some(raw) = raw else { return Ok(default) };
    let v: Vec<T> = raw
        .iter()
        .map(|x| {
            parse(x).ok_or_else(|| {
                let codes: Vec<&str> = allowed.iter().map(|v| v.code).collect();
                format!("{key}: unknown value {x:?}; allowed: {}", codes.join(", "))
            })
        })
        .collect::<Result<_, _>>()?;
    if v.is_empty() {
        return Err(format!("{key} is empty"));
    }
    Ok(v)
}

impl Default for SupervisionRules {
    fn default() -> Self {
        SupervisionRules {
            levels: vec![
                UnitLevel::District,
                UnitLevel::Bureau,
                UnitLevel::Soe,
                UnitLevel::University,
            ],
            bodies: vec![SupervisingBody::Discipline, SupervisingBody::Organisation],
            talks_per_top_leader: 1,
            attendance_per_unit: 1,
            democratic_life_share: 0.25,
            appointment_talk_days: 30,
            min_days_in_office: 90,
        }
    }
}

impl SupervisionRules {
    /// For `yanpan explain supervision`.
    pub fn explain(&self) -> crate::model::Explanation {
        let list = |v: Vec<&str>| v.join(", ");
        crate::model::Explanation {
            method: "Supervision coverage (clauses 八, 十, 二十二), from the optional supervision dataset (监督活动). For\n\
                     the year of the run's quarter, 1 January to the quarter's last day, over the units of the listed\n\
                     levels and, one by one, each listed body: talks (谈心谈话) with each top leader in office at least\n\
                     min_days_in_office days of the year; attendances (列席) at each unit's committee meeting;\n\
                     democratic life meetings (民主生活会) attended at a share of the units. And, by any body, an\n\
                     appointment talk (任职廉政谈话) within appointment_talk_days of each top leader who took office in\n\
                     the year (once that many days have passed). Every minimum not met is listed in\n\
                     tables/supervision_gaps and the supervision report; before the fourth quarter a gap means\n\
                     \"not yet\"."
                .into(),
            settings: vec![
                (
                    "[supervision] levels".into(),
                    list(self.levels.iter().map(|l| l.code()).collect()),
                ),
                (
                    "[supervision] bodies".into(),
                    list(self.bodies.iter().map(|b| b.code()).collect()),
                ),
                ("[supervision] talks_per_top_leader".into(), self.talks_per_top_leader.to_string()),
                ("[supervision] attendance_per_unit".into(), self.attendance_per_unit.to_string()),
                ("[supervision] democratic_life_share".into(), self.democratic_life_share.to_string()),
                ("[supervision] appointment_talk_days".into(), self.appointment_talk_days.to_string()),
                ("[supervision] min_days_in_office".into(), self.min_days_in_office.to_string()),
            ],
            example: format!(
                "40 district and bureau units: each body owes a talk to each of their top leaders, an attendance at\n\
                 each of the 40 committees and {} democratic life meetings; a top leader who took office on\n\
                 2024-02-11 with the appointment talk on 2024-03-22 (40 days) is a gap when the limit is {} days.",
                (self.democratic_life_share * 40.0).ceil(),
                self.appointment_talk_days
            ),
        }
    }
}

/// One supervision activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub kind: ActivityKind,
    pub body: SupervisingBody,
    pub held_on: NaiveDate,
    pub unit_id: String,
    pub person_id: Option<String>,
}

/// A supervised unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Supervised {
    pub unit_id: String,
    pub name: String,
    pub level: UnitLevel,
}

/// A top leader's time in office.
#[derive(Debug, Clone, PartialEq)]
pub struct TopLeader {
    pub person_id: String,
    pub unit_id: String,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
}

/// The four minimums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Minimum {
    /// Each body talks with each top leader.
    Talk,
    /// Each body attends each unit's committee meeting.
    Attendance,
    /// Each body attends a share of the units' democratic life meetings.
    DemocraticLife,
    /// Each new top leader gets the appointment talk in time.
    AppointmentTalk,
}

impl Minimum {
    pub const ALL: [Minimum; 4] = [
        Minimum::Talk,
        Minimum::Attendance,
        Minimum::DemocraticLife,
        Minimum::AppointmentTalk,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Minimum::Talk => "talk",
            Minimum::Attendance => "attendance",
            Minimum::DemocraticLife => "democratic_life",
            Minimum::AppointmentTalk => "appointment_talk",
        }
    }

    /// The activity that counts for this minimum.
    pub fn kind(self) -> ActivityKind {
        match self {
            Minimum::Talk => ActivityKind::Talk,
            Minimum::Attendance => ActivityKind::Attendance,
            Minimum::DemocraticLife => ActivityKind::DemocraticLife,
            Minimum::AppointmentTalk => ActivityKind::AppointmentTalk,
        }
    }
}

/// One minimum not met: who owed what to whom, and what was done.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub minimum: Minimum,
    /// `None` for the appointment talk, which any body may hold.
    pub body: Option<SupervisingBody>,
    /// Empty for the democratic-life minimum, which is the body's as a whole.
    pub unit_id: String,
    pub unit_name: String,
    pub person_id: Option<String>,
    pub required: u32,
    pub done: u32,
    /// For an appointment talk: the day the leader took office.
    pub since: Option<NaiveDate>,
}

/// How far one minimum is met, for one body (or all, for appointment talks).
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub minimum: Minimum,
    pub body: Option<SupervisingBody>,
    /// Leaders, units or (democratic life) units to attend.
    pub required: u32,
    pub met: u32,
}

impl Coverage {
    /// Share met; 1 when nothing was required.
    pub fn rate(&self) -> f64 {
        if self.required == 0 {
            1.0
        } else {
            f64::from(self.met) / f64::from(self.required)
        }
    }
}

/// The year's check.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisionCheck {
    pub year: i32,
    /// The last day counted.
    pub as_of: NaiveDate,
    /// Whether the year is over (gaps are misses, not "not yet").
    pub final_: bool,
    pub coverage: Vec<Coverage>,
    pub gaps: Vec<Gap>,
    /// Supervised units and activities counted.
    pub units: usize,
    pub activities: usize,
}

fn days_in_office(l: &TopLeader, from: NaiveDate, to: NaiveDate) -> i64 {
    let a = l.start_on.max(from);
    let b = l.end_on.map_or(to, |e| e.min(to));
    (b - a).num_days() + 1
}

/// Checks the year of `as_of`, from 1 January to `as_of`.
pub fn check(
    rules: &SupervisionRules,
    units: &[Supervised],
    leaders: &[TopLeader],
    activities: &[Activity],
    as_of: NaiveDate,
) -> SupervisionCheck {
    let year = as_of.year();
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(as_of);
    let units: Vec<&Supervised> = units
        .iter()
        .filter(|u| rules.levels.contains(&u.level))
        .collect();
    let supervised = |id: &str| units.iter().find(|u| u.unit_id == id);
    let acts: Vec<&Activity> = activities
        .iter()
        .filter(|a| from <= a.held_on && a.held_on <= as_of && supervised(&a.unit_id).is_some())
        .collect();
    let count =
        |kind: ActivityKind, body: Option<SupervisingBody>, unit: &str, person: Option<&str>| {
            acts.iter()
                .filter(|a| {
                    a.kind == kind
                        && body.is_none_or(|b| a.body == b)
                        && a.unit_id == unit
                        && person.is_none_or(|p| a.person_id.as_deref() == Some(p))
                })
                .count() as u32
        };
    let mut leaders: Vec<&TopLeader> = leaders
        .iter()
        .filter(|l| supervised(&l.unit_id).is_some())
        .collect();
    leaders.sort_by(|a, b| {
        (&a.unit_id, a.start_on, &a.person_id).cmp(&(&b.unit_id, b.start_on, &b.person_id))
    });
    let name = |id: &str| supervised(id).map_or(String::new(), |u| u.name.clone());
    let mut coverage = Vec::new();
    let mut gaps = Vec::new();
    for &body in &rules.bodies {
        // Talks with each top leader in office long enough this year.
        let mut c = Coverage {
            minimum: Minimum::Talk,
            body: Some(body),
            required: 0,
            met: 0,
        };
        for l in leaders
            .iter()
            .filter(|l| days_in_office(l, from, as_of) >= i64::from(rules.min_days_in_office))
        {
            c.required += 1;
            let done = count(
                Minimum::Talk.kind(),
                Some(body),
                &l.unit_id,
                Some(&l.person_id),
            );
            if done >= rules.talks_per_top_leader {
                c.met += 1;
            } else {
                gaps.push(Gap {
                    minimum: Minimum::Talk,
                    body: Some(body),
                    unit_id: l.unit_id.clone(),
                    unit_name: name(&l.unit_id),
                    person_id: Some(l.person_id.clone()),
                    required: rules.talks_per_top_leader,
                    done,
                    since: None,
                });
            }
        }
        coverage.push(c);
        // Attendance at each unit's committee meeting.
        let mut c = Coverage {
            minimum: Minimum::Attendance,
            body: Some(body),
            required: units.len() as u32,
            met: 0,
        };
        for u in &units {
            let done = count(Minimum::Attendance.kind(), Some(body), &u.unit_id, None);
            if done >= rules.attendance_per_unit {
                c.met += 1;
            } else {
                gaps.push(Gap {
                    minimum: Minimum::Attendance,
                    body: Some(body),
                    unit_id: u.unit_id.clone(),
                    unit_name: u.name.clone(),
                    person_id: None,
                    required: rules.attendance_per_unit,
                    done,
                    since: None,
                });
            }
        }
        coverage.push(c);
        // Democratic life meetings: a share of the units.
        let required = (rules.democratic_life_share * units.len() as f64).ceil() as u32;
        let attended = units
            .iter()
            .filter(|u| count(Minimum::DemocraticLife.kind(), Some(body), &u.unit_id, None) > 0)
            .count() as u32;
        coverage.push(Coverage {
            minimum: Minimum::DemocraticLife,
            body: Some(body),
            required,
            met: attended.min(required),
        });
        if attended < required {
            gaps.push(Gap {
                minimum: Minimum::DemocraticLife,
                body: Some(body),
                unit_id: String::new(),
                unit_name: String::new(),
                person_id: None,
                required,
                done: attended,
                since: None,
            });
        }
    }
    // Appointment talks: top leaders who took office this year, once the
    // days allowed have passed; any body's talk counts.
    let days = i64::from(rules.appointment_talk_days);
    let mut c = Coverage {
        minimum: Minimum::AppointmentTalk,
        body: None,
        required: 0,
        met: 0,
    };
    for l in leaders
        .iter()
        .filter(|l| from <= l.start_on && (as_of - l.start_on).num_days() >= days)
    {
        c.required += 1;
        let in_time = activities.iter().any(|a| {
            a.kind == Minimum::AppointmentTalk.kind()
                && a.person_id.as_deref() == Some(l.person_id.as_str())
                && (a.held_on - l.start_on).num_days() <= days
                && a.held_on >= l.start_on - chrono::Duration::days(days)
        });
        if in_time {
            c.met += 1;
        } else {
            gaps.push(Gap {
                minimum: Minimum::AppointmentTalk,
                body: None,
                unit_id: l.unit_id.clone(),
                unit_name: name(&l.unit_id),
                person_id: Some(l.person_id.clone()),
                required: 1,
                done: 0,
                since: Some(l.start_on),
            });
        }
    }
    coverage.push(c);
    coverage.sort_by_key(|c| (c.minimum, c.body));
    gaps.sort_by(|a, b| {
        (a.minimum, a.body, &a.unit_id, &a.person_id).cmp(&(
            b.minimum,
            b.body,
            &b.unit_id,
            &b.person_id,
        ))
    });
    SupervisionCheck {
        year,
        as_of,
        final_: as_of.month() == 12 && as_of.day() == 31,
        coverage,
        gaps,
        units: units.len(),
        activities: acts.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActivityKind as K, SupervisingBody as B};

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn act(kind: K, body: B, day: &str, unit: &str, person: Option<&str>) -> Activity {
        Activity {
            kind,
            body,
            held_on: d(day),
            unit_id: unit.into(),
            person_id: person.map(str::to_string),
        }
    }

    fn unit(id: &str, level: UnitLevel) -> Supervised {
        Supervised {
            unit_id: id.into(),
            name: format!("{id}单位"),
            level,
        }
    }

    fn leader(person: &str, unit: &str, start: &str, end: Option<&str>) -> TopLeader {
        TopLeader {
            person_id: person.into(),
            unit_id: unit.into(),
            start_on: d(start),
            end_on: end.map(d),
        }
    }

    /// Two districts (one leader change in D2) and a street that is not
    /// supervised at this level; one body.
    fn fixture() -> (SupervisionRules, Vec<Supervised>, Vec<TopLeader>) {
        let rules = SupervisionRules {
            bodies: vec![B::Discipline],
            ..SupervisionRules::default()
        };
        let units = vec![
            unit("D1", UnitLevel::District),
            unit("D2", UnitLevel::District),
            unit("S1", UnitLevel::Street),
        ];
        let leaders = vec![
            leader("P1", "D1", "2019-03-01", None),
            leader("P2", "D2", "2018-01-01", Some("2024-02-10")),
            leader("P3", "D2", "2024-02-11", None),
            leader("P4", "S1", "2020-01-01", None),
        ];
        (rules, units, leaders)
    }

    #[test]
    fn every_gap_is_listed_and_the_met_minimums_are_not() {
        let (rules, units, leaders) = fixture();
        let acts = vec![
            act(K::Talk, B::Discipline, "2024-05-01", "D1", Some("P1")),
            // P3's talk is by the other body: it does not count for discipline.
            act(K::Talk, B::Organisation, "2024-06-01", "D2", Some("P3")),
            act(K::Attendance, B::Discipline, "2024-04-01", "D1", None),
            act(K::DemocraticLife, B::Discipline, "2024-12-20", "D2", None),
            // Appointment talk 40 days after taking office: late (limit 30).
            act(
                K::AppointmentTalk,
                B::Discipline,
                "2024-03-22",
                "D2",
                Some("P3"),
            ),
            // Last year's talk counts for nothing this year.
            act(K::Talk, B::Discipline, "2023-12-31", "D2", Some("P3")),
        ];
        let c = check(&rules, &units, &leaders, &acts, d("2024-12-31"));
        assert!(c.final_);
        assert_eq!(c.units, 2);
        let talk = &c.coverage[0];
        // P2 held office 41 days of 2024 (< 90): not counted.
        assert_eq!(
            (talk.minimum, talk.required, talk.met),
            (Minimum::Talk, 2, 1)
        );
        let att = &c.coverage[1];
        assert_eq!(
            (att.minimum, att.required, att.met),
            (Minimum::Attendance, 2, 1)
        );
        // 25% of 2 units: 1 meeting, attended.
        let life = &c.coverage[2];
        assert_eq!(
            (life.minimum, life.required, life.met),
            (Minimum::DemocraticLife, 1, 1)
        );
        let appt = &c.coverage[3];
        assert_eq!(
            (appt.minimum, appt.required, appt.met),
            (Minimum::AppointmentTalk, 1, 0)
        );
        let listed: Vec<(Minimum, &str, Option<&str>)> = c
            .gaps
            .iter()
            .map(|g| (g.minimum, g.unit_id.as_str(), g.person_id.as_deref()))
            .collect();
        assert_eq!(
            listed,
            vec![
                (Minimum::Talk, "D2", Some("P3")),
                (Minimum::Attendance, "D2", None),
                (Minimum::AppointmentTalk, "D2", Some("P3")),
            ]
        );
        assert_eq!(c.gaps[2].since, Some(d("2024-02-11")));
    }

    #[test]
    fn before_the_year_ends_the_check_counts_to_date_and_waits_for_new_leaders() {
        let (rules, units, leaders) = fixture();
        let acts = vec![act(
            K::AppointmentTalk,
            B::Discipline,
            "2024-02-20",
            "D2",
            Some("P3"),
        )];
        // On 1 March, P3 has been in office 19 days: no appointment talk is due yet.
        let c = check(&rules, &units, &leaders, &acts, d("2024-03-01"));
        assert!(!c.final_);
        let appt = c
            .coverage
            .iter()
            .find(|c| c.minimum == Minimum::AppointmentTalk);
        assert_eq!(appt.map(|c| c.required), Some(0));
        // Nobody has been in office 90 days of 2024 yet: no talk is owed.
        assert_eq!(c.coverage[0].required, 0);
        assert_eq!(c.coverage[0].rate(), 1.0);
        // On 31 March the talk (9 days after) is on time.
        let c = check(&rules, &units, &leaders, &acts, d("2024-03-31"));
        let appt = c
            .coverage
            .iter()
            .find(|c| c.minimum == Minimum::AppointmentTalk);
        assert_eq!(appt.map(|c| (c.required, c.met)), Some((1, 1)));
    }
}
