//! The `yanpan` binary: parse the command line, run, print the error chain
//! and map it to an exit code.

use std::process::ExitCode;

use clap::Parser;

use yanpan::app;
use yanpan::cli::{Cli, Command};
use yanpan::render::fonts;
use yanpan::run::{self, RunArgs, Stage, Stages};

/// Exit codes (documented in README.md).
mod exit {
    pub const OK: u8 = 0;
    pub const WARNINGS: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const LOCKED: u8 = 3;
    pub const INTERNAL: u8 = 4;
}

fn code_of(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(yanpan::store::lock::LockError::Held { .. }) = cause.downcast_ref() {
            return exit::LOCKED;
        }
        if cause.is::<yanpan::config::ConfigError>()
            || cause.is::<yanpan::ingest::IngestError>()
            || cause.is::<app::UsageError>()
        {
            return exit::BAD_INPUT;
        }
    }
    exit::INTERNAL
}

/// Makes the embedded CJK font visible to fontconfig. Runs first, while the
/// process has one thread.
#[allow(unsafe_code)]
fn install_font() {
    match fonts::prepare() {
        // SAFETY: called at the top of `main`, before any other thread exists.
        Ok(conf) => unsafe { std::env::set_var(fonts::FONTCONFIG_FILE, conf) },
        Err(e) => eprintln!(
            "warning: cannot prepare the chart font ({e}); charts may lack Chinese glyphs"
        ),
    }
}

/// Log lines on stderr. A stage's lines name the stage; on a terminal
/// they carry a bar of the stages done, otherwise a UTC timestamp. Quiet:
/// only warnings; detail (debug) lines only when verbose.
#[derive(Debug)]
struct Logger {
    tty: bool,
}

impl log::Log for Logger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::max_level()
    }

    fn log(&self, r: &log::Record<'_>) {
        let stage = Stage::ALL.into_iter().find(|s| s.name() == r.target());
        if !self.enabled(r.metadata()) || (stage.is_none() && !r.target().starts_with("yanpan")) {
            return;
        }
        let text = match (r.level(), stage) {
            (log::Level::Warn | log::Level::Error, _) => format!("warning: {}", r.args()),
            (log::Level::Debug | log::Level::Trace, _) => format!("  {}", r.args()),
            (_, Some(s)) => format!("{:<9} {}", s.name(), r.args()),
            (_, None) => r.args().to_string(),
        };
        if self.tty {
            match stage {
                Some(s) => eprintln!(
                    "[{}{}] {text}",
                    "#".repeat(s.ordinal()),
                    "-".repeat(Stage::ALL.len() - s.ordinal())
                ),
                None => eprintln!("{text}"),
            }
        } else {
            eprintln!("{} {text}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"));
        }
    }

    fn flush(&self) {}
}

fn init_log(quiet: bool, verbose: bool) {
    use std::io::IsTerminal;
    let logger = Box::new(Logger {
        tty: std::io::stderr().is_terminal(),
    });
    if log::set_boxed_logger(logger).is_ok() {
        log::set_max_level(if quiet {
            log::LevelFilter::Warn
        } else if verbose {
            log::LevelFilter::Debug
        } else {
            log::LevelFilter::Info
        });
    }
}

/// The last screen of a run: rows in, quarantined, flags, where things are.
fn print_summary(s: &run::RunSummary, dry_run: bool) {
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
    println!("  stages     {}", stages.join(", "));
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

fn main() -> ExitCode {
    install_font();
    let cli = Cli::parse();
    let quiet = cli.quiet;
    init_log(quiet, cli.verbose);
    let result = match cli.command {
        Command::Run {
            pipeline,
            quarter,
            today,
            stages,
            dry_run,
            abort_after,
        } => Stages::of(&stages)
            .map_err(|e| app::UsageError(e).into())
            .and_then(|stages| {
                run::run(&RunArgs {
                    pipeline,
                    quarter,
                    today,
                    stages,
                    dry_run,
                    abort_after,
                })
            })
            .map(|s| {
            print_summary(&s, dry_run);
            if s.warnings.is_empty() {
                exit::OK
            } else {
                exit::WARNINGS
            }
        }),
        Command::Ingest { pipeline, today } => {
            app::ingest_only(&pipeline, today, true).map(|s| ingest_outcome(&s, quiet))
        }
        Command::Aggregate {
            pipeline,
            quarter,
            today,
        } => app::aggregate_only(&pipeline, quarter, today).map(|s| {
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
            exit::OK
        }),
        Command::Chart(args) => app::chart(&args).map(|path| {
            log::info!("wrote {}", path.display());
            exit::OK
        }),
        Command::Explain { detector, pipeline } => {
            app::explain(detector.as_deref(), pipeline.as_deref()).map(|text| {
                println!("{text}");
                exit::OK
            })
        }
        Command::Eval {
            seed,
            units,
            quarters,
            out,
        } => app::eval(seed, units, quarters, out.as_deref()).map(|table| {
            println!("{table}");
            exit::OK
        }),
        Command::Validate { pipeline, today } => {
            app::ingest_only(&pipeline, today, false).map(|s| ingest_outcome(&s, quiet))
        }
        Command::Sample {
            kind,
            pipeline,
            year,
            seed,
        } => app::sample(&kind, &pipeline, year, seed).map(|s| {
            let per: Vec<String> = s.per_reason.iter().map(|(r, n)| format!("{r} {n}")).collect();
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
                println!("  {} drawn last year were not drawn at random again", s.excluded);
            }
            for f in &s.files {
                println!("  {}", f.display());
            }
            exit::OK
        }),
        Command::Init { path, site } => app::init(&path, &site).map(|files| {
            for f in files {
                log::info!("wrote {}", f.display());
            }
            exit::OK
        }),
        Command::Synth {
            seed,
            out,
            first,
            quarters,
            scale,
            units,
            petitions_xlsx,
        } => {
            let spec = yanpan::synth::SynthSpec {
                seed,
                first,
                quarters,
                scale,
                units,
            };
            app::synth(&spec, &out, petitions_xlsx).map(|summary| {
                for (path, rows) in &summary.files {
                    log::info!("wrote {} ({rows} rows)", path.display());
                }
                exit::OK
            })
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(code_of(&e))
        }
    }
}
