"""HTML to readable text through BeautifulSoup: scripts, styles, comments and hidden elements dropped.

The design fixes BeautifulSoup as the way foibot reads HTML mail. Only HTML-only replies and HTML
attachments come here (a text/plain part is preferred). The tree is built once and read in one walk that
skips what a reader never sees, rather than changed in place pass after pass (twice as fast: a quarter of
a campaign's replies can be HTML-only).
"""

from __future__ import annotations

import html as html_entities
import re
import warnings
from collections.abc import Iterator
from typing import Any

from bs4 import BeautifulSoup, CData, NavigableString, Tag, XMLParsedAsHTMLWarning

# Elements whose content is never text for a reader.
_DROPPED = frozenset({"script", "style", "title", "noscript", "template", "meta", "link", "object",
                      "iframe", "svg"})
_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote",
                     "pre", "section", "article", "header", "footer", "ul", "ol", "hr", "dt", "dd", "address"})
_CELLS = frozenset({"td", "th"})
# The strings get_text() reads: not comments, declarations, nor ruby annotations and script (exact types).
_TEXT_TYPES = (NavigableString, CData)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])|"
                           r"max-height\s*:\s*0(?![.\d])|opacity\s*:\s*0(?![.\d])", re.IGNORECASE)


def _hidden(attrs: dict[str, Any]) -> bool:
    return ("hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true"
            or bool(_HIDDEN_STYLE.search(str(attrs.get("style", "")))))


def _visible_text(soup: BeautifulSoup) -> str:
    """The document's text in order, without dropped or hidden elements: blocks start and end a line, table
    cells end with a space and a tab, list items start with "- ". Iterative, so no nesting is too deep."""
    out: list[str] = []
    stack: list[tuple[Iterator[Any], str]] = [(iter(soup.contents), "")]  # (children left, text at the end)
    while stack:
        children, closing = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            out.append(closing)
        elif type(child) in _TEXT_TYPES:
            out.append(child)
        elif isinstance(child, Tag):
            name = child.name
            if name in _DROPPED or _hidden(child.attrs):
                continue
            block = name in _BLOCKS
            if block:
                out.append("\n")
            if name == "li":
                out.append("- ")
            stack.append((iter(child.contents), (" \t" if name in _CELLS else "") + ("\n" if block else "")))
    return "".join(out)


# BeautifulSoup holds over a hundred bytes per byte of markup (a 12 MB HTML-only reply: 1.5 GB) and takes
# seconds a megabyte: bigger HTML is read by a linear pass over the tags instead, and only its first part.
MAX_SOUP_CHARS = 300_000
MAX_HTML_CHARS = 2_000_000
_ROUGH_DROPPED = re.compile(r"<(script|style|title|head|noscript|template)\b|<!--", re.IGNORECASE)
_ROUGH_BLOCK = re.compile(r"</?(?:p|div|br|tr|li|h[1-6]|table|blockquote|pre|hr|ul|ol)\b[^<>]*>", re.IGNORECASE)
_ROUGH_TAG = re.compile(r"<[^<>]*>")  # not [^>]: each "<" never closed would be searched to the end


def _rough_text(html: str) -> str:
    """Text of HTML too big for BeautifulSoup: scripts, styles and comments dropped, blocks on new lines."""
    html = html[:MAX_HTML_CHARS]
    kept: list[str] = []
    position = 0
    lowered = html.lower()
    while True:  # one forward pass: an element never closed drops the rest, it is never searched again
        found = _ROUGH_DROPPED.search(html, position)
        if found is None:
            kept.append(html[position:])
            break
        kept.append(html[position:found.start()])
        closing = "-->" if found.group(0) == "<!--" else f"</{found.group(1).lower()}"
        end = lowered.find(closing, found.end())
        if end < 0:
            break
        position = end + len(closing)
        if closing != "-->":  # past the ">" of the closing tag
            close = html.find(">", position)
            position = len(html) if close < 0 else close + 1
    text = _ROUGH_TAG.sub(" ", _ROUGH_BLOCK.sub("\n", "".join(kept)))
    return html_entities.unescape(text)


def html_to_text(html: str) -> str:
    """Readable text from HTML: scripts, styles, comments and hidden elements dropped, blocks on new lines."""
    if len(html) > MAX_SOUP_CHARS:
        return tidy_text(_rough_text(html))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(html, "html.parser")
        text = _visible_text(soup)
    except Exception:  # noqa: BLE001 - html.parser is forgiving, but never let odd markup stop a reply being read
        text = re.sub(r"<[^>]*>", " ", html)
    return tidy_text(text)


_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\ufeff]")
_RUNS_OF_SPACE = re.compile(r"[ \t\f\v]+")


def tidy_text(text: str) -> str:
    """Normalise line ends and spaces; at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = _RUNS_OF_SPACE.sub(" ", _INVISIBLE.sub("", text))  # one pass: the runs never cross a line end
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()
