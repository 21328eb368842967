"""Callouts: GitHub's alerts (``> [!NOTE]``, which pandoc reads as a ``Div.note``
with a ``Div.title``) and fenced divs (``::: note``, ``::: warning``) get a title
in the book's language ("Hinweis", "Warnung"); every format styles them."""

from __future__ import annotations

from ..ast import Para, Str, visit
from ..document import Document
from ..language import labels_for

#: The kinds of callout, as classes.
CALLOUTS = ("note", "tip", "important", "warning", "caution")


def title_callouts(document: Document) -> None:
    """A callout's title in the book's language, in place."""
    labels = labels_for(document.metadata.lang)

    def act(node: dict) -> None:
        if node["t"] != "Div":
            return
        kind = next((c for c in node["c"][0][1] if c in CALLOUTS), None)
        if kind is None:
            return
        blocks = node["c"][1]
        title = {"t": "Div", "c": [["", ["title"], []], [Para([Str(labels[kind])])]]}
        if blocks and blocks[0]["t"] == "Div" and "title" in blocks[0]["c"][0][1]:
            if not blocks[0]["c"][0][0] and labels[kind] and _is_default(blocks[0]):
                blocks[0] = title
        else:
            blocks.insert(0, title)
        if "callout" not in node["c"][0][1]:
            node["c"][0][1].append("callout")
        if not any(key == "role" for key, _ in node["c"][0][2]):
            node["c"][0][2].append(["role", "note"])

    for chapter in document.chapters:
        visit(chapter.blocks, act)


def _is_default(title: dict) -> bool:
    """True for the English title pandoc gives an alert ("Note", "Warning" …)."""
    from ..ast import stringify
    return stringify(title["c"][1]).lower() in CALLOUTS
