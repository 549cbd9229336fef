#!/usr/bin/env bash
# The aggregation at national scale, side by side with DuckDB: builds the
# data with `yanpan synth`, loads it into a store (a year at a time), then
# runs benches/aggregate_duckdb.py (the same table as SQL: results compared
# cell by cell, both timed) and measures yanpan's peak memory.
#
#   benches/aggregate.sh year   [WORKDIR]   national year: ~4 million petitions (~5 min, ~2 GB)
#   benches/aggregate.sh decade [WORKDIR]   national decade: ~49 million petitions (~25 min, ~15 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
tier="${1:-year}"
work="${2:-/tmp/yanpan-bench-aggregate-$tier}"
case "$tier" in
  year) first=2024Q1; quarters=4 ;;
  decade) first=2015Q1; quarters=40 ;;
  *) echo "tier: year or decade" >&2; exit 2 ;;
esac
cargo build --release --quiet
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
bin="$target/release/yanpan"
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb
mkdir -p "$work"
cd "$work"

if [ ! -f data/units.csv ]; then
  "$bin" -q synth --seed 13 --out data --first "$first" --quarters "$quarters" --scale 40 --units 3000
fi
printf 'benchmark-key-0123456789abcdef\n' > bench.key
pipeline() { # $1: the sources beside units and leaders
  cat <<TOML
[site]
name = "benchmark"
[store]
path = "store"
reporter_key_file = "bench.key"
[ingest]
max_quarantine_share = 1.0
today = "2025-06-30"
[[source]]
dataset = "units"
path = "data/units.csv"
[[source]]
dataset = "leaders"
path = "data/leaders.csv"
$1
TOML
}
petitions() { printf '[[source]]\ndataset = "petitions"\npath = "%s"\n' "$1"; }
facts='[[source]]
dataset = "findings"
path = "data/findings_*.xlsx"
sheet = "巡察发现问题"
[[source]]
dataset = "cases"
path = "data/cases.csv"'
pipeline "$(petitions 'data/petitions_*.csv')
$facts" > all.toml
if [ ! -d store/petitions ]; then
  # One year per load, as a site would load its quarters: memory is bounded
  # by the largest file, not by the store.
  for f in data/petitions_*.csv; do
    pipeline "$(petitions "$f")" > one.toml
    /usr/bin/time -f "loaded $f in %e s, peak %M KB" "$bin" -q ingest one.toml
  done
  pipeline "$facts" > facts.toml
  /usr/bin/time -f "loaded findings and cases in %e s, peak %M KB" "$bin" -q ingest facts.toml
fi

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB; $(date -u +%F)"
python3 - <<'PY'
import duckdb
for d in ["petitions", "findings", "cases"]:
    n = duckdb.sql(f"select count(*) from read_parquet('store/{d}/*/*.parquet')").fetchall()[0][0]
    print(f"{d}: {n:,} rows in the store")
PY
python3 "$OLDPWD/benches/aggregate_duckdb.py" all.toml --quarter 2024Q4 --runs 5 --bin "$bin"
for i in 1 2 3; do
  /usr/bin/time -f "yanpan aggregate: %e s, peak %M KB" "$bin" -q aggregate all.toml --quarter 2024Q4
done
