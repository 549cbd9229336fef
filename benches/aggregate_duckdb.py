#!/usr/bin/env python3
"""The unit x quarter aggregation written again as SQL and run by DuckDB on
yanpan's own Parquet store; the two tables are compared cell by cell and
both are timed.

    python3 -m pip install duckdb        # once (from the Python registry)
    benches/aggregate_duckdb.py PIPELINE --quarter 2024Q4 [--runs 3] [--bin PATH]

The store must already hold the data (`yanpan ingest PIPELINE`). yanpan's
time is the whole `yanpan aggregate` command (process start, the unit x
quarter table, its roll-up, the person x quarter table, rates and changes,
and writing them) and, like for like, its unit x quarter stage as the
command reports it; DuckDB's is one SQL statement that writes the unit x
quarter table to Parquet. The script exits non-zero if any cell differs.
"""

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

import duckdb

# Settings the SQL shares with the pipeline file's defaults.
DEADLINE_DAYS_DEFAULT = 30


def quarter_end(q):
    year, n = int(q[:4]), int(q[5])
    first_of_next = dt.date(year + (n == 4), 1 if n == 4 else 3 * n + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def enum_counts(column, prefix, codes):
    return [
        f"count(*) FILTER (WHERE {column} = '{c}') AS {prefix}_{c}" for c in codes
    ]


def codes_of(columns, prefix):
    """The enumeration codes yanpan made columns for, e.g. petitions_class_*."""
    pat = re.compile(rf"^{prefix}_([a-z_0-9]+)$")
    return [m.group(1) for c in columns if (m := pat.match(c))]


def build_sql(store, quarters, yanpan_columns, deadline, out):
    def scan(d):
        return f"read_parquet('{store}/{d}/*/*.parquet', hive_partitioning = true, hive_types = {{'quarter': VARCHAR}})"

    qlist = ", ".join(f"'{q}'" for q in quarters)
    qvalues = ", ".join(f"('{q}', DATE '{quarter_end(q)}')" for q in quarters)
    c = yanpan_columns
    petition_metrics = [
        "count(*) AS petitions",
        "count(*) FILTER (WHERE person_role = 'top_leader') AS petitions_top_leader",
        "count(*) FILTER (WHERE person_role = 'member') AS petitions_member",
        "count(*) FILTER (WHERE signed) AS petitions_signed",
        "count(*) FILTER (WHERE repeat) AS petitions_repeat",
        "count(*) FILTER (WHERE clue) AS clues",
        "count(*) FILTER (WHERE clue AND person_role = 'top_leader') AS clues_top_leader",
        "count(*) FILTER (WHERE clue AND disposed_on IS NOT NULL) AS clues_disposed",
        "round(quantile_cont((disposed_on - received_on)::DOUBLE, 0.5) FILTER (WHERE clue AND person_role = 'top_leader' AND disposed_on IS NOT NULL), 1) AS clue_days_top_leader_median",
        "round(quantile_cont((disposed_on - received_on)::DOUBLE, 0.9) FILTER (WHERE clue AND person_role = 'top_leader' AND disposed_on IS NOT NULL), 1) AS clue_days_top_leader_p90",
    ]
    petition_metrics += enum_counts("class", "petitions_class", codes_of(c, "petitions_class"))
    petition_metrics += enum_counts("channel", "petitions_channel", codes_of(c, "petitions_channel"))
    petition_metrics += enum_counts("discipline", "petitions_discipline", codes_of(c, "petitions_discipline"))
    petition_metrics += enum_counts("field", "petitions_field", codes_of(c, "petitions_field"))
    finding_metrics = [
        "count(*) AS findings",
        "count(*) FILTER (WHERE involves_top_leader) AS findings_top_leader",
    ] + enum_counts("field", "findings_field", codes_of(c, "findings_field"))
    case_metrics = (
        [
            "count(*) AS cases",
            "count(*) FILTER (WHERE person_role = 'top_leader') AS cases_top_leader",
        ]
        + [f"count(*) FILTER (WHERE form = {f}) AS cases_form_{f}" for f in range(1, 5)]
        + enum_counts("sanction", "cases_sanction", codes_of(c, "cases_sanction"))
        + enum_counts("field", "cases_field", codes_of(c, "cases_field"))
        + enum_counts("source", "cases_source", codes_of(c, "cases_source"))
        + ["sum(CAST(round(amount_yuan * 100) AS BIGINT)) / 100.0 AS amount_yuan"]
    )

    def flow(name, dataset, metrics):
        return f"""{name} AS (
  SELECT unit_id, quarter, {', '.join(metrics)}
  FROM {scan(dataset)} WHERE quarter IN ({qlist}) GROUP BY unit_id, quarter)"""

    def open_at_end(name, dataset, which, start, stop, min_age):
        return f"""{name} AS (
  SELECT unit_id, q.quarter, count(*) AS {name}
  FROM {scan(dataset)} AS r JOIN q
    ON r.{start} <= q.end_day - {min_age}
   AND (r.{stop} IS NULL OR r.{stop} > q.end_day)
  WHERE {which} GROUP BY unit_id, q.quarter)"""

    def in_quarter_of(name, dataset, which, date):
        return f"""{name} AS (
  SELECT unit_id, year({date}) || 'Q' || quarter({date}) AS quarter, count(*) AS {name}
  FROM {scan(dataset)}
  WHERE {which} AND {date} IS NOT NULL
    AND year({date}) || 'Q' || quarter({date}) IN ({qlist})
  GROUP BY ALL)"""

    ctes = [
        f"q(quarter, end_day) AS (VALUES {qvalues})",
        flow("p", "petitions", petition_metrics),
        flow("f", "findings", finding_metrics),
        flow("c", "cases", case_metrics),
        open_at_end("clues_open_at_end", "petitions", "clue", "received_on", "disposed_on", 0),
        open_at_end(
            "clues_top_leader_overdue", "petitions",
            "clue AND person_role = 'top_leader'", "received_on", "disposed_on", deadline,
        ),
        in_quarter_of("cases_closed", "cases", "true", "closed_on"),
        in_quarter_of("rectifications_due", "findings", "true", "due_on"),
        in_quarter_of(
            "rectifications_due_done_on_time", "findings",
            "status = 'done' AND rectified_on <= due_on", "due_on",
        ),
        in_quarter_of(
            "rectifications_due_done_late", "findings",
            "status = 'done' AND rectified_on > due_on", "due_on",
        ),
        open_at_end(
            "rectifications_overdue_open", "findings",
            "status <> 'long_term'", "due_on", "rectified_on", 1,
        ),
        f"""findings_repeated_at_follow_up AS (
  SELECT f1.unit_id, f1.quarter, count(DISTINCT f1.finding_id) AS findings_repeated_at_follow_up
  FROM {scan("findings")} AS f1 JOIN {scan("findings")} AS f0
    ON f1.unit_id = f0.unit_id AND f1.field = f0.field AND f0.reported_on < f1.reported_on
  WHERE f1.kind = 'follow_up' AND f1.quarter IN ({qlist})
  GROUP BY f1.unit_id, f1.quarter)""",
    ]
    stocks = [
        "clues_open_at_end", "clues_top_leader_overdue", "cases_closed",
        "rectifications_due", "rectifications_due_done_on_time",
        "rectifications_due_done_late", "rectifications_overdue_open",
        "findings_repeated_at_follow_up",
    ]
    non_additive = {"clue_days_top_leader_median", "clue_days_top_leader_p90"}
    selected = []
    for alias, metrics in (("p", petition_metrics), ("f", finding_metrics), ("c", case_metrics)):
        for m in metrics:
            name = m.rsplit(" AS ", 1)[1]
            value = f"{alias}.{name}"
            selected.append(value if name in non_additive else f"coalesce({value}, 0) AS {name}")
    selected += [f"coalesce({s}.{s}, 0) AS {s}" for s in stocks]
    joins = "".join(
        f"\nLEFT JOIN {t} USING (unit_id, quarter)" for t in ["p", "f", "c"] + stocks
    )
    sql = f"""COPY (
WITH {', '.join(ctes)},
grid AS (
  SELECT u.unit_id, u.name, u.level, u.parent_id, u.headcount, q.quarter
  FROM read_parquet('{store}/units/*.parquet') AS u CROSS JOIN q)
SELECT grid.*, {', '.join(selected)}
FROM grid{joins}
ORDER BY unit_id, quarter
) TO '{out}' (FORMAT parquet)"""
    return sql


def timed(f, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pipeline")
    ap.add_argument("--quarter", required=True)
    ap.add_argument("--runs", type=int, default=3)
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    ap.add_argument("--bin", default=os.path.join(target, "release", "yanpan"))
    a = ap.parse_args()

    with open(a.pipeline, "rb") as fh:
        cfg = tomllib.load(fh)
    base = os.path.dirname(os.path.abspath(a.pipeline))
    store = os.path.normpath(os.path.join(base, cfg["store"]["path"]))
    deadline = cfg.get("aggregate", {}).get("top_leader_clue_deadline_days", DEADLINE_DAYS_DEFAULT)

    cmd = [a.bin, "aggregate", a.pipeline, "--quarter", a.quarter]
    table_times = []

    def run_yanpan():
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        table_times.append(float(re.search(r"unit_quarter ([0-9.]+) s", out.stderr).group(1)))

    yanpan_times = timed(run_yanpan, a.runs)
    con = duckdb.connect()
    ours = con.sql(f"SELECT * FROM read_parquet('{store}/derived/unit_quarter.parquet')")
    quarters = [r[0] for r in con.sql("SELECT DISTINCT quarter FROM ours ORDER BY 1").fetchall()]

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "unit_quarter_duckdb.parquet")
        sql = build_sql(store, quarters, ours.columns, deadline, out)
        duck_times = timed(lambda: duckdb.connect().execute(sql), a.runs)
        theirs = con.sql(f"SELECT * FROM read_parquet('{out}')")
        columns = theirs.columns
        missing = [c for c in columns if c not in ours.columns]
        if missing:
            sys.exit(f"columns the SQL has and yanpan lacks: {missing}")
        u, q = columns.index("unit_id"), columns.index("quarter")
        rows_ours = {(r[u], r[q]): r for r in con.sql(f"SELECT {', '.join(columns)} FROM ours").fetchall()}
        rows_theirs = {(r[u], r[q]): r for r in theirs.fetchall()}
        diffs = []
        if rows_ours.keys() != rows_theirs.keys():
            diffs.append(f"row keys differ: {len(rows_ours)} yanpan vs {len(rows_theirs)} DuckDB")
        cells = 0
        for k, theirs_row in rows_theirs.items():
            ours_row = rows_ours.get(k)
            if ours_row is None:
                continue
            for name, x, y in zip(columns, ours_row, theirs_row):
                cells += 1
                if x != y:
                    diffs.append(f"{k} {name}: yanpan {x!r}, DuckDB {y!r}")
        check_codes(con, store, ours.columns)

    print(f"machine: {os.cpu_count()} cores; duckdb {duckdb.__version__}; {dt.date.today()}")
    print(f"table: {len(rows_theirs)} unit-quarter rows x {len(columns)} columns, quarters {quarters[0]}..{quarters[-1]}")
    print(f"yanpan, unit x quarter table:  {fmt(table_times)}")
    print(f"yanpan aggregate, whole command: {fmt(yanpan_times)}")
    print(f"DuckDB SQL:                    {fmt(duck_times)}")
    duck = statistics.median(duck_times)
    print(f"ratio yanpan/DuckDB (medians), the same table: {statistics.median(table_times) / duck:.2f}")
    print(f"ratio yanpan/DuckDB (medians), whole command (also roll-up, person x quarter, rates, 3 files): {statistics.median(yanpan_times) / duck:.2f}")
    if diffs:
        print(f"{len(diffs)} of {cells} cells differ; first ones:")
        for d in diffs[:20]:
            print("  " + d)
        sys.exit(1)
    print(f"all {cells} cells agree exactly")


def check_codes(con, store, columns):
    """Every value in the data has its yanpan column (none silently dropped)."""
    for dataset, column, prefix in [
        ("petitions", "class", "petitions_class"),
        ("petitions", "channel", "petitions_channel"),
        ("petitions", "discipline", "petitions_discipline"),
        ("petitions", "field", "petitions_field"),
        ("findings", "field", "findings_field"),
        ("cases", "sanction", "cases_sanction"),
        ("cases", "field", "cases_field"),
        ("cases", "source", "cases_source"),
    ]:
        seen = con.sql(
            f"SELECT DISTINCT {column} FROM read_parquet('{store}/{dataset}/*/*.parquet', hive_partitioning = true) WHERE {column} IS NOT NULL"
        ).fetchall()
        lacking = sorted({v for (v,) in seen} - set(codes_of(columns, prefix)))
        if lacking:
            sys.exit(f"{dataset}.{column} values without a yanpan column: {lacking}")


def fmt(times):
    return ", ".join(f"{t:.2f} s" for t in times) + f"  (median {statistics.median(times):.2f} s)"


if __name__ == "__main__":
    main()
