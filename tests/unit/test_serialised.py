"""folio.formats.serialised: a fragment the sanitiser wrote, read without the HTML5
tree builder, is the tree tinyhtml5 builds; what would need the tree builder's
repairs is left to it. The same for the print HTML's documents (``simple_document``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import tinyhtml5

from folio.formats.epub import markup
from folio.formats.epub.markup import parse_chapter
from folio.formats.serialised import simple_document, simple_tree
from folio.safety import sanitise_fragment

#: Manuscripts' HTML as authors write it, messy on purpose; each goes through the
#: sanitiser first, as every fragment of a book does.
MESSY = [
    '<p>Ein <em>kurzer</em> Absatz &amp; mehr&nbsp;Text, „Zitat“ – <a href="#x">da</a>.</p>',
    "<p>unclosed<p>second <b>bold <i>both</b> italic</i> after",
    "<ul><li>one<li>two<ul><li>inner</ul></ul><ol start=3><li value=7>x</ol>",
    "<table><tr><td>no tbody<td>cells</tr><caption>late caption</caption></table>",
    "<table>text in a table<tr><th>head</th></tr></table>",
    "<table><colgroup><col span=2></colgroup><thead><tr><th scope=col>a</thead>"
    "<tbody><tr><td rowspan=2>1</td></tr></tbody></table>",
    "<pre>\n\nleading newlines kept\n  and spaces</pre><pre>no newline</pre>",
    "<p>line\r\nbreaks\rhere<br>and<br/>there<wbr>long</p><hr>",
    '<aside epub:type="footnote" id="n1" role="doc-footnote"><p>Note</p></aside>',
    "<h2>heading <h3>inside</h3></h2><h1>t</h1>",
    '<a href="#a">outer <a href="#b">inner</a></a>',
    "<p>a<div>block in p</div></p><center>c</center><tt>t</tt>",
    "<dl><dt>term<dd>def<dt>term 2</dl>",
    '<math display="block"><mrow><mi>x</mi><mo>=</mo><mfrac><mn>1</mn><mn>2</mn></mfrac>'
    '</mrow><mspace width="1em"/></math>',
    "<math><mi>x</mi><span>html in maths</span></math>",
    "<math><mtext>text <b>bold</b></mtext></math>",
    "<!-- a comment --><p>before<!-- inside -->after</p>",
    '<p title="a &quot;quoted&quot; &lt;title&gt;" lang=de xml:lang=de>attributes</p>',
    "<details open><summary>More</summary><p>hidden</p></details>",
    "<figure><img src='images/x.png' alt='Bild'><figcaption>Cap</figcaption></figure>",
    "<p>unknown <blink>tag</blink> and <font color=red>font</font></p>",
    "<section><h2>S</h2><blockquote><p>q</blockquote></section>",
]


def _canon(element: ET.Element):
    """An element as comparable data, comments taken out (their tails joined), as
    ``parse_chapter`` leaves them."""
    children, text = [], element.text or ""
    for child in element:
        if not isinstance(child.tag, str):
            if children:
                children[-1] = (*children[-1][:3], children[-1][3] + (child.tail or ""),
                                children[-1][4])
            else:
                text += child.tail or ""
            continue
        children.append(_canon(child))
    return (element.tag, sorted(element.attrib.items()), text, element.tail or "", children)


def _tinyhtml5(fragment: str) -> ET.Element:
    root = tinyhtml5.parse(f"<!DOCTYPE html><html><head></head><body>{fragment}</body></html>")
    body = root.find("{http://www.w3.org/1999/xhtml}body")
    body.tail = None
    return body


@pytest.mark.parametrize("messy", MESSY)
def test_a_sanitised_fragment_is_read_as_tinyhtml5_builds_it(messy):
    fragment = sanitise_fragment(messy)
    tree = simple_tree(fragment)
    if tree is not None:
        assert _canon(tree) == _canon(_tinyhtml5(fragment))
    # Either way, the chapter parsed is the tree tinyhtml5 builds, made fit for XML.
    expected = _tinyhtml5(fragment)
    markup._clean_for_xml(expected)
    assert _canon(parse_chapter(fragment)) == _canon(expected)


def test_most_of_what_the_sanitiser_writes_needs_no_tree_builder():
    read = [simple_tree(sanitise_fragment(messy)) is not None for messy in MESSY]
    assert sum(read) >= len(MESSY) * 2 // 3, read


@pytest.mark.parametrize("unsanitised", [
    "<p>a<div>block in p</div></p>",       # the p is closed by the div
    "<ul><li>one<li>two</ul>",              # the first item is closed by the second
    '<a href="#a">x<a href="#b">y</a></a>',  # a link in a link
    "<table><tr><td>x</td></tr></table>",   # a row straight in a table (tbody implied)
    "<table>text<tbody></tbody></table>",   # text in a table (put before it)
    "<h2>a<h3>b</h3></h2>",                  # a heading in a heading
    "<math><span>x</span></math>",          # HTML in maths ends the maths
    "<p>open",                               # an end implied
    "<p>x</b></p>",                          # an end tag of nothing open
    "<svg><circle r='1'/></svg>",            # outside the allow-list
])
def test_what_the_tree_builder_would_repair_is_left_to_it(unsanitised):
    assert simple_tree(unsanitised) is None


# --- the print HTML's documents ---------------------------------------------------------

#: Documents as folio's print templates write them once their styles are taken out
#: (``pdf.stylesheets.split_styles``): white space between the head's elements, after
#: the head, the body and the document, where the tree builder moves it.
DOCUMENTS = [
    '<!DOCTYPE html>\n<html lang="de">\n<head>\n<meta charset="utf-8">\n'
    '<title>Warum &amp; wieso „jetzt“</title>\n<meta name="author" content="A &lt;B&gt;">\n'
    '<meta name="generator" content="folio">\n\n</head>\n<body>\n'
    '<div class="main-matter" id="folio-main"><section class="chapter">\n'
    '<h1 id="c1" data-bookmark="Eins">Eins</h1>\n<p>Text<span class="footnote link-note">'
    '<span class="url">https://\u200bexample.\u200borg</span></span> mehr.</p>\n'
    '<pre>\nfirst line kept\n</pre>\n<math display="block"><mi>x</mi></math>\n'
    '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>\n'
    '</section>\n</div></body>\n</html>\n',
    "<!doctype html><html><head><title>T</title></head><body></body></html>",
    '<!DOCTYPE html>\n<html lang="en" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
    '<link rel="icon" href="data:,">\n</head>\n<body class="print">\n<p>only</p>\n'
    '</body>\n</html>',
]


def _tinyhtml5_document(markup: str) -> ET.Element:
    return tinyhtml5.parse(markup, namespace_html_elements=False)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_a_print_document_is_read_as_tinyhtml5_builds_it_for_weasyprint(document):
    tree = simple_document(document)
    assert tree is not None
    assert _canon(tree) == _canon(_tinyhtml5_document(document))


@pytest.mark.parametrize("unusual", [
    DOCUMENTS[0].replace("<body>", "<!-- a comment --><body>"),   # kept as a node
    DOCUMENTS[0].replace("<meta charset", "<base href='x/'><meta charset"),  # a base URL
    DOCUMENTS[0].replace("</head>", "<style>p{}</style></head>"),  # a style left in
    DOCUMENTS[0].replace("</head>", "text</head>"),                # text opens the body
    DOCUMENTS[0].replace("<p>Text", "<svg><circle r='1'/></svg><p>Text"),
    DOCUMENTS[0].replace("</div></body>", "</body>"),             # an end implied
    DOCUMENTS[0].replace("</html>", "</html><p>after</p>"),        # moved into the body
    DOCUMENTS[0].replace("<head>", "<head id='h'>"),
    DOCUMENTS[0].replace("<!DOCTYPE html>", ""),                    # quirks mode
    "<!DOCTYPE html><html/><head/><body/>",
    "<!DOCTYPE html><html><head><title/></head><body><br/></body></html>",
])
def test_a_document_that_needs_the_tree_builder_is_left_to_it(unusual):
    assert simple_document(unusual) is None


def test_weasyprint_gets_the_same_document_either_way():
    weasyprint = pytest.importorskip("weasyprint")
    from folio.formats.pdf.stylesheets import html_document

    for document in DOCUMENTS:
        ours = html_document(document, "https://book.folio.invalid/", None)
        theirs = weasyprint.HTML(string=document, base_url="https://book.folio.invalid/")
        assert ours.base_url == theirs.base_url and ours.media_type == theirs.media_type
        assert _canon(ours.etree_element) == _canon(theirs.etree_element)
        assert ([w.etree_element.tag for w in ours.wrapper_element.iter_subtree()]
                == [w.etree_element.tag for w in theirs.wrapper_element.iter_subtree()])


@pytest.mark.parametrize("messy", MESSY)
def test_a_document_of_any_sanitised_fragment_is_read_as_tinyhtml5_builds_it(messy):
    document = DOCUMENTS[0].replace("<p>Text", sanitise_fragment(messy) + "<p>Text")
    tree = simple_document(document)
    if tree is not None:
        assert _canon(tree) == _canon(_tinyhtml5_document(document))
