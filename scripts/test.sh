#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite: every test once on SQLite (unit,
# integration, end-to-end, browser), then the tests that touch a database or Redis (marker `db`,
# set from their fixtures in tests/conftest.py) again on PostgreSQL + Redis.
# Extra arguments go to pytest (both runs).
#
# On a developer's machine a missing PostgreSQL, Redis or Chromium is a note and the suite still
# passes on SQLite alone. On CI (CI=true) each of them is a failure: a green run must have tested them.
#
# Settings: SOTAY_PG_HOST / SOTAY_PG_PORT / SOTAY_PG_USER / SOTAY_PG_TEST_DB (default: test, created
# if missing), SOTAY_TEST_REDIS (default redis://127.0.0.1:6379/15), SOTAY_TEST_WORKERS (pytest-xdist
# processes per run; default 2, 0 for none), SOTAY_TEST_COVERAGE=1 (measure coverage, see pyproject.toml),
# SOTAY_NO_APT=1 (never apt-get install chromium).
source "$(dirname "$0")/_env.sh"

ON_CI=false
[ "${CI:-}" = "true" ] && ON_CI=true

missing() {  # what is missing, what would be skipped
  if $ON_CI; then
    echo "ERROR: $1 — on CI (CI=true) this fails the run instead of skipping $2." >&2
    exit 1
  fi
  echo "NOTE: $1 — skipping $2; the rest runs." >&2
}

# Debian's Chromium for the Playwright browser tests (Playwright's own download cannot work offline).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && [ -z "${SOTAY_NO_APT:-}" ]; then
    echo "Installing Debian's chromium for the browser tests…" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "could not install chromium" >&2
  fi
  command -v chromium >/dev/null 2>&1 || missing "chromium is not on PATH (apt-get install chromium)" "the browser tests"
fi

PG_HOST="${SOTAY_PG_HOST:-127.0.0.1}"
PG_PORT="${SOTAY_PG_PORT:-5432}"
PG_USER="${SOTAY_PG_USER:-postgres}"
PG_DB="${SOTAY_PG_TEST_DB:-test}"
REDIS="${SOTAY_TEST_REDIS:-redis://127.0.0.1:6379/15}"
PG_URL="postgresql+asyncpg://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB"

# PostgreSQL answers and the test database exists (created when missing); Redis answers PING.
services_status="$(python - "$PG_URL" "$REDIS" <<'PY'
import asyncio, sys
from urllib.parse import urlsplit

pg_url, redis_url = sys.argv[1], sys.argv[2]


async def postgres() -> str:
    import asyncpg

    parts = urlsplit(pg_url.replace("+asyncpg", ""))
    database = parts.path.lstrip("/")
    try:
        admin = await asyncpg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username, database="postgres", timeout=5)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL is not reachable at {parts.hostname}:{parts.port} ({exc.__class__.__name__})"
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    return ""


async def redis() -> str:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        await client.ping()
    except Exception as exc:  # noqa: BLE001 — any failure means "not usable"
        return f"Redis is not reachable at {redis_url} ({exc.__class__.__name__})"
    finally:
        await client.aclose()
    return ""


async def main() -> None:
    print("; ".join(problem for problem in await asyncio.gather(postgres(), redis()) if problem))


asyncio.run(main())
PY
)"

WORKERS="${SOTAY_TEST_WORKERS:-2}"
parallel=()
if [ "$WORKERS" != "0" ]; then parallel=(-n "$WORKERS" --dist loadgroup); fi
coverage=()
if [ "${SOTAY_TEST_COVERAGE:-}" = "1" ]; then
  rm -f .coverage .coverage.*
  # Both runs add to one data file; the e2e tests' sotay processes write their own (pyproject.toml).
  coverage=(--cov --cov-append --cov-report=)
fi

run_pytest() {  # pytest's exit code 5 (no test selected, e.g. a path with no database test) is not a failure
  local status=0
  python -m pytest "${parallel[@]}" "${coverage[@]}" "$@" || status=$?
  [ "$status" = 5 ] && status=0
  return "$status"
}

# On CI a missing service fails the run now, before any test; elsewhere the note comes after the SQLite run.
if [ -n "$services_status" ] && $ON_CI; then
  missing "$services_status" "the PostgreSQL + Redis run"
fi

started=$(date +%s)
echo "== every test once, on SQLite ==" >&2
(unset SOTAY_TEST_DATABASE_URL SOTAY_TEST_REDIS_URL; run_pytest -m "not postgres and not redis" "$@")
echo "(SQLite run: $(( $(date +%s) - started )) s)" >&2

if [ -n "$services_status" ]; then
  missing "$services_status" "the PostgreSQL + Redis run"
  echo "Passed on SQLite only." >&2
else
  started=$(date +%s)
  echo "== tests that touch a database or Redis, on PostgreSQL ($PG_HOST:$PG_PORT/$PG_DB) and Redis ($REDIS) ==" >&2
  SOTAY_TEST_DATABASE_URL="$PG_URL" SOTAY_TEST_REDIS_URL="$REDIS" run_pytest -m "db" "$@"
  echo "(PostgreSQL + Redis run: $(( $(date +%s) - started )) s)" >&2
fi

if [ ${#coverage[@]} -gt 0 ]; then
  # pytest-cov has usually combined its workers' files already; only the sotay processes' own files may be
  # left (`coverage combine` exits 1 when there is nothing to combine, which is no failure of the suite).
  if compgen -G ".coverage.*" >/dev/null; then python -m coverage combine -q --append || true; fi
  python -m coverage report --skip-covered --skip-empty --sort=cover | tail -n 25 \
    || echo "NOTE: no coverage figure (the tests' own results above stand)." >&2
fi
exit 0
