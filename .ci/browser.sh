#!/usr/bin/env bash
# Browser checks, after the README's test command (they need Chromium,
# which the test command must not): the HTML reports show Chinese from
# their embedded font on a machine without a Chinese font, and the
# explorer page loads without a console error, draws a unit's numbers as
# the store holds them and shows a hostile unit name as text.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/yanpan-target}"
if ! command -v chromium >/dev/null; then
  apt-get install -y --no-install-recommends chromium >/dev/null
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r pipelines sample_data "$work/"
# A hostile name for one district: it must show as text, nowhere as markup.
hostile='</script><script>document.title="pwned"</script><b>东湖区</b>'
sed -i "s|^D01,东湖区,|D01,${hostile},|" "$work/sample_data/units.csv"
bin="$CARGO_TARGET_DIR/release/yanpan"
"$bin" run "$work/pipelines/quarterly.toml" --quarter 2024Q4 --today 2025-01-15 >/dev/null 2>&1
page="$work/reports/2024Q4/thematic/recommendations.html"
grep -q "@font-face{font-family:'Yanpan Noto Sans SC';src:url(data:font/otf;base64," "$page"
# The same page without its font: what a machine without a Chinese font
# shows when the embedded font does not load.
sed -E "s/@font-face\{[^}]*\}//" "$page" > "$work/nofont.html"
shot() {
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=900,400 --screenshot="$2" "file://$1" >/dev/null 2>&1
}
shot "$page" "$work/font.png"
shot "$work/nofont.html" "$work/nofont.png"
if cmp -s "$work/font.png" "$work/nofont.png"; then
  echo "browser: the embedded font was not used (the page looks as without it)" >&2
  exit 1
fi
echo "browser: the HTML report draws its Chinese with the embedded font"

explorer="$work/reports/2024Q4/explorer.html"
dump() {
  chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
    --virtual-time-budget=15000 --dump-dom "file://$explorer#unit=$1&metric=$2${3:-}" 2>"$work/console-$1.log"
}
"$bin" chart trend "$work/pipelines/quarterly.toml" --unit D03 --quarter 2024Q4 --out "$work/d03.svg" >/dev/null 2>&1
dump D03 petitions > "$work/d03.html"
dump D01 cases > "$work/d01.html"
"$bin" chart trend "$work/pipelines/quarterly.toml" --unit D03 --by field --quarter 2024Q4 --out "$work/d03-fields.svg" >/dev/null 2>&1
dump D03 petitions "&by=field" > "$work/d03-fields.html"
python3 - "$work" <<'PY'
import re, sys, pathlib
from urllib.parse import unquote
work = pathlib.Path(sys.argv[1])
for unit in ["D03", "D01"]:
    log = (work / f"console-{unit}.log").read_text(errors="replace")
    bad = [l for l in log.splitlines() if "CONSOLE" in l and ("Uncaught" in l or "Error" in l)]
    assert not bad, f"console errors for {unit}: {bad}"
dom = (work / "d03.html").read_text()
assert 'data-ready="D03|petitions|"' in dom, "the page did not draw D03"
drawn = dict(re.findall(r'<tr data-quarter="(\d{4}Q\d)"><td>\d{4}Q\d</td><td>([^<]*)</td>', dom))
want = {}
for line in (work / "d03.csv").read_text(encoding="utf-8-sig").splitlines()[1:]:
    q, v = line.split(",")[:2]
    want[q] = v
assert drawn and all(float(drawn[q]) == float(v) for q, v in want.items()), (drawn, want)
# The download link holds the same numbers.
href = re.search(r'<a id="download" href="data:text/csv;charset=utf-8,([^"]*)" download="D03_petitions.csv"', dom)
assert href, "no download link for D03"
got = {l.split(",")[0]: l.split(",")[1] for l in unquote(href.group(1)).lstrip("\ufeff").splitlines()[1:]}
assert got.keys() == want.keys() and all(float(got[q]) == float(v) for q, v in want.items()), (got, want)
dom = (work / "d01.html").read_text()
assert 'data-ready="D01|cases|"' in dom, "the page did not draw D01"
assert "&lt;/script&gt;&lt;script&gt;document.title=" in dom, "the hostile name shown as text"
assert "<title>pwned" not in dom and "<b>东湖区</b>" not in dom, "the hostile name ran as markup"
dom = (work / "d03-fields.html").read_text()
assert 'data-ready="D03|petitions|field"' in dom, "the page did not break D03 down by field"
rows = {q: cells for q, cells in re.findall(r'<tr data-quarter="(\d{4}Q\d)">((?:<td>[^<]*</td>)+)</tr>', dom)}
parts = {q: re.findall(r"<td>([^<]*)</td>", c)[1:] for q, c in rows.items()}
lines = (work / "d03-fields.csv").read_text(encoding="utf-8-sig").splitlines()
for line in lines[1:]:
    cells = line.split(",")
    if cells[0] in parts:
        assert [float(x) for x in parts[cells[0]]] == [float(x) for x in cells[1:]], (cells, parts[cells[0]])
assert len(parts) == len(lines) - 1, (len(parts), len(lines))
print(f"browser: the explorer draws D03's {len(drawn)} quarters as stored, and by field as `yanpan chart --by field`, its download the same; a hostile name stays text")
PY
