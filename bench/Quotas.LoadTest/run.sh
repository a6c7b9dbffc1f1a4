#!/usr/bin/env bash
# Load test of quota checks: the product (gateway + silo) against a constant endpoint, ASP.NET Core's rate limiter and
# a Redis fixed window, over loopback. Usage: bash bench/Quotas.LoadTest/run.sh [--quick] [options] (see --help).
# Builds the product and the tool in Release first, so that what is measured is the current source.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# redis-server is needed only by the Redis baseline: skip the install when --targets leaves it out. PostgreSQL is
# needed only by the cluster target: without --postgres, start the local server of scripts/postgres.sh.
needs_redis=1
needs_postgres=0
has_postgres=0
places_cpus=0
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [[ "${args[$i]}" == "--targets" && $((i + 1)) -lt ${#args[@]} ]]; then
    [[ ",${args[$((i + 1))]}," != *",redis,"* ]] && needs_redis=0
    [[ ",${args[$((i + 1))]}," == *",cluster,"* ]] && needs_postgres=1
  fi
  [[ "${args[$i]}" == "--postgres" ]] && has_postgres=1
  [[ "${args[$i]}" == "--shared-cores" || "${args[$i]}" == "--server-cpus" ]] && places_cpus=1
done

if [[ $needs_redis == 1 ]] && ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server is missing; installing the Debian package redis-server" >&2
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  # The tool starts a redis-server of its own on a free port; it never uses a system-wide one.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
fi

dotnet build "$root/src/Quotas.Host" -c Release -nologo -v quiet
dotnet build "$root/bench/Quotas.LoadTest" -c Release -nologo -v quiet
if [[ $needs_postgres == 1 && $has_postgres == 0 && -z "${QUOTAS_LOADTEST_POSTGRES:-}" ]]; then
  # Through the environment, so that the report's command line is the one typed.
  QUOTAS_LOADTEST_POSTGRES="$(GRAINS_TEST_DATABASE=quotas_loadtest bash "$root/scripts/postgres.sh" | tail -1)"
  export QUOTAS_LOADTEST_POSTGRES
fi
# The servers under test on CPUs of their own and the generator on the last one, each pinned with taskset, so that
# the generator's work never lands between a server's threads (a server's latency would include it). --shared-cores
# measures as runs before 2026-12-05 did; --server-cpus (or the variable) chooses the servers' CPUs.
pin=()
cpus="$(getconf _NPROCESSORS_ONLN)"
if [[ $places_cpus == 0 && -z "${QUOTAS_LOADTEST_SERVER_CPUS:-}" && $cpus -ge 2 ]]; then
  QUOTAS_LOADTEST_SERVER_CPUS="0"
  [[ $cpus -gt 2 ]] && QUOTAS_LOADTEST_SERVER_CPUS="0-$((cpus - 2))"
  export QUOTAS_LOADTEST_SERVER_CPUS
  pin=(taskset -c "$((cpus - 1))")
fi
exec "${pin[@]}" dotnet "$root/bench/Quotas.LoadTest/bin/Release/net10.0/Quotas.LoadTest.dll" "$@"
