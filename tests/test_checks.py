"""The manuscript checks (``python build.py check``): each check on small manuscripts
written inline, positive and negative, with exact lines; the delivered German
article; and a property: the checks never fail on Markdown-ish text."""

from __future__ import annotations

import copy
import io
import textwrap
from pathlib import Path

import pytest
from helpers import CONTENT, FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from folio.book import BookSource, RawMetadata, SourceFile, load_book
from folio.checks import run_checks
from folio.cli import main
from folio.diagnostics import Reporter
from folio.parse import parse_markdown

#: The codes ``run_checks`` reports.
CHECK_CODES = {"broken-paragraph", "punctuation-start", "missing-alt", "duplicate-heading",
               "undefined-footnote", "unused-footnote", "invisible-character", "heading-skip",
               "font-fallback", "missing-glyph", "unclosed-comment"}


def make_files(folder: Path, files: dict[str, str]) -> None:
    """Write ``files`` (name -> dedented text) into ``folder``, like mkdocs' ``tempdir``."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def check_source(source: Path) -> list:
    """The diagnostics ``run_checks`` reports for a manuscript file or book folder."""
    book = load_book(source)
    reporter = Reporter()
    run_checks(book, [parse_markdown(file)["blocks"] for file in book.files], reporter)
    return reporter.items


def lint(tmp_path: Path, text: str) -> list[tuple[str, int, int]]:
    """(code, line, col) of every finding in one manuscript ``text`` (dedented)."""
    make_files(tmp_path, {"book.md": text})
    return [(d.code, d.line, d.col) for d in check_source(tmp_path / "book.md")]


def codes(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    """(code, line) of every finding in one manuscript ``text``."""
    return [(code, line) for code, line, _ in lint(tmp_path, text)]


# --- broken-paragraph ----------------------------------------------------------------------

def test_paragraph_cut_before_a_capitalised_noun_is_reported_where_it_ends(tmp_path):
    assert lint(tmp_path, """
        # Titel

        Das mit über 2300 Seiten lange und unglaublich komplizierte



        Gesetzeswerk entstand nach der Finanzkrise.
        """) == [("broken-paragraph", 3, 48)]


def test_paragraph_cut_before_a_lowercase_word_is_reported(tmp_path):
    assert codes(tmp_path, """
        The committee met every week for three long years and in the
        end it

        agreed on nothing at all.
        """) == [("broken-paragraph", 2)]


def test_paragraph_cut_after_a_comma_in_a_block_quote_is_reported(tmp_path):
    assert lint(tmp_path, """
        > She wrote to him every single week of that long winter, and
        >
        > every letter came back unopened.
        """) == [("broken-paragraph", 1, 59)]


def test_broken_paragraph_message_names_both_lines(tmp_path):
    make_files(tmp_path, {"book.md": "One two three four five six seven eight nine ten\n\n"
                                     "\n\neleven twelve.\n"})
    (finding,) = check_source(tmp_path / "book.md")
    assert finding.format() == (
        f"{tmp_path / 'book.md'}:1:46: warning: paragraph ends without punctuation after "
        "'ten' and seems to go on at line 5; join the two, or end the sentence "
        "[broken-paragraph]")


@pytest.mark.parametrize("text", [
    # Closing punctuation of every kind.
    "This first paragraph is long enough to count and it ends properly.\n\nthen more.\n",
    "This first paragraph is long enough to count and it ends with a colon:\n\nthen more.\n",
    "This first paragraph is long enough to count and asks a question?\n\nthen more.\n",
    "This first paragraph is long enough to count (and it ends in brackets)\n\nthen more.\n",
    "This first paragraph is long enough to count and ends in \"a quotation\"\n\nthen.\n",
    "This first paragraph is long enough to count and it trails off…\n\nthen more.\n",
    # Links, URLs, images and code at the end are not prose.
    "See the page for all the details that we do not repeat here: [the page](https://a.b)"
    "\n\nSee more.\n",
    "Everything else that you might need to know is at https://example.org/a/page"
    "\n\nSee more.\n",
    "Everything else that you might need to know is at <https://example.org/a>\n\nMore.\n",
    "Every one of the pictures in this chapter looks a lot like this ![a cat](cat.png)"
    "\n\nMore.\n",
    "Run the command that builds every book in the content folder `make`\n\nThen wait.\n",
    "Questions about the book go to the whole team of authors at team@example.org"
    "\n\nThanks.\n",
    # Short paragraphs: salutations and labels.
    "Sehr geehrte Frau Müller,\n\nvielen Dank für Ihren Brief.\n",
    "Dear John,\n\nthank you for the letter.\n",
    "Step one\n\nOpen the file.\n",
    # A wholly emphasised paragraph is a pseudo-heading.
    "**A bold line that stands in for a heading in this whole text here**\n\nThe text.\n",
    # Verse and addresses keep hard line breaks.
    "Roses are red and the violets are blue\\\nsugar is sweet and so are you\n\nand so on.\n",
    # The next block is not a paragraph.
    "The list below names every one of the things that you will need for this\n\n"
    "- a pen\n- paper\n",
    "The heading below starts a new section of the text that is not continued\n\n# Next\n",
    "The code below shows how the whole thing is built from the sources here\n\n"
    "```\nmake\n```\n",
    "This paragraph ends a list item that is long enough to be counted as one\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    # List items hold fragments; they are left alone.
    "1. The first item of the list has a paragraph that does not end in a stop\n\n"
    "   and a second paragraph.\n",
    # The next paragraph starts with punctuation or a quotation mark, not a word.
    "The last paragraph of the chapter has a lot of words in it but no stop\n\n"
    "„Zitat“ am Anfang.\n",
])
def test_no_broken_paragraph_in_normal_text(tmp_path, text):
    assert "broken-paragraph" not in [code for code, _ in codes(tmp_path, text)]


# --- punctuation-start ---------------------------------------------------------------------

def test_paragraph_that_starts_with_a_full_stop_is_reported(tmp_path):
    assert lint(tmp_path, """
        **Die Finanzmärkte gehen davon aus, dass alles so weitergeht**

        . Die anderen Politik-Felder sind letztlich so kontrovers nicht.
        """) == [("punctuation-start", 3, 1)]


@pytest.mark.parametrize("text, col", [(", and then the rest.\n", 1), ("> ; a quote.\n", 3),
                                       ("?\n", 1), ("). Closing.\n", 1)])
def test_other_leading_punctuation_is_reported(tmp_path, text, col):
    assert lint(tmp_path, text) == [("punctuation-start", 1, col)]


@pytest.mark.parametrize("text", [".NET is a framework.\n", "…und dann nichts mehr.\n",
                                  "(An aside.)\n", "[Note from the editor.]\n",
                                  "„Zitat“ am Anfang.\n", "»Zitat« am Anfang.\n",
                                  "– Dialogue starts with a dash.\n", "`.gitignore` lists.\n",
                                  ",5 Prozent.\n"])
def test_paragraph_starting_with_other_marks_is_fine(tmp_path, text):
    assert codes(tmp_path, text) == []


# --- missing-alt ---------------------------------------------------------------------------

def test_images_without_alternative_text_are_reported_at_the_image(tmp_path):
    assert lint(tmp_path, """
        # Pictures

        ![](images/one.png)

        Text with an ![](two.png "title") inline and ![A cat](cat.png) described.
        """) == [("missing-alt", 3, 1), ("missing-alt", 5, 14)]


# --- duplicate-heading ---------------------------------------------------------------------

def test_second_heading_with_the_same_anchor_is_reported(tmp_path):
    assert lint(tmp_path, """
        # Book

        ## Notes

        Text.

        ## Notes

        ## C++

        ## C
        """) == [("duplicate-heading", 7, 1), ("duplicate-heading", 11, 1)]


def test_heading_with_an_explicit_id_is_not_a_duplicate(tmp_path):
    assert codes(tmp_path, "# Book\n\n## Notes\n\n## Notes {#notes-again}\n") == []
    # As in EbookFoundation/free-programming-books: links go to the raw anchors.
    assert codes(tmp_path, '# Book\n\n## C\n\n## <a id="csharp"></a>C\\#\n\n'
                           '## <a name="cpp"></a>C++\n') == []


def test_same_heading_in_two_chapter_files_is_left_to_the_id_check(tmp_path):
    make_files(tmp_path / "book", {"book.yaml": "title: T\nlang: en\n",
                                   "01.md": "# One\n\n## Notes\n", "02.md": "# Two\n\n## Notes\n"})
    assert check_source(tmp_path / "book") == []


# --- footnotes ------------------------------------------------------------------------------

def test_undefined_and_unused_footnotes_are_reported(tmp_path):
    assert lint(tmp_path, """
        # Notes

        Defined[^a], undefined[^missing], and in another case[^A].

        [^a]: The note.
          [^never]: Nobody refers to this one.
        """) == [("undefined-footnote", 3, 23), ("unused-footnote", 6, 3)]


def test_footnote_messages_name_the_label_as_written(tmp_path):
    make_files(tmp_path, {"book.md": "Text[^Gone].\n\n[^Spare]: Unused.\n"})
    messages = [d.message for d in check_source(tmp_path / "book.md")]
    assert messages[0].startswith("footnote '[^Gone]' has no definition")
    assert messages[1].startswith("footnote '[^Spare]' is defined but never referred to")


def test_footnote_labels_in_code_escapes_and_quotes_are_handled(tmp_path):
    assert codes(tmp_path, """
        A regex `[^abc]` in code, an escaped \\[^x] and a note[^q] in a quote.

        ```
        [^fenced]: not a definition
        [^y]
        ```

            [^indented] is code too

        <!-- [^comment] --> and $[^m]$ in math.

        > [^q]: Quoted definition.
        """) == []


# --- invisible-character -------------------------------------------------------------------

@pytest.mark.parametrize("char, name", [
    ("\u200b", "U+200B ZERO WIDTH SPACE"), ("\u200d", "U+200D ZERO WIDTH JOINER"),
    ("\u2060", "U+2060 WORD JOINER"), ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"), ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("\x07", "U+0007 BELL"), ("\x1f", "U+001F CONTROL CHARACTER"), ("\x85", "U+0085 NEXT LINE"),
])
def test_invisible_characters_are_reported_with_their_code_point(tmp_path, char, name):
    make_files(tmp_path, {"book.md": f"---\ntitle: T\n---\n# Über\n\nÜber{char}all.\n"})
    (finding,) = check_source(tmp_path / "book.md")
    assert (finding.code, finding.line, finding.col) == ("invisible-character", 6, 5)
    assert f"invisible character {name};" in finding.message


def test_invisible_character_is_reported_once_per_line_with_a_count(tmp_path):
    make_files(tmp_path, {"book.md": "a\u200bb\u200bc `x\u200by`\n"})
    (finding,) = check_source(tmp_path / "book.md")
    assert (finding.line, finding.col) == (1, 2) and "(3 times on this line)" in finding.message


def test_tabs_no_break_spaces_and_a_byte_order_mark_are_fine(tmp_path):
    (tmp_path / "book.md").write_bytes("\ufeffa\tb\u00a0c\u00add.\n".encode())
    assert check_source(tmp_path / "book.md") == []


def test_an_invisible_character_in_an_html_comment_is_not_reported(tmp_path):
    make_files(tmp_path, {"book.md": "Text <!-- a\u200bb -->.\n\n<!--\nc\u200bd\n-->\n"})
    assert check_source(tmp_path / "book.md") == []


# --- font-fallback, missing-glyph ------------------------------------------------------------
# '中' is in none of the book's fonts and in the shipped fallback, whatever the machine has.

def test_a_character_the_fonts_lack_is_reported_at_its_first_printed_place(tmp_path):
    """Not in HTML comments -- in a paragraph, over lines, a block of its own, in a
    quote, never closed -- but after a comment's end, and in code (both printed)."""
    assert lint(tmp_path, """
        # Title

        Text <!-- 中 in a comment
        that goes on 中 --> and after it.

        <!--
        	<b>中 in a block</b>
        -->

        > A quote <!-- 中
        > 中 --> ends.

        <div>
        <!-- 中 --> printed 中
        </div>
        """) == [("font-fallback", 14, 20)]
    assert lint(tmp_path, "<!-- 中 -->\n\nCode `<!-- 中 -->` is printed.\n") == [
        ("font-fallback", 3, 12)]
    assert lint(tmp_path, "Text.\n\n<!-- never closed\n\n中 hidden to the end.\n") == [
        ("unclosed-comment", 3, 1)]


# --- heading-skip ---------------------------------------------------------------------------

def test_heading_that_skips_a_level_is_reported(tmp_path):
    assert lint(tmp_path, """
        ## Start

        #### Too deep

        ### Fine

        # Back up

        ### Too deep again
        """) == [("heading-skip", 3, 1), ("heading-skip", 9, 1)]


def test_headings_in_order_are_fine(tmp_path):
    assert codes(tmp_path, "### First\n\n#### Second\n\n## Up\n\n### Down\n\n# Top\n") == []


# --- all checks together --------------------------------------------------------------------

def test_findings_come_in_line_order_and_the_blocks_are_unchanged(tmp_path):
    make_files(tmp_path, {"book.md": "# A\n\n### B\u200b\n\n![](x.png)\n\n, c[^n].\n"})
    book = load_book(tmp_path / "book.md")
    blocks = [parse_markdown(file)["blocks"] for file in book.files]
    before = copy.deepcopy(blocks)
    reporter = Reporter()
    run_checks(book, blocks, reporter)
    assert [(d.line, d.code) for d in reporter.items] == [
        (3, "heading-skip"), (3, "invisible-character"), (5, "missing-alt"),
        (7, "punctuation-start"), (7, "undefined-footnote")]
    assert blocks == before


def test_english_book_has_no_findings():
    assert check_source(CONTENT / "making-books") == []


# --- the delivered German article -----------------------------------------------------------

def test_delivered_article_findings():
    found = {(d.code, d.line) for d in check_source(FIXTURES / "delivered" /
                                                    "warum-entkoppeln-sich-us-aktien.md")}
    assert found == {("broken-paragraph", 23), ("punctuation-start", 41),
                     ("broken-paragraph", 49)}


def test_check_command_on_the_german_article_in_content():
    """Front matter shifts the article by four lines; the positions stay true."""
    source = CONTENT / "warum-entkoppeln-sich-us-aktien.md"
    stdout, stderr = io.StringIO(), io.StringIO()
    assert main(["check", str(source)], stdout, stderr) == 0
    found = [line.removeprefix(f"{source}:") for line in stderr.getvalue().splitlines()
             if ": warning: " in line]
    # In reading order, whichever stage found them.
    assert [line.split(": warning: ")[0] + " " + line.rsplit(" ", 1)[1] for line in found] == [
        "27:220 [placeholder-link]", "27:375 [broken-paragraph]", "35:22 [placeholder-link]",
        "45:1 [punctuation-start]", "53:273 [placeholder-link]", "53:404 [broken-paragraph]",
        "57:52 [placeholder-link]", "61:37 [placeholder-link]", "65:1 [placeholder-link]"]
    assert "after 'komplizierte' and seems to go on at line 31" in found[1]
    assert "after 'in' and seems to go on at line 57" in found[5]


# --- property: the checks never fail ---------------------------------------------------------

#: Pieces of Markdown that exercise every check and pandoc's odd corners.
MARKDOWN_PIECES = ["\n", "\n\n", "\n\n\n", "# ", "## ", "#### ", "> ", "- ", "1. ", "    ",
                   "```", "`", "~~~", "**", "*", "_", "[", "]", "(", ")", "![", "](x.png)",
                   "](#)", "[^a]", "[^a]: ", "[^B]", "\\", "<!-- ", " -->", "<div>", "</div>",
                   "::: ", ":::", "|", "---", "{#id}", ". ", ", ", ":", "\t", "\u200b",
                   "\u202e", "\x07", "\ufeff", "word", "Wort", "komplizierte", "ünd", "€",
                   "https://example.org", "$x$"]


def refers_to_itself(text: str) -> bool:
    """True when a reference to ``[^a]`` follows its definition.

    pandoc 3.9 never finishes a footnote that refers to itself; it runs out of
    memory after seconds (a ``pandoc`` error, not a check), so those are left out.
    """
    lowered = text.lower()
    start = lowered.find("[^a]:")
    return start >= 0 and "[^a]" in lowered[start + 5:]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(MARKDOWN_PIECES), st.text(max_size=4)),
                max_size=40).map("".join).filter(lambda text: not refers_to_itself(text)))
def test_checks_never_fail_on_markdown_ish_text(text):
    file = SourceFile("prop.md", Path("/nonexistent/prop.md"), text)
    book = BookSource(Path("/nonexistent"), "prop", "prop.md", [file],
                      RawMetadata({}, {}, "prop.md", False))
    blocks = [parse_markdown(file)["blocks"]]
    before = copy.deepcopy(blocks)
    reporter = Reporter()
    run_checks(book, blocks, reporter)
    lines = text.count("\n") + 1
    assert all(d.code in CHECK_CODES and 0 < d.line <= lines for d in reporter.items)
    assert blocks == before
