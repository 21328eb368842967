"""Shared fixtures: the books in content/ are built once per test session, with
the README's own command, and every test reads those outputs."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import CONTENT, FIXTURES, run_build  # noqa: E402


class Built:
    """The outputs of one build run."""

    def __init__(self, folder: Path, result) -> None:
        self.folder = folder
        self.result = result

    def book(self, slug: str) -> Path:
        return self.folder / slug

    def file(self, slug: str, suffix: str) -> Path:
        if suffix == "html":
            return self.folder / slug / "index.html"
        return self.folder / slug / f"{slug}.{suffix}"


@pytest.fixture(scope="session")
def content_build(tmp_path_factory) -> Built:
    """Every book in content/, built like `make` does (but into a temporary dist)."""
    out = tmp_path_factory.mktemp("dist")
    result = run_build("-o", str(out), env={"SOURCE_DATE_EPOCH": "1764000000"})
    assert result.returncode == 0, result.stderr
    return Built(out, result)


@pytest.fixture(scope="session")
def delivered_build(tmp_path_factory) -> Built:
    """The German article exactly as the author delivered it (no front matter)."""
    folder = tmp_path_factory.mktemp("delivered")
    source = folder / "warum-entkoppeln-sich-us-aktien.md"
    shutil.copy(FIXTURES / "delivered" / source.name, source)
    result = run_build(str(source), "-o", str(folder / "dist"))
    assert result.returncode == 0, result.stderr
    return Built(folder / "dist", result)


@pytest.fixture
def content_dir() -> Path:
    return CONTENT
