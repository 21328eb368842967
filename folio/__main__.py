"""``python -m folio``: the command line (see ``folio.cli``)."""

from .cli import run

run()
