#!/usr/bin/env bash
# Static checks: formatting, vet, generated templ code up to date, and the
# models package free of HTTP, echo and templ.
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

# Nothing models imports may bring in HTTP, echo or templ, except that
# golang.org/x/net/publicsuffix (domain validation) imports net/http/cookiejar
# for an interface it implements; echo and templ are refused at any depth.
direct=$(go list -f '{{join .Imports "\n"}}' ./models | grep -vxF golang.org/x/net/publicsuffix)
bad=$( { go list -deps $direct | grep -E '^net/http'
  go list -deps ./models | grep -E '^github.com/(labstack/echo|a-h/templ)'; } | sort -u || true)
if [ -n "$bad" ]; then echo "models must not import: $bad"; fail=1; fi

exit $fail
