#!/usr/bin/env python3
"""Runs yanpan on kinds of broken input and prints, for each, the exit code,
the message a user sees and whether anything was written (docs/reliability.md).

    python3 benches/bad_inputs.py [--bin target/release/yanpan]

Each case gets a fresh folder with a small good city (two units, a leader,
a few petitions), breaks one thing, and runs `yanpan run` (or the command
named) once.
"""
import argparse
import os
import shutil
import subprocess
import tempfile

HEADER = "信访件编号,受理日期,来源渠道,信访类别,被反映单位,被反映人职务类别,是否署名,是否重复件,是否转为问题线索,反映内容摘要"
UNITS = "单位编码,单位名称,上级单位编码,层级,干部职工人数\nC0,测试市,,市级,500\nD1,东区,C0,区,2000\nD2,西区,C0,区,1500\nD3,南区,C0,区,1200\n"
LEADERS = "人员编码,所在单位,职务类别,干部层级,任职开始日期,任职结束日期\nP1,D1,一把手,市管,2020-01-01,\n"


def rows(n, first=1, date="2024-11-12"):
    return [f"XF{i:08},{date},来电,检举控告,D{1 + i % 3},其他,否,否,否,反映第{i}件事。" for i in range(first, first + n)]


def pipeline(extra_source="", extra=""):
    return f"""[site]
name = "测试"
[store]
path = "store"
[ingest]
today = "2025-01-15"
{extra}
[[source]]
dataset = "units"
path = "units.csv"
[[source]]
dataset = "leaders"
path = "leaders.csv"
[[source]]
dataset = "petitions"
path = "p*.csv"
{extra_source}
"""


def good(d):
    open(os.path.join(d, "units.csv"), "w").write(UNITS)
    open(os.path.join(d, "leaders.csv"), "w").write(LEADERS)
    open(os.path.join(d, "p.csv"), "w").write(HEADER + "\n" + "\n".join(rows(60)) + "\n")
    open(os.path.join(d, "t.toml"), "w").write(pipeline())


def write(d, name, text, mode="w"):
    with open(os.path.join(d, name), mode) as f:
        f.write(text)


def petitions(d, lines, name="p.csv"):
    write(d, name, HEADER + "\n" + "\n".join(lines) + "\n")


def case_unclosed_quote(d):
    r = rows(200)
    r[5] = r[5].replace("反映第6件", '"反映第6件')
    petitions(d, r)


def case_one_bad_file(d):
    petitions(d, rows(1000))
    bad = rows(20, first=5000)
    bad[:10] = [x.replace("2024-11-12", "2024-13-45") for x in bad[:10]]
    petitions(d, bad, "p2.csv")


def case_header_only(d):
    petitions(d, [])


def case_cycle(d):
    write(d, "units.csv", UNITS.replace("D1,东区,C0", "D1,东区,D2").replace("D2,西区,C0", "D2,西区,D1"))


def case_unknown_parent(d):
    write(d, "units.csv", UNITS.replace("D3,南区,C0", "D3,南区,X9"))


def case_1900(d):
    r = rows(60)
    r[0] = r[0].replace("2024-11-12", "1900-01-01")
    petitions(d, r)


def case_huge_cell(d):
    r = rows(60)
    r[0] = r[0].replace("反映第1件事。", "长" * 5_000_000)
    petitions(d, r)


def case_control(d):
    r = rows(60)
    r[0] = r[0].replace("反映第1件事。", "反映\x00第1件\x1b[31m事\x07。")
    petitions(d, r)


def case_totals(d):
    petitions(d, rows(60) + ["合计,60件,,,,,,,,"])


def case_titled_semicolon(d):
    text = "2024年信访举报登记表\n" + HEADER.replace(",", ";") + "\n" + "\n".join(x.replace(",", ";") for x in rows(60)) + "\n"
    write(d, "p.csv", text)


def case_binary_csv(d):
    write(d, "p.csv", bytes(range(256)) * 40, "wb")


def case_csv_named_xlsx(d):
    os.remove(os.path.join(d, "p.csv"))
    write(d, "p.xlsx", HEADER + "\n" + "\n".join(rows(5)) + "\n")
    write(d, "t.toml", pipeline().replace('path = "p*.csv"', 'path = "p.xlsx"'))


def case_mixed_encodings(d):
    good_part = (HEADER + "\n" + "\n".join(rows(30)) + "\n").encode("utf-8")
    gbk_part = ("\n".join(rows(30, first=100)) + "\n").encode("gbk")
    write(d, "p.csv", good_part + gbk_part, "wb")


TRADITIONAL = str.maketrans("为举内别务单号来检电类线编职访转问题", "為舉內別務單號來檢電類線編職訪轉問題")


def case_big5(d):
    text = HEADER + "\n" + "\n".join(r.replace("反映", "反映違規審批") for r in rows(60)) + "\n"
    write(d, "p.csv", text.translate(TRADITIONAL).encode("big5"), "wb")


def case_negative_amount(d):
    write(
        d,
        "cases.csv",
        "案件编号,所在单位,涉案人,职务类别,干部层级,立案日期,结案日期,线索来源,重点领域,违纪类别,四种形态,处理结果,涉案金额(元),来源信访件编号\n"
        "AJ1,D1,,其他,其他,2024-11-01,,自查,其他,廉洁纪律,1,,-5,\n",
    )
    write(d, "t.toml", pipeline(extra_source='[[source]]\ndataset = "cases"\npath = "cases.csv"'))


def case_missing_column(d):
    petitions(d, [",".join(x.split(",")[:1] + x.split(",")[2:]) for x in rows(5)])
    write(d, "p.csv", HEADER.replace("受理日期,", "") + "\n" + "\n".join(",".join(x.split(",")[:1] + x.split(",")[2:]) for x in rows(5)) + "\n")


def case_misspelt_header(d):
    write(d, "p.csv", HEADER.replace("受理日期", "受里日期") + "\n" + "\n".join(rows(5)) + "\n")


def case_unknown_value(d):
    r = rows(60)
    r[0] = r[0].replace("来电", "飞鸽传书")
    petitions(d, r)


def case_duplicate_ids(d):
    r = rows(60)
    r[1] = r[1].replace("XF00000002", "XF00000001")
    petitions(d, r)


def case_future_date(d):
    r = rows(60)
    r[0] = r[0].replace("2024-11-12", "2031-01-01")
    petitions(d, r)


def case_empty_file(d):
    write(d, "p.csv", "")


def case_config_typo(d):
    write(d, "t.toml", pipeline().replace("[ingest]", "[ingest]\nmax_quarantine_shar = 0.1"))


def case_no_files(d):
    os.remove(os.path.join(d, "p.csv"))


def case_extra_fields(d):
    r = rows(60)
    r[0] = r[0] + ",多余,字段"
    petitions(d, r)


def case_no_leaders_source(d):
    write(d, "t.toml", pipeline().replace('[[source]]\ndataset = "leaders"\npath = "leaders.csv"\n', ""))


def case_date_order(d):
    r = [x + "," for x in rows(60)]
    r[0] = r[0] + "2024-01-01"
    write(d, "p.csv", HEADER + ",处置日期\n" + "\n".join(r) + "\n")


def case_missing_sheet(d):
    shutil.copy(os.path.join(REPO, "sample_data/findings_2024.xlsx"), os.path.join(d, "f.xlsx"))
    write(d, "t.toml", pipeline(extra_source='[[source]]\ndataset = "findings"\npath = "f.xlsx"\nsheet = "不存在的表"'))


def case_corrupt_parquet(d):
    write(d, "f.parquet", b"PAR1" + bytes(range(200)) + b"PAR1", "wb")
    write(d, "t.toml", pipeline(extra_source='[[source]]\ndataset = "cases"\npath = "f.parquet"'))


def case_unwritable_output(d):
    write(d, "t.toml", pipeline().replace("[ingest]", "[report]\noutput = \"/proc/yanpan\"\n[ingest]"))


def case_crlf_cr_only(d):
    text = HEADER + "\r" + "\r".join(rows(60)) + "\r"
    write(d, "p.csv", text)


CASES = [
    ("an unclosed quote in row 7 of 200", case_unclosed_quote, None),
    ("one small file with half its rows bad beside a large good one", case_one_bad_file, None),
    ("a header-only petitions export on a fresh store", case_header_only, None),
    ("a unit tree with a cycle", case_cycle, None),
    ("a unit whose parent is not a unit", case_unknown_parent, None),
    ("a petition dated 1900-01-01", case_1900, None),
    ("a 5-million-character cell", case_huge_cell, None),
    ("NUL, ESC and BEL in a summary", case_control, None),
    ("a 合计 row at the foot", case_totals, None),
    ("a semicolon CSV with a title row above the header", case_titled_semicolon, None),
    ("a binary file named .csv", case_binary_csv, None),
    ("a CSV file named .xlsx", case_csv_named_xlsx, None),
    ("UTF-8 then GBK in one file", case_mixed_encodings, None),
    ("a petitions export saved in Big5 (traditional characters)", case_big5, None),
    ("a negative amount", case_negative_amount, None),
    ("a required column missing", case_missing_column, None),
    ("a misspelt header", case_misspelt_header, None),
    ("an unknown channel", case_unknown_value, None),
    ("a duplicate petition id", case_duplicate_ids, None),
    ("a date in the future", case_future_date, None),
    ("an empty (0-byte) export", case_empty_file, None),
    ("a typo in a pipeline key", case_config_typo, None),
    ("a source pattern that matches no file", case_no_files, None),
    ("a row with more fields than the header", case_extra_fields, None),
    ("no leaders source", case_no_leaders_source, None),
    ("disposed before received", case_date_order, None),
    ("a sheet that is not in the workbook", case_missing_sheet, None),
    ("a corrupt Parquet file", case_corrupt_parquet, None),
    ("an output folder that cannot be written", case_unwritable_output, None),
    ("CR-only line ends", case_crlf_cr_only, None),
]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def message(stderr):
    """The error or warning, else the reconciliation of the file broken."""
    lines = [l.split("Z ", 1)[-1] for l in stderr.splitlines()]
    for key in ("error:", "warning:", " p.csv:", "p.xlsx:", "cases.csv:"):
        for l in lines:
            if key in l and not l.startswith("  "):
                return " ".join(l.split())
    return lines[-1].strip() if lines else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(REPO, "target/release/yanpan"))
    args = ap.parse_args()
    print("| input | exit | what the user reads | written |")
    print("|---|---|---|---|")
    for name, make, _ in CASES:
        d = tempfile.mkdtemp(prefix="yanpan-bad-")
        try:
            good(d)
            make(d)
            out = subprocess.run([args.bin, "run", "t.toml", "--quarter", "2024Q4"], cwd=d, capture_output=True, text=True, errors="replace")
            published = os.path.isdir(os.path.join(d, "reports/2024Q4"))
            stored = os.path.isdir(os.path.join(d, "store/petitions"))
            written = "publication" if published else ("store" if stored else "nothing")
            text = message(out.stderr).replace(d + "/", "").replace("|", "\\|")
            if len(text) > 220:
                text = text[:217] + "…"
            print(f"| {name} | {out.returncode} | {text} | {written} |")
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
