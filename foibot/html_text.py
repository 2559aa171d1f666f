"""HTML to readable text through BeautifulSoup: scripts, styles, comments and hidden elements dropped.

The design fixes BeautifulSoup as the way foibot reads HTML mail. Only HTML-only replies and HTML
attachments come here (a text/plain part is preferred), so its cost is paid for few messages in a poll.
"""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, Comment, XMLParsedAsHTMLWarning

# Elements whose content is never text for a reader.
_DROPPED = ["script", "style", "head", "title", "noscript", "template", "meta", "link", "object", "iframe", "svg"]
_BLOCKS = ["p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre",
           "section", "article", "header", "footer", "ul", "ol", "hr", "dt", "dd", "address"]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])|"
                           r"max-height\s*:\s*0(?![.\d])|opacity\s*:\s*0(?![.\d])", re.IGNORECASE)


def _hidden(attrs: dict) -> bool:
    return ("hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true"
            or bool(_HIDDEN_STYLE.search(str(attrs.get("style", "")))))


def html_to_text(html: str) -> str:
    """Readable text from HTML: scripts, styles, comments and hidden elements dropped, blocks on new lines."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(html, "html.parser")
        for tag in soup(_DROPPED):
            tag.decompose()
        for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
            comment.extract()
        for tag in soup.find_all(True):
            if not getattr(tag, "decomposed", False) and _hidden(getattr(tag, "attrs", None) or {}):
                tag.decompose()
        for tag in soup.find_all(["td", "th"]):
            tag.append(" \t")
        for tag in soup.find_all("li"):
            tag.insert(0, "- ")
        for tag in soup.find_all(_BLOCKS):
            tag.insert_before("\n")
            tag.append("\n")
        text = soup.get_text()
    except Exception:  # noqa: BLE001 - html.parser is forgiving, but never let odd markup stop a reply being read
        text = re.sub(r"<[^>]*>", " ", html)
    return tidy_text(text)


_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\ufeff]")
_RUNS_OF_SPACE = re.compile(r"[ \t\f\v]+")


def tidy_text(text: str) -> str:
    """Normalise line ends and spaces; at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = _INVISIBLE.sub("", text)
    out: list[str] = []
    for line in text.split("\n"):
        line = _RUNS_OF_SPACE.sub(" ", line).strip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()
