"""gateway.settings: the tables, their defaults and errors, reading the file, the environment over
the file, and secrets by reference."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from connectors.config import ConfigProblems
from connectors.errors import ConfigurationError
from gateway.ids import new_id_key
from gateway.settings import AuthSettings, GatewaySettings, load_settings, parse_settings

REGION = {"dialect": "soap-prison", "kind": "CUSTODY", "base_url": "http://127.0.0.1:8101/"}
REGION_TOML = (
    '[regions.north]\ndialect = "soap-prison"\nkind = "CUSTODY"\n'
    'base_url = "http://127.0.0.1:8101/"\n'
    '[auth]\nmode = "off"\n'
)
AUTH_OFF = {"mode": "off"}  # these tests are not about authentication (tests/auth/ are)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OFFENDER_GRAPH_<TABLE> variable of the shell running the tests leaks in."""
    tables = tuple(
        f"OFFENDER_GRAPH_{table}" for table in ("GATEWAY", "CACHE", "RESILIENCE", "AUTH", "INDEX")
    )
    for name in list(os.environ):
        if name.upper().startswith(tables):
            monkeypatch.delenv(name)


def document(**gateway: Any) -> dict[str, Any]:
    return {"gateway": gateway, "regions": {"north": dict(REGION)}, "auth": AUTH_OFF}


def test_defaults_without_a_gateway_table() -> None:
    settings = parse_settings({"regions": {"north": dict(REGION)}, "auth": AUTH_OFF})
    assert settings.request_deadline == 5.0
    assert settings.max_depth == 12
    assert settings.max_page_size == 100
    assert settings.introspection is False  # production defaults
    assert settings.graphiql is False
    assert settings.trusted_documents == "" and settings.adhoc_documents is True
    assert settings.max_body_bytes == 256 * 1024
    assert [r.name for r in settings.regions] == ["north"]


def test_every_setting_is_read() -> None:
    settings = parse_settings(
        document(
            request_deadline=2,
            max_depth=5,
            max_page_size=10,
            introspection=True,
            graphiql=True,
            max_body_bytes=1024,
        )
    )
    assert settings == GatewaySettings(
        regions=settings.regions,
        request_deadline=2.0,
        max_depth=5,
        max_page_size=10,
        introspection=True,
        graphiql=True,
        max_body_bytes=1024,
        auth=AuthSettings(mode="off"),
    )
    assert isinstance(settings.request_deadline, float)


def test_unknown_gateway_key_is_rejected_by_name() -> None:
    with pytest.raises(ConfigurationError, match=r"gateway\.max_dpeth"):
        parse_settings(document(max_dpeth=5))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_depth", "12"),
        ("max_depth", 2.5),
        ("max_depth", True),
        ("request_deadline", "5s"),
        ("request_deadline", False),
        ("max_body_bytes", [1024]),
        ("introspection", 1),
        ("graphiql", "yes"),
    ],
)
def test_wrong_type_is_rejected_by_name(key: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=rf"gateway\.{key}"):
        parse_settings(document(**{key: value}))


@pytest.mark.parametrize(
    "key", ["request_deadline", "max_depth", "max_page_size", "max_body_bytes"]
)
@pytest.mark.parametrize("value", [0, -1])
def test_numbers_must_be_positive(key: str, value: int) -> None:
    with pytest.raises(ConfigurationError, match=rf"gateway\.{key}"):
        parse_settings(document(**{key: value}))


def test_gateway_that_is_not_a_table() -> None:
    with pytest.raises(ConfigurationError, match=r"\[gateway\]"):
        parse_settings({"gateway": "fast", "regions": {"north": dict(REGION)}})


def test_regions_are_validated_too() -> None:
    with pytest.raises(ConfigurationError, match=r"regions\.north\.kind"):
        parse_settings({"regions": {"north": {**REGION, "kind": "JAIL"}}})
    with pytest.raises(ConfigurationError, match="regions"):
        parse_settings({"gateway": {}})


def test_settings_are_frozen() -> None:
    settings = parse_settings(document())
    with pytest.raises(AttributeError):
        settings.max_depth = 99  # type: ignore[misc]


# ---- the file ----------------------------------------------------------------------------------
def test_load_settings_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text("[gateway]\nmax_depth = 7\n\n" + REGION_TOML, encoding="utf-8")
    settings = load_settings(path)
    assert settings.max_depth == 7
    assert [r.name for r in settings.regions] == ["north"]


def test_load_settings_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigurationError) as caught:
        load_settings(missing)
    assert str(missing) in str(caught.value)


def test_load_settings_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text("[gateway\nmax_depth = = 7\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_settings(path)


def test_load_settings_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_bytes(b"\xff\xfe[gateway]\n")
    with pytest.raises(ConfigurationError):
        load_settings(path)


def test_every_problem_is_reported_at_once() -> None:
    document = {
        "gateway": {"max_depth": "12", "max_dpeth": 5},
        "cache": {"default_ttl": -1},
        "resilience": {"retries": 2.5},
        "regions": {"north": dict(REGION), "south": {**REGION, "kind": "JAIL"}},
        "auth": AUTH_OFF,
    }
    with pytest.raises(ConfigProblems) as caught:
        parse_settings(document)
    assert caught.value.problems == (
        "gateway.max_depth must be a whole number",
        "gateway.max_dpeth is not a known setting",
        "cache.default_ttl must be zero or more",
        "resilience.retries must be a whole number",
        "regions.south.kind must be CUSTODY or PROBATION",
    )


def test_numbers_must_be_finite() -> None:
    with pytest.raises(ConfigurationError, match=r"gateway\.request_deadline must be positive"):
        parse_settings(document(request_deadline=float("inf")))


def test_load_settings_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_settings(tmp_path)  # a directory


# ---- the environment ---------------------------------------------------------------------------
def test_environment_sets_a_key_of_each_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFENDER_GRAPH_GATEWAY__REQUEST_DEADLINE", "2.5")
    monkeypatch.setenv("OFFENDER_GRAPH_GATEWAY__GRAPHIQL", "true")
    monkeypatch.setenv("OFFENDER_GRAPH_CACHE__URL", "redis://127.0.0.1:6379/2")
    monkeypatch.setenv("offender_graph_resilience__retries", "0")  # any case
    settings = parse_settings(document())
    assert settings.request_deadline == 2.5
    assert settings.graphiql is True
    assert settings.cache.url == "redis://127.0.0.1:6379/2"
    assert settings.resilience.retries == 0
    assert settings.max_depth == 12  # untouched keys keep their defaults


def test_environment_wins_over_the_file_which_wins_over_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    file = {"max_depth": 7, "max_aliases": 9}
    monkeypatch.setenv("OFFENDER_GRAPH_GATEWAY__MAX_DEPTH", "3")
    settings = parse_settings(document(**file))
    assert (settings.max_depth, settings.max_aliases, settings.max_tokens) == (3, 9, 5000)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OFFENDER_GRAPH_GATEWAY__MAX_DEPTH", "twelve-9f3", "gateway.max_depth"),
        ("OFFENDER_GRAPH_GATEWAY__MAX_DEPTH", "2.5", "gateway.max_depth"),
        ("OFFENDER_GRAPH_GATEWAY__INTROSPECTION", "maybe-9f3", "gateway.introspection"),
        ("OFFENDER_GRAPH_CACHE__DEFAULT_TTL", "60s-9f3", "cache.default_ttl"),
        ("OFFENDER_GRAPH_RESILIENCE__RETRIES", "-1", "resilience.retries"),
    ],
)
def test_environment_value_of_the_wrong_type_is_named_not_echoed(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        parse_settings(document())
    assert f"{message} (from {variable}) must be" in str(caught.value)
    assert value not in str(caught.value)


def test_unknown_environment_key_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFENDER_GRAPH_CACHE__TTL", "5")
    with pytest.raises(ConfigurationError, match=r"cache\.ttl \(from OFFENDER_GRAPH_CACHE__TTL\)"):
        parse_settings(document())


def test_a_whole_table_variable_that_is_not_json_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OFFENDER_GRAPH_CACHE", "redis-9f3")
    with pytest.raises(ConfigurationError, match="OFFENDER_GRAPH_<TABLE>__<KEY>") as caught:
        parse_settings(document())
    assert "redis-9f3" not in str(caught.value)


def test_other_offender_graph_variables_are_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFENDER_GRAPH_CONFIG", "elsewhere.toml")
    monkeypatch.setenv("OFFENDER_GRAPH_REQUIRE_SERVICES", "1")
    assert parse_settings(document()).max_depth == 12


# ---- secrets by reference ----------------------------------------------------------------------
SECRET = "s3cret-Qz71-never-shown"


def snake_region(api_key: object) -> dict[str, Any]:
    return {
        "dialect": "rest-snake",
        "kind": "PROBATION",
        "base_url": "http://127.0.0.1:8102/",
        "auth": {"type": "api_key", "api_key": api_key},
    }


def camel_region(client_secret: object) -> dict[str, Any]:
    return {
        "dialect": "rest-camel",
        "kind": "PROBATION",
        "base_url": "http://127.0.0.1:8103/",
        "auth": {
            "type": "oauth2",
            "token_url": "http://127.0.0.1:8103/oauth/token",
            "client_id": "gateway",
            "client_secret": client_secret,
        },
    }


def test_secrets_by_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    key = new_id_key()
    monkeypatch.setenv("SNAKE_KEY", SECRET)
    monkeypatch.setenv("CAMEL_SECRET", SECRET + "-camel")
    monkeypatch.setenv("GATEWAY_ID_KEY", key)
    monkeypatch.setenv("REDIS_URL", f"redis://:{SECRET}@127.0.0.1:6379/0")
    settings = parse_settings(
        {
            "gateway": {"id_key": {"env": "GATEWAY_ID_KEY"}},
            "cache": {"url": {"env": "REDIS_URL"}},
            "regions": {
                "snake": snake_region({"env": "SNAKE_KEY"}),
                "camel": camel_region({"env": "CAMEL_SECRET"}),
            },
            "auth": AUTH_OFF,
        }
    )
    snake, camel = settings.regions
    assert snake.auth.api_key == SECRET
    assert camel.auth.client_secret == SECRET + "-camel"
    assert settings.id_key == key
    assert settings.cache.url == f"redis://:{SECRET}@127.0.0.1:6379/0"
    assert SECRET not in repr(settings)
    assert key not in repr(settings)


def test_secrets_by_file_without_the_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / "snake.key").write_text(SECRET + "\n", encoding="utf-8")
    key = new_id_key()
    (tmp_path / "id.key").write_text(key + "\n", encoding="utf-8")
    settings = parse_settings(
        {
            "gateway": {"id_key": {"file": str(tmp_path / "id.key")}},
            "regions": {"snake": snake_region({"file": str(tmp_path / "snake.key")})},
            "auth": AUTH_OFF,
        }
    )
    assert settings.regions[0].auth.api_key == SECRET
    assert settings.id_key == key
    assert SECRET not in repr(settings)


def test_a_secret_in_place_still_works() -> None:
    settings = parse_settings({"regions": {"snake": snake_region(SECRET)}, "auth": AUTH_OFF})
    assert settings.regions[0].auth.api_key == SECRET


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ({"env": "NO_SUCH_VARIABLE_9F3"}, "environment variable NO_SUCH_VARIABLE_9F3 is not set"),
        ({"file": "no/such/secret-9f3"}, "cannot read secret file no/such/secret-9f3"),
        ({"env": "EMPTY_SECRET_9F3"}, "environment variable EMPTY_SECRET_9F3 is empty"),
        ({"vault": "x"}, 'must be a string, { env = "NAME" } or { file = "PATH" }'),
        ({"env": "A", "file": "B"}, "must be a string"),
        (42, "must be a string"),
    ],
)
def test_a_secret_that_cannot_be_resolved_is_named(
    monkeypatch: pytest.MonkeyPatch, reference: object, message: str
) -> None:
    monkeypatch.setenv("EMPTY_SECRET_9F3", "  \n")
    with pytest.raises(ConfigurationError) as caught:
        parse_settings(
            {"regions": {"snake": snake_region(reference), "camel": camel_region(SECRET)}}
        )
    expected = f"regions.snake.auth.api_key: {message}".replace(": must", " must")
    assert str(caught.value).startswith(expected)  # only the snake region, named


def test_missing_secrets_of_every_kind_are_named_and_no_secret_is_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigProblems) as caught:
        parse_settings(
            {
                "gateway": {"id_key": {"env": "NO_ID_KEY_9F3"}, "max_depth": SECRET},
                "cache": {"url": {"file": str(tmp_path / "missing")}},
                "regions": {
                    "camel": camel_region({"env": "NO_CAMEL_9F3"}),
                    "snake": {**snake_region(SECRET), "timeout": SECRET},
                },
                "auth": AUTH_OFF,
            }
        )
    assert caught.value.problems == (
        "gateway.id_key: environment variable NO_ID_KEY_9F3 is not set",
        "gateway.max_depth must be a whole number",
        f"cache.url: cannot read secret file {tmp_path / 'missing'}: No such file or directory",
        "regions.camel.auth.client_secret: environment variable NO_CAMEL_9F3 is not set",
        "regions.snake.timeout must be a positive number",
    )
    assert SECRET not in str(caught.value)
