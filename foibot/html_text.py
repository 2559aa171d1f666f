"""HTML to readable text in one pass of the standard library's HTML parser (no tree is built).

It reads markup exactly as BeautifulSoup's "html.parser" tree builder does (an end tag closes the nearest
open element of its name, void elements close at once, whitespace-only strings collapse outside <pre>,
entities and character references resolved the same way) and writes the text that tree gave after
dropping scripts, styles, comments and hidden elements, with blocks on their own lines, table cells apart
and list items marked. tests/test_html_text.py checks it against BeautifulSoup on generated markup; it is
eight to ten times faster, which matters when thousands of HTML replies come in one poll.
"""

from __future__ import annotations

import re
from html.entities import html5
from html.parser import HTMLParser

# Elements whose content is never text for a reader.
_DROPPED = frozenset({"script", "style", "head", "title", "noscript", "template", "meta", "link", "object",
                      "iframe", "svg"})
_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote",
                     "pre", "section", "article", "header", "footer", "ul", "ol", "hr", "dt", "dd", "address"})
_CELLS = frozenset({"td", "th"})
_VOID = frozenset({"area", "base", "basefont", "bgsound", "br", "col", "command", "embed", "frame", "hr", "image",
                   "img", "input", "isindex", "keygen", "link", "menuitem", "meta", "nextid", "param", "source",
                   "spacer", "track", "wbr"})
_PRESERVE_SPACE = frozenset({"pre", "textarea"})
# Elements whose own strings are not body text (ruby annotations; script/style/template are dropped anyway).
_NOT_TEXT = frozenset({"rt", "rp", "script", "style", "template"})
_SPACES = frozenset(" \n\t\x0c\r")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])|"
                           r"max-height\s*:\s*0(?![.\d])|opacity\s*:\s*0(?![.\d])", re.IGNORECASE)
_CP1252 = {n: bytes([n]).decode("cp1252") for n in range(0x80, 0xA0) if n not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def _hidden(attrs: list[tuple[str, str | None]]) -> bool:
    values = {name: value or "" for name, value in attrs}  # a repeated attribute: the last one counts
    return ("hidden" in values or values.get("aria-hidden", "").lower() == "true"
            or bool(_HIDDEN_STYLE.search(values.get("style", ""))))


def _character(number: int) -> str:
    """A numeric character reference as the HTML standard resolves it (cp1252 for the C1 range)."""
    if number == 0 or number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
        return "\ufffd"
    return _CP1252.get(number) or chr(number)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.open: list[tuple[str, bool]] = []  # (name, hides its content), innermost last
        self.counts: dict[str, int] = {}  # open elements by name
        self.hiding = 0  # open elements that hide what is inside them
        self.preserving = 0  # open <pre>/<textarea>
        self.containers: list[str] = []  # open elements that type their strings (rt, rp, ...)
        self.pending: list[str] = []  # text since the last tag, comment or declaration
        self.closed_void: list[str] = []  # void elements closed at their start tag: their end tag is ignored

    # --- the tree builder's moves, with the text each one writes ---

    def flush(self, kind: str = "text") -> None:
        """End a string: one of whitespace only counts as one space or line end (outside <pre>); kept if shown."""
        if not self.pending:
            return
        text = "".join(self.pending)
        self.pending = []
        if not self.preserving and all(ch in _SPACES for ch in text):
            text = "\n" if "\n" in text else " "
        if not self.hiding and (kind == "cdata" or (kind == "text" and not self.containers)):
            self.out.append(text)

    def push(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
        self.flush()
        hides = name in _DROPPED or _hidden(attrs)
        self.open.append((name, hides))
        self.counts[name] = self.counts.get(name, 0) + 1
        self.hiding += hides
        self.preserving += name in _PRESERVE_SPACE
        if name in _NOT_TEXT:
            self.containers.append(name)
        if not self.hiding:
            if name in _BLOCKS:
                self.out.append("\n")
            if name == "li":
                self.out.append("- ")

    def pop(self) -> None:
        name, hides = self.open.pop()
        self.counts[name] -= 1
        if not self.hiding:
            if name in _CELLS:
                self.out.append(" \t")
            if name in _BLOCKS:
                self.out.append("\n")
        self.hiding -= hides
        self.preserving -= name in _PRESERVE_SPACE
        if self.containers and self.containers[-1] == name and name in _NOT_TEXT:
            self.containers.pop()

    def pop_to(self, name: str) -> None:
        """Close the nearest open element of this name and everything opened inside it; none open: nothing."""
        self.flush()
        while self.counts.get(name):
            closing = self.open[-1][0]
            self.pop()
            if closing == name:
                break

    # --- html.parser's events ---

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.push(tag, attrs)
        if tag in _VOID:
            self.pop_to(tag)
            self.closed_void.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.push(tag, attrs)
        self.pop_to(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.closed_void:  # </br> after <br>: already closed
            self.closed_void.remove(tag)
        else:
            self.pop_to(tag)

    def handle_data(self, data: str) -> None:
        self.pending.append(data)

    def handle_charref(self, name: str) -> None:
        self.pending.append(_character(int(name[1:], 16) if name[:1] in ("x", "X") else int(name)))

    def handle_entityref(self, name: str) -> None:
        self.pending.append(html5.get(name + ";") or html5.get(name) or "&" + name)

    def handle_comment(self, data: str) -> None:
        self._aside(data, "comment")

    def handle_decl(self, decl: str) -> None:
        self._aside(decl, "declaration")

    def handle_pi(self, data: str) -> None:
        self._aside(data, "instruction")

    def unknown_decl(self, data: str) -> None:
        if data.upper().startswith("CDATA["):
            self._aside(data[len("CDATA["):], "cdata")
        else:
            self._aside(data, "declaration")

    def _aside(self, data: str, kind: str) -> None:
        """A comment, declaration or CDATA section: a string of its own (only CDATA is text)."""
        self.flush()
        self.pending.append(data)
        self.flush(kind)

    def text(self) -> str:
        self.flush()
        while self.open:
            self.pop()
        return "".join(self.out)


def html_to_text(html: str) -> str:
    """Readable text from HTML: scripts, styles, comments and hidden elements dropped, blocks on new lines."""
    try:
        reader = _Reader()
        reader.feed(html)
        reader.close()
        text = reader.text()
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
