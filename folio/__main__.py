"""``python -m folio``: the command line (see ``folio.cli``)."""

import sys

from .cli import main

sys.exit(main())
