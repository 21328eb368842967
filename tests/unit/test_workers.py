"""``sandbox.Workers``: jobs side by side in the children, and the job that gathers
their results (the PDF's merge) in a child of its own, forked while this process
was small."""

import os
import time

from folio.formats.pdf.builder import PdfBuilder
from folio.pipeline import _isolated_children
from folio.sandbox import Child, Workers


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
    monkeypatch.setenv("FOLIO_LAYOUT_TIMEOUT", "0.1")
    with _isolated_children([PdfBuilder()], "book", {"layout_workers": 2}) as made:
        pool = made["pdf"]
        assert pool.preload == ("weasyprint",)
        pool.preload = (probe,)
        assert pool.map([(_imported, (probe,))] * 2) == [False, False]
        pool.load()
        time.sleep(0.05)  # the imports have begun under the layout's limit of 0.1 s
        monkeypatch.setenv("FOLIO_LAYOUT_TIMEOUT", "60")
        assert pool.map([(_imported, (probe,))] * 2) == [True, True]
        assert all(child.pid for child in pool.children), "no child was stopped"


def test_children_past_the_count_import_only_before_their_first_job(monkeypatch, tmp_path):
    """``Workers.load(1)``: one child imports at once; the other only when a job comes
    for it (an edit lays out one part: its import would only take a core)."""
    probe = "folio_lazy_probe"
    (tmp_path / f"{probe}.py").write_text("import time\ntime.sleep(0.2)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with _isolated_children([PdfBuilder()], "book", {"layout_workers": 2}) as made:
        pool = made["pdf"]
        pool.preload = (probe,)
        pool.load(1)
        assert pool.map([(_imported, (probe,))]) == [True]  # one job: the first child
        assert pool.children[1].run(_imported, probe) is False  # not told to yet
        assert pool.map([(_imported, (probe,))] * 2) == [True, True]
