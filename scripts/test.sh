#!/usr/bin/env bash
# The whole suite: import boundaries, then every test on SQLite, then the database-backed tests
# again on PostgreSQL when its server binaries are installed. Starts Kafka and PostgreSQL if
# they are not running and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PMO_DATA_DIR="${PMO_DATA_DIR:-$PWD/var}"

started_kafka=0
started_pg=0
cleanup() {
  if [ "$started_pg" = 1 ]; then "$BIN/pmo" pg stop || true; fi
  if [ "$started_kafka" = 1 ]; then "$BIN/pmo" kafka stop || true; fi
}
trap cleanup EXIT

echo "== import boundaries"
"$BIN/lint-imports"

if ! "$BIN/pmo" kafka status >/dev/null 2>&1; then
  "$BIN/pmo" kafka start
  started_kafka=1
fi

echo "== suite on SQLite"
"$BIN/pytest" -q -p no:cacheprovider -m "not fuzz and not faults" tests

# schemathesis against every service's live OpenAPI: all phases and checks, a bounded budget
# (PMO_FUZZ_MAX_EXAMPLES per operation and phase, PMO_FUZZ_SEED to explore beyond CI's seed).
echo "== fuzz"
PMO_FUZZ_MAX_EXAMPLES="${PMO_FUZZ_MAX_EXAMPLES:-60}" \
  "$BIN/pytest" -q -p no:cacheprovider -m fuzz tests/security

# Fault tests (docs/reliability.md): they start their own broker and PostgreSQL cluster on free
# ports and SIGKILL them, so they run once, here, never against the shared broker (~4 min).
echo "== faults"
"$BIN/pytest" -q -p no:cacheprovider -m faults tests/faults

if "$BIN/python" -c 'from pmo.postgres_local import find_bindir; find_bindir()' 2>/dev/null; then
  if ! "$BIN/pmo" pg status >/dev/null 2>&1; then
    "$BIN/pmo" pg start
    started_pg=1
  fi
  echo "== database-backed tests on PostgreSQL"
  PMO_TEST_POSTGRES_URL="$("$BIN/python" -c 'from pmo.postgres_local import base_dsn; print(base_dsn())')" \
    "$BIN/pytest" -q -p no:cacheprovider tests/service tests/e2e
  # PostgreSQL refuses input SQLite takes (NUL in text, integers past int4): fuzz it there too.
  echo "== security and fuzz on PostgreSQL"
  PMO_TEST_POSTGRES_URL="$("$BIN/python" -c 'from pmo.postgres_local import base_dsn; print(base_dsn())')" \
    PMO_FUZZ_MAX_EXAMPLES="${PMO_FUZZ_PG_MAX_EXAMPLES:-30}" \
    "$BIN/pytest" -q -p no:cacheprovider tests/security
else
  echo "PostgreSQL server binaries not found: the PostgreSQL run is skipped" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi
