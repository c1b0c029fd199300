#!/usr/bin/env bash
# Fuzzes what parses input from outside for FUZZTIME each (default 5s):
# the DKIM header canonicalisation against the obvious one and go-msgauth's
# verifier, and the SMTP client's reply reader. New failing inputs land in
# the package's testdata/fuzz, to be committed with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-5s}"
go test -run '^$' -fuzz '^FuzzRelaxedHeader$' -fuzztime "$fuzztime" ./mailer
go test -run '^$' -fuzz '^FuzzReply$' -fuzztime "$fuzztime" ./mailer/smtpclient
