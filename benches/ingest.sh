#!/usr/bin/env bash
# Ingest throughput at a synthetic national-scale year (about 4 million
# petitions): CSV, and Excel (one quarter, about a million rows in one sheet).
# Prints rows per second and peak memory for `yanpan validate` (read, map,
# coerce, validate; nothing written) and `yanpan ingest` (the same, plus the
# Parquet store).
#
#   benches/ingest.sh [WORKDIR]      (default: a folder under /tmp; needs ~2 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/yanpan-bench-ingest}"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/yanpan"
mkdir -p "$work"

if [ ! -f "$work/csv/petitions_2024.csv" ]; then
  "$bin" -q synth --seed 11 --out "$work/csv" --first 2024Q1 --quarters 4 --scale 40 --units 3000
fi
if [ ! -f "$work/xlsx/petitions_2024Q1.xlsx" ]; then
  "$bin" -q synth --seed 11 --out "$work/xlsx" --first 2024Q1 --quarters 1 --scale 40 --units 3000 --petitions-xlsx
fi

pipeline() { # $1 folder, $2 petitions glob
  printf 'benchmark-key-0123456789abcdef\n' > "$1/bench.key"
  cat > "$1/bench.toml" <<TOML
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
path = "units.csv"
[[source]]
dataset = "petitions"
path = "$2"
TOML
}

measure() { # $1 label, $2 command...
  local label="$1"; shift
  local rows secs mem
  /usr/bin/time -f '%e %M' -o /tmp/yanpan-bench-time "$@" >/tmp/yanpan-bench-stdout 2>/dev/null || true
  read -r secs mem < /tmp/yanpan-bench-time
  rows=$(grep -o 'read [0-9]* rows' /tmp/yanpan-bench-stdout | grep -o '[0-9]*')
  printf '%-36s %9s rows %7.2f s %10.0f rows/s  peak %6.0f MB\n' "$label" "$rows" "$secs" "$(echo "$rows / $secs" | bc -l)" "$(echo "$mem / 1024" | bc -l)"
}

pipeline "$work/csv" "petitions_*.csv"
pipeline "$work/xlsx" "petitions_*.xlsx"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB; $(date -u +%F)"
for i in 1 2 3; do
  measure "validate csv (national year)" "$bin" -q validate "$work/csv/bench.toml"
done
for i in 1 2 3; do
  rm -rf "$work/csv/store"
  measure "ingest csv -> store (national year)" "$bin" -q ingest "$work/csv/bench.toml"
done
for i in 1 2 3; do
  measure "validate xlsx (one quarter)" "$bin" -q validate "$work/xlsx/bench.toml"
done
