#!/usr/bin/env python3
"""Build the books in content/ (or the sources given) into EPUB, PDF and HTML.

Run ``python build.py --help`` for the options.
"""

import sys

from folio.cli import main

if __name__ == "__main__":
    sys.exit(main())
