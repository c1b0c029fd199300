#!/usr/bin/env bash
# Benchmarks named by the issues, on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-tools.sh bench
echo "== benchmarks on SQLite =="
go test -run '^$' -bench . -benchtime 1x -timeout 60m ./...
echo "== benchmarks on PostgreSQL =="
./scripts/with-postgres.sh go test -run '^$' -bench . -benchtime 1x -timeout 60m ./...
