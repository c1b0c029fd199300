#!/usr/bin/env bash
# The whole suite with the race detector: once on SQLite, once on a real
# PostgreSQL started for the run. Browser tests drive Debian's Chromium.
# Between the two, a few seconds of fuzzing (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-tools.sh
export SESAME_ARTIFACTS="${SESAME_ARTIFACTS:-$PWD/test-artifacts}"
mkdir -p "$SESAME_ARTIFACTS"

echo "== tests on SQLite =="
go test -race -count=1 -timeout 25m ./...

echo "== fuzzing, a few seconds each =="
./scripts/fuzz.sh

echo "== tests on PostgreSQL =="
./scripts/with-postgres.sh go test -race -count=1 -timeout 25m ./...

echo "screenshots and other artifacts: $SESAME_ARTIFACTS"
