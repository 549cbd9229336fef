//! Log lines on stderr: the stages' lines name their stage; on a terminal
//! they carry a bar of the stages done, otherwise a UTC timestamp (for the
//! journal).

use crate::run::Stage;

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

/// Installs the logger: quiet, only warnings; verbose, detail lines too.
pub fn init(quiet: bool, verbose: bool) {
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
