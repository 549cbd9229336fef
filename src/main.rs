//! The `yanpan` binary: parse the command line, run it, print the error
//! chain and map it to an exit code.

use std::process::ExitCode;

use clap::Parser;

use yanpan::cli::{Cli, dispatch, log};
use yanpan::render::fonts;

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

fn main() -> ExitCode {
    install_font();
    let cli = Cli::parse();
    log::init(cli.quiet, cli.verbose);
    match dispatch::execute(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(dispatch::code_of(&e))
        }
    }
}
