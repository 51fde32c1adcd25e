#!/bin/sh
# Prestart: bring the service's database to its newest migration, then serve.
set -e
python - <<PY
import os
from pathlib import Path
import importlib
from alembic import command
from shared.migrations import alembic_config

name = os.environ["PMO_SERVICE"]
package = importlib.import_module(f"services.{name}")
settings_module = importlib.import_module(f"services.{name}.settings")
settings = getattr(settings_module, f"{name.capitalize()}Settings")()
command.upgrade(alembic_config(Path(package.__file__).parent, settings.database_url), "head")
PY
exec uvicorn "services.${PMO_SERVICE}.app:create_app" --factory --host 0.0.0.0 --port 8000 \
  --timeout-graceful-shutdown 20 --no-access-log
