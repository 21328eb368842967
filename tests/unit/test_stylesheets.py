"""The print stylesheet is parsed once per layout process (``pdf.stylesheets``) and
lays the document out as the ``<style>`` in its head did."""

from folio.formats.pdf.engine import BASE_URL, _fetcher_class
from folio.formats.pdf.stylesheets import PART_MARK, ParsedStyles, split_styles

MM = 96 / 25.4  # CSS pixels a millimetre


def page(book_css: str, part_css: str = "", body: str = "<p>Text</p>") -> str:
    css = book_css + (f"\n{PART_MARK}\n{part_css}" if part_css else "")
    return (f'<!DOCTYPE html><html lang="en"><head><title>t</title><style>\n{css}\n'
            f"</style></head><body>{body}</body></html>")


def test_the_head_styles_leave_the_markup_in_order_and_a_part_mark_starts_a_sheet():
    markup = page("p { color: red }", "p { color: blue }",
                  '<style>p { color: green }</style><p>x</p>')
    rest, sheets = split_styles(markup)
    assert [sheet.strip() for sheet in sheets] == ["p { color: red }", "p { color: blue }"]
    assert "color: red" not in rest and "color: blue" not in rest
    assert "<style>p { color: green }</style>" in rest  # a style in the body stays


def test_a_sheet_is_parsed_once_and_later_rules_still_win(monkeypatch):
    import weasyprint

    parsed = []
    css = weasyprint.CSS
    monkeypatch.setattr(weasyprint, "CSS", lambda **kw: parsed.append(kw) or css(**kw))
    styles, fetcher = ParsedStyles(), _fetcher_class()({})
    book = "@page { size: 100mm 100mm; margin: 10mm }"
    whole = styles.render(page(book), BASE_URL, fetcher)
    assert round(whole.pages[0].width / MM) == 100
    # The part's rules come after the book's, as in one <style>: its page size wins.
    part = styles.render(page(book, "@page { size: 60mm 80mm }"), BASE_URL, fetcher)
    assert (round(part.pages[0].width / MM), round(part.pages[0].height / MM)) == (60, 80)
    styles.render(page(book, "@page { size: 50mm 50mm }"), BASE_URL, fetcher)
    # The book's sheet parsed once, each part's once.
    assert [kw["string"].strip() for kw in parsed] == [
        book, "@page { size: 60mm 80mm }", "@page { size: 50mm 50mm }"]


def test_a_style_attribute_still_wins_over_the_sheet():
    styles, fetcher = ParsedStyles(), _fetcher_class()({})
    rendered = styles.render(page("@page { size: 100mm 100mm; margin: 0 } "
                                  "div { height: 10mm }",
                                  body='<div style="height: 30mm">x</div>'), BASE_URL, fetcher)
    html = rendered.pages[0]._page_box.children[0]
    div = html.children[0].children[0]  # html > body > div
    assert round(div.height / MM) == 30
