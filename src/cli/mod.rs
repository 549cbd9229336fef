//! The command line: its definitions (clap), what each command prints
//! ([`dispatch`]) and the log lines ([`log`]).

pub mod dispatch;
pub mod log;

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::model::{Quarter, QuarterArg};
use crate::run::Stage;

/// yanpan (研判): quarterly analysis of petition, inspection and case records.
#[derive(Debug, Parser)]
#[command(name = "yanpan", version, about)]
pub struct Cli {
    /// Print less (only warnings and errors).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (each file and table as it is done).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// `--abort-in-swap`: which swap, and after which of its renames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SwapAbort {
    StoreOldMoved,
    StoreNewMoved,
    PublicationOldMoved,
    PublicationNewMoved,
}

impl SwapAbort {
    /// Arms the abort point.
    pub fn arm(self) {
        use crate::store::swap::{SwapKind, SwapPoint, abort_at};
        let (kind, point) = match self {
            SwapAbort::StoreOldMoved => (SwapKind::Store, SwapPoint::OldMoved),
            SwapAbort::StoreNewMoved => (SwapKind::Store, SwapPoint::NewMoved),
            SwapAbort::PublicationOldMoved => (SwapKind::Publication, SwapPoint::OldMoved),
            SwapAbort::PublicationNewMoved => (SwapKind::Publication, SwapPoint::NewMoved),
        };
        abort_at(kind, point);
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the pipeline for one quarter: ingest, store, aggregate, detect,
    /// render, compose and publish reports/<quarter>/.
    Run {
        /// The pipeline file (TOML).
        pipeline: PathBuf,
        /// The quarter to report, e.g. 2024Q4, or `auto` (the last closed quarter).
        #[arg(long, default_value = "auto")]
        quarter: QuarterArg,
        /// Treat this date as today (YYYY-MM-DD), for `auto` and future-date checks.
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Run only these stages (comma-separated); the store stands in for
        /// the others. detect, render, compose and publish run together.
        #[arg(
            long,
            value_enum,
            value_delimiter = ',',
            default_value = "ingest,aggregate,publish"
        )]
        stages: Vec<Stage>,
        /// Say what would be read and written, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Run every stage even when the publication is up to date (made
        /// by this program from the same settings, inputs and store).
        #[arg(long)]
        recompute: bool,
        /// Abort the process after a stage, as a kill would: for testing
        /// atomic publication.
        #[arg(long, value_enum, hide = true)]
        abort_after: Option<Stage>,
        /// Abort the process at a point of a folder swap, as a crash
        /// would: for testing that the next run repairs it.
        #[arg(long, value_enum, hide = true)]
        abort_in_swap: Option<SwapAbort>,
    },
    /// Ingest every source into the store and print each file's
    /// reconciliation (rows read = accepted + quarantined).
    Ingest {
        /// The pipeline file (TOML).
        pipeline: PathBuf,
        /// Treat this date as today (YYYY-MM-DD) for future-date checks.
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// Rebuild the unit × quarter, roll-up and person × quarter tables from
    /// the store as it is (store/derived/), without ingesting or reporting.
    Aggregate {
        /// The pipeline file (TOML).
        pipeline: PathBuf,
        /// The quarter a run would report, e.g. 2024Q4, or `auto`.
        #[arg(long, default_value = "auto")]
        quarter: QuarterArg,
        /// Treat this date as today (YYYY-MM-DD), for `auto`.
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// Draw one chart from the store (after `yanpan aggregate` or a run) to
    /// a file: trend, key_fields, rectification, funnel, heatmap, pareto,
    /// field, clue_days or profile.
    Chart(ChartArgs),
    /// Say how a detector decides: its method, the settings in force (from
    /// the pipeline file, or the defaults) and an example. Without a name:
    /// the list of detectors.
    Explain {
        /// A detector's name (without one: the list).
        detector: Option<String>,
        /// Read the settings from this pipeline file.
        #[arg(long)]
        pipeline: Option<PathBuf>,
    },
    /// Score the concentration detector on a simulated city with planted
    /// spikes and sustained rises: calibration, power, false discoveries,
    /// speed; by history length and by level.
    Eval {
        /// Random seeds of the simulated cities (comma-separated, e.g.
        /// 1,2,3,4,5): each city's tables, then the targets over them.
        #[arg(long, value_delimiter = ',', default_values_t = [1])]
        seed: Vec<u64>,
        /// Units in the simulated city.
        #[arg(long, default_value_t = 1000)]
        units: usize,
        /// Quarters simulated (signals are planted in the second half).
        #[arg(long, default_value_t = 40)]
        quarters: usize,
        /// Also write the simulated counts, what was planted and this table
        /// (CSV) here, for other tools to be scored on the same data and
        /// printed beside yanpan (benches/surveillance.R).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Instead: score the matters in this store against a synthetic
        /// city's planted ones (`--truth`), beside the export's own mark.
        #[arg(long, requires = "truth")]
        matters: Option<PathBuf>,
        /// The synthetic city's `ground_truth_matters.csv`.
        #[arg(long, requires = "matters")]
        truth: Option<PathBuf>,
    },
    /// Check the pipeline file and every source without writing anything.
    Validate {
        /// The pipeline file (TOML).
        pipeline: PathBuf,
        /// Treat this date as today (YYYY-MM-DD) for future-date checks.
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// Draw the yearly spot-check sample of personal-matters reports
    /// (clause 二十) from the store's leaders: a share of city-managed
    /// cadres, a further share of top leaders, every district head.
    Sample {
        /// What to sample: personal-matters.
        kind: String,
        /// The pipeline file (TOML): the store, the rules, the output folder.
        pipeline: PathBuf,
        /// The year the sample is for; leaders in office on its first day.
        #[arg(long)]
        year: i32,
        /// The random seed (printed and recorded; without it one is made).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Write a commented pipeline file for a new site (and a random
    /// reporter key beside it); refuses to overwrite.
    Init {
        /// The pipeline file to write.
        #[arg(default_value = "pipeline.toml")]
        path: PathBuf,
        /// The issuing body printed on reports.
        #[arg(long, default_value = "某市纪委监委")]
        site: String,
    },
    /// Generate a seeded synthetic city: units, leaders, petitions,
    /// findings, cases and the ground truth of planted signals.
    Synth {
        /// Random seed: the same seed gives the same bytes.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Output folder.
        #[arg(long, default_value = "sample_data")]
        out: PathBuf,
        /// First quarter.
        #[arg(long, default_value = "2022Q1")]
        first: Quarter,
        /// Number of quarters.
        #[arg(long, default_value_t = 12)]
        quarters: usize,
        /// Petition volume relative to one city (1.0 is about 100,000 a year).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Approximate number of units (default: a city-sized tree).
        #[arg(long)]
        units: Option<usize>,
        /// Write petitions as one Excel workbook per quarter instead of CSV per year.
        #[arg(long)]
        petitions_xlsx: bool,
    },
}

/// What `yanpan chart` draws.
#[derive(Debug, Clone, Args)]
pub struct ChartArgs {
    /// trend, key_fields, rectification, funnel, heatmap, pareto, field,
    /// clue_days, profile or persons.
    #[arg(required_unless_present = "list")]
    pub kind: Option<String>,
    /// The pipeline file (TOML): the store, the language, the site.
    #[arg(required_unless_present = "list")]
    pub pipeline: Option<PathBuf>,
    /// Print the metrics and breakdowns charts can show, with their
    /// Chinese names, and draw nothing.
    #[arg(long)]
    pub list: bool,
    /// The last quarter shown, e.g. 2024Q4, or `auto`: the last closed
    /// quarter when `--today` or the pipeline's `today` gives a date,
    /// otherwise the last quarter the store's tables hold.
    #[arg(long, default_value = "auto")]
    pub quarter: QuarterArg,
    /// Quarters shown (default: the pipeline's [report] history_quarters).
    #[arg(long)]
    pub quarters: Option<usize>,
    /// The level of the unit tree for funnel and heatmap (district,
    /// street, community, bureau, soe, university; default district, or
    /// the level below --unit).
    #[arg(long)]
    pub level: Option<String>,
    /// What the chart counts: any count of the unit × quarter table (of
    /// the person × quarter table for persons), by its code or Chinese
    /// name (`--list` prints them; default petitions).
    #[arg(long)]
    pub metric: Option<String>,
    /// The unit of a profile or a trend (its unit_id): a trend shows the
    /// unit with the units below it. For funnel, heatmap and persons, the
    /// scope: the units below it.
    #[arg(long)]
    pub unit: Option<String>,
    /// With --unit or --compare, a trend of the units' own records only.
    #[arg(long)]
    pub own: bool,
    /// A trend of --metric for 2 to 8 units side by side: D01,D03,B017.
    #[arg(long, value_delimiter = ',')]
    pub compare: Vec<String>,
    /// A trend broken into parts, stacked by quarter: field, channel,
    /// class, discipline (of petitions, findings or cases, as --metric
    /// says), form or source (of cases).
    #[arg(long)]
    pub by: Option<String>,
    /// The key field of a field chart: approval, construction, resources,
    /// finance, land or enforcement (or its Chinese name).
    #[arg(long)]
    pub field: Option<String>,
    /// Treat this date as today (YYYY-MM-DD), for `auto`.
    #[arg(long)]
    pub today: Option<NaiveDate>,
    /// The file to write: .svg or .png (the numbers drawn go beside it
    /// as .csv).
    #[arg(long, required_unless_present = "list")]
    pub out: Option<PathBuf>,
}
