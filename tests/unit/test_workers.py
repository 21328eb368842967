"""``sandbox.Workers``: jobs side by side in the children, and the job that gathers
their results (the PDF's merge) in a child of its own, forked while this process
was small."""

import ctypes
import os
import sys
import time

import pytest

from folio import sandbox
from folio.formats.pdf.builder import PdfBuilder
from folio.pipeline import _isolated_children
from folio.sandbox import Child, Workers


@pytest.fixture(autouse=True)
def _not_left_adopting():
    """``sandbox.family`` makes this process a child subreaper (``adopt_orphans``) for
    the rest of its life, as a build's process is until it ends. Here that is the test
    runner's: a later test's build, killed, would leave its orphans to it, unreaped
    (tests/test_hostile.py counts them as processes left behind). Undone after each
    test."""
    yield
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(sandbox._PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def test_the_last_job_runs_in_the_finisher_not_in_a_worker():
    workers = Workers([Child(), Child()], Child())
    try:
        ran = set(workers.map([(os.getpid, ())] * 6))
        assert ran <= {child.pid for child in workers.children}
        assert workers.finish(os.getpid) == workers.finisher.pid not in ran
    finally:
        workers.close()
    # Every child ended and reaped, the finisher too (``close`` takes each pid).
    assert [child.pid for child in [*workers.children, workers.finisher]] == [0, 0, 0]


def test_without_a_finisher_the_last_job_runs_in_a_worker():
    workers = Workers([Child()])
    try:
        assert workers.finish(os.getpid) == workers.children[0].pid
    finally:
        workers.close()


def test_the_pdf_keeps_a_merging_child_only_when_it_lays_out_in_parts():
    for count, finisher in ((2, True), (1, False)):
        with _isolated_children([PdfBuilder()], "book", {"layout_workers": count}) as made:
            assert len(made["pdf"].children) == count
            assert (made["pdf"].finisher is not None) is finisher


def _imported(name: str) -> bool:
    import sys
    return name in sys.modules


def test_children_import_their_libraries_only_when_told(monkeypatch, tmp_path):
    """``Workers.load``: the layout children import their libraries (WeasyPrint) when
    the reading leaves them a core, not when forked; the import is no layout job (the
    layout's time limit, set lower than an import takes, does not stop it)."""
    probe = "folio_slow_probe"  # a library that takes 0.3 s to import
    (tmp_path / f"{probe}.py").write_text("import time\ntime.sleep(0.3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with _isolated_children([PdfBuilder()], "book", {"layout_workers": 2}) as made:
        pool = made["pdf"]
        assert pool.preload == ("folio.formats.pdf.libraries:import_weasyprint",
                                "folio.formats.pdf.merge",
                                "folio.formats.pdf.engine:warm_up:en")
        pool.preload = (probe,)
        assert pool.map([(_imported, (probe,))] * 2) == [False, False]
        # Lower than the import takes (not lower before: on a busy machine a first
        # job's answer took longer than 0.1 s, and the test failed for that).
        monkeypatch.setenv("FOLIO_LAYOUT_TIMEOUT", "0.1")
        pool.load()
        time.sleep(0.05)  # the imports have begun under the layout's limit of 0.1 s
        monkeypatch.setenv("FOLIO_LAYOUT_TIMEOUT", "60")
        assert pool.map([(_imported, (probe,))] * 2) == [True, True]
        assert all(child.pid for child in pool.children), "no child was stopped"


def test_a_second_child_is_forked_by_the_first_and_shares_its_import(tmp_path, monkeypatch):
    """``sandbox.family``: the second layout child is forked by the first once that one
    has imported (``Workers.load``), so the library is imported once, not in each
    child; the second child is still this process's (adopted: reaped here)."""
    probe = "folio_shared_probe"  # records each process that imports it
    record = tmp_path / "imported-by"
    (tmp_path / f"{probe}.py").write_text(
        f"import os\nwith open({str(record)!r}, 'a') as f: f.write(f'{{os.getpid()}}\\n')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with _isolated_children([PdfBuilder()], "book", {"layout_workers": 2}) as made:
        pool = made["pdf"]
        first, second = pool.children
        assert second.zygote is first and not second.pid, "forked only when needed"
        pool.preload = (probe,)
        pool.load()
        assert pool.map([(_imported, (probe,))] * 2) == [True, True]
        assert record.read_text().split() == [str(first.pid)], "imported once, by the first"
        assert second.pid and second.pid != first.pid
        assert os.waitpid(second.pid, os.WNOHANG) == (0, 0), "this process's child, running"
        pids = (first.pid, second.pid)
    assert not any(os.path.exists(f"/proc/{pid}") for pid in pids), "both ended and reaped"


def _warmed(name: str) -> list:
    import sys
    return sys.modules[name].WARMED


def test_a_warm_up_runs_once_in_the_first_child_and_the_second_inherits_it(
        tmp_path, monkeypatch):
    """A ``module:function`` in ``preload`` is called after the import, by the first
    child, before it forks the second: what it made ready is the second's too."""
    probe = "folio_warm_probe"
    (tmp_path / f"{probe}.py").write_text(
        "import os\nWARMED = []\ndef warm():\n    WARMED.append(os.getpid())\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with _isolated_children([PdfBuilder()], "book", {"layout_workers": 2}) as made:
        pool = made["pdf"]
        first, _ = pool.children
        pool.preload = (probe, f"{probe}:warm")
        pool.load()
        assert pool.map([(_warmed, (probe,))] * 2) == [[first.pid]] * 2


def test_a_child_forked_before_the_import_imports_for_itself(tmp_path, monkeypatch):
    probe = "folio_late_probe"
    (tmp_path / f"{probe}.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with _isolated_children([PdfBuilder()], "book", {"layout_workers": 2}) as made:
        pool = made["pdf"]
        pool.preload = (probe,)
        assert pool.map([(_imported, (probe,))] * 2) == [False, False]  # both forked
        pool.load()
        assert pool.map([(_imported, (probe,))] * 2) == [True, True]
