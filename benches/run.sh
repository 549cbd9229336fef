#!/usr/bin/env bash
# The whole quarterly run at a scale tier: builds the data with `yanpan
# synth`, runs `yanpan run` on a fresh store, and prints each stage's time
# (from the run's manifest), the wall time and the peak memory (GNU time);
# then the same quarter again, confirmed as up to date, and recomputed.
# Then, on the same files, benches/peers.py times the same ingest plus
# aggregation of the petitions in DuckDB and Python polars and prints the
# ratios.
#
#   benches/run.sh city     [WORKDIR]   ~100,000 petitions a year, 1 year
#   benches/run.sh province [WORKDIR]   ~1 million petitions, 1 year
#   benches/run.sh year     [WORKDIR]   national year: ~4 million petitions
#   benches/run.sh decade   [WORKDIR]   national decade: ~40 million petitions (9 GB of CSV)
set -euo pipefail
cd "$(dirname "$0")/.."
tier="${1:-city}"
work="${2:-/tmp/yanpan-bench-run-$tier}"
case "$tier" in
  city) synth=(--first 2024Q1 --quarters 4 --scale 1) ;;
  province) synth=(--first 2024Q1 --quarters 4 --scale 10 --units 1500) ;;
  year) synth=(--first 2024Q1 --quarters 4 --scale 40 --units 3000) ;;
  decade) synth=(--first 2015Q1 --quarters 40 --scale 40 --units 3000) ;;
  *) echo "tier: city, province, year or decade" >&2; exit 2 ;;
esac
cargo build --release --quiet
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
bin="$target/release/yanpan"
repo="$(pwd)"
mkdir -p "$work"
cd "$work"
[ -f data/supervision.csv ] || "$bin" -q synth --seed 13 --out data "${synth[@]}"
printf 'benchmark-key-0123456789abcdef\n' > bench.key
last=$(ls data/petitions_*.csv | sed 's/.*petitions_\([0-9]*\).csv/\1/' | sort | tail -1)
cat > run.toml <<TOML
[site]
name = "基准测试市纪委监委"
[store]
path = "store"
reporter_key_file = "bench.key"
[ingest]
max_quarantine_share = 1.0
today = "2099-12-31"
[report]
output = "reports"
[[source]]
dataset = "units"
path = "data/units.csv"
[[source]]
dataset = "leaders"
path = "data/leaders.csv"
[[source]]
dataset = "petitions"
path = "data/petitions_*.csv"
[source.columns]
"收件日期" = "received_on"
"反映内容" = "summary"
[[source]]
dataset = "findings"
path = "data/findings_*.xlsx"
sheet = "巡察发现问题"
[[source]]
dataset = "cases"
path = "data/cases.csv"
[[source]]
dataset = "supervision"
path = "data/supervision.csv"
[[packet]]
id = "committee-head"
recipient = "委主要负责同志"
kind = "committee_head"
TOML
rm -rf store reports feed
if [ "$tier" = decade ]; then
  # As a site loads a decade: one more year of petitions at each step; the
  # other inputs are unchanged, so only the new file is read.
  mkdir -p feed
  sed -i 's#data/petitions_\*.csv#feed/petitions_*.csv#' run.toml
  for f in data/petitions_*.csv; do
    y=$(basename "$f" .csv | sed 's/petitions_//')
    ln -sf "../$f" "feed/petitions_$y.csv"
    /usr/bin/time -v "$bin" -q run run.toml --quarter "${y}Q4" --stages ingest > /dev/null 2> "time-$y.log"
    echo "load $y: $(grep -E 'Elapsed' "time-$y.log" | sed 's/.*: //') wall, $(grep -E 'Maximum resident' "time-$y.log" | sed 's/.*: //') KB peak"
  done
fi
echo "== yanpan run, $tier tier ($(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GB)"
/usr/bin/time -v "$bin" run run.toml --quarter "${last}Q4" 2> time.log | tee run.out
grep -E "Elapsed|Maximum resident|User time|System time" time.log
python3 - <<'PY'
import json
m = json.load(open(sorted(__import__("glob").glob("reports/*/manifest.json"))[-1]))
print("stages:", ", ".join(f"{s} {t:.1f} s" for s, t in m["stage_seconds"]))
print("rows read:", sum(i["rows_read"] for i in m["inputs"]))
PY
echo "== the same quarter again (inputs unchanged): the publication is confirmed"
/usr/bin/time -v "$bin" -q run run.toml --quarter "${last}Q4" 2> time2.log | grep -E "done in|published"
grep -E "Elapsed|Maximum resident|User time|System time" time2.log
echo "== the same quarter again, every stage recomputed (--recompute)"
/usr/bin/time -v "$bin" -q run run.toml --quarter "${last}Q4" --recompute 2> time3.log | grep -E "done in|stages"
grep -E "Elapsed|Maximum resident|User time|System time" time3.log
if [ "$tier" != decade ]; then
  echo "== petitions ingest + aggregation beside DuckDB and Python polars"
  python3 -c 'import duckdb, polars, pyarrow' 2>/dev/null || python3 -m pip install --quiet duckdb polars pyarrow
  python3 "$repo/benches/peers.py" --data data --runs 3 --bin "$bin"
fi
