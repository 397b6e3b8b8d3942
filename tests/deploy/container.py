"""A stand-in for a container of one of our images, on this machine: the image's data directory
(its ``WORKDIR``) is a temporary directory owned by the image's numeric user, mounted files are
root's and readable by the image's group, ``/opt/venv`` is this virtual environment, and commands
run as that user with the image's environment only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.deploy.dockerfile import Image, image

IMAGE_VENV = "/opt/venv"  # where docker/Dockerfile puts the virtual environment
BASE_ENV = {"LANG": "C.UTF-8"}  # what the python base image sets besides PATH


class Container:
    """Paths, ports and the listening address of an image translated to this machine."""

    def __init__(self, spec: Image, root: Path) -> None:
        self.spec = spec
        self.uid, self.gid = spec.ids()
        self.root = root
        self.data = root / "data"
        self.data.mkdir(mode=0o750)
        os.chown(self.data, self.uid, self.gid)
        self.paths = {spec.workdir: str(self.data), IMAGE_VENV: sys.prefix}
        self.ports: dict[int, int] = {}
        self.prefix: list[str] = []
        self.user: dict[str, Any] = {"user": self.uid, "group": self.gid, "extra_groups": []}

    def mount(self, target: str, text: str) -> Path:
        """A file mounted into the container: root's, mode 0640, group the image's."""
        path = self.root / "mounts" / target.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.chown(path, 0, self.gid)
        path.chmod(0o640)
        self.paths[target] = str(path)
        return path

    def translate(self, word: str) -> str:
        """``word`` with the container's paths and ports replaced by their stand-ins; a server
        listening on every address listens on 127.0.0.1 here (no network namespace of its own)."""
        if word == "0.0.0.0":
            return "127.0.0.1"
        for inside, outside in sorted(self.paths.items(), key=lambda item: -len(item[0])):
            word = re.sub(rf"(?<![\w./-]){re.escape(inside)}(?=[/'\":]|$)", outside, word)
        for inside_port, outside_port in self.ports.items():
            word = re.sub(rf"(?<![\d.]){inside_port}(?![\d.])", str(outside_port), word)
        return word

    def environment(self) -> dict[str, str]:
        return {**BASE_ENV, **{key: self.translate(v) for key, v in self.spec.env.items()}}

    def popen(self, command: list[str], **kwargs: Any) -> subprocess.Popen[str]:
        """Start ``command`` (in the container's terms) as the image's user, in its workdir."""
        return subprocess.Popen(
            [*self.prefix, *(self.translate(word) for word in command)],
            cwd=self.translate(self.spec.workdir),
            env={**self.environment(), **kwargs.pop("env", {})},
            text=True,
            **self.user,
            **kwargs,
        )

    def run(self, command: list[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
        with self.popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
            out, err = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def drop_privileges(self) -> str:
        """Check that the image's user can read this virtual environment and the sources it
        imports; where a parent directory shuts it out (a venv made from pyenv's Python under
        root's 0700 home: the image's interpreter is /usr/local/bin/python, open to all), drop
        only the uid and gid with ``setpriv`` and keep the one capability to read files and search
        directories (CAP_DAC_READ_SEARCH: it grants no write, so the write check still holds).
        Returns how the user was taken."""
        probe = [f"{IMAGE_VENV}/bin/python", "-c", "import gateway.cli"]
        try:
            result = self.run(probe)
        except PermissionError:  # e.g. the venv's interpreter lies under root's 0700 home
            pass
        else:
            if result.returncode == 0:
                return "uid and gid"
            assert "Permission denied" in result.stderr, result.stderr
        self.user = {}
        self.prefix = [
            "setpriv",
            f"--reuid={self.uid}",
            f"--regid={self.gid}",
            "--clear-groups",
            "--inh-caps=+dac_read_search",
            "--ambient-caps=+dac_read_search",
            "--",
        ]
        result = self.run(probe)
        assert result.returncode == 0, result.stderr
        return "setpriv with CAP_DAC_READ_SEARCH"


@contextmanager
def container(target: str) -> Iterator[Container]:
    """A stand-in for a container of ``docker build --target TARGET``, removed afterwards."""
    spec = image(target, base_env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    root = Path(tempfile.mkdtemp(prefix=f"og-{target}-"))
    try:
        root.chmod(0o755)
        yield Container(spec, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def owned_by(uid: int, roots: Iterable[Path]) -> set[Path]:
    """Every file and directory under ``roots`` that ``uid`` owns (symbolic links not followed)."""
    found: set[Path] = set()
    for root in roots:
        for directory, directories, files in os.walk(root):
            for name in (*directories, *files):
                path = Path(directory, name)
                try:
                    if path.lstat().st_uid == uid:
                        found.add(path)
                except OSError:  # gone since it was listed
                    continue
    return found


def wait_for(url: str, process: subprocess.Popen[str], timeout: float = 30) -> httpx.Response:
    """The first 200 from ``url``; fails if the process ends or the time runs out."""
    deadline = time.monotonic() + timeout
    response: httpx.Response | None = None
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the command exited with {process.returncode}"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer 200 in {timeout}s: {response}")
