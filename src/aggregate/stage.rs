//! The aggregate stage: the store's records into the tables every later
//! stage reads (unit × quarter, roll-up, citywide, person × quarter, with
//! rates and changes) and the quarter's facts read from the store (leaders
//! in office, repeat petitions and their matters, the petition-to-case
//! chain, supervision coverage, top-leader clue ages, portfolios, the
//! dispositions and recommendations ledgers).

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Result;
use polars::prelude::*;

use super::chain::{ChainRow, ChainRules};
use super::link::{Agreement, LinkRules};
use super::supervision::{SupervisionCheck, SupervisionRules};
use super::{Facts, Settings, UnitQuarter, chain_read, ledger_read, link_read, supervision_read};
use crate::model::ledger::Ledger;
use crate::model::{ClueDays, Dataset, Quarter, RepeatPetition, Tenure};
use crate::store::frame::polars_ctx;
use crate::store::{Store, queries};

/// What the aggregate stage is set by.
#[derive(Debug, Clone)]
pub struct AggregateSettings {
    pub tables: Settings,
    /// How petitions about the same matter are linked (`[link]`).
    pub link: LinkRules,
    /// How cases are traced back to their petitions (`[chain]`).
    pub chain: ChainRules,
    /// The yearly minimums of supervision coverage (`[supervision]`).
    pub supervision: SupervisionRules,
}

/// The published tables by file name: with rates and changes, also kept
/// in the store's `derived/` folder for analysts.
pub type Derived = [(&'static str, DataFrame); 3];

/// The names of the derived tables, in `Derived` order.
pub const DERIVED: [&str; 3] = ["unit_quarter", "unit_quarter_rollup", "person_quarter"];

/// The quarter's records the reports read beside the tables.
#[derive(Debug, Clone)]
pub struct QuarterFacts {
    /// Each unit's portfolio (分管领导).
    pub portfolios: BTreeMap<String, String>,
    /// The quarter's petitions marked as repeats in the export.
    pub repeats: Vec<RepeatPetition>,
    /// Leaders in office at the quarter's end.
    pub tenures: Vec<Tenure>,
    /// The quarter's petitions with their matter.
    pub matters: DataFrame,
    /// Every stored petition's matter through the quarter: the table to
    /// keep in the store when this stage changed it, until kept.
    pub all_matters: link_read::Matters,
    /// The matters against the export's repeat mark.
    pub agreement: Agreement,
    /// Each unit's petitions followed to cases, by petition quarter.
    pub chain: Vec<ChainRow>,
    /// The year's supervision coverage, when the store holds activities.
    pub supervision: Option<SupervisionCheck>,
    /// Top-leader clues disposed in the quarter or open at its end.
    pub clue_days: Vec<ClueDays>,
    /// The dispositions and recommendations through the quarter.
    pub ledger: Ledger,
}

/// Everything the detect, render and compose stages read.
#[derive(Debug, Clone)]
pub struct Tables {
    pub quarter: Quarter,
    /// The quarters the tables hold, ending at `quarter`.
    pub quarters: Vec<Quarter>,
    pub unit_quarter: UnitQuarter,
    pub rollup: UnitQuarter,
    pub citywide: DataFrame,
    pub person_quarter: DataFrame,
    pub derived: Derived,
    pub facts: QuarterFacts,
    /// Seconds spent on each table.
    pub seconds: Vec<(String, f64)>,
}

/// Builds every table for `quarters` (ending at the reported quarter) from
/// the store.
pub fn aggregate_stage(
    store: &Store,
    settings: &AggregateSettings,
    quarters: &[Quarter],
) -> Result<Tables> {
    let mut laps = Laps::default();
    let facts = Facts {
        units: store.scan(Dataset::Units)?,
        petitions: store.scan(Dataset::Petitions)?,
        findings: store.scan_optional(Dataset::Findings)?,
        cases: store.scan_optional(Dataset::Cases)?,
    };
    let s = &settings.tables;
    let uq = polars_ctx(
        super::unit_quarter(facts.clone(), quarters, s),
        "aggregating unit x quarter",
    )?;
    laps.lap("unit_quarter");
    let people = polars_ctx(
        super::person::person_quarter(
            store.scan(Dataset::Leaders)?,
            facts,
            &quarters.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
            s.engine,
        ),
        "person x quarter",
    )?;
    laps.lap("person_quarter");
    let rollup = polars_ctx(super::rollup::rollup(&uq), "rolling up the unit tree")?;
    laps.lap("rollup");
    let derived = derive(&uq, &rollup, &people)?;
    laps.lap("changes");
    let quarter = *quarters
        .last()
        .ok_or_else(|| anyhow::anyhow!("no quarter"))?;
    let facts = quarter_facts(store, settings, quarter, &uq.0, true)?;
    laps.lap("facts");
    Ok(Tables {
        quarter,
        quarters: quarters.to_vec(),
        citywide: polars_ctx(super::citywide(&uq), "citywide totals")?,
        unit_quarter: uq,
        rollup,
        person_quarter: people,
        derived,
        facts,
        seconds: laps.0,
    })
}

/// The tables as the last aggregate stage left them in the store (the
/// stage did not run), with the quarter's facts read again.
pub fn stored_tables(
    store: &Store,
    settings: &AggregateSettings,
    quarters: &[Quarter],
) -> Result<Tables> {
    let [own, rollup, people] = queries::read_derived(
        store,
        DERIVED,
        quarters,
        "run the aggregate stage for this quarter",
    )?;
    let quarter = *quarters
        .last()
        .ok_or_else(|| anyhow::anyhow!("no quarter"))?;
    let uq = UnitQuarter(own.clone());
    Ok(Tables {
        quarter,
        quarters: quarters.to_vec(),
        citywide: polars_ctx(super::citywide(&uq), "citywide totals")?,
        facts: quarter_facts(store, settings, quarter, &own, false)?,
        unit_quarter: uq,
        rollup: UnitQuarter(rollup.clone()),
        person_quarter: people.clone(),
        derived: [
            (DERIVED[0], own),
            (DERIVED[1], rollup),
            (DERIVED[2], people),
        ],
        seconds: Vec::new(),
    })
}

/// Keeps the stage's tables in the store: the derived tables at once; the
/// matters, when this stage decided new ones (handed over: the tables
/// later stages read do not hold every petition's matter), with the basis
/// they now hold on, on a thread of their own while the run goes on (no
/// later stage reads them from the store). The returned [`Keeping`] is
/// waited for before the run ends.
pub fn keep_tables(store: &Store, t: &mut Tables) -> Result<Keeping> {
    store.write_derived_all(&t.derived)?;
    let matters = t.facts.all_matters.to_keep.take();
    let store = store.clone();
    Ok(Keeping(Some(std::thread::spawn(move || {
        if let Some(matters) = matters {
            let clock = Instant::now();
            store.write_derived(link_read::MATTERS, matters)?;
            log::debug!(
                target: "aggregate",
                "the matters kept in the store in {:.2} s",
                clock.elapsed().as_secs_f64()
            );
        }
        if store.derived_path(link_read::MATTERS).is_file() {
            super::matters_basis::record(&store)?;
        }
        Ok(())
    }))))
}

/// The matters being kept in the store (see [`keep_tables`]).
#[derive(Debug)]
pub struct Keeping(Option<std::thread::JoinHandle<Result<()>>>);

impl Keeping {
    /// Waits until the matters are kept.
    pub fn done(mut self) -> Result<()> {
        match self.0.take().map(std::thread::JoinHandle::join) {
            Some(Ok(kept)) => kept,
            Some(Err(_)) => anyhow::bail!("keeping the matters in the store failed"),
            None => Ok(()),
        }
    }
}

impl Drop for Keeping {
    /// A run that stops early still waits, so that nothing is written
    /// into the store after its lock is released.
    fn drop(&mut self) {
        if let Some(writing) = self.0.take() {
            let _ = writing.join();
        }
    }
}

/// The published tables: rates and changes added to the unit tables.
fn derive(uq: &UnitQuarter, rollup: &UnitQuarter, people: &DataFrame) -> Result<Derived> {
    let with_changes =
        |t: DataFrame| polars_ctx(super::metrics::with_changes(t), "rates and changes");
    let (own, rolled) = rayon::join(
        || with_changes(uq.0.clone()),
        || with_changes(rollup.0.clone()),
    );
    Ok([
        (DERIVED[0], own?),
        (DERIVED[1], rolled?),
        (DERIVED[2], people.clone()),
    ])
}

/// The quarter's records the reports read beside the tables; the matters
/// of new petitions are decided when `may_link`.
fn quarter_facts(
    store: &Store,
    settings: &AggregateSettings,
    quarter: Quarter,
    own: &DataFrame,
    may_link: bool,
) -> Result<QuarterFacts> {
    let all_matters = link_read::matters(store, quarter.last_day(), settings.link, may_link)?;
    if all_matters.linked > 0 {
        log::info!(target: "aggregate", "{} petitions linked into matters", all_matters.linked);
    }
    let (matters, agreement) =
        link_read::quarter_matters(store, all_matters.scan(store)?, quarter)?;
    Ok(QuarterFacts {
        all_matters,
        portfolios: queries::portfolios(store)?,
        repeats: queries::repeat_petitions(store, quarter, own)?,
        tenures: queries::tenures(store, quarter.last_day())?,
        matters,
        agreement,
        chain: chain_read::chain_rows(store, quarter, settings.chain)?,
        supervision: supervision_read::check(store, &settings.supervision, quarter)?,
        clue_days: queries::clue_days(store, quarter)?,
        ledger: ledger_read::ledger(store, quarter)?,
    })
}

/// Seconds per table.
struct Laps(Vec<(String, f64)>, Instant);

impl Default for Laps {
    fn default() -> Self {
        Laps(Vec::new(), Instant::now())
    }
}

impl Laps {
    fn lap(&mut self, what: &str) {
        let now = Instant::now();
        self.0
            .push((what.to_string(), (now - self.1).as_secs_f64()));
        self.1 = now;
    }
}
