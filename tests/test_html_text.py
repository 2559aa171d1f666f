"""html_to_text reads HTML mail through BeautifulSoup and keeps the readable text only."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup, Comment
from hypothesis import example, given, settings
from hypothesis import strategies as st

from foibot.understand.html_text import html_to_text, tidy_text

_BLOCK_TAGS = ["p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre",
               "section", "article", "header", "footer", "ul", "ol", "hr", "dt", "dd", "address"]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])|"
                           r"max-height\s*:\s*0(?![.\d])|opacity\s*:\s*0(?![.\d])", re.IGNORECASE)


def soup_passes(html: str) -> str:
    """The reading html_to_text's one walk replaced: the same soup, changed in place pass after pass."""
    try:
        soup = BeautifulSoup(html, "html.parser")
        for tag in soup(["script", "style", "title", "noscript", "template", "meta", "link", "object",
                         "iframe", "svg"]):
            tag.decompose()
        for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
            comment.extract()
        for tag in soup.find_all(True):
            attrs = getattr(tag, "attrs", None) or {}
            if not getattr(tag, "decomposed", False) and (
                    "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true"
                    or _HIDDEN_STYLE.search(str(attrs.get("style", "")))):
                tag.decompose()
        for tag in soup.find_all(["td", "th"]):
            tag.append(" \t")
        for tag in soup.find_all("li"):
            tag.insert(0, "- ")
        for tag in soup.find_all(_BLOCK_TAGS):
            tag.insert_before("\n")
            tag.append("\n")
        text = soup.get_text()
    except Exception:  # noqa: BLE001 - as html_to_text: odd markup falls back to stripping tags
        text = re.sub(r"<[^>]*>", " ", html)
    return tidy_text(text)

_TAGS = ["p", "div", "span", "b", "td", "th", "tr", "table", "li", "ul", "br", "hr", "pre", "textarea", "head",
         "title", "body", "script", "style", "template", "rt", "rp", "ruby", "o:p", "img", "font", "a", "svg"]
_ATTRS = ["", " hidden", ' aria-hidden="true"', ' aria-hidden="TRUE"', ' style="display: none"',
          ' style="font-size:0"', ' style="font-size:0.5em"', ' style="color:red" style="opacity:0"', " class=x",
          ' hidden="false"', " style=visibility:hidden"]
_WELL_FORMED = st.one_of(
    st.builds(lambda t, a, slash: f"<{t}{a}{slash}>", st.sampled_from(_TAGS), st.sampled_from(_ATTRS),
              st.sampled_from(["", "", "/"])),
    st.builds(lambda t: f"</{t}>", st.sampled_from(_TAGS)),
    st.sampled_from(["Hello", "the council", "does not hold", " ", "  ", "\n", "\r\n  \t", "\xa0", "&amp;", "&pound;",
                     "&pound", "&notanentity;", "&#128;", "&#x92;", "&#0;", "&#129;", "&#xD800;", "&#1114112;",
                     "&#8203;", "<!-- a comment -->", "<!---->", "<![CDATA[ raw ]]>", "<![CDATA[]]>",
                     "<!DOCTYPE html>", "<?xml version='1.0'?>", "&", "a>b", "2022", "£12",
                     "<![if !supportLists]>", "<![endif]>", "<script>x()</script>", '<div hidden>decoy</div>',
                     '<p style="display:none">decoy</p>', "<style>p{}</style>"]),
)
# Markup left open swallows what follows (html.parser reads "</<script>" as one bogus end tag and the script's
# content as text; after "&#" with no ";" anywhere later, the rest is text): read only as the passes read it.
_TOKENS = st.one_of(_WELL_FORMED, st.sampled_from(["<", "</", "<p", "<!-->", "&#"]))


@pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")
@settings(max_examples=400, deadline=None)
@given(st.lists(_WELL_FORMED, max_size=40).map("".join))
@example('<html><head><title>t</title><body><p>Hello</p></body></html>')  # an unclosed head holds everything
@example("<table><tr><td>a<td>b</table><ul><li>one<li>two</ul>")
@example("<ruby>kan<rp>(</rp><rt>ji<b>x</b></rt></ruby> after")
@example("<br>a</br>b<br/>c<p/>d<pre>  kept \n </pre> <span> </span>\n<b>\n</b>")
def test_any_markup_gives_text_without_what_a_reader_never_sees(html: str) -> None:
    text = html_to_text(html)
    assert "x()" not in text and "decoy" not in text and "<script" not in text.lower()
    assert text == text.strip() and "\n\n\n" not in text


@pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")
@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS, max_size=40).map("".join))
@example("</<script>x()</script>")
@example("&#<script>x()</script>")
def test_one_walk_over_the_soup_reads_it_as_the_passes_that_changed_it_did(html: str) -> None:
    text = html_to_text(html)
    assert text == soup_passes(html)
    assert text == text.strip() and "\n\n\n" not in text


def test_nesting_deeper_than_python_recursion_is_still_read_and_hidden_text_dropped() -> None:
    html = "<div>" * 3000 + "<p>Not held.</p><span hidden>decoy</span>" + "</div>" * 3000
    assert html_to_text(html) == "Not held."


@pytest.mark.parametrize("html, expected", [
    ("<p>First</p><p>Second<br>line</p>", "First\n\nSecond\n\nline"),
    ("<table><tr><td>Year</td><td>Cost</td></tr><tr><td>2022</td><td>&pound;12</td></tr></table>",
     "Year Cost\n\n2022 £12"),
    ("<ul><li>one</li><li>two</li></ul>", "- one\n\n- two"),
    ('<p>Shown</p><div style="display:none">decoy</div><span hidden>decoy</span><script>x()</script>', "Shown"),
    ("<p>A &#150; B &euro;</p><!-- note -->", "A – B €"),
    # An unclosed <head> holds the whole body in html.parser's tree: the body is still the reply.
    ("<html><head><title>Re: FOI</title><body><p>We do not hold it.</p></body></html>", "We do not hold it."),
])
def test_readable_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected
