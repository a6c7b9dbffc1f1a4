#!/usr/bin/env bash
# Makes a local PostgreSQL ready for the tests: installs the Debian package when missing, starts the cluster,
# gives the postgres role a password when it has none, and creates the test database. Prints the connection string.
# Used by scripts/test.sh; safe to run again (every step checks first).
set -euo pipefail

DATABASE="${GRAINS_TEST_DATABASE:-grains_test}"
PASSWORD="${GRAINS_TEST_PASSWORD:-postgres}"

log() { echo "[postgres] $*" >&2; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
as_postgres() { if [ -z "$SUDO" ]; then su postgres -c "$1"; else sudo -u postgres bash -c "$1"; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "PostgreSQL is not installed; installing the Debian package (apt-get)."
  $SUDO apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION main"; then
  log "Creating cluster $VERSION/main."
  $SUDO pg_createcluster "$VERSION" main >&2
fi

PORT="$(pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $3}')"
STATUS="$(pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}')"
if [ "$STATUS" != "online" ]; then
  log "Starting cluster $VERSION/main on port $PORT."
  $SUDO pg_ctlcluster "$VERSION" main start >&2
fi

for _ in $(seq 1 60); do
  if pg_isready -q -h 127.0.0.1 -p "$PORT"; then break; fi
  sleep 0.5
done
pg_isready -h 127.0.0.1 -p "$PORT" >&2 || { log "PostgreSQL did not become ready on 127.0.0.1:$PORT; see /var/log/postgresql/."; exit 1; }

# The tests log in with a password over TCP. A fresh install has none: it is set then. One already set is never
# changed (an operator's own PostgreSQL keeps its password): give it in GRAINS_TEST_PASSWORD instead.
if ! PGPASSWORD="$PASSWORD" psql -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
  HAS_PASSWORD="$(as_postgres "psql -p $PORT -tAc \"SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'postgres'\"")"
  if [ "$HAS_PASSWORD" = "t" ]; then
    log "The postgres role already has a password, and it is not the one given (GRAINS_TEST_PASSWORD, default 'postgres')."
    log "Set GRAINS_TEST_PASSWORD to it; this script does not change an existing password."
    exit 1
  fi

  log "Setting a password for the postgres role (it had none)."
  as_postgres "psql -q -p $PORT -v ON_ERROR_STOP=1 -c \"ALTER USER postgres PASSWORD '$PASSWORD';\"" >&2
fi
if ! as_postgres "psql -p $PORT -tAc \"SELECT 1 FROM pg_database WHERE datname = '$DATABASE'\"" | grep -q 1; then
  log "Creating database $DATABASE."
  as_postgres "createdb -p $PORT $DATABASE" >&2
fi

echo "Host=127.0.0.1;Port=$PORT;Username=postgres;Password=$PASSWORD;Database=$DATABASE"
