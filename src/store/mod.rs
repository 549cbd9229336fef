//! The store (an edge): one Hive-partitioned Parquet dataset per contract
//! dataset, `store/<dataset>/quarter=2024Q3/part-0.parquet`, and the
//! reference datasets as `store/<dataset>/part-0.parquet`. Writes upsert by
//! record id; a dataset is written whole beside its folder and swapped in.

pub mod csv;
mod digest;
pub mod format;
pub mod frame;
pub mod lock;
pub mod queries;
pub mod swap;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::model::{Dataset, schema::col};
pub use digest::{sha256_file, sha256_hex};

const PART: &str = "part-0.parquet";
/// The record of the last ingest: every input with its SHA-256.
pub const STATE_FILE: &str = "ingest_state.json";
/// The rows the last ingest rejected, kept for runs that do not read again.
pub const QUARANTINE_FILE: &str = "quarantine.parquet";
/// The same rows for a spreadsheet.
pub const QUARANTINE_CSV: &str = "quarantine.csv";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("store {path}: {cause}")]
    Polars { path: PathBuf, cause: PolarsError },
    #[error(transparent)]
    Format(#[from] format::FormatError),
    #[error(
        "the store {path} holds no {dataset}: give the pipeline a [[source]] with dataset = \"{dataset}\" and run again (or run yanpan ingest, if it has one)"
    )]
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
        cause: source,
    }
}

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Store { root: root.into() }
    }

    /// The store at `root`, if this yanpan can read its format.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let store = Store::new(root);
        format::check(&store.root)?;
        Ok(store)
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The ids of the stored units.
    pub fn unit_ids(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        let units = self
            .scan(Dataset::Units)?
            .select([col("unit_id").cast(DataType::String)])
            .collect()
            .map_err(self.polars(Dataset::Units))?;
        let ids = units
            .column("unit_id")
            .and_then(|c| c.str().cloned())
            .map_err(self.polars(Dataset::Units))?;
        Ok(ids.iter().flatten().map(str::to_string).collect())
    }

    /// Keeps the last ingest's record: the rejected rows (Parquet and CSV)
    /// and what was read (`state`, JSON).
    pub fn keep_ingest_record(
        &self,
        quarantine: &DataFrame,
        state: &str,
    ) -> Result<(), StoreError> {
        write_parquet(&self.root.join(QUARANTINE_FILE), quarantine.clone())?;
        let csv_path = self.root.join(QUARANTINE_CSV);
        let csv = csv::frame_csv(quarantine).map_err(|source| StoreError::Polars {
            path: csv_path.clone(),
            cause: source,
        })?;
        fs::write(&csv_path, csv).map_err(io(&csv_path))?;
        let state_path = self.root.join(STATE_FILE);
        fs::write(&state_path, state).map_err(io(&state_path))
    }

    pub fn dir(&self, d: Dataset) -> PathBuf {
        self.root.join(d.name())
    }

    fn polars<'a>(&'a self, d: Dataset) -> impl FnOnce(PolarsError) -> StoreError + 'a {
        move |source| StoreError::Polars {
            path: self.dir(d),
            cause: source,
        }
    }

    /// Whether the store holds `d`.
    pub fn has(&self, d: Dataset) -> bool {
        self.dir(d).is_dir() && !self.partitions(d).unwrap_or_default().is_empty()
    }

    /// The Parquet files holding `d`, sorted (none when it is not stored).
    pub fn partitions(&self, d: Dataset) -> Result<Vec<PathBuf>, StoreError> {
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
        let lf = LazyFrame::scan_parquet(path.as_str().into(), args).map_err(self.polars(d))?;
        Ok(lf.with_columns(d.storage_casts()))
    }

    /// A lazy scan of `d`, or `None` when the store does not hold it.
    pub fn scan_optional(&self, d: Dataset) -> Result<Option<LazyFrame>, StoreError> {
        self.has(d).then(|| self.scan(d)).transpose()
    }

    /// Where a derived table (`unit_quarter`, …) lives: `store/derived/<name>.parquet`.
    pub fn derived_path(&self, name: &str) -> PathBuf {
        self.root.join("derived").join(format!("{name}.parquet"))
    }

    /// Replaces every derived table, each on its own core.
    pub fn write_derived_all(&self, tables: &[(&str, DataFrame)]) -> Result<(), StoreError> {
        use rayon::prelude::*;
        format::mark(&self.root)?;
        tables
            .par_iter()
            .try_for_each(|(name, table)| self.write_derived(name, table.clone()))
    }

    /// Replaces a derived table (written beside its name, then renamed).
    pub fn write_derived(&self, name: &str, df: DataFrame) -> Result<(), StoreError> {
        write_parquet(&self.derived_path(name), df)
    }

    /// Upserts `new` (contract columns, plus `quarter` for facts) into `d`.
    /// Only the partitions that `new` touches are read and rewritten: the
    /// quarters of its rows, and the quarters where its ids were stored
    /// before (a record whose date moved it to another quarter). The others
    /// are carried over unchanged (hard-linked into the new version).
    pub fn upsert(&self, d: Dataset, new: &DataFrame) -> Result<Upsert, StoreError> {
        let id = d.id_column();
        let new = &new
            .clone()
            .lazy()
            .with_columns(d.storage_casts())
            .collect()
            .map_err(self.polars(d))?;
        let mut report = Upsert {
            dataset: d.name(),
            ..Default::default()
        };
        if new.height() == 0 && !self.has(d) {
            // Nothing to keep, nothing to add: the store stays without it.
            return Ok(report);
        }
        if !(self.has(d) && d.quarter_date().is_some()) {
            // A reference dataset (units, leaders) is replaced whole; the
            // report says how its rows compare with the stored ones.
            let old = match self.has(d) {
                true => Some(self.scan(d)?.collect().map_err(self.polars(d))?),
                false => None,
            };
            let (inserted, changed, unchanged) = match &old {
                Some(old) => compare_whole(old, new, d).map_err(self.polars(d))?,
                None => (new.height() as u64, 0, 0),
            };
            report.inserted = inserted;
            report.changed = changed;
            report.unchanged = unchanged;
            report.total = new.height() as u64;
            // Exports usually come in id order: then there is nothing to sort.
            let ids = new
                .column(id)
                .and_then(|c| c.str().cloned())
                .map_err(self.polars(d))?;
            let ordered = ids.iter().zip(ids.iter().skip(1)).all(|(a, b)| a <= b);
            let all = if ordered {
                new.clone()
            } else {
                new.sort([id], Default::default()).map_err(self.polars(d))?
            };
            self.write_partitions(d, all, None)?;
            return Ok(report);
        }
        let quarters_of = |df: DataFrame| -> Result<BTreeSet<String>, StoreError> {
            Ok(df
                .column(col::QUARTER)
                .and_then(|c| c.str().cloned())
                .map_err(self.polars(d))?
                .iter()
                .flatten()
                .map(str::to_string)
                .collect())
        };
        let new_ids = new.select([id]).map_err(self.polars(d))?;
        let mut touched = quarters_of(new.select([col::QUARTER]).map_err(self.polars(d))?)?;
        // Only stored ids within the new ones' range can be among them: the
        // filter lets the scan skip every row group whose ids (sorted in
        // each partition, with their bounds in the footer) lie outside,
        // so a new year's load does not read the decade's ids.
        let ids = new_ids.column(id).map_err(self.polars(d))?;
        let (first, last) = (ids.min_reduce(), ids.max_reduce());
        let within = col(id)
            .gt_eq(lit(first.map_err(self.polars(d))?))
            .and(col(id).lt_eq(lit(last.map_err(self.polars(d))?)));
        let moved = self
            .scan(d)?
            .select([col(id), col(col::QUARTER)])
            .filter(within)
            .join(
                new_ids.clone().lazy(),
                [col(id)],
                [col(id)],
                JoinArgs::new(JoinType::Semi),
            )
            .select([col(col::QUARTER)])
            .unique(None, UniqueKeepStrategy::Any)
            .collect_with_engine(Engine::Streaming)
            .map(|r| r.unwrap_single())
            .map_err(self.polars(d))?;
        touched.extend(quarters_of(moved)?);
        let touched_series = Series::new(
            col::QUARTER.into(),
            touched.iter().cloned().collect::<Vec<_>>(),
        );
        let old = self
            .scan(d)?
            .filter(col(col::QUARTER).is_in(lit(touched_series).implode(false), false))
            .collect()
            .map_err(self.polars(d))?;
        let (changed, unchanged) = compare(&old, new, d).map_err(self.polars(d))?;
        report.changed = changed;
        report.unchanged = unchanged;
        report.inserted = new.height() as u64 - changed - unchanged;
        let kept = old
            .lazy()
            .join(
                new_ids.lazy(),
                [col(id)],
                [col(id)],
                JoinArgs::new(JoinType::Anti),
            )
            .collect()
            .map_err(self.polars(d))?
            .select(new.get_column_names_owned())
            .map_err(self.polars(d))?;
        let merged = kept
            .vstack(new)
            .and_then(|m| m.sort([id], Default::default()))
            .map_err(self.polars(d))?;
        let rewritten = merged.height() as u64;
        let carried = self.rows_outside(d, &touched)?;
        report.total = rewritten + carried;
        self.write_partitions(d, merged, Some(&touched))?;
        Ok(report)
    }

    /// Rows of `d` in partitions other than `quarters` (from the Parquet
    /// footers, without reading the data).
    fn rows_outside(&self, d: Dataset, quarters: &BTreeSet<String>) -> Result<u64, StoreError> {
        let mut rows = 0u64;
        for part in self.partitions(d)? {
            let q = partition_quarter(&part);
            if q.is_some_and(|q| !quarters.contains(q)) {
                let file = fs::File::open(&part).map_err(io(&part))?;
                let mut reader = ParquetReader::new(file);
                rows += reader.num_rows().map_err(self.polars(d))? as u64;
            }
        }
        Ok(rows)
    }

    /// Writes a new version of the dataset into a staging folder beside its
    /// final place, then swaps the folders: readers see the old dataset or
    /// the new one, never a mix. `df` replaces the partitions in `replace`
    /// (all of them when `None`); the others are hard-linked (or copied)
    /// from the current version.
    fn write_partitions(
        &self,
        d: Dataset,
        df: DataFrame,
        replace: Option<&BTreeSet<String>>,
    ) -> Result<(), StoreError> {
        let dir = self.dir(d);
        let staging = swap::staging_path(&dir, std::process::id());
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
        fs::create_dir_all(&staging).map_err(io(&staging))?;
        if let Some(replace) = replace {
            for part in self.partitions(d)? {
                let Some(q) = partition_quarter(&part) else {
                    continue;
                };
                if replace.contains(q) {
                    continue;
                }
                let target = staging.join(format!("{}={q}", col::QUARTER)).join(PART);
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(io(parent))?;
                }
                if fs::hard_link(&part, &target).is_err() {
                    fs::copy(&part, &target).map_err(io(&part))?;
                }
            }
        }
        if d.quarter_date().is_some() {
            let parts = df
                .partition_by_stable([col::QUARTER], true)
                .map_err(self.polars(d))?;
            // Partitions are independent files: written at once.
            use rayon::prelude::*;
            parts
                .into_par_iter()
                .map(|part| -> Result<(), StoreError> {
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
                    )
                })
                .collect::<Result<(), StoreError>>()?;
        } else {
            write_parquet(&staging.join(PART), df)?;
        }
        swap::swap_in(&staging, &dir, swap::SwapKind::Store).map_err(io(&dir))
    }
}

/// The quarter of a partition file's folder (`quarter=2024Q3/part-0.parquet`).
fn partition_quarter(part: &Path) -> Option<&str> {
    part.parent()?
        .file_name()?
        .to_str()?
        .strip_prefix(col::QUARTER)?
        .strip_prefix('=')
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

/// A replaced dataset's rows against the stored ones: (inserted: an id not
/// stored before, changed: a stored id whose row differs, unchanged: a row
/// stored as it is). Ids need not be unique (a leader's tenures).
fn compare_whole(old: &DataFrame, new: &DataFrame, d: Dataset) -> PolarsResult<(u64, u64, u64)> {
    let cols: Vec<&str> = d
        .columns()
        .iter()
        .map(|c| c.name)
        .filter(|c| old.column(c).is_ok() && new.column(c).is_ok())
        .collect();
    let keys = |df: &DataFrame| -> PolarsResult<Vec<String>> {
        let texts: Vec<StringChunked> = cols
            .iter()
            .map(|c| df.column(c)?.cast(&DataType::String)?.str().cloned())
            .collect::<PolarsResult<_>>()?;
        Ok((0..df.height())
            .map(|i| {
                texts
                    .iter()
                    .map(|t| t.get(i).unwrap_or("\u{0}"))
                    .collect::<Vec<_>>()
                    .join("\u{1f}")
            })
            .collect())
    };
    let ids = |df: &DataFrame| -> PolarsResult<Vec<Option<String>>> {
        Ok(df
            .column(d.id_column())?
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    };
    let stored_rows: std::collections::HashSet<String> = keys(old)?.into_iter().collect();
    let stored_ids: std::collections::HashSet<Option<String>> = ids(old)?.into_iter().collect();
    let (mut inserted, mut changed, mut unchanged) = (0, 0, 0);
    for (row, id) in keys(new)?.iter().zip(ids(new)?) {
        if stored_rows.contains(row) {
            unchanged += 1;
        } else if stored_ids.contains(&id) {
            changed += 1;
        } else {
            inserted += 1;
        }
    }
    Ok((inserted, changed, unchanged))
}

/// Reads a whole Parquet file (a derived table, a published table).
pub fn read_parquet(path: &Path) -> Result<DataFrame, StoreError> {
    LazyFrame::scan_parquet(path.to_string_lossy().as_ref().into(), Default::default())
        .and_then(LazyFrame::collect)
        .map_err(|source| StoreError::Polars {
            path: path.to_path_buf(),
            cause: source,
        })
}

/// Writes beside `path`, then renames over it: a reader sees the old file
/// or the new one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
}

/// Writes `df` as Parquet (zstd) beside `path`, then renames it into place.
pub fn write_parquet(path: &Path, mut df: DataFrame) -> Result<(), StoreError> {
    let io_err = |source| StoreError::Io {
        path: path.to_path_buf(),
        cause: source,
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
            cause: source,
        })?;
    fs::rename(&tmp, path).map_err(io_err)
}

/// `df` as Parquet bytes (zstd), the same bytes `write_parquet` writes.
pub fn parquet_bytes(mut df: DataFrame) -> PolarsResult<Vec<u8>> {
    // The same rows give the same bytes, however the engine chunked them.
    df.rechunk_mut();
    let mut out = Vec::new();
    ParquetWriter::new(&mut out)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)?;
    Ok(out)
}
