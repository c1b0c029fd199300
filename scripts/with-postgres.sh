#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL cluster: initdb into a temporary
# directory, a free port on loopback, durability off for speed, and
# SESAME_TEST_DATABASE_URL pointing at it. PostgreSQL refuses to run as root,
# so as root the cluster runs as the postgres user.
set -euo pipefail

bindir=""
if command -v initdb >/dev/null 2>&1; then
  bindir="$(dirname "$(readlink -f "$(command -v initdb)")")"
else
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
fi
[ -x "$bindir/initdb" ] || { echo "PostgreSQL binaries not found (run scripts/ensure-tools.sh)" >&2; exit 1; }

dir="$(mktemp -d /tmp/sesame-pg.XXXXXX)"
as=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  chown postgres "$dir"
  as=(runuser -u postgres --)
fi

cleanup() {
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null

started=""
for _ in $(seq 1 20); do
  port=$(( 20000 + RANDOM % 30000 ))
  if "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start -o \
      "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=256MB" >/dev/null 2>&1; then
    started=1
    break
  fi
done
[ -n "$started" ] || { echo "could not start PostgreSQL:" >&2; cat "$dir/log" >&2; exit 1; }

export SESAME_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
set +e
"$@"
status=$?
exit $status
