#!/usr/bin/env bash
# Browser checks, after the README's test command (they need Chromium,
# which the test command must not): the HTML reports show Chinese from
# their embedded font on a machine without a Chinese font.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/yanpan-target}"
if ! command -v chromium >/dev/null; then
  apt-get install -y --no-install-recommends chromium >/dev/null
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r pipelines sample_data "$work/"
"$CARGO_TARGET_DIR/release/yanpan" run "$work/pipelines/quarterly.toml" --quarter 2024Q4 --today 2025-01-15 >/dev/null 2>&1
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
