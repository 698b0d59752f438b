#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite: unit, integration, end-to-end and
# browser tests on SQLite, then again on PostgreSQL + Redis when they answer on this machine.
# Extra arguments go to pytest.
source "$(dirname "$0")/_env.sh"

# Debian's Chromium for the Playwright browser tests (Playwright's own download cannot work offline).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests…" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "could not install chromium: browser tests will be skipped" >&2
  else
    echo "chromium is not installed (apt-get install chromium): browser tests will be skipped" >&2
  fi
fi

PG_HOST="${SOTAY_PG_HOST:-127.0.0.1}"
PG_PORT="${SOTAY_PG_PORT:-5432}"
PG_USER="${SOTAY_PG_USER:-postgres}"
PG_DB="${SOTAY_PG_TEST_DB:-test}"
REDIS="${SOTAY_TEST_REDIS:-redis://127.0.0.1:6379/15}"

echo "== tests on SQLite ==" >&2
env -u SOTAY_TEST_DATABASE_URL -u SOTAY_TEST_REDIS_URL python -m pytest "$@"

if python - "$PG_HOST" "$PG_PORT" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
PY
then
  echo "== tests on PostgreSQL ($PG_HOST:$PG_PORT/$PG_DB) and Redis ==" >&2
  SOTAY_TEST_DATABASE_URL="postgresql+asyncpg://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB" \
  SOTAY_TEST_REDIS_URL="$REDIS" \
    python -m pytest "$@"
else
  echo "PostgreSQL is not reachable at $PG_HOST:$PG_PORT: the PostgreSQL/Redis run is skipped" >&2
fi
