"""docker-compose.yml: valid Compose, KRaft Kafka, a database per service, health-gated start."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml

from envvars import ROOT, documented, services

COMPOSE = ROOT / "docker-compose.yml"
SCHEMA = ROOT / "tests" / "ops" / "schemas" / "compose-spec.json"
DATABASE_SERVICES = sorted(path.parent.name for path in (ROOT / "services").glob("*/alembic.ini"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _errors(document: dict) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    # The vendored revision declares draft 2019-09 under a URI jsonschema does not know, and
    # uses only draft-07 keywords ("id" is an annotation there): validate it as draft 7.
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(document)]


def test_the_compose_file_follows_the_compose_specification(compose):
    assert _errors(compose) == []


def test_the_schema_check_catches_a_misspelt_key(compose):
    broken = json.loads(json.dumps(compose))
    broken["services"]["kafka"]["helthcheck"] = broken["services"]["kafka"].pop("healthcheck")
    assert _errors(broken)


def test_kafka_is_the_apache_image_in_kraft_mode_with_its_data_on_a_named_volume(compose):
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    environment = kafka["environment"]
    assert environment["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "KAFKA_ZOOKEEPER_CONNECT" not in environment
    assert environment["KAFKA_NUM_PARTITIONS"] == 3
    assert str(environment["KAFKA_LOG_RETENTION_MS"]) == "-1"
    assert f"kafka-data:{environment['KAFKA_LOG_DIRS']}" in kafka["volumes"]


def test_postgres_has_one_database_per_service_and_each_service_uses_its_own(compose):
    init = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    assert sorted(re.findall(r"CREATE DATABASE (\w+);", init)) == DATABASE_SERVICES
    for name in DATABASE_SERVICES:
        url = compose["services"][name]["environment"][f"PMO_{name.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and url.endswith(f"@postgres:5432/{name}")


def test_every_service_and_the_web_ui_are_built_from_the_one_dockerfile(compose):
    for name in services():
        service = compose["services"][name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["build"]["args"] == {"SERVICE": name}
        assert service["environment"]["PMO_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert compose["services"]["portal"]["ports"] == ["8000:8000"]
    portal_env = compose["services"]["portal"]["environment"]
    for name in DATABASE_SERVICES:
        assert portal_env[f"PMO_PORTAL_{name.upper()}_URL"] == f"http://{name}:8000"


def test_everything_long_running_has_a_healthcheck_and_starts_after_what_it_needs(compose):
    running = {name: service for name, service in compose["services"].items()
               if not service.get("profiles")}
    for name, service in running.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, (name, dependency)
    for name in DATABASE_SERVICES:
        assert set(running[name]["depends_on"]) == {"kafka", "postgres"}
    assert set(running["portal"]["depends_on"]) == set(DATABASE_SERVICES)


def test_volumes_are_named_and_declared(compose):
    declared = set(compose["volumes"])
    used = set()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == declared


def test_every_variable_compose_reads_is_in_env_example_and_every_one_there_is_documented():
    example = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
               if line and not line.startswith("#")}
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    assert interpolated - example == set(), "add them to .env.example"
    assert example - interpolated - {"COMPOSE_PROJECT_NAME"} == set(), "compose does not use them"
    docs = documented((ROOT / "docs" / "operations.md").read_text())
    assert example - set(docs) == set(), "document them in docs/operations.md"
