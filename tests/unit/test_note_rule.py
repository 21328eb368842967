"""The check of the laid-out pages' notes (folio/formats/pdf/note_rule.py), on pages
built as WeasyPrint's boxes stand: a page box holds the flow and the footnote area;
a call is a ``span::footnote-call`` box that knows its note's element."""

from __future__ import annotations

from types import SimpleNamespace
from xml.etree import ElementTree as ET

from folio.formats.pdf.note_rule import Misplaced, misplaced_notes


class FootnoteAreaBox(SimpleNamespace):
    pass


def note(url: str, at: str = "") -> ET.Element:
    element = ET.Element("span", {"class": "footnote link-note"})
    if at:
        element.set("data-note-at", at)
    element.text = url.replace("/", "/\u200b")  # the print HTML's break marks
    return element


def page(calls: list, notes: list):
    flow = [SimpleNamespace(element_tag="p", element=None)]
    flow += [SimpleNamespace(element_tag="span::footnote-call", element=e) for e in calls]
    root = SimpleNamespace(descendants=lambda: iter(flow))
    area = FootnoteAreaBox(children=[SimpleNamespace(element=e) for e in notes])
    return SimpleNamespace(_page_box=SimpleNamespace(children=[root, area]))


def test_notes_on_their_calls_pages_in_order_break_no_rule():
    a, b, c = note("https://a.example/x"), note("https://b.example/"), note("https://c/")
    assert misplaced_notes([page([a, b], [a, b]), page([c], [c]), page([], [])]) == []


def test_a_lost_note_is_named_at_its_calls_page_with_its_place():
    a, b = note("https://a.example/x/y", "0:3"), note("https://b.example/")
    assert misplaced_notes([page([a], []), page([b], [b])]) == [
        Misplaced(1, "lost", "https://a.example/x/y", "0:3")]


def test_a_note_pushed_to_the_next_page_or_printed_twice_is_found():
    a, b = note("https://a/"), note("https://b/")
    assert misplaced_notes([page([a, b], [a]), page([], [b])]) == [
        Misplaced(1, "off its page", "https://b/")]
    assert misplaced_notes([page([a], [a]), page([], [a])]) == [
        Misplaced(1, "twice", "https://a/")]


def test_notes_out_of_the_order_of_their_calls_are_found():
    a, b, c = note("https://a/"), note("https://b/"), note("https://c/")
    assert misplaced_notes([page([a, b, c], [a, c, b])]) == [
        Misplaced(1, "out of order", "https://c/")]
