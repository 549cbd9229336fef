//! What each command prints and the exit code it ends with.

use anyhow::Result;

use super::{Cli, Command};
use crate::app;
use crate::run::{self, RunArgs, RunSummary, Stages};

/// Exit codes (documented in README.md).
pub mod exit {
    pub const OK: u8 = 0;
    pub const WARNINGS: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const LOCKED: u8 = 3;
    pub const INTERNAL: u8 = 4;
}

/// The exit code of an error: its kind, from the first cause that has one.
pub fn code_of(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(crate::store::lock::LockError::Held { .. }) = cause.downcast_ref() {
            return exit::LOCKED;
        }
        if let Some(crate::store::StoreError::Missing { .. }) = cause.downcast_ref() {
            return exit::BAD_INPUT;
        }
        if cause.is::<crate::config::ConfigError>()
            || cause.is::<crate::ingest::IngestError>()
            || cause.is::<crate::model::UsageError>()
        {
            return exit::BAD_INPUT;
        }
    }
    exit::INTERNAL
}

/// Runs the command; returns the exit code of a command that finished.
pub fn execute(cli: Cli) -> Result<u8> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Run {
            pipeline,
            quarter,
            today,
            stages,
            dry_run,
            recompute,
            abort_after,
            abort_in_swap,
        } => {
            if let Some(point) = abort_in_swap {
                point.arm();
            }
            let stages = Stages::of(&stages).map_err(crate::model::UsageError)?;
            let s = run::run(&RunArgs {
                pipeline,
                quarter,
                today,
                stages,
                dry_run,
                abort_after,
                recompute,
            })?;
            print_summary(&s, dry_run);
            Ok(if s.warnings.is_empty() {
                exit::OK
            } else {
                exit::WARNINGS
            })
        }
        Command::Ingest { pipeline, today } => Ok(ingest_outcome(
            &app::ingest_only(&pipeline, today, true)?,
            quiet,
        )),
        Command::Validate { pipeline, today } => Ok(ingest_outcome(
            &app::ingest_only(&pipeline, today, false)?,
            quiet,
        )),
        Command::Aggregate {
            pipeline,
            quarter,
            today,
        } => {
            aggregate_outcome(&app::aggregate_only(&pipeline, quarter, today)?);
            Ok(exit::OK)
        }
        Command::Chart(args) if args.list => {
            println!("{}", app::chart_metrics());
            Ok(exit::OK)
        }
        Command::Chart(args) => {
            log::info!("wrote {}", app::chart(&args)?.display());
            Ok(exit::OK)
        }
        Command::Explain { detector, pipeline } => {
            println!(
                "{}",
                app::explain(detector.as_deref(), pipeline.as_deref())?
            );
            Ok(exit::OK)
        }
        Command::Eval {
            seed,
            units,
            quarters,
            out,
            matters,
            truth,
        } => {
            let table = match (matters, truth) {
                (Some(store), Some(truth)) => app::eval_matters(&store, &truth)?,
                _ => app::eval(&seed, units, quarters, out.as_deref())?,
            };
            println!("{table}");
            Ok(exit::OK)
        }
        Command::Sample {
            kind,
            pipeline,
            year,
            seed,
        } => {
            sample_outcome(&app::sample(&kind, &pipeline, year, seed)?);
            Ok(exit::OK)
        }
        Command::Init { path, site } => {
            for f in app::init(&path, &site)? {
                log::info!("wrote {}", f.display());
            }
            Ok(exit::OK)
        }
        Command::Synth {
            seed,
            out,
            first,
            quarters,
            scale,
            units,
            petitions_xlsx,
        } => {
            let spec = crate::synth::SynthSpec {
                seed,
                first,
                quarters,
                scale,
                units,
            };
            for (path, rows) in &app::synth(&spec, &out, petitions_xlsx)?.files {
                log::info!("wrote {} ({rows} rows)", path.display());
            }
            Ok(exit::OK)
        }
    }
}

fn aggregate_outcome(s: &app::AggregateSummary) {
    let stages: Vec<String> = s
        .stage_seconds
        .iter()
        .map(|(stage, secs)| format!("{stage} {secs:.3} s"))
        .collect();
    log::info!(
        target: "aggregate",
        "{}–{}: {} unit-quarter rows, {} person-quarter rows in {:.2} s ({}) -> {}",
        s.quarters.0,
        s.quarters.1,
        s.unit_quarter_rows,
        s.person_quarter_rows,
        s.seconds,
        stages.join(", "),
        s.derived.display()
    );
}

fn sample_outcome(s: &app::SampleSummary) {
    let per: Vec<String> = s
        .per_reason
        .iter()
        .map(|(r, n)| format!("{r} {n}"))
        .collect();
    println!(
        "personal-matters sample {}: {} of {} leaders in office ({}); seed {}; list sha256 {}",
        s.year,
        s.per_reason.values().sum::<usize>(),
        s.eligible,
        per.join(", "),
        s.seed,
        s.list_sha256
    );
    if s.excluded > 0 {
        println!(
            "  {} drawn last year were not drawn at random again",
            s.excluded
        );
    }
    for f in &s.files {
        println!("  {}", f.display());
    }
}

/// The last screen of a run: rows in, quarantined, flags, where things are.
fn print_summary(s: &RunSummary, dry_run: bool) {
    if dry_run {
        println!("dry run: nothing is written");
        for line in &s.plan {
            println!("  {line}");
        }
        return;
    }
    let total: f64 = s.timings.laps.iter().map(|(_, t)| t).sum();
    println!("yanpan run {} done in {total:.1} s", s.quarter);
    println!(
        "  inputs     {} rows read, {} quarantined ({:.2}%){}",
        s.rows_read,
        s.rows_quarantined,
        s.rows_quarantined as f64 / s.rows_read.max(1) as f64 * 100.0,
        if s.inputs_unchanged {
            "; unchanged since the last ingest, not read again"
        } else {
            ""
        }
    );
    if s.publication.is_some() {
        let per: Vec<String> = s
            .flags_per_detector
            .iter()
            .map(|(d, n)| format!("{d} {n}"))
            .collect();
        let flags: usize = s.flags_per_detector.values().sum();
        println!("  flags      {flags} ({})", per.join(", "));
    }
    match &s.publication {
        Some(p) if s.confirmed => println!(
            "  published  {} (up to date: same program, settings, inputs and store; nothing recomputed)",
            p.display()
        ),
        Some(p) => println!("  published  {}", p.display()),
        None => println!("  published  nothing (the publish stage was not run)"),
    }
    for p in &s.packets {
        println!("  packet     {}", p.display());
    }
    let stages: Vec<String> = s
        .timings
        .laps
        .iter()
        .map(|(n, t)| format!("{n} {t:.2} s"))
        .collect();
    if s.confirmed {
        println!("  stages     none recomputed; checked in {total:.2} s");
    } else {
        println!("  stages     {}", stages.join(", "));
    }
    if s.warnings.is_empty() {
        println!("  warnings   none");
    } else {
        for w in &s.warnings {
            println!("  warning    {w}");
        }
    }
}

/// Prints what ingest or validate found; quarantined rows are a warning.
fn ingest_outcome(s: &app::IngestSummary, quiet: bool) -> u8 {
    println!(
        "read {} rows, quarantined {}",
        s.rows_read, s.rows_quarantined
    );
    if !quiet {
        for r in &s.first_rejections {
            eprintln!("  {r}");
        }
    }
    if let Some(f) = &s.quarantine_file {
        println!("quarantine: {}", f.display());
    }
    if s.rows_quarantined > 0 {
        exit::WARNINGS
    } else {
        exit::OK
    }
}
