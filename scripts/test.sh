#!/usr/bin/env bash
# Runs every test in the solution against a real PostgreSQL (installed and started when missing) and SQLite, and the
# dashboard's tests in Debian's Chromium (installed when missing).
# Ends with the line "N passed, N failed". Skipped tests count as a failure of the run: nothing may skip.
set -uo pipefail
cd "$(dirname "$0")/.."

CONFIGURATION="${CONFIGURATION:-Release}"
RESULTS="artifacts/test-results"

if [ -z "${GRAINS_TEST_POSTGRES:-}" ]; then
  GRAINS_TEST_POSTGRES="$(bash scripts/postgres.sh)" || { echo "PostgreSQL could not be prepared; the PostgreSQL tests would fail." >&2; exit 1; }
fi
export GRAINS_TEST_POSTGRES

if [ -z "${QUOTAS_TEST_CHROMIUM:-}" ]; then
  QUOTAS_TEST_CHROMIUM="$(bash scripts/chromium.sh)" || { echo "Chromium could not be prepared; the dashboard's browser tests would fail." >&2; exit 1; }
fi
export QUOTAS_TEST_CHROMIUM

rm -rf "$RESULTS"
dotnet build Grains.sln -c "$CONFIGURATION" -nologo -v quiet || { echo "0 passed, 0 failed (build failed)"; exit 1; }
# One run per test project of the solution, each with its own result file.
status=0
for project in $(dotnet sln Grains.sln list | grep -E '\.Tests\.csproj$'); do
  name="$(basename "$project" .csproj)"
  dotnet test "$project" -c "$CONFIGURATION" --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" --results-directory "$RESULTS" || status=1
done

sum() { grep -ho "$1=\"[0-9]*\"" "$RESULTS"/*.trx 2>/dev/null | grep -o '[0-9]*' | awk '{s+=$1} END {print s+0}'; }
passed="$(sum passed)"
failed="$(sum failed)"
executed="$(sum executed)"
total="$(sum total)"
not_run=$((total - executed))
if [ "$not_run" -gt 0 ]; then
  echo "$not_run test(s) did not run (skipped or aborted); every test must run." >&2
  failed=$((failed + not_run))
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test failed without a failed test (a crashed test host?)." >&2
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
