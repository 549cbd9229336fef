#!/usr/bin/env python3
"""Ingest plus aggregation of the petition exports, side by side: yanpan
(`yanpan run --stages ingest,aggregate` into a fresh store), DuckDB and
Python polars doing the same work on the same files in this script:
decode the export (GBK or UTF-8), parse the CSV, map the Chinese labels to
codes, derive the quarter, and count per unit and quarter the petition
metrics of yanpan's unit x quarter table (petitions, about top leaders and
members, signed, repeat, clues, top-leader clues, disposed clues, and by
class, channel, discipline and key field). The three tables are compared
cell by cell; the script exits non-zero if any differs.

    python3 -m pip install duckdb polars     # once, from the Python registry
    benches/peers.py --data DIR [--runs 3] [--bin PATH]

DIR holds units.csv, leaders.csv and petitions_*.csv as `yanpan synth`
writes them. yanpan also validates every row, pseudonymises reporters,
writes the Parquet store and builds the whole table (stocks, roll-up,
person table); the peers only count.
"""

import argparse
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb
import polars as pl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def enum_labels(name):
    """{label or alias: code} of a contract enumeration, from src/model/enums.rs."""
    text = open(os.path.join(ROOT, "src/model/enums.rs"), encoding="utf-8").read()
    block = re.search(r"\n\s+" + name + r" \{\n(.*?)\n\s+\}", text, re.S).group(1)
    out = {}
    for line in block.splitlines():
        m = re.match(r'\s*\w+ => "([^"]+)", "([^"]+)", "[^"]+"(?:, \[([^\]]*)\])?;', line)
        if m:
            code, zh, aliases = m.group(1), m.group(2), m.group(3) or ""
            out[zh] = code
            out[code] = code
            for a in re.findall(r'"([^"]+)"', aliases):
                out[a] = code
    return out


ENUMS = {
    "channel": ("来源渠道", enum_labels("Channel")),
    "class": ("信访类别", enum_labels("PetitionClass")),
    "role": ("被反映人职务类别", enum_labels("PersonRole")),
    "field": ("重点领域", enum_labels("KeyField")),
    "discipline": ("问题类别", enum_labels("Discipline")),
}
PREFIX = {"class": "petitions_class", "channel": "petitions_channel",
          "discipline": "petitions_discipline", "field": "petitions_field"}
YES = ("是", "Y", "y", "true", "1")


def decoded(paths, workdir):
    """Each export as UTF-8 text on disk (the peers' decode step)."""
    out = []
    for i, p in enumerate(paths):
        raw = open(p, "rb").read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        # An older system's header names, as [source.columns] maps them for yanpan.
        head, _, body = text.partition("\n")
        cells = ["受理日期" if h == "收件日期" else "反映内容摘要" if h == "反映内容" else h
                 for h in head.split(",")]
        q = os.path.join(workdir, f"p{i}.csv")
        with open(q, "w", encoding="utf-8") as f:
            f.write(",".join(cells) + "\n" + body)
        out.append(q)
    return out


def metric_names():
    names = ["petitions", "petitions_top_leader", "petitions_member", "petitions_signed",
             "petitions_repeat", "clues", "clues_top_leader", "clues_disposed"]
    for k in ("class", "channel", "discipline", "field"):
        for code in sorted(set(ENUMS[k][1].values())):
            names.append(f"{PREFIX[k]}_{code}")
    return names


def duckdb_run(paths, workdir):
    files = decoded(paths, workdir)
    con = duckdb.connect()
    cases = {}
    for k, (col, labels) in ENUMS.items():
        whens = " ".join(f"WHEN '{lab}' THEN '{code}'" for lab, code in labels.items())
        cases[k] = f"CASE trim(\"{col}\") {whens} END"
    yes = ", ".join(f"'{y}'" for y in YES)
    flist = ", ".join(f"'{f}'" for f in files)
    metrics = [
        "count(*) AS petitions",
        "count(*) FILTER (WHERE role = 'top_leader') AS petitions_top_leader",
        "count(*) FILTER (WHERE role = 'member') AS petitions_member",
        "count(*) FILTER (WHERE signed) AS petitions_signed",
        "count(*) FILTER (WHERE rep) AS petitions_repeat",
        "count(*) FILTER (WHERE clue) AS clues",
        "count(*) FILTER (WHERE clue AND role = 'top_leader') AS clues_top_leader",
        "count(*) FILTER (WHERE clue AND disposed IS NOT NULL) AS clues_disposed",
    ]
    for k in ("class", "channel", "discipline", "field"):
        for code in sorted(set(ENUMS[k][1].values())):
            metrics.append(f"count(*) FILTER (WHERE {k} = '{code}') AS {PREFIX[k]}_{code}")
    sql = f"""
    WITH p AS (
      SELECT trim("被反映单位") AS unit_id,
             strptime(trim("受理日期"), ['%Y-%m-%d', '%Y/%m/%d'])::DATE AS received,
             try_strptime(nullif(trim("处置日期"), ''), ['%Y-%m-%d', '%Y/%m/%d'])::DATE AS disposed,
             trim("是否署名") IN ({yes}) AS signed,
             trim("是否重复件") IN ({yes}) AS rep,
             trim("是否转为问题线索") IN ({yes}) AS clue,
             {cases['channel']} AS channel, {cases['class']} AS class, {cases['role']} AS role,
             {cases['field']} AS field, {cases['discipline']} AS discipline
      FROM read_csv([{flist}], header = true, all_varchar = true)
    )
    SELECT unit_id, year(received) || 'Q' || quarter(received) AS quarter, {', '.join(metrics)}
    FROM p GROUP BY ALL
    """
    return con.sql(sql).pl()


def polars_run(paths, workdir):
    files = decoded(paths, workdir)
    lf = pl.concat([pl.scan_csv(f, infer_schema=False) for f in files])
    def code(k):
        col, labels = ENUMS[k]
        return pl.col(col).str.strip_chars().replace_strict(labels, default=None).alias(k)
    yes = list(YES)
    def date(c):
        c = c.str.strip_chars()
        return pl.coalesce(c.str.to_date("%Y-%m-%d", strict=False), c.str.to_date("%Y/%m/%d", strict=False))
    p = lf.select(
        pl.col("被反映单位").str.strip_chars().alias("unit_id"),
        date(pl.col("受理日期")).alias("received"),
        date(pl.col("处置日期")).alias("disposed"),
        pl.col("是否署名").str.strip_chars().is_in(yes).alias("signed"),
        pl.col("是否重复件").str.strip_chars().is_in(yes).alias("rep"),
        pl.col("是否转为问题线索").str.strip_chars().is_in(yes).alias("clue"),
        code("channel"), code("class"), code("role"), code("field"), code("discipline"),
    ).with_columns(
        (pl.col("received").dt.year().cast(pl.Utf8) + "Q" + pl.col("received").dt.quarter().cast(pl.Utf8)).alias("quarter")
    )
    n = lambda cond, name: cond.sum().cast(pl.Int64).alias(name)
    aggs = [
        pl.len().cast(pl.Int64).alias("petitions"),
        n(pl.col("role") == "top_leader", "petitions_top_leader"),
        n(pl.col("role") == "member", "petitions_member"),
        n(pl.col("signed"), "petitions_signed"),
        n(pl.col("rep"), "petitions_repeat"),
        n(pl.col("clue"), "clues"),
        n(pl.col("clue") & (pl.col("role") == "top_leader"), "clues_top_leader"),
        n(pl.col("clue") & pl.col("disposed").is_not_null(), "clues_disposed"),
    ]
    for k in ("class", "channel", "discipline", "field"):
        for c in sorted(set(ENUMS[k][1].values())):
            aggs.append(n(pl.col(k) == c, f"{PREFIX[k]}_{c}"))
    return p.group_by("unit_id", "quarter").agg(aggs).collect()


def yanpan_run(binary, data, workdir):
    key = os.path.join(workdir, "bench.key")
    open(key, "w").write("benchmark-key-0123456789abcdef\n")
    pipeline = os.path.join(workdir, "peers.toml")
    with open(pipeline, "w", encoding="utf-8") as f:
        f.write(f"""[site]
name = "benchmark"
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
path = "{data}/units.csv"
[[source]]
dataset = "leaders"
path = "{data}/leaders.csv"
[[source]]
dataset = "petitions"
path = "{data}/petitions_*.csv"
[source.columns]
"收件日期" = "received_on"
"反映内容" = "summary"
""")
    shutil.rmtree(os.path.join(workdir, "store"), ignore_errors=True)
    last = max(os.path.basename(p)[10:14] for p in glob.glob(f"{data}/petitions_*.csv"))
    subprocess.run([binary, "-q", "run", pipeline, "--quarter", f"{last}Q4",
                    "--stages", "ingest,aggregate"], check=True)
    return pl.read_parquet(os.path.join(workdir, "store/derived/unit_quarter.parquet"))


def timed(f, runs):
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release/yanpan"))
    a = ap.parse_args()
    data = os.path.abspath(a.data)
    paths = sorted(glob.glob(f"{data}/petitions_*.csv"))
    work = tempfile.mkdtemp(prefix="yanpan-peers-")
    y_t, y = timed(lambda: yanpan_run(a.bin, data, work), a.runs)
    d_t, d = timed(lambda: duckdb_run(paths, work), a.runs)
    p_t, p = timed(lambda: polars_run(paths, work), a.runs)
    names = metric_names()
    key = ["unit_id", "quarter"]
    y = y.select(key + [pl.col(c).cast(pl.Int64) for c in names])
    bad = 0
    for peer, frame in (("DuckDB", d), ("polars", p)):
        frame = frame.select(key + [pl.col(c).cast(pl.Int64) for c in names])
        j = frame.join(y, on=key, how="left", suffix="_y")
        for c in names:
            diff = j.filter(pl.col(c) != pl.col(f"{c}_y").fill_null(0)).height
            if diff:
                bad += diff
                print(f"{peer}: {c} differs in {diff} cells", file=sys.stderr)
        print(f"{peer}: {frame.height} unit-quarters x {len(names)} metrics compared with yanpan")
    rows = sum(1 for p in paths for _ in open(p, "rb")) - len(paths)
    print(f"\npetitions: {rows:,} in {len(paths)} files; median of {a.runs} runs (s)")
    print(f"| yanpan ingest+aggregate | DuckDB | Python polars | yanpan / DuckDB | yanpan / polars |")
    print(f"|---|---|---|---|---|")
    print(f"| {y_t:.2f} | {d_t:.2f} | {p_t:.2f} | {y_t / d_t:.2f} | {y_t / p_t:.2f} |")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
