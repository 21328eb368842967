"""``framestack.deep``: calls below it recurse without mapping memory as they go, in
this process and in a sandbox child's jobs."""

import resource

import pytest

from folio.framestack import deep
from folio.sandbox import Child

#: Frames deep enough to cross several of CPython 3.11's 16 KB stack chunks.
DEPTH = 600
ROUNDS = 500


def _down(depth: int, a=0, b=0, c=0) -> int:
    return depth if depth == 0 else _down(depth - 1, a, b, c) + 1


def _faults_of_recursion() -> int:
    """Page faults taken while recursing ``DEPTH`` frames and back, ``ROUNDS`` times."""
    _down(DEPTH)  # whatever is touched once, before counting
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(ROUNDS):
        _down(DEPTH)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_deep_passes_arguments_and_results_and_errors_through():
    assert deep(divmod, 7, 2) == (3, 1)
    assert deep(dict, a=1) == {"a": 1}
    with pytest.raises(ZeroDivisionError):
        deep(divmod, 1, 0)


def test_a_recursion_below_deep_takes_no_fault_per_round():
    without = _faults_of_recursion()
    if without < ROUNDS:
        pytest.skip(f"this Python maps no frame-stack chunk per round ({without} faults "
                    f"in {ROUNDS} rounds): folio.framestack can go")
    # Each round crossed a chunk's end and back: a chunk mapped, touched, unmapped.
    assert deep(_faults_of_recursion) < ROUNDS // 10 < without


def test_a_sandbox_childs_jobs_run_below_deep():
    if _faults_of_recursion() < ROUNDS:
        pytest.skip("this Python maps no frame-stack chunk per round")
    with Child() as child:
        assert child.run(_faults_of_recursion) < ROUNDS // 10
