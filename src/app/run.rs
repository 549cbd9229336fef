//! `yanpan run`: every stage for one quarter, under the store's lock, with
//! a check before anything is written, inputs read again only when their
//! content changed, and the publication moved into place only when all of
//! it succeeded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use polars::prelude::*;
use rayon::prelude::*;

use super::{
    Aggregates, RunArgs, RunSummary, Timings, UsageError, aggregate_store, chart, compose, derive,
    frame_csv, ingest_and_store, polars_ctx, portfolios, problem_units, repeat_petitions,
    table_quarters, tenures, write_parquet,
};
use crate::aggregate::{self, UnitQuarter};
use crate::cli::QuarterArg;
use crate::config::Pipeline;
use crate::detect::{self, DetectInput};
use crate::ingest::{self, SourceReport};
use crate::model::{Dataset, Quarter};
use crate::publish::{Manifest, Staging, manifest::Output, sha256_file, sha256_hex};
use crate::render;
use crate::store::{self, Store, lock::RunLock};

/// The stages `--stages` names: `ingest` (sources into the store),
/// `aggregate` (the derived tables), `publish` (detect, render, compose and
/// publish, which always run together: a publication is whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stages {
    pub ingest: bool,
    pub aggregate: bool,
    pub publish: bool,
}

impl Default for Stages {
    fn default() -> Self {
        Stages {
            ingest: true,
            aggregate: true,
            publish: true,
        }
    }
}

impl std::str::FromStr for Stages {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut out = Stages {
            ingest: false,
            aggregate: false,
            publish: false,
        };
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "ingest" => out.ingest = true,
                "aggregate" => out.aggregate = true,
                "publish" => out.publish = true,
                other => {
                    return Err(format!(
                        "no stage {other}; stages: ingest, aggregate, publish"
                    ));
                }
            }
        }
        if out
            == (Stages {
                ingest: false,
                aggregate: false,
                publish: false,
            })
        {
            return Err("name at least one stage: ingest, aggregate, publish".into());
        }
        Ok(out)
    }
}

/// The store's record of its last ingest: every input with its SHA-256.
const INGEST_STATE: &str = "ingest_state.json";
/// The rows that ingest rejected, kept for runs that do not read again.
const QUARANTINE: &str = "quarantine.parquet";

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct IngestState {
    sources: Vec<SourceReport>,
}

/// One input now: its dataset, file and SHA-256.
struct Input {
    dataset: Dataset,
    file: PathBuf,
    sha256: String,
}

/// The inputs now, in ingest order.
fn current_inputs(p: &Pipeline) -> Result<Vec<Input>> {
    let mut files = Vec::new();
    for source in &p.sources {
        for file in ingest::files_of(source)? {
            files.push((source.dataset, file));
        }
    }
    // Each file hashed on its own core.
    files
        .into_par_iter()
        .map(|(dataset, file)| {
            Ok(Input {
                dataset,
                sha256: sha256_file(&file)
                    .with_context(|| format!("reading {}", file.display()))?,
                file,
            })
        })
        .collect()
}

/// What the last ingest left that this one can skip: the files whose
/// content is the same, when no unit or leader file changed (their rows
/// check every other file's).
fn skippable(
    store: &Store,
    state: Option<&IngestState>,
    inputs: &[Input],
) -> Result<Option<ingest::Unchanged>> {
    let Some(state) = state else {
        return Ok(None);
    };
    let before: std::collections::HashSet<(PathBuf, String)> = state
        .sources
        .iter()
        .map(|s| (s.file.clone(), s.sha256.clone()))
        .collect();
    let same = |i: &Input| before.contains(&(i.file.clone(), i.sha256.clone()));
    let reference_changed = inputs
        .iter()
        .any(|i| matches!(i.dataset, Dataset::Units | Dataset::Leaders) && !same(i));
    if reference_changed || !store.has(Dataset::Units) {
        return Ok(None);
    }
    let units = polars_ctx(
        store
            .scan(Dataset::Units)?
            .select([col("unit_id").cast(DataType::String)])
            .collect(),
        "stored units",
    )?;
    let units = super::text_set(&units, "unit_id")?;
    Ok(Some(ingest::Unchanged {
        files: inputs
            .iter()
            .filter(|i| same(i))
            .map(|i| (i.file.clone(), i.sha256.clone()))
            .collect(),
        units,
    }))
}

fn read_state(store: &Path) -> Option<IngestState> {
    let text = std::fs::read_to_string(store.join(INGEST_STATE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Checks, before anything is written, that every source has files and
/// that the output folder can be written.
fn preflight(p: &Pipeline) -> Result<()> {
    for source in &p.sources {
        ingest::files_of(source)?;
    }
    let mut dir = p.output.as_path();
    while !dir.exists() {
        dir = dir.parent().unwrap_or(Path::new("."));
    }
    let probe = dir.join(format!(".yanpan-write-test-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(UsageError(format!(
            "the output folder {} cannot be written ({e}): choose another [report] output or fix its permissions",
            p.output.display()
        ))
        .into()),
    }
}

/// Removes staging folders left in `output` by runs that are gone.
fn clean_stale(output: &Path, log: &mut dyn FnMut(&str)) {
    let Ok(entries) = std::fs::read_dir(output) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid = name
            .rsplit_once('-')
            .filter(|_| {
                name.starts_with('.') && (name.contains(".staging-") || name.contains(".old-"))
            })
            .and_then(|(_, pid)| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !Path::new("/proc").join(pid.to_string()).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
            log(&format!(
                "removed {} left by an interrupted run",
                e.path().display()
            ));
        }
    }
}

/// Ends the process as a kill would, after `stage`, when asked to (tests).
fn checkpoint(args: &RunArgs, stage: &str) {
    if args.abort_after.as_deref() == Some(stage) {
        eprintln!("aborting after {stage} (--abort-after)");
        std::process::abort();
    }
}

/// The derived tables as the last aggregate stage left them.
fn stored_aggregates(
    store: &Store,
    quarters: &[Quarter],
) -> Result<(Aggregates, [(&'static str, DataFrame); 3])> {
    let [own, rollup, people] = super::read_derived(
        store,
        ["unit_quarter", "unit_quarter_rollup", "person_quarter"],
        quarters,
        "run the aggregate stage for this quarter",
    )?;
    let uq = UnitQuarter(own.clone());
    let tables = Aggregates {
        citywide: polars_ctx(aggregate::citywide(&uq), "citywide totals")?,
        unit_quarter: uq,
        rollup: UnitQuarter(rollup.clone()),
        person_quarter: people.clone(),
        seconds: Vec::new(),
    };
    Ok((
        tables,
        [
            ("unit_quarter", own),
            ("unit_quarter_rollup", rollup),
            ("person_quarter", people),
        ],
    ))
}

/// Runs the chosen stages for one quarter and publishes `reports/<quarter>/`.
pub fn run(args: &RunArgs, log: &mut dyn FnMut(&str)) -> Result<RunSummary> {
    let started_at = chrono::Utc::now().to_rfc3339();
    let mut clock = Timings(Vec::new(), Instant::now());
    let pipeline = Pipeline::load(&args.pipeline)?;
    let today = args
        .today
        .or(pipeline.today)
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let quarter = match args.quarter {
        QuarterArg::Auto => Quarter::last_closed(today),
        QuarterArg::Given(q) => q,
    };
    preflight(&pipeline)?;
    let stages = args.stages;
    let state = read_state(&pipeline.store);
    let inputs = current_inputs(&pipeline)?;
    let unchanged = state.as_ref().is_some_and(|s| {
        s.sources.len() == inputs.len()
            && s.sources
                .iter()
                .zip(&inputs)
                .all(|(a, i)| a.file == i.file && a.sha256 == i.sha256)
    });
    if args.dry_run {
        let mut plan = vec![format!("quarter {quarter}")];
        let seen: std::collections::HashSet<(PathBuf, String)> = state
            .as_ref()
            .map(|st| {
                st.sources
                    .iter()
                    .map(|x| (x.file.clone(), x.sha256.clone()))
                    .collect()
            })
            .unwrap_or_default();
        for i in &inputs {
            plan.push(format!(
                "read   {} (sha256 {}…){}",
                i.file.display(),
                &i.sha256[..12],
                if seen.contains(&(i.file.clone(), i.sha256.clone())) {
                    ", unchanged since the last ingest: not read again"
                } else {
                    ""
                }
            ));
        }
        if stages.ingest && !unchanged {
            plan.push(format!(
                "write  {} (upsert by record id)",
                pipeline.store.display()
            ));
        }
        if stages.aggregate {
            plan.push(format!(
                "write  {}",
                pipeline.store.join("derived").display()
            ));
        }
        if stages.publish {
            plan.push(format!(
                "write  {} (staged beside it, moved into place when complete)",
                pipeline.output.join(quarter.to_string()).display()
            ));
            for r in &pipeline.packets {
                plan.push(format!(
                    "write  {}",
                    pipeline
                        .output
                        .join(quarter.to_string())
                        .join("packets")
                        .join(&r.id)
                        .display()
                ));
            }
        }
        return Ok(RunSummary {
            quarter,
            publication: None,
            rows_read: 0,
            rows_quarantined: 0,
            inputs_unchanged: unchanged,
            flags: 0,
            flags_per_detector: BTreeMap::new(),
            packets: Vec::new(),
            stage_seconds: Vec::new(),
            warnings: Vec::new(),
            plan,
        });
    }
    let lock = RunLock::acquire(&pipeline.store)?;
    if let Some(t) = &lock.took_over {
        log(&format!("notice: {t}"));
    }
    clean_stale(&pipeline.output, log);
    let mut warnings: Vec<String> = Vec::new();
    let mut notices = Vec::new();
    if pipeline.reporter_key_is_demo {
        let n = "the pipeline uses the demo reporter key shipped with yanpan: fine for sample data, never for real records".to_string();
        log(&format!("notice: {n}"));
        notices.push(n);
    }
    log(&format!(
        "yanpan {} — {} — quarter {quarter}",
        env!("CARGO_PKG_VERSION"),
        pipeline.file.display()
    ));
    let store = Store::new(&pipeline.store);

    // Ingest: only when an input's content changed since the last ingest.
    let (sources, quarantine, upserts) = if stages.ingest && !unchanged {
        let skip = skippable(&store, state.as_ref(), &inputs)?;
        if let Some(u) = &skip {
            log(&format!(
                "ingest  {} of {} inputs unchanged since the last ingest: only the others are read",
                u.files.len(),
                inputs.len()
            ));
        }
        let known: ingest::KnownSha = inputs
            .iter()
            .map(|i| (i.file.clone(), i.sha256.clone()))
            .collect();
        let (ingested, upserts) =
            ingest_and_store(&pipeline, today, true, skip.as_ref(), &known, log)?;
        let fresh = polars_ctx(ingested.quarantine.to_frame(), "quarantine")?;
        // Skipped files keep their reports and rejected rows from the last ingest.
        let (mut reports, quarantine) = match (&skip, &state) {
            (Some(u), Some(st)) => {
                let kept: Vec<String> = u.files.iter().map(|f| f.0.display().to_string()).collect();
                let old = match pipeline.store.join(QUARANTINE) {
                    p if p.is_file() => Some(store::read_parquet(&p)?),
                    _ => None,
                };
                let mut q = fresh;
                if let Some(old) = old {
                    let old =
                        polars_ctx(
                            old.lazy()
                                .filter(col("file").is_in(
                                    lit(Series::new("f".into(), kept)).implode(false),
                                    false,
                                ))
                                .collect(),
                            "kept quarantine rows",
                        )?;
                    q = polars_ctx(q.vstack(&old), "quarantine")?;
                    q = polars_ctx(
                        q.lazy()
                            .sort(
                                ["file", "row", "column"],
                                SortMultipleOptions::default().with_maintain_order(true),
                            )
                            .collect(),
                        "quarantine order",
                    )?;
                }
                let old_reports: Vec<SourceReport> = st
                    .sources
                    .iter()
                    .filter(|r| u.files.contains(&(r.file.clone(), r.sha256.clone())))
                    .cloned()
                    .collect();
                (old_reports, q)
            }
            _ => (Vec::new(), fresh),
        };
        reports.extend(ingested.sources.iter().cloned());
        let order = |r: &SourceReport| {
            inputs
                .iter()
                .position(|i| i.file == r.file)
                .unwrap_or(usize::MAX)
        };
        reports.sort_by_key(order);
        let ingested = ingest::Ingested {
            sources: reports,
            ..ingested
        };
        let quarantine = quarantine;
        store::write_parquet(&pipeline.store.join(QUARANTINE), quarantine.clone())?;
        let state = IngestState {
            sources: ingested.sources.clone(),
        };
        std::fs::write(
            pipeline.store.join(INGEST_STATE),
            serde_json::to_string_pretty(&state)?,
        )?;
        (ingested.sources, quarantine, upserts)
    } else {
        if stages.ingest {
            log(
                "ingest  every input is unchanged since the last ingest (same SHA-256): the store is used as it is",
            );
        }
        let quarantine = match pipeline.store.join(QUARANTINE) {
            p if p.is_file() => store::read_parquet(&p)?,
            _ => polars_ctx(ingest::Quarantine::default().to_frame(), "quarantine")?,
        };
        (
            state.map(|s| s.sources).unwrap_or_default(),
            quarantine,
            Vec::new(),
        )
    };
    let rows_read: u64 = sources.iter().map(|s| s.rows_read).sum();
    let rows_quarantined: u64 = sources.iter().map(|s| s.rows_quarantined).sum();
    for s in &sources {
        let share = s.rows_quarantined as f64 / s.rows_read.max(1) as f64;
        if share > pipeline.notice_quarantine_share.get() {
            warnings.push(format!(
                "{}: {} of {} rows ({:.1}%) quarantined, above the notice level of {:.1}% ([ingest] notice_quarantine_share)",
                s.file.display(),
                s.rows_quarantined,
                s.rows_read,
                share * 100.0,
                pipeline.notice_quarantine_share.get() * 100.0
            ));
        }
    }
    for w in &warnings {
        log(&format!("warning: {w}"));
    }
    clock.lap("store");
    checkpoint(args, "ingest");

    let summary =
        |publication, flags, per: BTreeMap<String, usize>, packets, clock: &Timings| RunSummary {
            quarter,
            publication,
            rows_read,
            rows_quarantined,
            inputs_unchanged: unchanged,
            flags,
            flags_per_detector: per,
            packets,
            stage_seconds: clock.0.clone(),
            warnings: warnings.clone(),
            plan: Vec::new(),
        };
    if !stages.aggregate && !stages.publish {
        drop(lock);
        return Ok(summary(None, 0, BTreeMap::new(), Vec::new(), &clock));
    }
    let table_span = table_quarters(&pipeline, quarter);
    let (tables, derived) = if stages.aggregate {
        let tables = aggregate_store(&pipeline, &store, &table_span)?;
        let derived = derive(&store, &tables)?;
        log(&format!(
            "aggregate {} unit-quarter rows, {} person-quarter rows",
            tables.unit_quarter.0.height(),
            tables.person_quarter.height()
        ));
        (tables, derived)
    } else {
        stored_aggregates(&store, &table_span)?
    };
    clock.lap("aggregate");
    checkpoint(args, "aggregate");
    if !stages.publish {
        drop(lock);
        return Ok(summary(None, 0, BTreeMap::new(), Vec::new(), &clock));
    }
    let (uq, city) = (&tables.unit_quarter, &tables.citywide);
    let detected = polars_ctx(
        detect::detect(
            &detect::DetectSettings::of(&pipeline),
            &DetectInput {
                unit_quarter: uq,
                rollup: &tables.rollup,
                person_quarter: &tables.person_quarter,
                quarter,
            },
        ),
        "detection",
    )?;
    let flags = &detected.flags;
    let mut per_detector: BTreeMap<String, usize> = BTreeMap::new();
    for f in flags {
        *per_detector.entry(f.detector.to_string()).or_default() += 1;
    }
    log(&format!("detect  {} flags", flags.len()));
    clock.lap("detect");

    let staging = Staging::new(&pipeline.output, &quarter.to_string())
        .with_context(|| format!("creating staging folder in {}", pipeline.output.display()))?;
    let staged = staging.dir.clone();
    let published = (|| -> Result<PathBuf> {
        let shown = pipeline.report_history_quarters.get() as i32;
        let shown_quarters: Vec<Quarter> = quarter.offset(1 - shown).through(quarter).collect();
        render::draw::check_font()?;
        let clues = chart::clue_days(&store, quarter)?;
        let inputs = chart::set_inputs(chart::SetSources {
            pipeline: &pipeline,
            quarter,
            quarters: &shown_quarters,
            own: &uq.0,
            rollup: &tables.rollup.0,
            citywide: city,
            marked: chart::Marked::of(flags),
            clue_days: &clues,
            profiles: problem_units(flags),
        })?;
        let charts = polars_ctx(render::set::quarterly(inputs), "chart set")?;
        let svgs: BTreeMap<String, String> = {
            use rayon::prelude::*;
            charts
                .par_iter()
                .map(|c| -> Result<(String, String)> {
                    let svg = render::draw::svg(c)?;
                    staging.write(&format!("charts/{}.svg", c.id()), svg.as_bytes())?;
                    render::draw::png(c, &staging.path(&format!("charts/{}.png", c.id()))?)?;
                    Ok((c.id().to_string(), svg))
                })
                .collect::<Result<_>>()?
        };
        log(&format!("render  {} charts", charts.len()));
        clock.lap("render");
        checkpoint(args, "render");

        let portfolios = portfolios(&store)?;
        let repeats = repeat_petitions(&store, quarter, &uq.0)?;
        let tenures = tenures(&store, quarter.last_day())?;
        let (matters, agreement) = super::link::link_quarter(&store, quarter, pipeline.link)?;
        write_parquet(&staging, "tables/matters.parquet", matters)?;
        let chain = super::chain::chain_rows(&store, quarter, pipeline.chain)?;
        write_parquet(
            &staging,
            "tables/chain.parquet",
            super::chain::chain_frame(&chain)?,
        )?;
        let supervision = super::supervision::check(&store, &pipeline.supervision, quarter)?;
        if let Some(c) = &supervision {
            for (name, table) in [
                (
                    "supervision_coverage",
                    super::supervision::coverage_frame(c)?,
                ),
                ("supervision_gaps", super::supervision::gaps_frame(c)?),
            ] {
                staging.write(&format!("tables/{name}.csv"), &frame_csv(&table)?)?;
                write_parquet(&staging, &format!("tables/{name}.parquet"), table)?;
            }
        }
        let composed = compose::compose(
            &compose::Sources {
                pipeline: &pipeline,
                quarter,
                quarters: &shown_quarters,
                own: &uq.0,
                flags,
                clue_days: &clues,
                charts: &svgs,
                repeats: &repeats,
                tenures: &tenures,
                linking: &agreement,
                portfolios: &portfolios,
                supervision: supervision.as_ref(),
                chain: &chain,
            },
            &staging,
            &|| checkpoint(args, "thematic"),
        )?;
        log(&format!("compose {composed} report and packet files"));
        clock.lap("compose");

        for (name, table) in &derived {
            write_parquet(&staging, &format!("tables/{name}.parquet"), table.clone())?;
        }
        // The workbook shows the report's quarters, so it stays within Excel's rows.
        let shown_names = Series::new(
            "q".into(),
            shown_quarters
                .iter()
                .map(|q| q.to_string())
                .collect::<Vec<_>>(),
        );
        let shown = |t: DataFrame| {
            polars_ctx(
                t.lazy()
                    .filter(col("quarter").is_in(lit(shown_names.clone()).implode(false), false))
                    .collect(),
                "selecting the report's quarters",
            )
        };
        let [(_, own), (_, rolled), (_, people)] = &derived;
        crate::publish::xlsx::write(
            &staging.path("tables/unit_quarter.xlsx")?,
            &[
                ("本单位", &shown(own.clone())?),
                ("含下级单位", &shown(rolled.clone())?),
                ("领导人员", &shown(people.clone())?),
            ],
        )?;
        write_parquet(&staging, "tables/quarantine.parquet", quarantine.clone())?;
        staging.write("tables/quarantine.csv", &frame_csv(&quarantine)?)?;
        let contributions = polars_ctx(
            detect::tables::contributions_frame(&pipeline.risk_score.contributions(flags)),
            "risk contributions",
        )?;
        staging.write("tables/risk_contributions.csv", &frame_csv(&contributions)?)?;
        let flag_table = polars_ctx(detect::tables::flags_frame(flags), "flags table")?;
        staging.write("tables/flags.csv", &frame_csv(&flag_table)?)?;
        write_parquet(&staging, "tables/flags.parquet", flag_table)?;
        write_parquet(
            &staging,
            "tables/scores.parquet",
            polars_ctx(
                detect::tables::scores_frame(&detected.scores),
                "scores table",
            )?,
        )?;
        let outputs = staging
            .files()?
            .into_iter()
            .map(|rel| {
                let bytes = std::fs::read(staging.dir.join(&rel))?;
                Ok(Output {
                    path: rel,
                    bytes: bytes.len() as u64,
                    sha256: sha256_hex(&bytes),
                })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        clock.lap("publish");
        let manifest = Manifest {
            yanpan_version: env!("CARGO_PKG_VERSION"),
            quarter: quarter.to_string(),
            pipeline_file: pipeline.file.display().to_string(),
            pipeline_sha256: pipeline.file_hash.clone(),
            started_at: started_at.clone(),
            finished_at: chrono::Utc::now().to_rfc3339(),
            inputs: sources.clone(),
            inputs_unchanged: unchanged,
            store: upserts.clone(),
            flags_per_detector: per_detector.clone(),
            stage_seconds: clock.0.clone(),
            warnings: warnings.clone(),
            notices: notices.clone(),
            outputs,
        };
        staging.write(
            "manifest.json",
            serde_json::to_string_pretty(&manifest)?.as_bytes(),
        )?;
        staging
            .commit()
            .context("moving the publication into place")
    })()
    .with_context(|| {
        format!(
            "the previous publication {} is unchanged; this run's partial output is in {}",
            pipeline.output.join(quarter.to_string()).display(),
            staged.display()
        )
    })?;
    let packets = pipeline
        .packets
        .iter()
        .map(|r| published.join("packets").join(&r.id).join("packet.pdf"))
        .collect();
    drop(lock);
    Ok(summary(
        Some(published),
        flags.len(),
        per_detector,
        packets,
        &clock,
    ))
}
