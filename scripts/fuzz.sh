#!/usr/bin/env bash
# Fuzzes every Fuzz target in the module for FUZZTIME each (default 3000x,
# a count: with a duration, Go 1.26's coordinator can fail a target with a
# bare "context deadline exceeded" as the time runs out on a busy machine,
# golang/go#75804, fixed in Go 1.27):
# what parses input from outside (DKIM canonicalisation, SMTP replies, DSNs,
# CSV rows, templates, links). The targets are found, not listed, so a moved
# or new one cannot be skipped silently. New failing inputs land in the
# package's testdata/fuzz, to be committed with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-3000x}"
found=0
while read -r file name; do
  found=$((found + 1))
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "./$(dirname "$file")"
done < <(git ls-files '*_test.go' | xargs grep -H -o -E '^func Fuzz[A-Za-z0-9_]+' | sed -E 's/:func / /' | sort)
if [ "$found" -eq 0 ]; then echo "no fuzz targets found" >&2; exit 1; fi
echo "fuzzed $found targets"
