"""Shared fixtures: the books in content/ are built once per test session, with
the README's own command, and every test reads those outputs."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import CONTENT, FIXTURES, run_build  # noqa: E402


#: What folio (and WeasyPrint under it) may never leave in the temporary folder.
LITTER = ("weasyprint-", "folio-")


def pytest_configure(config) -> None:
    """The whole run gets a temporary folder of its own (the controller's choice
    reaches every xdist worker and every build they start), so that what it leaves
    there can be told apart from what other programs leave."""
    if hasattr(config, "workerinput") or os.environ.get("FOLIO_TEST_TMPDIR"):
        return
    folder = tempfile.mkdtemp(prefix="pytest-folio-tmp-")
    os.environ["TMPDIR"] = os.environ["FOLIO_TEST_TMPDIR"] = folder
    tempfile.tempdir = None
    config.folio_tmpdir = folder


def pytest_sessionfinish(session, exitstatus) -> None:
    """After the run, the temporary folder holds no ``weasyprint-*`` or ``folio-*``
    entry: every build cleaned up after itself, killed builds included (the next
    build removes what they left). Anything left fails the run and is named."""
    folder = getattr(session.config, "folio_tmpdir", None)
    if folder is None:
        return
    left = sorted(p.name for p in Path(folder).iterdir() if p.name.startswith(LITTER))
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"the tests left in {folder}: {', '.join(left)}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        shutil.rmtree(folder, ignore_errors=True)


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
