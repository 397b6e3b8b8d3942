"""What an image built from ``docker/Dockerfile`` runs, read from the file: each stage's
effective ``USER``, ``WORKDIR``, ``ENV``, ``CMD`` and ``HEALTHCHECK``, inherited along ``FROM``."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "docker" / "Dockerfile"


@dataclass(frozen=True)
class Image:
    """The run-time configuration a stage's image carries."""

    user: str = "root"
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)  # the sources of this stage's own COPY lines

    def command(self) -> list[str]:
        """What a container of the image runs: ``ENTRYPOINT`` then ``CMD``."""
        return [*self.entrypoint, *self.cmd]

    def ids(self) -> tuple[int, int]:
        """The numeric uid and gid of ``USER`` (a name would depend on /etc/passwd)."""
        uid, _, gid = self.user.partition(":")
        return int(uid), int(gid or uid)


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        logical.append(pending.strip())
        pending = ""
    return [(head.upper(), rest.strip()) for head, _, rest in (s.partition(" ") for s in logical)]


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


def _exec_form(arguments: str) -> list[str]:
    words = json.loads(arguments)
    assert isinstance(words, list) and all(isinstance(w, str) for w in words), arguments
    return words


def stages(text: str, base_env: dict[str, str] | None = None) -> dict[str, Image]:
    """Every named stage's image. ``base_env`` stands for the base image's own ``ENV``."""
    images: dict[str, Image] = {}
    current: Image | None = None
    name = ""
    for instruction, arguments in instructions(text):
        if instruction == "FROM":
            if current is not None:
                images[name] = current
            words = arguments.split()
            base, name = words[0], words[-1] if len(words) == 3 else ""
            inherited = images.get(base, Image(env=dict(base_env or {})))
            current = replace(inherited, env=dict(inherited.env), copies=[])
        elif current is None:
            continue  # ARG before the first FROM
        elif instruction == "USER":
            current = replace(current, user=arguments)
        elif instruction == "WORKDIR":
            current = replace(current, workdir=arguments)
        elif instruction == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                current.env[key] = _expand(value, current.env)
        elif instruction == "ENTRYPOINT":
            current = replace(current, entrypoint=_exec_form(arguments))
        elif instruction == "CMD":
            current = replace(current, cmd=_exec_form(arguments))
        elif instruction == "HEALTHCHECK":
            current = replace(current, healthcheck=_exec_form(arguments.split(" CMD ", 1)[1]))
        elif instruction == "COPY" and not arguments.startswith("--from"):
            current.copies.extend(arguments.split()[:-1])
    if current is not None:
        images[name] = current
    return images


def image(target: str, base_env: dict[str, str] | None = None) -> Image:
    """The image ``docker build --target TARGET`` makes from ``docker/Dockerfile``."""
    return stages(DOCKERFILE.read_text(encoding="utf-8"), base_env)[target]
