#!/usr/bin/env bash
# unpack.sh — decompress the bundle's binaries (bin/*.xz, tests/*.xz) in
# place, once; run.sh, checks.sh and speed.sh call it first. The bundle
# carries them xz-compressed to stay under the carry limit. Uses xz, or
# Python's lzma where xz is not installed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for f in "$here"/bin/*.xz "$here"/tests/*.xz; do
	[ -e "$f" ] || continue
	out=${f%.xz}
	if command -v xz >/dev/null; then
		xz -d -c "$f" >"$out.tmp"
	else
		python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$f" "$out.tmp"
	fi
	chmod +x "$out.tmp"
	mv "$out.tmp" "$out"
	rm -f "$f"
done
