#!/usr/bin/env bash
# Static checks: formatting, vet, generated templ code up to date, and the
# models packages free of HTTP, echo and templ.
set -euo pipefail
cd "$(dirname "$0")/.."
templ_version="$1"
fail=0

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; fail=1; fi

go vet ./... || fail=1

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r views "$tmp/views"
go run "github.com/a-h/templ/cmd/templ@$templ_version" generate -path "$tmp/views" >/dev/null 2>&1
if ! diff -r -q views "$tmp/views" >/dev/null; then
  echo "generated templ files are stale: run make generate"; diff -r -q views "$tmp/views" || true; fail=1
fi

# models must not know HTTP, echo or templ: none of Sesame's own packages
# that models builds on may import them. Libraries may use net/http inside
# (golang.org/x/net/publicsuffix names cookiejar's interface); echo and templ
# must not be reached at all.
module=$(go list -m)
bad=$( { go list -deps -f '{{if .Module}}{{if eq .Module.Path "'"$module"'"}}{{join .Imports "\n"}}{{end}}{{end}}' ./models/... | grep -E '^net/http' ;
         go list -deps ./models/... | grep -E '^(github.com/labstack/echo|github.com/a-h/templ)' ; } | sort -u || true)
if [ -n "$bad" ]; then echo "models must not import: $bad"; fail=1; fi

exit $fail
