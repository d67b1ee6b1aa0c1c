#!/usr/bin/env bash
# Regenerates the bundled open stand-in fonts in this folder.
#
# The fonts come from Debian packages (downloaded, not installed) and are subset with fontTools to the
# GB 2312 repertoire plus ASCII and the punctuation a circular uses: GB 2312 is exactly what the
# official faces (仿宋_GB2312, 楷体_GB2312) cover, so the stand-ins cover no less than the real ones.
#
# Usage: fonts/regenerate.sh          (needs apt-get and pip; run from anywhere)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -c 'import fontTools' 2>/dev/null || pip install --quiet fonttools
cd "$work"
apt-get download fonts-noto-cjk fonts-noto-cjk-extra fonts-lxgw-wenkai texlive-lang-chinese fonts-liberation
for deb in ./*.deb; do dpkg-deb -x "$deb" root; done

python3 "$here/subset.py" "$work/root" "$here"
echo "fonts regenerated in $here"
