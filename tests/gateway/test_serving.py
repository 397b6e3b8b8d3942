"""``serve`` runs on uvloop and httptools where they are installed, on asyncio and h11 without."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
from pathlib import Path
from typing import Any

import pytest
import uvloop

from gateway.cli import serving


def test_uvloop_and_httptools_where_installed() -> None:
    assert (serving.event_loop(), serving.http_protocol()) == ("uvloop", "httptools")


def test_asyncio_and_h11_without_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    assert (serving.event_loop(), serving.http_protocol()) == ("asyncio", "h11")


def test_one_process_runs_on_uvloop() -> None:
    seen: list[asyncio.AbstractEventLoop] = []

    async def main() -> None:
        seen.append(asyncio.get_running_loop())

    serving.run(main())
    assert isinstance(seen[0], uvloop.Loop)


def test_one_process_serves_with_httptools(monkeypatch: pytest.MonkeyPatch) -> None:
    configs: list[Any] = []

    class Server:
        started, should_exit = True, False

        def __init__(self, config: Any) -> None:
            configs.append(config)

        async def serve(self) -> None:
            return None

    monkeypatch.setattr(serving.uvicorn, "Server", Server)
    monkeypatch.setattr(serving, "configure_logging", lambda: None)
    monkeypatch.setattr(serving, "create_app", lambda settings, **example: "app")
    asyncio.run(
        serving.serve_gateway(
            None,  # type: ignore[arg-type]  # create_app is replaced: settings are not read
            "127.0.0.1",
            8000,
            serving.ExamplePerson(),
            "up",
        )
    )
    assert configs[0].http == "httptools"


def test_workers_run_on_uvloop_and_httptools(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(serving, "load_settings", lambda path: None)
    monkeypatch.setattr(serving, "ensure_port_free", lambda host, port: None)
    monkeypatch.setattr(serving.uvicorn, "run", lambda app, **options: calls.append(options))
    monkeypatch.setattr(serving, "configure_logging", lambda: None)
    monkeypatch.setenv(serving.CONFIG_VARIABLE, "")  # serve sets it for the workers: restored
    args = argparse.Namespace(config=tmp_path / "gateway.toml", host="127.0.0.1", port=8000)
    args.workers = 2
    serving.serve(args)
    assert (calls[0]["loop"], calls[0]["http"], calls[0]["workers"]) == ("uvloop", "httptools", 2)
