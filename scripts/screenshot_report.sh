#!/usr/bin/env bash
# Screenshot a rendered model report in headless Chromium (Debian's chromium
# package), for docs/report.png in the README.
#
#   scripts/screenshot_report.sh REPORT.html [OUT.png] [HEIGHT]
#
# Defaults: OUT docs/report.png. The window is 1280 pixels wide and HEIGHT
# (default 8000) tall; Chromium captures the whole window, so the empty
# background below the report is then cropped away (with Pillow, which
# matplotlib installs) and the colours reduced to 256 to keep the file
# small. Every network feature of Chromium is switched off:
# the report needs none.
set -euo pipefail

report=${1:?usage: scripts/screenshot_report.sh REPORT.html [OUT.png] [HEIGHT]}
out=${2:-docs/report.png}
height=${3:-8000}

command -v chromium >/dev/null || {
    echo "chromium not found: apt-get install -y chromium" >&2
    exit 1
}
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" --window-size=1280,"$height" \
    --screenshot="$(realpath -m "$out")" "file://$(realpath "$report")" 2>/dev/null

python3 - "$out" <<'PY'
import sys

import numpy as np
from PIL import Image

path = sys.argv[1]
image = Image.open(path).convert("RGB")
pixels = np.asarray(image)
# Rows that differ from the page background (the colour of the bottom row).
content = np.flatnonzero((pixels != pixels[-1]).any(axis=(1, 2)))
bottom = min(len(pixels), int(content[-1]) + 24) if len(content) else len(pixels)
# A report is flat colours: 256 of them look the same at a third of the bytes.
cropped = image.crop((0, 0, image.width, bottom))
cropped.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
    path, optimize=True
)
print(f"wrote {path}: {image.width}x{bottom}")
PY
