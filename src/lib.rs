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
