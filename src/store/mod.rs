//! The store (an edge): one Hive-partitioned Parquet dataset per contract
//! dataset, `store/<dataset>/quarter=2024Q3/part-0.parquet`, and the
//! reference datasets as `store/<dataset>/part-0.parquet`. Writes upsert by
//! record id; a dataset is written whole beside its folder and swapped in.

use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::model::{Dataset, schema::col};

const PART: &str = "part-0.parquet";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("store {path}: {source}")]
    Polars { path: PathBuf, source: PolarsError },
    #[error("store {path}: no {dataset} data; run ingest first")]
    Missing {
        path: PathBuf,
        dataset: &'static str,
    },
}

/// What an upsert did to one dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Upsert {
    pub dataset: &'static str,
    /// Ids not in the store before.
    pub inserted: u64,
    /// Ids already stored whose row changed.
    pub changed: u64,
    /// Ids already stored with the same row.
    pub unchanged: u64,
    /// Rows in the dataset after the upsert.
    pub total: u64,
}

/// A store folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Store { root: root.into() }
    }

    pub fn dir(&self, d: Dataset) -> PathBuf {
        self.root.join(d.name())
    }

    fn polars<'a>(&'a self, d: Dataset) -> impl FnOnce(PolarsError) -> StoreError + 'a {
        move |source| StoreError::Polars {
            path: self.dir(d),
            source,
        }
    }

    /// Whether the store holds `d`.
    pub fn has(&self, d: Dataset) -> bool {
        self.dir(d).is_dir() && !self.part_files(d).unwrap_or_default().is_empty()
    }

    fn part_files(&self, d: Dataset) -> Result<Vec<PathBuf>, StoreError> {
        let dir = self.dir(d);
        let mut out = Vec::new();
        if !dir.is_dir() {
            return Ok(out);
        }
        let mut stack = vec![dir];
        while let Some(p) = stack.pop() {
            for e in fs::read_dir(&p).map_err(io(&p))? {
                let path = e.map_err(io(&p))?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.file_name().is_some_and(|n| n == PART) {
                    out.push(path);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// A lazy scan of `d` (with `quarter` from the partition path for facts).
    pub fn scan(&self, d: Dataset) -> Result<LazyFrame, StoreError> {
        if !self.has(d) {
            return Err(StoreError::Missing {
                path: self.root.clone(),
                dataset: d.name(),
            });
        }
        let dir = self.dir(d);
        let mut args = ScanArgsParquet::default();
        if d.quarter_date().is_some() {
            let schema = Schema::from_iter([Field::new(col::QUARTER.into(), DataType::String)]);
            args.hive_options = HiveOptions {
                enabled: Some(true),
                hive_start_idx: 0,
                schema: Some(Arc::new(schema)),
                try_parse_dates: false,
            };
        }
        let path = dir.to_string_lossy().into_owned();
        LazyFrame::scan_parquet(path.as_str().into(), args).map_err(self.polars(d))
    }

    /// A lazy scan of `d`, or `None` when the store does not hold it.
    pub fn scan_optional(&self, d: Dataset) -> Result<Option<LazyFrame>, StoreError> {
        self.has(d).then(|| self.scan(d)).transpose()
    }

    /// Where a derived table (`unit_quarter`, …) lives: `store/derived/<name>.parquet`.
    pub fn derived_path(&self, name: &str) -> PathBuf {
        self.root.join("derived").join(format!("{name}.parquet"))
    }

    /// Replaces a derived table (written beside its name, then renamed).
    pub fn write_derived(&self, name: &str, df: DataFrame) -> Result<(), StoreError> {
        write_parquet(&self.derived_path(name), df)
    }

    /// Reads all of `d`, sorted by id.
    pub fn read(&self, d: Dataset) -> Result<DataFrame, StoreError> {
        self.scan(d)?
            .sort([d.id_column()], Default::default())
            .collect()
            .map_err(self.polars(d))
    }

    /// Upserts `new` (contract columns, plus `quarter` for facts) into `d`.
    pub fn upsert(&self, d: Dataset, new: &DataFrame) -> Result<Upsert, StoreError> {
        let id = d.id_column();
        let mut report = Upsert {
            dataset: d.name(),
            ..Default::default()
        };
        let merged = if self.has(d) && d.quarter_date().is_some() {
            let old = self.read(d)?;
            let (changed, unchanged) = compare(&old, new, d).map_err(self.polars(d))?;
            report.changed = changed;
            report.unchanged = unchanged;
            report.inserted = new.height() as u64 - changed - unchanged;
            let kept = old
                .lazy()
                .join(
                    new.clone().lazy().select([col(id)]),
                    [col(id)],
                    [col(id)],
                    JoinArgs::new(JoinType::Anti),
                )
                .collect()
                .map_err(self.polars(d))?;
            let kept = kept
                .select(new.get_column_names_owned())
                .map_err(self.polars(d))?;
            kept.vstack(new).map_err(self.polars(d))?
        } else {
            report.inserted = new.height() as u64;
            new.clone()
        };
        let merged = merged
            .sort([id], Default::default())
            .map_err(self.polars(d))?;
        report.total = merged.height() as u64;
        self.write_partitions(d, merged)?;
        Ok(report)
    }

    /// Writes the whole dataset into a staging folder beside its final
    /// place, then swaps the folders: readers see the old dataset or the
    /// new one, never a mix.
    fn write_partitions(&self, d: Dataset, df: DataFrame) -> Result<(), StoreError> {
        let dir = self.dir(d);
        let pid = std::process::id();
        let staging = self.root.join(format!(".{}.staging-{pid}", d.name()));
        let old = self.root.join(format!(".{}.old-{pid}", d.name()));
        for leftover in [&staging, &old] {
            if leftover.exists() {
                fs::remove_dir_all(leftover).map_err(io(leftover))?;
            }
        }
        if d.quarter_date().is_some() {
            let parts = df
                .partition_by_stable([col::QUARTER], true)
                .map_err(self.polars(d))?;
            for part in parts {
                let q = part
                    .column(col::QUARTER)
                    .map_err(self.polars(d))?
                    .str()
                    .map_err(self.polars(d))?
                    .get(0)
                    .unwrap_or("")
                    .to_string();
                let part = part.drop(col::QUARTER).map_err(self.polars(d))?;
                write_parquet(
                    &staging.join(format!("{}={q}", col::QUARTER)).join(PART),
                    part,
                )?;
            }
        } else {
            write_parquet(&staging.join(PART), df)?;
        }
        let had_old = dir.exists();
        if had_old {
            fs::rename(&dir, &old).map_err(io(&dir))?;
        }
        if let Err(source) = fs::rename(&staging, &dir) {
            if had_old {
                fs::rename(&old, &dir).map_err(io(&old))?;
            }
            return Err(StoreError::Io { path: dir, source });
        }
        if had_old {
            fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        Ok(())
    }
}

/// Among `new`'s ids already in `old`: how many rows differ, how many are equal.
fn compare(old: &DataFrame, new: &DataFrame, d: Dataset) -> PolarsResult<(u64, u64)> {
    let id = d.id_column();
    let cols: Vec<&str> = d
        .columns()
        .iter()
        .map(|c| c.name)
        .filter(|c| *c != id)
        .collect();
    let old_renamed: Vec<Expr> = std::iter::once(col(id))
        .chain(cols.iter().map(|c| col(*c).alias(format!("{c}__old"))))
        .collect();
    let joined = new.clone().lazy().join(
        old.clone().lazy().select(old_renamed),
        [col(id)],
        [col(id)],
        JoinArgs::new(JoinType::Inner),
    );
    let differs = cols
        .iter()
        .map(|c| col(*c).eq_missing(col(format!("{c}__old"))).not())
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let out = joined.select([differs.alias("d")]).collect()?;
    let d = out.column("d")?.bool()?;
    let changed = d.sum().unwrap_or(0) as u64;
    Ok((changed, out.height() as u64 - changed))
}

/// Writes `df` as Parquet (zstd) beside `path`, then renames it into place.
pub fn write_parquet(path: &Path, mut df: DataFrame) -> Result<(), StoreError> {
    let io_err = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err)?;
    }
    // The same rows give the same bytes, however the engine chunked them.
    df.rechunk_mut();
    let tmp = path.with_extension("parquet.tmp");
    let file = fs::File::create(&tmp).map_err(io_err)?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)
        .map_err(|source| StoreError::Polars {
            path: path.to_path_buf(),
            source,
        })?;
    fs::rename(&tmp, path).map_err(io_err)
}
