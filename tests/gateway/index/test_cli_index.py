"""``offender-graph index stats|forget`` on a SQLite index named by a config file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.identity.index import Sighting
from gateway.identity.index.sqlite_store import SqlitePersonIndex
from tests.gateway.index.test_store import PRISON, PROBATION


def config(tmp_path: Path, database: Path) -> Path:
    path = tmp_path / "gateway.toml"
    region = (
        '[regions.north]\ndialect = "soap-prison"\nkind = "CUSTODY"\n'
        'base_url = "http://127.0.0.1:8101/"\n'
    )
    path.write_text(f'[index]\nurl = "sqlite:///{database}"\n[auth]\nmode = "off"\n{region}')
    return path


async def remembered(database: Path) -> None:
    index = SqlitePersonIndex(database)
    await index.remember(Sighting((PRISON, PROBATION)), datetime.now(UTC))
    await index.aclose()


def test_stats_and_forget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OFFENDER_GRAPH_INDEX__URL", raising=False)  # the file's [index] counts
    database = tmp_path / "index.sqlite3"
    asyncio.run(remembered(database))
    path = str(config(tmp_path, database))
    main(["index", "stats", "--config", path])
    assert capsys.readouterr().out.startswith("people 1  records 2  bytes ")
    main(["index", "forget", "--region", "prison", "--local-id", "P1", "--config", path])
    assert "forgot prison P1" in capsys.readouterr().out
    main(["index", "stats", "--config", path])
    assert capsys.readouterr().out.startswith("people 1  records 1  bytes ")
