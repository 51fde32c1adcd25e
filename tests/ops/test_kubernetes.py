"""deploy/k8s: valid against the Kubernetes schemas, and complete for every service."""

from __future__ import annotations

import copy
import re

import pytest
import yaml
from kubernetes_validate import utils as kubernetes_validate

from envvars import ROOT, services
from shared.events.registry import TOPICS, dead_letter_topic

K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"  # the oldest version the manifests promise to work on
DATABASE_SERVICES = sorted(path.parent.name for path in (ROOT / "services").glob("*/alembic.ini"))


def _documents() -> list[tuple[str, dict]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [(name, document) for name in kustomization["resources"]
            for document in yaml.safe_load_all((K8S / name).read_text()) if document]


DOCUMENTS = _documents()


def _of_kind(kind: str) -> dict[str, dict]:
    return {document["metadata"]["name"]: document for _, document in DOCUMENTS
            if document["kind"] == kind}


def test_the_kustomization_lists_every_manifest_file():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}


@pytest.mark.parametrize("version", [KUBERNETES_VERSION, kubernetes_validate.latest_version()])
@pytest.mark.parametrize("source,document", DOCUMENTS,
                         ids=[f"{source}:{doc['kind']}/{doc['metadata']['name']}"
                              for source, doc in DOCUMENTS])
def test_every_object_is_valid_against_the_kubernetes_schema(source, document, version):
    # strict: unknown fields (a misspelt key) are errors, as `kubectl apply --validate=strict`.
    kubernetes_validate.validate(document, version, strict=True)


def test_the_schema_check_catches_a_misspelt_field():
    deployment = copy.deepcopy(_of_kind("Deployment")["intake"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name", services())
def test_every_service_has_a_probed_resourced_non_root_deployment_and_a_service(name):
    deployment = _of_kind("Deployment")[name]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"].endswith(f"/{name}:" + container["image"].rsplit(":", 1)[1])
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    # Service links would inject PMO_<NAME>_PORT=tcp://... and break the settings.
    assert pod["enableServiceLinks"] is False
    sources = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]}
    assert sources == {"pmo-config", "pmo-secrets"}
    service = _of_kind("Service")[name]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize("name", DATABASE_SERVICES)
def test_every_service_with_a_database_has_a_migration_job_its_pods_wait_for(name):
    job = _of_kind("Job")[f"{name}-migrate"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["migrate"]
    deployment = _of_kind("Deployment")[name]
    [init] = deployment["spec"]["template"]["spec"]["initContainers"]
    assert init["args"] == ["wait-for-migrations"] and init["image"] == container["image"]


def test_only_stateless_services_scale_out():
    deployments = _of_kind("Deployment")
    assert deployments["prioritizer"]["spec"]["replicas"] == 1
    assert deployments["prioritizer"]["spec"]["strategy"]["type"] == "Recreate"
    assert "prioritizer" not in _of_kind("HorizontalPodAutoscaler")
    for name in set(services()) - {"prioritizer"}:
        assert deployments[name]["spec"]["replicas"] >= 2
        assert _of_kind("HorizontalPodAutoscaler")[name]["spec"]["maxReplicas"] > 2


def test_the_topic_job_creates_every_contract_topic_and_its_dlq_with_three_partitions():
    job = _of_kind("Job")["kafka-topics"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    script = container["command"][-1]
    created = dict(re.findall(r"^create (\S+) (-?\d+)$", script, flags=re.M))
    expected = set(TOPICS) | {dead_letter_topic(topic) for topic in TOPICS}
    assert set(created) == expected
    assert all(created[topic] == "-1" for topic in TOPICS if not topic.startswith("pmo.prioritizer."))
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["PARTITIONS"] == "3"


def test_the_config_map_and_secret_carry_what_the_services_need():
    config = _of_kind("ConfigMap")["pmo-config"]["data"]
    secret = _of_kind("Secret")["pmo-secrets"]["stringData"]
    assert config["PMO_ENV"] == "production" and config["PMO_JWT_JWKS_URL"].startswith("https://")
    for name in DATABASE_SERVICES:
        assert secret[f"PMO_{name.upper()}_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert config[f"PMO_PORTAL_{name.upper()}_URL"] == f"http://{name}:8000"
    assert not set(config) & set(secret)
