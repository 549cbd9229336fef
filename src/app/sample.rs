//! `yanpan sample personal-matters`: the leaders in office from the store,
//! last year's sample, the draw (pure, `sample/`), and the list written as
//! Parquet and a workbook with a record of the seed and the list's hash.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use polars::prelude::*;

use super::UsageError;
use crate::config::Pipeline;
use crate::model::{Dataset, UnitLevel};
use crate::sample::{self, Candidate, Drawn};
use crate::store::frame::{polars_ctx, strings};
use crate::store::sha256_hex;
use crate::store::{self, Store};

/// What a draw produced.
#[derive(Debug, Clone)]
pub struct SampleSummary {
    pub year: i32,
    pub seed: u64,
    pub eligible: usize,
    pub per_reason: BTreeMap<&'static str, usize>,
    pub excluded: usize,
    pub list_sha256: String,
    pub files: Vec<PathBuf>,
}

/// The leaders in office on `day`, with their unit's name and level.
fn candidates(store: &Store, day: NaiveDate) -> Result<Vec<Candidate>> {
    let leaders = polars_ctx(
        store::queries::leaders_in_office(store, day)?.collect(),
        "leaders in office",
    )?;
    let units = polars_ctx(store.scan(Dataset::Units)?.collect(), "units")?;
    let (ids, names, levels) = (
        strings(&units, "unit_id")?,
        strings(&units, "name")?,
        strings(&units, "level")?,
    );
    let unit: BTreeMap<&str, (&str, &str)> = ids
        .iter()
        .zip(names.iter().zip(levels.iter()))
        .map(|(i, (n, l))| (i.as_str(), (n.as_str(), l.as_str())))
        .collect();
    let (people, at, role, rank) = (
        strings(&leaders, "person_id")?,
        strings(&leaders, "unit_id")?,
        strings(&leaders, "role")?,
        strings(&leaders, "rank")?,
    );
    Ok((0..leaders.height())
        .map(|i| {
            let (name, level) = unit.get(at[i].as_str()).copied().unwrap_or(("", ""));
            Candidate {
                person_id: people[i].clone(),
                unit_id: at[i].clone(),
                unit_name: name.to_string(),
                role: role[i].clone(),
                rank: rank[i].clone(),
                district: level == UnitLevel::District.code(),
            }
        })
        .collect())
}

fn frame(drawn: &[Drawn], rules: &sample::Rules) -> PolarsResult<DataFrame> {
    let col = |name: &str, f: &dyn Fn(&Drawn) -> String| {
        Column::new(name.into(), drawn.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new(
        drawn.len(),
        vec![
            col("person_id", &|d| d.candidate.person_id.clone()),
            col("unit_id", &|d| d.candidate.unit_id.clone()),
            col("unit_name", &|d| d.candidate.unit_name.clone()),
            col("role", &|d| d.candidate.role.clone()),
            col("rank", &|d| d.candidate.rank.clone()),
            col("reason", &|d| d.reason.code().to_string()),
            col("reason_zh", &|d| d.reason.zh(rules)),
        ],
    )
}

fn fresh_seed() -> Result<u64> {
    let seed =
        getrandom::u64().map_err(|e| anyhow::anyhow!("no random seed from the system: {e}"))?;
    Ok(seed >> 11)
}

/// `yanpan sample personal-matters PIPELINE --year Y [--seed S]`.
pub fn sample(kind: &str, pipeline: &Path, year: i32, seed: Option<u64>) -> Result<SampleSummary> {
    if kind != "personal-matters" {
        return Err(UsageError(format!("no sample {kind}; samples: personal-matters")).into());
    }
    let p = Pipeline::load(pipeline)?;
    let day = NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| UsageError(format!("--year {year} is not a year")))?;
    let store = Store::open(&p.store)?;
    let people = candidates(&store, day)?;
    if people.is_empty() {
        return Err(UsageError(format!(
            "no leader in office on {day} in {}: ingest the leaders first",
            p.store.display()
        ))
        .into());
    }
    let dir = p.output.join("sample");
    let previous = dir.join(format!("personal_matters_{}.parquet", year - 1));
    let excluded: HashSet<String> =
        if p.personal_matters.exclude_previous_year && previous.is_file() {
            let last = store::read_parquet(&previous)?;
            let (ids, reasons) = (strings(&last, "person_id")?, strings(&last, "reason")?);
            ids.into_iter()
                .zip(reasons)
                .filter(|(_, r)| r != sample::Reason::DistrictHead.code())
                .map(|(i, _)| i)
                .collect()
        } else {
            HashSet::new()
        };
    let seed = match seed {
        Some(s) => s,
        None => fresh_seed()?,
    };
    let drawn = sample::draw(&people, &p.personal_matters, seed, &excluded);
    let df = polars_ctx(frame(&drawn, &p.personal_matters), "sample table")?;
    let list: String = drawn
        .iter()
        .map(|d| format!("{},{}\n", d.candidate.person_id, d.reason.code()))
        .collect();
    let list_sha256 = sha256_hex(list.as_bytes());
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let stem = dir.join(format!("personal_matters_{year}"));
    let parquet = stem.with_extension("parquet");
    let xlsx = stem.with_extension("xlsx");
    let record = stem.with_extension("json");
    store::write_parquet(&parquet, df.clone())?;
    std::fs::write(
        &xlsx,
        crate::report::xlsx::bytes("抽查名单", &[("抽查名单", &df)])?,
    )
    .with_context(|| format!("writing {}", xlsx.display()))?;
    let mut per_reason: BTreeMap<&'static str, usize> = BTreeMap::new();
    for d in &drawn {
        *per_reason.entry(d.reason.code()).or_default() += 1;
    }
    let rules = &p.personal_matters;
    std::fs::write(
        &record,
        serde_json::to_string_pretty(&serde_json::json!({
            "yanpan_version": env!("CARGO_PKG_VERSION"),
            "sample": "personal_matters",
            "year": year,
            "in_office_on": day.to_string(),
            "seed": seed,
            "rules": {
                "city_managed_rate": rules.city_managed_rate,
                "top_leader_rate": rules.top_leader_rate,
                "all_district_heads": rules.all_district_heads,
                "exclude_previous_year": rules.exclude_previous_year,
            },
            "eligible": people.len(),
            "excluded_from_last_year": excluded.len(),
            "drawn_per_reason": per_reason,
            "drawn": drawn.len(),
            "list_sha256": list_sha256,
            "pipeline_sha256": p.file_hash,
        }))?,
    )?;
    Ok(SampleSummary {
        year,
        seed,
        eligible: people.len(),
        per_reason,
        excluded: excluded.len(),
        list_sha256,
        files: vec![parquet, xlsx, record],
    })
}
