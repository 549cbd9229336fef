//! The `yanpan` binary: parse the command line, run, print the error chain
//! and map it to an exit code.

use std::process::ExitCode;

use clap::Parser;

use yanpan::app::{self, RunArgs};
use yanpan::cli::{Cli, Command};
use yanpan::render::fonts;

/// Exit codes (documented in README.md).
mod exit {
    pub const OK: u8 = 0;
    pub const WARNINGS: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const INTERNAL: u8 = 4;
}

fn code_of(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
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
    let mut log = |line: &str| {
        if !quiet || line.starts_with("warning") {
            eprintln!("{line}");
        }
    };
    let result = match cli.command {
        Command::Run {
            pipeline,
            quarter,
            today,
        } => app::run(
            &RunArgs {
                pipeline,
                quarter,
                today,
            },
            &mut log,
        )
        .map(|s| {
            println!(
                "{}: read {} rows, quarantined {}, {} flags; published {}",
                s.quarter,
                s.rows_read,
                s.rows_quarantined,
                s.flags,
                s.publication.display()
            );
            if s.warnings.is_empty() {
                exit::OK
            } else {
                exit::WARNINGS
            }
        }),
        Command::Ingest { pipeline, today } => {
            app::ingest_only(&pipeline, today, true, &mut log).map(|s| ingest_outcome(&s, quiet))
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
            log(&format!(
                "aggregate {}–{}: {} unit-quarter rows, {} person-quarter rows in {:.2} s ({}) -> {}",
                s.quarters.0,
                s.quarters.1,
                s.unit_quarter_rows,
                s.person_quarter_rows,
                s.seconds,
                stages.join(", "),
                s.derived.display()
            ));
            exit::OK
        }),
        Command::Chart(args) => app::chart(&args).map(|path| {
            log(&format!("wrote {}", path.display()));
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
            app::ingest_only(&pipeline, today, false, &mut log).map(|s| ingest_outcome(&s, quiet))
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
            let spec = yanpan::synth::SynthSpec {
                seed,
                first,
                quarters,
                scale,
                units,
            };
            app::synth(&spec, &out, petitions_xlsx).map(|summary| {
                for (path, rows) in &summary.files {
                    log(&format!("wrote {} ({rows} rows)", path.display()));
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
