#!/usr/bin/env python3
"""Build the books in content/ (or the sources given) into EPUB, PDF and HTML.

Run ``python build.py --help`` for the options.
"""

from folio.cli import run

if __name__ == "__main__":
    run()
