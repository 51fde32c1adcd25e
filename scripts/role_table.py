"""Prints the role table of every service as Markdown, from the ACCESS tables and OpenAPI documents.

    .venv/bin/python scripts/role_table.py > /tmp/roles.md   # paste into docs/security.md
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.auth import Role  # noqa: E402

SERVICES = ["intake", "catalog", "feedback", "prioritizer"]


def rows(name: str) -> list[tuple[str, str, str]]:
    settings_module = importlib.import_module(f"services.{name}.settings")
    settings = getattr(settings_module, f"{name.capitalize()}Settings")(kafka_enabled=False)
    document = importlib.import_module(f"services.{name}.app").create_app(settings).openapi()
    return [(operation["operationId"], method.upper(), path)
            for path, methods in document["paths"].items() for method, operation in methods.items()
            if path.startswith("/v1/")]


def main() -> None:
    roles = list(Role)
    print("| service | operation | method and path | " + " | ".join(roles) + " |")
    print("|---|---|---|" + "---|" * len(roles))
    for name in SERVICES:
        access = importlib.import_module(f"services.{name}.api").ACCESS
        for operation_id, method, path in rows(name):
            allowed = access.get(operation_id, frozenset())
            marks = " | ".join("✓" if role in allowed else "" for role in roles)
            print(f"| {name} | `{operation_id}` | `{method} {path}` | {marks} |")


if __name__ == "__main__":
    main()
