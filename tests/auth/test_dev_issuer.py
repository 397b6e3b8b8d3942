"""The development issuer: its key file, its JWKS route, `offender-graph token` (a real
subprocess) making tokens a gateway accepts, and the start-up refusals."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from auth.dev_issuer import DEV_ISSUER, DevIssuer, example_users
from connectors.config import ConfigProblems
from connectors.errors import ConfigurationError
from gateway.authentication import token_validator
from gateway.settings import AuthSettings, load_settings, parse_settings
from simulators.runner import RunningEstate
from simulators.server import ServerGroup, free_port
from tests.auth.issuer import ISSUER

CLI = Path(sys.executable).with_name("offender-graph")


def test_the_key_is_made_once_owner_only_and_shared(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "dev-key.pem"
    first, second = DevIssuer(key_file), DevIssuer(key_file)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first.kid == second.kid
    assert first.jwks() == second.jwks()
    assert "d" not in first.jwks()["keys"][0]  # the public half only
    assert list(key_file.parent.iterdir()) == [key_file]  # no draft left behind


def test_every_example_role_is_there() -> None:
    users = example_users()
    assert users["prison-officer"].caseload == ("MDI", "LEI")
    assert users["probation-officer"].probation_regions == ("N07", "N57")
    assert users["global-search"].roles == ("ROLE_GLOBAL_SEARCH",)
    assert users["operator"].roles == ("OPERATOR",)
    assert users["excluded-officer"].subject == "dev.excluded.officer"
    assert len({u.subject for u in users.values()}) == len(users)


def test_the_dev_issuer_beside_another_issuer_is_refused_at_start_up() -> None:
    for foreign in ({"issuer": ISSUER}, {"jwks_url": "https://login.test.invalid/jwks"}):
        with pytest.raises(ConfigProblems, match="dev_issuer trusts only the development"):
            parse_settings({"auth": {"dev_issuer": True, **foreign}})
        with pytest.raises(ConfigurationError, match="dev_issuer trusts only"):
            token_validator(AuthSettings(dev_issuer=True, **foreign))


def test_jwt_without_an_issuer_names_the_missing_keys() -> None:
    with pytest.raises(ConfigProblems) as caught:
        parse_settings({"auth": {"issuer": ISSUER}})
    auth_problems = [p for p in caught.value.problems if p.startswith("auth.")]
    assert auth_problems == [
        'auth.mode = "jwt" needs auth.audience, auth.jwks_url (or auth.mode = "off")'
    ]
    with pytest.raises(ConfigurationError, match=r"auth\.issuer, auth\.audience, auth\.jwks_url"):
        token_validator(AuthSettings())
    with pytest.raises(ConfigProblems, match=r"auth\.mode must be one of jwt, off"):
        parse_settings({"auth": {"mode": "none"}})
    with pytest.raises(ConfigProblems, match=r"auth\.algorithms must name some of RS256, ES256"):
        parse_settings({"auth": {"mode": "off", "algorithms": "HS256"}})


@pytest.fixture(scope="module")
def demo_config(running_estate: RunningEstate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config as `make demo` writes it: jwt with the development issuer."""
    folder = tmp_path_factory.mktemp("demo")
    auth = {"mode": "jwt", "dev_issuer": True, "dev_key_file": str(folder / "dev-key.pem")}
    config = folder / "estate.toml"
    config.write_text(running_estate.config_toml(auth=auth), encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def demo_root(demo_config: Path) -> Iterator[str]:
    from gateway.app import create_app

    port = free_port()
    group = ServerGroup([(create_app(load_settings(demo_config)), port)])
    group.start()
    yield f"http://127.0.0.1:{port}"
    group.stop()


def token(user: str, config: Path, *more: str) -> subprocess.CompletedProcess[str]:
    command = [str(CLI), "token", user, "--config", str(config), *more]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_token_command_makes_a_token_the_gateway_accepts(
    demo_config: Path, demo_root: str
) -> None:
    made = token("operator", demo_config, "--minutes", "5")
    assert made.returncode == 0, made.stderr
    value = made.stdout.strip()
    claims = jwt.decode(value, options={"verify_signature": False})
    assert claims["iss"] == DEV_ISSUER and claims["sub"] == "dev.operator"
    assert 290 <= claims["exp"] - claims["iat"] <= 300
    headers = {"authorization": f"Bearer {value}"}
    ready = httpx.get(demo_root + "/ready", headers=headers)
    assert "regions" in ready.json()  # an operator's details
    query = {"query": "{ regions { name } }"}
    assert httpx.post(demo_root + "/graphql", json=query, headers=headers).status_code == 200
    assert httpx.post(demo_root + "/graphql", json=query).status_code == 401


def test_the_dev_jwks_is_served_with_the_dev_issuer(demo_config: Path, demo_root: str) -> None:
    served = httpx.get(demo_root + "/.well-known/dev-jwks.json").json()
    settings = load_settings(demo_config)
    assert served == DevIssuer(Path(settings.auth.dev_key_file)).jwks()


def test_the_token_command_refuses_a_config_without_the_dev_issuer(
    running_estate: RunningEstate, tmp_path: Path
) -> None:
    config = tmp_path / "off.toml"
    config.write_text(running_estate.config_toml(), encoding="utf-8")  # auth off
    refused = token("operator", config)
    assert refused.returncode == 1
    assert "does not trust the development issuer" in refused.stderr
    assert refused.stdout == ""
    unknown = token("nobody", config)
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
