#!/usr/bin/env bash
# Until the first production deployment, the schema lives in one initial revision that is
# regenerated from the models. After the first deployment, add revisions instead
# (`alembic revision --autogenerate -m "..."`) and delete this script.
source "$(dirname "$0")/_env.sh"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
rm -f migrations/versions/*_initial_schema.py
SOTAY_DATA_DIR="$scratch" alembic -c alembic.ini revision --autogenerate -m "initial schema" >/dev/null
ls migrations/versions/
