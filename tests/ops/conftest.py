"""tests/ops: static checks of the deployment files and the observability wiring; no network."""

from __future__ import annotations

import sys
from pathlib import Path

# The helpers beside these tests (envvars) are imported by name.
sys.path.insert(0, str(Path(__file__).parent))
