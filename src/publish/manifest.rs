//! `manifest.json`: what a run read and wrote, with hashes, counts and
//! stage timings.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ingest::SourceReport;
use crate::store::Upsert;

/// One output file.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Output {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The run manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub yanpan_version: &'static str,
    pub quarter: String,
    pub pipeline_file: String,
    pub pipeline_sha256: String,
    pub started_at: String,
    pub finished_at: String,
    pub inputs: Vec<SourceReport>,
    /// The inputs had the same SHA-256 as at the store's last ingest, so
    /// they were not read again.
    pub inputs_unchanged: bool,
    pub store: Vec<Upsert>,
    pub flags_per_detector: BTreeMap<String, usize>,
    /// Seconds per stage, in run order.
    pub stage_seconds: Vec<(String, f64)>,
    pub warnings: Vec<String>,
    /// Things worth knowing that do not change the exit code.
    pub notices: Vec<String>,
    pub outputs: Vec<Output>,
}
