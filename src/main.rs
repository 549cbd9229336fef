//! The `yanpan` binary: parse the command line, run it, print the error
//! chain and map it to an exit code.

use std::process::ExitCode;

use clap::Parser;

use yanpan::cli::{Cli, dispatch, log};

fn main() -> ExitCode {
    let cli = Cli::parse();
    log::init(cli.quiet, cli.verbose);
    yanpan::prefer_small_pages();
    match dispatch::execute(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(dispatch::code_of(&e))
        }
    }
}
