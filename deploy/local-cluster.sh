#!/usr/bin/env bash
# Starts or stops a local cluster on loopback: N silo processes and one gateway process, sharing PostgreSQL.
#   bash deploy/local-cluster.sh start [N]   (default 3 silos; gateway on http://127.0.0.1:5000)
#   bash deploy/local-cluster.sh status
#   bash deploy/local-cluster.sh stop        (graceful: each silo hands its grains off before it exits)
# PostgreSQL: QUOTAS_POSTGRES="Host=...;Username=...;Password=...;Database=..." or, when unset, the local server
# prepared by scripts/postgres.sh with the database "quotas". Logs and pids go to .local-cluster/.
# Admin key: QUOTAS_ADMIN_KEY (32 to 248 visible ASCII characters) or, when unset, one generated at start, printed and kept in
# .local-cluster/admin-key (a cluster's gateway does not start without one).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=".local-cluster"
HOST_DLL="src/Quotas.Host/bin/Release/net10.0/Quotas.Host.dll"
SILO_PORT_BASE="${SILO_PORT_BASE:-11111}"
SILO_HTTP_BASE="${SILO_HTTP_BASE:-5101}"
GATEWAY_URL="${GATEWAY_URL:-http://127.0.0.1:5000}"

# Whether the pid is one of this cluster's processes still: after a reboot or a crash, a pid file may name a process
# that reused the number, which must not be signalled.
is_ours() { # pid
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q "Quotas.Host.dll"
}

# Stops one process gracefully and waits for it. A gateway drains for Quotas:ShutdownDelay (5 s in a cluster); the
# host's shutdown timeout is 30 s plus that delay, and a silo's leave that a call which never returns holds up takes
# about 18 s more (README): 55 s before a forced kill.
stop_one() { # pid-file
  local pid_file="$1" pid
  pid="$(cat "$pid_file")"
  if is_ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 110); do is_ours "$pid" || break; sleep 0.5; done
    if is_ours "$pid"; then echo "$(basename "$pid_file" .pid) did not stop in 55 s; killing it." >&2; kill -KILL "$pid" || true; fi
  fi
  rm -f "$pid_file"
}

# The gateway first, so that its drain still has silos to answer it; then the silos one at a time, each handing its
# grains to silos that stay rather than to ones leaving too.
stop_all() {
  if [ -e "$STATE/gateway.pid" ]; then stop_one "$STATE/gateway.pid"; fi
  for pid_file in "$STATE"/*.pid; do
    [ -e "$pid_file" ] || return 0
    stop_one "$pid_file"
  done
}

# A start that fails stops what it started, so that no half-started cluster is left behind.
fail_start() { # message name
  echo "$1" >&2
  [ -z "${2:-}" ] || { echo "--- last lines of $STATE/$2.log:" >&2; tail -n 20 "$STATE/$2.log" >&2 || true; }
  stop_all
  rm -f "$STATE/admin-key"
  exit 1
}

wait_ready() { # url name: ready only once this very process answers
  local pid
  pid="$(cat "$STATE/$2.pid")"
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || fail_start "$2 exited before it became ready." "$2"
    if curl -fs --max-time 2 "$1/health/ready" >/dev/null 2>&1; then echo "$2 ready on $1"; return 0; fi
    sleep 0.5
  done
  fail_start "$2 did not become ready on $1 within 60 s." "$2"
}

ensure_free() { # url: nothing may answer there yet, or the readiness checks would be answered by it
  if curl -s --max-time 2 -o /dev/null "$1/health/live" 2>/dev/null; then
    echo "Something already answers on $1 (another host, or a cluster started otherwise); stop it or choose other ports (GATEWAY_URL, SILO_HTTP_BASE)." >&2
    exit 1
  fi
}

start_process() { # name role http-url [extra args...]
  local name="$1" role="$2" url="$3"; shift 3
  # The key and the connection string (its password) go in the environment rather than the arguments, which every
  # user of the machine can read.
  Quotas__Gateway__AdminKey="$ADMIN_KEY" Quotas__PostgreSqlConnectionString="$POSTGRES" dotnet "$HOST_DLL" \
    --Quotas:Role "$role" --Quotas:Storage PostgreSql --Quotas:HttpUrl "$url" "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}

case "${1:-}" in
  start)
    count="${2:-3}"
    [[ "$count" =~ ^[1-9][0-9]*$ ]] || { echo "The silo count must be a positive number, got '$count'." >&2; exit 2; }
    if compgen -G "$STATE/*.pid" >/dev/null; then echo "A local cluster is already running (see $STATE/); stop it first." >&2; exit 1; fi
    command -v curl >/dev/null 2>&1 || { echo "curl is needed to check readiness; install it (apt-get install curl)." >&2; exit 1; }
    ensure_free "$GATEWAY_URL"
    for i in $(seq 0 $((count - 1))); do ensure_free "http://127.0.0.1:$((SILO_HTTP_BASE + i))"; done
    mkdir -p "$STATE"
    POSTGRES="${QUOTAS_POSTGRES:-$(GRAINS_TEST_DATABASE=quotas bash scripts/postgres.sh)}"
    ADMIN_KEY="${QUOTAS_ADMIN_KEY:-qa_$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}"
    [ "${#ADMIN_KEY}" -ge 32 ] || { echo "QUOTAS_ADMIN_KEY must be at least 32 characters, got ${#ADMIN_KEY}." >&2; exit 2; }
    (umask 077 && printf '%s\n' "$ADMIN_KEY" >"$STATE/admin-key")
    dotnet build src/Quotas.Host -c Release -nologo -v quiet >/dev/null || fail_start "The build of src/Quotas.Host failed; run it to see why: dotnet build src/Quotas.Host -c Release"
    # Interrupted (Ctrl+C) or told to stop while starting: what was started stops too.
    trap 'fail_start "Start interrupted."' INT TERM
    for i in $(seq 0 $((count - 1))); do
      start_process "silo$i" Silo "http://127.0.0.1:$((SILO_HTTP_BASE + i))" --Grains:Endpoint:Port "$((SILO_PORT_BASE + i))"
    done
    for i in $(seq 0 $((count - 1))); do wait_ready "http://127.0.0.1:$((SILO_HTTP_BASE + i))" "silo$i"; done
    start_process gateway Gateway "$GATEWAY_URL"
    wait_ready "$GATEWAY_URL" gateway
    trap - INT TERM
    echo "admin key: $ADMIN_KEY (also in $STATE/admin-key)"
    ;;
  status)
    for pid_file in "$STATE"/*.pid; do
      [ -e "$pid_file" ] || { echo "No local cluster is running."; exit 0; }
      name="$(basename "$pid_file" .pid)"
      if is_ours "$(cat "$pid_file")"; then echo "$name running (pid $(cat "$pid_file"))"; else echo "$name exited"; fi
    done
    ;;
  stop)
    compgen -G "$STATE/*.pid" >/dev/null || { echo "No local cluster is running."; exit 0; }
    stop_all
    rm -f "$STATE/admin-key"
    echo "Local cluster stopped."
    ;;
  *)
    echo "Usage: bash deploy/local-cluster.sh start [N] | status | stop" >&2
    exit 2
    ;;
esac
