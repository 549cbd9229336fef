//! The pipeline file: read it (edge), then validate it into a [`Pipeline`]
//! whose fields cannot hold bad values. Relative paths in the file are
//! relative to the file's own folder.

mod raw;
mod report;

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::detect::concentration::{self as conc};
use crate::ingest::{Encoding, Format, IngestSettings, KeySource, Source};
use crate::model::{Dataset, Language, QuarterLabels};
use raw::RawPipeline;

/// The validated pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The file's sha256, for the manifest.
    pub file_hash: String,
    pub file: PathBuf,
    pub site_name: String,
    pub language: Language,
    pub store: PathBuf,
    pub ingest: IngestSettings,
    /// The date treated as today (for "not in the future"); `None`: the clock.
    pub today: Option<NaiveDate>,
    pub top_leader_clue_deadline_days: NonZeroU32,
    /// How the aggregation runs: streaming (default) or in memory.
    pub engine: crate::aggregate::Engine,
    pub concentration: conc::ConcentrationSettings,
    pub subtree_rise: crate::detect::subtree_rise::SubtreeSettings,
    pub key_field: crate::detect::key_field::KeyFieldRisk,
    pub common_problem: crate::detect::common_problem::CommonProblem,
    pub prominent: crate::detect::prominent::ProminentComplaints,
    pub conversion: crate::detect::conversion::LowConversion,
    pub risk_score: crate::detect::risk_score::RiskScore,
    pub output: PathBuf,
    /// Quarters shown in trends.
    pub report_history_quarters: NonZeroU32,
    pub quarter_labels: QuarterLabels,
    /// The site's wording and template folder, if any.
    pub templates: Option<PathBuf>,
    pub follow_up: Vec<crate::report::inputs::FollowUpRule>,
    pub packets: Vec<crate::report::packet::Recipient>,
    /// The rules of the personal-matters spot check.
    pub personal_matters: crate::sample::Rules,
    /// Years in the same post after which rotation is due, overdue.
    pub rotation: crate::report::rotation::RotationRules,
    /// How petitions about the same matter are linked.
    pub link: crate::aggregate::link::LinkRules,
    /// The yearly minimums of supervision coverage.
    pub supervision: crate::aggregate::supervision::SupervisionRules,
    /// How cases are traced back to their petitions.
    pub chain: crate::aggregate::chain::ChainRules,
    /// `[loop]`: following flags and recommendations up.
    pub loop_rules: crate::detect::loop_rules::LoopSettings,
    /// `[report] chart_min_expected`: ratio-chart cells expecting fewer are
    /// left uncoloured.
    pub chart_min_expected: f64,
    /// `[[chart]]`: saved charts drawn on every run.
    pub charts: Vec<crate::render::request::ChartRequest>,
}

/// Defaults, named in one place.
pub mod defaults {
    pub const OUTPUT: &str = "reports";
    pub const REPORT_HISTORY_QUARTERS: u32 = 8;
}

/// What is wrong with a pipeline file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read pipeline file {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("pipeline file {path} is not valid: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("pipeline file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Pipeline {
    /// The settings of every detector.
    pub fn detect_settings(&self) -> crate::detect::DetectSettings {
        crate::detect::DetectSettings {
            concentration: self.concentration.clone(),
            subtree_rise: self.subtree_rise.clone(),
            key_field: self.key_field.clone(),
            common_problem: self.common_problem.clone(),
            prominent: self.prominent.clone(),
            conversion: self.conversion.clone(),
            deadline_days: self.top_leader_clue_deadline_days.get(),
            risk_score: self.risk_score.clone(),
            loop_rules: self.loop_rules.clone(),
        }
    }

    /// The settings of the aggregate stage.
    pub fn aggregate_settings(&self) -> crate::aggregate::AggregateSettings {
        crate::aggregate::AggregateSettings {
            tables: crate::aggregate::Settings {
                top_leader_clue_deadline_days: self.top_leader_clue_deadline_days.get(),
                engine: self.engine,
            },
            link: self.link,
            chain: self.chain,
            supervision: self.supervision.clone(),
        }
    }

    /// The settings of the render stage.
    pub fn render_settings(&self) -> crate::render::RenderSettings {
        crate::render::RenderSettings {
            site_name: self.site_name.clone(),
            language: self.language,
            quarter_labels: self.quarter_labels,
            deadline_days: self.top_leader_clue_deadline_days.get(),
            min_expected: self.chart_min_expected,
            saved: self.charts.clone(),
        }
    }

    /// The settings of the compose stage.
    pub fn compose_settings(&self) -> crate::report::ComposeSettings {
        crate::report::ComposeSettings {
            site_name: self.site_name.clone(),
            language: self.language,
            templates: self.templates.clone(),
            packets: self.packets.clone(),
            follow_up: self.follow_up.clone(),
            rotation: self.rotation,
            link: self.link,
            concentration: crate::report::petitions::Concentration {
                q: self.concentration.q.get(),
                windows: self.concentration.windows.clone(),
                child_cap_sd: self.subtree_rise.child_cap_sd,
            },
            deadline_days: self.top_leader_clue_deadline_days.get(),
        }
    }

    /// Reads and validates a pipeline file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            cause: source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Validates pipeline text as if read from `path`.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let raw: RawPipeline = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        validate(raw, &base, crate::store::sha256_hex(text.as_bytes()), path).map_err(invalid)
    }
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

use crate::model::setting::at_least_one;

fn engine(value: Option<&str>) -> Result<crate::aggregate::Engine, String> {
    use crate::aggregate::Engine;
    match value {
        None | Some("streaming") => Ok(Engine::Streaming),
        Some("in-memory") => Ok(Engine::InMemory),
        Some(other) => Err(format!(
            "[aggregate] engine = \"{other}\": use \"streaming\" or \"in-memory\""
        )),
    }
}

fn validate(
    raw: RawPipeline,
    base: &Path,
    file_hash: String,
    file: &Path,
) -> Result<Pipeline, String> {
    let language = match raw.site.language.as_deref().unwrap_or("zh") {
        "zh" | "zh-CN" => Language::Zh,
        "en" => Language::En,
        other => {
            return Err(format!(
                "[site] language = \"{other}\": use \"zh\" or \"en\""
            ));
        }
    };
    let reporter_key = match (raw.store.reporter_key_file, raw.store.reporter_key_env) {
        (Some(_), Some(_)) => {
            return Err("[store] set reporter_key_file or reporter_key_env, not both".into());
        }
        (Some(f), None) => Some(KeySource::File(resolve(base, &f))),
        (None, Some(e)) => Some(KeySource::Env(e)),
        (None, None) => None,
    };
    let mut sources = Vec::new();
    for (i, s) in raw.source.into_iter().enumerate() {
        let n = i + 1;
        let dataset = Dataset::parse(&s.dataset).ok_or_else(|| {
            let names: Vec<&str> = Dataset::ALL.iter().map(|d| d.name()).collect();
            format!(
                "[[source]] #{n}: dataset \"{}\" is not one of {}",
                s.dataset,
                names.join(", ")
            )
        })?;
        let format = match s.format {
            None => None,
            Some(f) => Some(Format::parse(&f).ok_or_else(|| {
                format!("[[source]] #{n}: format \"{f}\": use csv, xlsx, parquet or ndjson")
            })?),
        };
        let encoding = match s
            .encoding
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("auto") => Encoding::Auto,
            Some("utf-8" | "utf8") => Encoding::Utf8,
            Some("gbk" | "gb18030" | "gb2312") => Encoding::Gbk,
            Some(other) => {
                return Err(format!(
                    "[[source]] #{n}: encoding \"{other}\": use auto, utf-8 or gbk"
                ));
            }
        };
        for target in s.columns.values() {
            if dataset.column(target).is_none() {
                let names: Vec<&str> = dataset.columns().iter().map(|c| c.name).collect();
                return Err(format!(
                    "[[source]] #{n}: columns maps to \"{target}\", which is not a {dataset} column; columns are {}",
                    names.join(", ")
                ));
            }
        }
        for column in s.values.keys() {
            if dataset.column(column).is_none() {
                return Err(format!(
                    "[[source]] #{n}: [source.values.{column}]: {dataset} has no column {column}"
                ));
            }
        }
        let delimiter = match s.delimiter.as_deref() {
            None => None,
            Some("tab" | "\t") => Some(b'\t'),
            Some(d) if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
            Some(d) => {
                return Err(format!(
                    "[[source]] #{n}: delimiter = \"{d}\": give one character, such as \",\", \";\", \"|\" or \"tab\""
                ));
            }
        };
        if s.header_row == Some(0) {
            return Err(format!("[[source]] #{n}: header_row counts from 1"));
        }
        sources.push(Source {
            dataset,
            pattern: resolve(base, &s.path).to_string_lossy().into_owned(),
            format,
            encoding,
            sheet: s.sheet,
            columns: s.columns,
            totals_labels: s
                .totals_labels
                .unwrap_or_else(crate::ingest::default_totals_labels),
            delimiter,
            header_row: s.header_row,
            skip_footer: s.skip_footer.unwrap_or(0),
            values: s.values,
        });
    }
    let today = match raw.ingest.today {
        None => None,
        Some(t) => Some(
            NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                .map_err(|_| format!("[ingest] today = \"{t}\": write a date like 2025-01-15"))?,
        ),
    };
    let c = &raw.detect.concentration;
    let r = &raw.detect;
    let risk = crate::detect::risk_score::RiskScore::configured(
        r.risk_score.weights.as_ref(),
        r.risk_score.threshold,
    )?;
    let (max_quarantine_share, notice_quarantine_share) = IngestSettings::limits(
        raw.ingest.max_quarantine_share,
        raw.ingest.notice_quarantine_share,
    )?;
    Ok(Pipeline {
        file_hash,
        file: file.to_path_buf(),
        site_name: raw.site.name,
        language,
        store: resolve(base, &raw.store.path),
        ingest: IngestSettings {
            reporter_key,
            reporter_key_is_demo: raw.store.reporter_key_is_demo,
            sources,
            max_quarantine_share,
            notice_quarantine_share,
            earliest_date: match raw.ingest.earliest_date.as_deref() {
                None => crate::ingest::EARLIEST_DATE,
                Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                    format!("[ingest] earliest_date = \"{d}\": write a date like 1990-01-01")
                })?,
            },
        },
        today,
        top_leader_clue_deadline_days: at_least_one(
            "[aggregate] top_leader_clue_deadline_days",
            raw.aggregate.top_leader_clue_deadline_days,
            crate::aggregate::TOP_LEADER_CLUE_DEADLINE_DAYS,
        )?,
        engine: engine(raw.aggregate.engine.as_deref())?,
        concentration: conc::ConcentrationSettings::configured(
            c.q,
            c.min_expected,
            c.history_quarters,
            c.windows.as_deref(),
            c.window_weights.as_deref(),
            c.echo_cap_sd,
        )?,
        subtree_rise: crate::detect::subtree_rise::SubtreeSettings::configured(
            r.subtree_rise.q,
            r.subtree_rise.min_children,
            r.subtree_rise.child_cap_sd,
        )?,
        key_field: crate::detect::key_field::KeyFieldRisk::configured(
            r.key_field.window_quarters,
            r.key_field.q,
            r.key_field.min_records,
        )?,
        common_problem: crate::detect::common_problem::CommonProblem::configured(
            r.common_problem.history_quarters,
            r.common_problem.min_petitions,
            r.common_problem.alpha,
        )?,
        prominent: crate::detect::prominent::ProminentComplaints::configured(
            r.prominent_complaints.window_quarters,
            r.prominent_complaints.min_quarters,
            r.prominent_complaints.q,
        )?,
        conversion: crate::detect::conversion::LowConversion::configured(
            r.conversion.window_quarters,
            r.conversion.q,
            r.conversion.min_petitions,
        )?,
        follow_up: report::follow_up(raw.report.follow_up.as_deref(), risk.threshold)?,
        risk_score: risk,
        templates: report::templates(base, raw.report.templates.as_deref())?,
        packets: report::packets(&raw.packet)?,
        link: crate::aggregate::link::LinkRules::configured(
            raw.link.as_ref().and_then(|r| r.window_days),
            raw.link.as_ref().and_then(|r| r.similarity),
            raw.link.as_ref().and_then(|r| r.related_similarity),
        )?,
        supervision: crate::aggregate::supervision::SupervisionRules::configured(
            raw.supervision.as_ref(),
        )?,
        chain: crate::aggregate::chain::ChainRules::configured(
            raw.chain.as_ref().and_then(|c| c.window_days),
        )?,
        chart_min_expected: crate::render::inputs::min_expected(raw.report.chart_min_expected)?,
        charts: saved_charts(&raw.chart)?,
        loop_rules: {
            let l = raw.follow.as_ref();
            crate::detect::loop_rules::LoopSettings::configured(
                l.and_then(|l| l.action_days),
                l.and_then(|l| l.return_visit_days),
                l.and_then(|l| l.lookback_quarters),
                l.and_then(|l| l.high_from_days),
                l.and_then(|l| l.detectors.as_deref()),
            )?
        },
        rotation: crate::report::rotation::RotationRules::configured(
            raw.rotation.as_ref().and_then(|r| r.due_years),
            raw.rotation.as_ref().and_then(|r| r.overdue_years),
        )?,
        personal_matters: crate::sample::Rules::configured(raw.sample.personal_matters.as_ref())?,
        output: resolve(
            base,
            raw.report.output.as_deref().unwrap_or(defaults::OUTPUT),
        ),
        report_history_quarters: at_least_one(
            "[report] history_quarters",
            raw.report.history_quarters,
            defaults::REPORT_HISTORY_QUARTERS,
        )?,
        quarter_labels: match raw.report.quarter_labels.as_deref() {
            None | Some("code") => QuarterLabels::Code,
            Some("chinese") => QuarterLabels::Chinese,
            Some(other) => {
                return Err(format!(
                    "[report] quarter_labels = \"{other}\": use \"code\" (2024Q3) or \"chinese\" (2024年三季度)"
                ));
            }
        },
    })
}

/// `[[chart]]` entries: each a valid request with its own file name.
fn saved_charts(
    raw: &[crate::render::request::ChartOptions],
) -> Result<Vec<crate::render::request::ChartRequest>, String> {
    let mut names = std::collections::HashSet::new();
    raw.iter()
        .map(|c| {
            let name = c.name.trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
            {
                return Err(format!(
                    "[[chart]] name = \"{name}\": a file name of letters, digits, _ and -"
                ));
            }
            if !names.insert(name.to_string()) {
                return Err(format!("[[chart]] name = \"{name}\" is used twice"));
            }
            crate::render::request::ChartRequest::new(c)
                .map_err(|e| format!("[[chart]] {name}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[site]
name = "测试纪委"
[store]
path = "store"
[[source]]
dataset = "petitions"
path = "data/p_*.csv"
encoding = "gbk"
[source.columns]
"收件日期" = "received_on"
"#;

    #[test]
    fn minimal_file_gets_defaults_and_resolved_paths() {
        let p = Pipeline::from_toml(MINIMAL, Path::new("/etc/yanpan/site.toml")).expect("valid");
        assert_eq!(p.store, PathBuf::from("/etc/yanpan/store"));
        assert_eq!(p.ingest.sources[0].pattern, "/etc/yanpan/data/p_*.csv");
        assert_eq!(p.ingest.sources[0].encoding, Encoding::Gbk);
        assert_eq!(
            p.ingest.max_quarantine_share.get(),
            crate::ingest::MAX_QUARANTINE_SHARE
        );
        assert_eq!(p.language, Language::Zh);
        assert_eq!(p.output, PathBuf::from("/etc/yanpan/reports"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_the_reason() {
        let typo = MINIMAL.replace("[store]", "[store]\npth = 1");
        let e = Pipeline::from_toml(&typo, Path::new("p.toml")).expect_err("unknown key");
        assert!(e.to_string().contains("pth"), "{e}");
        let bad = MINIMAL.replace("\"received_on\"", "\"received\"");
        let e = Pipeline::from_toml(&bad, Path::new("p.toml")).expect_err("bad target");
        assert!(e.to_string().contains("received_on"), "{e}");
        let share = format!("{MINIMAL}\n[ingest]\nmax_quarantine_share = 1.5\n");
        let e = Pipeline::from_toml(&share, Path::new("p.toml")).expect_err("ratio");
        assert!(e.to_string().contains("between 0 and 1"), "{e}");
    }

    #[test]
    fn window_weights_are_normalised_defaulted_and_checked() {
        let with = |extra: &str| {
            Pipeline::from_toml(
                &format!("{MINIMAL}\n[detect.concentration]\n{extra}\n"),
                Path::new("p.toml"),
            )
        };
        let p = with("").expect("defaults");
        assert_eq!(p.concentration.window_weights, vec![0.6, 0.3, 0.1]);
        // Other windows without weights: equal shares.
        let p = with("windows = [1, 3]").expect("equal");
        assert_eq!(p.concentration.window_weights, vec![0.5, 0.5]);
        let p = with("windows = [1, 2]\nwindow_weights = [3, 1]").expect("normalised");
        assert_eq!(p.concentration.window_weights, vec![0.75, 0.25]);
        for bad in ["window_weights = [1, 1]", "window_weights = [1, 0, 1]"] {
            let e = with(bad).expect_err(bad);
            assert!(e.to_string().contains("window_weights"), "{e}");
        }
        assert_eq!(p.concentration.echo_cap_sd, 2.5, "the default");
        let p = with("echo_cap_sd = 1.5").expect("within bounds");
        assert_eq!(p.concentration.echo_cap_sd, 1.5);
        for bad in ["echo_cap_sd = 0.2", "echo_cap_sd = 11"] {
            let e = with(bad).expect_err(bad);
            assert!(e.to_string().contains("echo_cap_sd"), "{e}");
        }
    }
}
