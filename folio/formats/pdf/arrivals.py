"""The parts of a book that the merge (``merge.merge_parts``) waits for: it begins
while they are still being laid out and takes each as it arrives, in the book's
order.

Apart from the merge, which imports pikepdf: the build's process makes the
``Arrivals`` it hands to the merge's child without loading pikepdf itself (0.04 s
of an edit, before its part could be handed out).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Arrivals:
    """Parts still being laid out when the merge begins (``merge_parts``' ``arrivals``):
    each part's file appears whole (renamed into place) when its worker is done, and
    the merge waits for it, in the book's order, unless ``cancel`` appears first
    (the round of layouts did not settle: another one comes, with other parts).

    The merge of the 150-page bench book took 0.4 s after the last part was laid
    out, with one core idle; merged as the parts arrive, it ends some 0.05 s after
    the last one."""

    cancel: Path
    #: Seconds between two looks (a look is a ``stat``).
    poll: float = 0.005

    def wait(self, path: Path) -> None:
        """Return once ``path`` is there; raise ``Cancelled`` once ``cancel`` is, even
        if ``path`` is there too (the round is over: its parts are all there)."""
        while True:
            if self.cancel.exists():
                raise Cancelled
            if path.exists():
                return
            time.sleep(self.poll)


class Cancelled(Exception):
    """The merge's ``Arrivals.cancel`` appeared."""
