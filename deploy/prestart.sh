#!/bin/sh
# The image's entrypoint. PMO_SERVICE (set by the image) names the service.
#   serve                (default) migrate the service's database to head, then run uvicorn
#   migrate              migrate to head and exit (the Kubernetes migration Job)
#   wait-for-migrations  exit 0 once the database is at head (a Deployment's init container)
# A service without alembic.ini (the portal) has no database: migrating is a no-op for it.
set -eu
: "${PMO_SERVICE:?PMO_SERVICE names the service to run}"
mode="${1:-serve}"

migrations() {
  python - "$1" <<'PY'
"""Alembic for one service: upgrade under a PostgreSQL advisory lock, or wait for head."""
import asyncio
import importlib
import os
import sys
import time
from pathlib import Path

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrations import alembic_config

MIGRATION_LOCK_ID = 0x504D4F4D  # replicas starting together migrate one after the other
mode, name = sys.argv[1], os.environ["PMO_SERVICE"]
service_dir = Path(importlib.import_module(f"services.{name}").__file__).parent
if not (service_dir / "alembic.ini").exists():
    print(f"{name}: no database, nothing to migrate")
    sys.exit(0)
settings_module = importlib.import_module(f"services.{name}.settings")
settings = getattr(settings_module, f"{name.capitalize()}Settings")()
head = ScriptDirectory.from_config(alembic_config(service_dir)).get_current_head()


def upgrade(connection):
    config = alembic_config(service_dir)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine):
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
        await connection.run_sync(upgrade)


async def at_head(engine):
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision())
    except Exception as error:  # the database may not be up yet: keep waiting
        print(f"{name}: database not reachable yet: {error!r}", flush=True)
        return False
    return current == head


async def main():
    engine = create_async_engine(settings.database_url)
    try:
        if mode == "migrate":
            await migrate(engine)
            print(f"{name}: database at {head}")
            return
        deadline = time.monotonic() + float(os.environ.get("PMO_MIGRATION_WAIT_SECONDS", "600"))
        while not await at_head(engine):
            if time.monotonic() > deadline:
                sys.exit(f"{name}: database not at {head} in time; did the migration Job run?")
            print(f"{name}: waiting for migrations to reach {head}", flush=True)
            await asyncio.sleep(5)
    finally:
        await engine.dispose()


asyncio.run(main())
PY
}

case "$mode" in
  serve)
    migrations migrate
    exec uvicorn "services.${PMO_SERVICE}.app:create_app" --factory --host 0.0.0.0 --port 8000 \
      --timeout-graceful-shutdown 20 --no-access-log
    ;;
  migrate) migrations migrate ;;
  wait-for-migrations) migrations wait ;;
  *) echo "usage: prestart.sh [serve|migrate|wait-for-migrations]" >&2; exit 2 ;;
esac
