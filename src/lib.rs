//! yanpan (研判): batch analytics of petition (信访举报), inspection
//! (巡视巡察) and case (案件) records for a discipline-inspection
//! commission.
//!
//! The data flow is the module layout: [`ingest`] → [`store`] →
//! [`aggregate`] → [`detect`] → [`render`] → [`report`] → [`publish`], put
//! in order by [`app`]. [`synth`] makes realistic synthetic data with
//! planted signals.

/// Every binary built on the library (the program, tests, benches).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Asks the kernel for ordinary 4 KB pages, not transparent huge pages,
/// for the rest of the process; call it early in `main`, once logging is
/// set up. Where the kernel makes huge pages on demand (Linux's default
/// `defrag = madvise`, which the allocator's madvise triggers), each first
/// touch of fresh memory zeroes, and may compact, 2 MB: on the project's
/// machines this tripled the wall time of ingest and linking
/// (`docs/performance.md`, which sets [`HUGE_PAGES_VAR`] to measure the
/// difference). A kernel that refuses is not an error: the run only goes
/// slower.
pub fn prefer_small_pages() {
    if std::env::var_os(HUGE_PAGES_VAR).is_some_and(|v| v == "allow") {
        log::debug!("transparent huge pages left as the kernel and allocator set them");
        return;
    }
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        log::debug!("transparent huge pages stay on: {e}");
    }
}

/// Set to `allow`, the process keeps transparent huge pages (to measure
/// what refusing them saves; never needed to run).
pub const HUGE_PAGES_VAR: &str = "YANPAN_HUGE_PAGES";

pub mod aggregate;
pub mod app;
pub mod assets;
pub mod cli;
pub mod config;
pub mod detect;
pub mod eval;
pub mod ingest;
pub mod model;
pub mod publish;
pub mod render;
pub mod report;
pub mod run;
pub mod sample;
pub mod store;
pub mod synth;
pub mod text;

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// After the call, the kernel answers that the process has huge
    /// pages off.
    #[test]
    fn the_process_runs_on_small_pages() {
        super::prefer_small_pages();
        let off = rustix::thread::transparent_huge_pages_are_disabled();
        assert!(off.expect("PR_GET_THP_DISABLE"), "huge pages still on");
    }
}
