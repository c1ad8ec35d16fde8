"""The stored-XSS oracle for whole pages: what a rendered Lärlyft page may contain.

The page chrome is known (stylesheets and deferred scripts from /static/, forms posting to the
app itself, inline SVG charts without scripts), so anything beyond it that could run script,
load a foreign document or send a form elsewhere is a violation, wherever it came from.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

CORPUS_FILE = Path(__file__).resolve().parents[1] / "core" / "xss_corpus.txt"

EMBED_HOSTS = {"www.youtube-nocookie.com", "player.vimeo.com"}
NEVER = {
    "object", "embed", "applet", "base", "frame", "frameset", "portal", "math", "template",
    "noscript", "style", "xmp", "plaintext", "isindex", "foreignobject", "animate", "set",
    "animatetransform", "animatemotion", "handler", "listener", "xml", "import",
}  # fmt: skip
SVG_PARTS = {
    "svg", "g", "path", "rect", "circle", "line", "polyline", "polygon", "text", "tspan",
    "title", "desc", "ellipse",
}  # fmt: skip
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "poster", "data", "background",
    "cite", "ping", "lowsrc", "dynsrc", "codebase", "longdesc", "usemap", "manifest", "icon",
}  # fmt: skip
SAFE_SCHEMES = {"http", "https", "mailto"}
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
SVG_ATTRIBUTES = {
    "class", "viewbox", "width", "height", "aria-hidden", "focusable", "role", "aria-label",
    "aria-labelledby", "xmlns",
}  # fmt: skip
META_NAMES = {"viewport", "description", "robots", "color-scheme", "theme-color", "csrf-token"}


def load_corpus() -> list[tuple[str, str]]:
    """(category, payload) for every payload of tests/core/xss_corpus.txt."""
    payloads, category = [], ""
    for line in CORPUS_FILE.read_text(encoding="utf-8").split("\n"):
        if line.startswith("%% ---"):
            category = line.removeprefix("%% ---").strip()
        elif line.strip() and not line.startswith("%%"):
            payloads.append((category, line.replace("\\n", "\n").replace("\\x00", "\x00")))
    return payloads


def effective_url(value: str) -> str:
    """The URL as a browser reads it (entities already decoded by the parser): without the
    whitespace, control and format characters browsers strip, lowercased."""
    kept = (
        ch
        for ch in value
        if ord(ch) > 0x20 and not 0x7F <= ord(ch) <= 0x9F and unicodedata.category(ch) != "Cf"
    )
    return "".join(kept).lower()


def is_off_site(value: str) -> bool:
    url = effective_url(value)
    return url.startswith(("//", "/\\", "\\")) or bool(urlsplit(url).netloc)


class PageChecker(HTMLParser):
    """Collects every script-capable element, attribute or URL on a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.violations: list[str] = []
        self.open_script = False

    def flag(self, what: str) -> None:
        self.violations.append(what)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in attrs:
            self.check_attribute(tag, name, value or "")
        if tag in NEVER:
            self.flag(f"element <{tag}>")
        elif tag == "script":
            self.check_script(values)
        elif tag == "iframe":
            self.check_iframe(values)
        elif tag == "meta":
            self.check_meta(values)
        elif tag == "link":
            self.check_link(values)
        elif tag == "form" and is_off_site(values.get("action", "")):
            self.flag(f"form posting off-site: {values.get('action')!r}")
        elif tag in ("use", "image", "feimage") or (tag.startswith("fe") and tag != "feimage"):
            self.flag(f"svg element <{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.open_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.open_script = False

    def handle_data(self, data: str) -> None:
        if self.open_script and data.strip():
            self.flag(f"inline script {data[:60]!r}")

    def check_script(self, values: dict[str, str]) -> None:
        src = values.get("src", "")
        if not src.startswith("/static/") or set(values) - {"src", "defer", "type"}:
            self.flag(f"script {values!r}")
        self.open_script = True

    def check_iframe(self, values: dict[str, str]) -> None:
        parts = urlsplit(values.get("src", ""))
        if "src" in values and (parts.scheme != "https" or parts.hostname not in EMBED_HOSTS):
            self.flag(f"iframe src={values.get('src')!r}")

    def check_meta(self, values: dict[str, str]) -> None:
        if set(values) - {"charset", "name", "content"}:
            self.flag(f"meta {values!r}")
        elif "name" in values and values["name"] not in META_NAMES:
            self.flag(f"meta name={values['name']!r}")

    def check_link(self, values: dict[str, str]) -> None:
        if not values.get("href", "").startswith("/static/"):
            self.flag(f"link {values!r}")

    def check_attribute(self, tag: str, name: str, value: str) -> None:
        if name.startswith("on"):
            self.flag(f"handler {name}= on <{tag}>")
        elif name in ("style", "srcdoc", "srcset", "formaction", "http-equiv", "is"):
            self.flag(f"attribute {name}={value[:60]!r} on <{tag}>")
        elif name in URL_ATTRIBUTES:
            match = SCHEME.match(effective_url(value))
            if match and match.group(1) not in SAFE_SCHEMES:
                self.flag(f"{name}={value[:80]!r} on <{tag}>")
        elif tag == "svg" and name not in SVG_ATTRIBUTES:
            self.flag(f"svg attribute {name}=")


def page_violations(markup: str) -> list[str]:
    checker = PageChecker()
    checker.feed(markup)
    checker.close()
    return checker.violations


class TextAndLinks(HTMLParser):
    """A page's visible text (entities decoded) and the targets of its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.extend(value or "" for name, value in attrs if name == "href")
        for name, value in attrs:
            if name in ("title", "alt", "value", "aria-label", "content", "href"):
                self.text.append(value or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def text_and_links(markup: str) -> tuple[str, list[str]]:
    parser = TextAndLinks()
    parser.feed(markup)
    parser.close()
    return " ".join(parser.text), parser.links
