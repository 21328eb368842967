"""EPUB Accessibility 1.1 metadata, derived from what the book contains.

Nothing is claimed that the build cannot see. The package says how the content
can be perceived (``accessMode``), which features it has (``accessibilityFeature``),
its hazards, a summary in words, and -- only when every check below passes -- that
it conforms to "EPUB Accessibility 1.1 - WCAG 2.2 Level AA".

What the build verifies before it claims conformance (``Facts.problems``):
- the language is given in the metadata, not guessed from the text;
- every image (the cover aside) has a text alternative;
- every table has header cells;
- the EPUB's own markup: a table of contents, landmarks, headings in order,
  notes linked both ways, valid ids and links (``formats.epub.markup``).
The rest of WCAG 2.2 AA that software can test (contrast, names, roles) is tested
by Ace by DAISY in the test suite (tests/test_epub.py); what nobody can test
automatically (is an alt text *right*?) stays the author's, as it would be for a
human-certified book.
"""

from __future__ import annotations

import dataclasses

#: The conformance statement of EPUB Accessibility 1.1 for WCAG 2.2 level AA.
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


@dataclasses.dataclass
class Facts:
    """What the build knows about the book's accessibility."""

    lang: str
    #: True if the language came from the metadata (not detected from the text).
    lang_given: bool
    #: Alt texts of the content images (the cover is not among them).
    image_alts: list[str]
    #: True if an image is animated (it might flash).
    animated: bool
    tables_have_headers: bool
    has_headings: bool
    has_notes: bool
    #: The page list's source ("the PDF edition, A5"), or "" without a page list.
    page_source: str

    @property
    def described(self) -> int:
        return sum(1 for alt in self.image_alts if alt.strip())

    @property
    def problems(self) -> list[str]:
        """Why the book does not claim conformance (empty if it does)."""
        problems = []
        if not self.lang_given:
            problems.append("its language was guessed, not given in the metadata")
        missing = len(self.image_alts) - self.described
        if missing:
            problems.append(f"{missing} of {len(self.image_alts)} images have no text "
                            "alternative")
        if not self.tables_have_headers:
            problems.append("a table has no header cells")
        return problems


def package_metadata(facts: Facts) -> dict:
    """The ``schema:``/``dcterms:`` values for the package document."""
    modes = ["textual"] + (["visual"] if facts.image_alts else [])
    all_described = facts.described == len(facts.image_alts)
    sufficient = ["textual"] if all_described else []
    if facts.image_alts:
        sufficient.append("textual,visual")
    features = ["tableOfContents", "readingOrder"]
    if facts.has_headings:
        features.append("structuralNavigation")
    if facts.image_alts and all_described:
        features.append("alternativeText")
    if facts.page_source:
        # printPageNumbers is the name EPUB Accessibility 1.0 used; pageBreakMarkers
        # and pageNavigation are its successors in the schema.org vocabulary.
        features += ["pageBreakMarkers", "pageNavigation", "printPageNumbers"]
    hazards = ["unknown"] if facts.animated else ["none"]
    return {"access_modes": modes, "sufficient": sufficient, "features": features,
            "hazards": hazards, "summary": summary(facts),
            "conforms_to": "" if facts.problems else CONFORMANCE}


def summary(facts: Facts) -> str:
    """The accessibility summary in words (English, as the vocabulary is)."""
    parts = ["This publication has a table of contents"
             + (" and headings that structure its chapters" if facts.has_headings else "")
             + "; its reading order follows the text."]
    if facts.has_notes:
        parts.append("Notes and the addresses of links are numbered notes at the end of "
                     "each chapter, linked to their reference and back.")
    if facts.image_alts:
        if facts.described == len(facts.image_alts):
            parts.append(f"Every image ({len(facts.image_alts)}) has a text description.")
        else:
            parts.append(f"{len(facts.image_alts) - facts.described} of "
                         f"{len(facts.image_alts)} images have no text description.")
    if facts.page_source:
        parts.append("Page-break markers and a page list give the page numbers of "
                     f"{facts.page_source}.")
    if facts.animated:
        parts.append("It contains an animated image that was not checked for flashing.")
    if facts.problems:
        parts.append("It does not claim conformance to EPUB Accessibility 1.1: "
                     + "; ".join(facts.problems) + ".")
    else:
        parts.append("It meets EPUB Accessibility 1.1 at WCAG 2.2 level AA as far as "
                     "automated checks can tell.")
    return " ".join(parts)


def is_animated(data: bytes, media_type: str) -> bool:
    """True if the image ``data`` moves: more than one frame, or SVG animation."""
    if media_type == "image/svg+xml":
        return any(word in data for word in (b"<animate", b"<set", b"@keyframes",
                                             b"animation"))
    try:
        import io

        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return bool(getattr(image, "is_animated", False))
    except Exception:  # noqa: BLE001 - an unreadable image cannot be vouched for
        return True
