#!/usr/bin/env bash
# Installs what the tests need beyond Go, from Debian's packages, when it is
# missing and we may: Chromium for browser tests, PostgreSQL for the second
# pass, swaks (with Net::SSLeay, for TLS) for SMTP client tests, boto3 for
# the Amazon SES client test (handlers/amazon TestBoto3); with
# "bench", also wrk for the HTTP load benchmarks.
set -euo pipefail

need=()
if [ "${1:-}" = bench ]; then
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
fi
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
command -v swaks >/dev/null 2>&1 || need+=(swaks)
# swaks speaks TLS through Net::SSLeay, only a recommendation of its package.
perl -MNet::SSLeay -e1 >/dev/null 2>&1 || need+=(libnet-ssleay-perl)
# Debian's boto3, which TestBoto3 looks for at /usr/bin/python3 first.
/usr/bin/python3 -c 'import boto3' >/dev/null 2>&1 || need+=(python3-boto3)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing ${need[*]}: install them (apt-get install ${need[*]}) or run make test as root" >&2
  exit 1
fi
echo "installing ${need[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
