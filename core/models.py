"""Imports every table so Base.metadata is complete (Alembic, tests, create_all)."""

from core.orgs import models as orgs_models  # noqa: F401

from core.db import Base  # noqa: E402

metadata = Base.metadata
