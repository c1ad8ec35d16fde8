"""Markdown to sanitized HTML for lessons and pages: admonitions, videos, images and quizzes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from lms.core.quiz import Quiz, parse_quiz

DEFAULT_VIDEO_HOSTS = (
    "www.youtube.com",
    "youtube.com",
    "youtu.be",
    "www.youtube-nocookie.com",
    "vimeo.com",
    "player.vimeo.com",
)
ADMONITION_TITLES = {"tip": "Tips", "warning": "Varning", "note": "Obs"}
ImageUrl = Callable[[str], str | None]


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    quizzes: list[Quiz]
    headings: list[tuple[int, str, str]]  # (level, text, id)
    problems: list[str]  # "line N: …", for authors; the HTML is safe regardless


@dataclass
class _Env:
    """Per-render state handed to the token rules through markdown-it's `env`."""

    video_hosts: tuple[str, ...]
    image_url: ImageUrl | None
    problems: list[str]
    quizzes: list[Quiz]


# --- sanitizing ------------------------------------------------------------------------------

_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "em", "strong", "s", "code",
    "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "img",
    "figure", "figcaption", "iframe", "aside", "sup", "section", "input", "span", "div", "dl",
    "dt", "dd", "del", "ins", "kbd", "sub",
}  # fmt: skip
_ID_CLASS_TAGS = (
    "h1", "h2", "h3", "h4", "h5", "h6", "aside", "section", "li", "sup", "p", "a", "span", "div",
    "figure", "ol", "ul",
)  # fmt: skip
_CELL = {"align", "colspan", "rowspan"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: {"id", "class"} for tag in _ID_CLASS_TAGS},
    "a": {"href", "title", "id", "class"},
    "img": {"src", "alt", "title", "loading", "width", "height"},
    "iframe": {"src", "title", "allowfullscreen", "loading", "referrerpolicy"},
    "th": _CELL,
    "td": _CELL,
}
_CLASS_PREFIXES = ("admonition", "video", "footnote", "task-list", "contains-task-list", "h-")
_ID_RE = re.compile(r"(h-|fn|fnref)[\w-]*")
_EMBED_HOSTS = frozenset({"www.youtube-nocookie.com", "player.vimeo.com"})


def _is_embed_url(url: str) -> bool:
    """True for the embed URLs this module itself writes for the allowed video hosts."""
    try:
        parts = urlsplit(url)
        return parts.scheme == "https" and parts.netloc in _EMBED_HOSTS and parts.port is None
    except ValueError:
        return False


def _has_invisible_characters(value: str) -> bool:
    """Control or format characters (zero-width, bidi) in a URL only ever hide its scheme."""
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value)


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    if name in ("href", "src") and _has_invisible_characters(value):
        return None  # Markdown's own links are percent-encoded; this is raw HTML only
    if name == "class":
        kept = [word for word in value.split() if word.startswith(_CLASS_PREFIXES)]
        return " ".join(kept) or None
    if name == "id":
        return value if _ID_RE.fullmatch(value) else None
    if tag == "iframe" and name == "src":
        return value if _is_embed_url(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style", "template", "textarea", "select", "noscript", "title"},
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    # A task-list checkbox is the only input: disabled, and a checkbox when it has a type.
    # (Setting `type` too would make attribute order, and so idempotence, unstable.)
    tag_attribute_values={"input": {"type": {"checkbox"}, "checked": {"", "checked"}}},
    set_tag_attribute_values={"input": {"disabled": "disabled"}},
    url_schemes={"https", "http", "mailto"},
    link_rel="noopener noreferrer",
    strip_comments=True,
)


_TEXT_CLEANER = nh3.Cleaner(tags=set(), attributes={})
_MAX_PASSES = 4


def clean_html(html: str) -> str:
    """Sanitize HTML against the allow-list; idempotent, so cleaning twice changes nothing.

    The HTML parser can restructure its own output once more (`<li><table><li>` moves
    again), so cleaning repeats until the result is stable; text alone is the last resort.
    """
    cleaned = _CLEANER.clean(html)
    for _ in range(_MAX_PASSES):
        again = _CLEANER.clean(cleaned)
        if again == cleaned:
            return cleaned
        cleaned = again
    return _TEXT_CLEANER.clean(_TEXT_CLEANER.clean(cleaned))


# --- headings --------------------------------------------------------------------------------

_SWEDISH = str.maketrans({"å": "a", "ä": "a", "ö": "o", "æ": "ae", "ø": "o", "ß": "ss"})


def slugify(title: str) -> str:
    """A heading id: `h-` and the title in ASCII lowercase with hyphens (å, ä → a, ö → o)."""
    text = unicodedata.normalize("NFKD", title.lower().translate(_SWEDISH))
    ascii_text = text.encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:80].rstrip("-")
    return f"h-{slug or 'rubrik'}"


def _heading_ids(state: StateCore) -> None:
    """Give each heading a unique `h-` id: slug, slug-1, slug-2, … (linear for repeats)."""
    used: set[str] = set()
    next_suffix: dict[str, int] = {}
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        slug = unique = slugify(_inline_text(state.tokens[index + 1]))
        while unique in used:
            next_suffix[slug] = next_suffix.get(slug, 0) + 1
            unique = f"{slug}-{next_suffix[slug]}"
        used.add(unique)
        token.attrSet("id", unique)


def _inline_text(inline: Token) -> str:
    children = inline.children or []
    return "".join(child.content for child in children if child.type in ("text", "code_inline"))


def _headings(tokens: Sequence[Token]) -> list[tuple[int, str, str]]:
    headings = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            text = _inline_text(tokens[index + 1]).strip()
            headings.append((int(token.tag[1]), text, str(token.attrGet("id") or "")))
    return headings


# --- videos ----------------------------------------------------------------------------------

_VIDEO_RE = re.compile(r'^@\[video\]\(\s*<?([^\s<>]*)>?(?:\s+"([^"\n]*)")?\s*\)$')
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"\d{1,12}")
_VIMEO_HASH = re.compile(r"[0-9a-f]{6,20}")


def _youtube_id(host: str, path: str, query: str) -> str | None:
    parts = [part for part in path.split("/") if part]
    if host == "youtu.be":
        candidate = parts[0] if parts else ""
    elif parts[:1] == ["watch"]:
        candidate = (parse_qs(query).get("v") or [""])[0]
    elif len(parts) >= 2 and parts[0] in ("embed", "shorts", "live", "v"):
        candidate = parts[1]
    else:
        candidate = ""
    return candidate if _YOUTUBE_ID.fullmatch(candidate) else None


def _vimeo_src(path: str, query: str) -> str | None:
    """vimeo.com/ID, vimeo.com/ID/HASH (unlisted), …/channels/x/ID and player.vimeo.com/video/ID."""
    parts = [part for part in path.split("/") if part]
    ids = [index for index, part in enumerate(parts) if _VIMEO_ID.fullmatch(part)]
    if not ids:
        return None
    video_id, rest = parts[ids[0]], parts[ids[0] + 1 :]
    secret = rest[0] if rest else (parse_qs(query).get("h") or [""])[0]
    suffix = f"?h={secret}" if _VIMEO_HASH.fullmatch(secret) else ""
    return f"https://player.vimeo.com/video/{video_id}{suffix}"


def embed_url(url: str, video_hosts: Sequence[str] = DEFAULT_VIDEO_HOSTS) -> str | None:
    """The privacy-friendly embed URL of a YouTube or Vimeo link on the allow-list, else None."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("https", "http") or host not in video_hosts or parts.port:
            return None
    except ValueError:
        return None
    if host.endswith("vimeo.com"):
        return _vimeo_src(parts.path, parts.query)
    youtube_id = _youtube_id(host, parts.path, parts.query)
    return f"https://www.youtube-nocookie.com/embed/{youtube_id}" if youtube_id else None


def _render_video(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = escapeHtml(str(token.attrGet("src")))
    title = escapeHtml(str(token.attrGet("title") or "Video"))
    return (
        f'<figure class="video"><iframe src="{src}" title="{title}" allowfullscreen '
        'loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe></figure>\n'
    )


def _video(md: MarkdownIt, inline: Token, env: _Env, line: int) -> Token | None:
    """A video token for a `@[video](URL "Title")` paragraph; other hosts become a plain link."""
    match = _VIDEO_RE.match(inline.content.strip())
    if match is None:
        return None
    url, title = match.group(1), unescapeAll(match.group(2) or "").strip()
    src = embed_url(url, env.video_hosts)
    if src is not None:
        token = Token("video", "iframe", 0, block=True, map=inline.map)
        token.attrs = {"src": src, "title": title or "Video"}
        return token
    env.problems.append(f"line {line}: video {url!r} is not a video link from an allowed host")
    href = md.normalizeLink(url)
    text = Token("text", "", 0, content=title or url)
    if url.lower().startswith(("https://", "http://")) and md.validateLink(href):
        inline.children = [Token("link_open", "a", 1, attrs={"href": href}), text]
        inline.children.append(Token("link_close", "a", -1))
    else:
        inline.children = [text]
    return None


# --- images ----------------------------------------------------------------------------------

_UPLOAD_NAME = re.compile(r"\w[\w .\-/]*")


def _image_src(src: str, env: _Env) -> tuple[str | None, str]:
    """The URL to serve for an image, or None and the reason it is refused."""
    name = unquote(src)
    is_https = src.lower().startswith("https://")
    if not is_https and (not _UPLOAD_NAME.fullmatch(name) or ".." in name or "//" in name):
        return None, "must be an uploaded file name or an https URL"
    if env.image_url is None:
        return src, ""
    served = env.image_url(src if is_https else name)
    return (served, "") if served else (None, "is an unknown image")


def _check_image(token: Token, env: _Env, line: int) -> bool:
    """Keep an image only with alt text and an allowed source; report why it is dropped."""
    src = str(token.attrGet("src") or "")
    if not token.content.strip():
        env.problems.append(f"line {line}: image {src!r} has no alt text")
        return False
    served, reason = _image_src(src, env)
    if served is None:
        env.problems.append(f"line {line}: image {src!r} {reason}")
        return False
    token.attrSet("src", served)
    token.attrSet("loading", "lazy")
    return True


def _check_images(inline: Token, env: _Env, line: int) -> None:
    kept: list[Token] = []
    for child in inline.children or []:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        if child.type != "image" or _check_image(child, env, line):
            kept.append(child)
    inline.children = kept


# --- the token pass --------------------------------------------------------------------------

_STRAY_FENCE = re.compile(r"^:{3,}\s*(\S*)")


def _quiz(token: Token, env: _Env, line: int) -> None:
    first_line = line + 1  # the YAML starts below the ``` line
    questions, problems = parse_quiz(token.content, first_line)
    env.problems.extend(problems)
    if questions:
        env.quizzes.append(Quiz(questions=tuple(questions), line=first_line))


def _check_stray_containers(inline: Token, env: _Env, line: int) -> None:
    """Report a `:::` line the container rules did not take: a misspelt or stray admonition."""
    for offset, text in enumerate(inline.content.split("\n")):
        match = _STRAY_FENCE.match(text)
        if match:
            name = match.group(1) or ":::"
            known = ", ".join(ADMONITION_TITLES)
            env.problems.append(f"line {line + offset}: {name!r} is no admonition ({known})")
            return


def _align_cell(token: Token) -> None:
    # markdown-it writes alignment as a style attribute, which the sanitizer forbids.
    style = str(token.attrGet("style") or "")
    token.attrs.pop("style", None)
    if style.startswith("text-align:"):
        token.attrSet("align", style.removeprefix("text-align:"))


def _is_quiz(token: Token) -> bool:
    return token.type == "fence" and token.info.strip().split(" ")[:1] == ["quiz"]


def _check_token(token: Token, env: _Env, line: int) -> None:
    if token.type in ("th_open", "td_open"):
        _align_cell(token)
    elif token.type == "inline":
        _check_images(token, env, line)


def _rewrite_tokens(state: StateCore) -> None:
    """Pull quizzes out, turn video paragraphs into embeds, check images, align cells."""
    env: _Env = state.env["lms"]
    tokens, result, index = state.tokens, [], 0
    while index < len(tokens):
        token = tokens[index]
        line = token.map[0] + 1 if token.map else 0
        if token.type == "paragraph_open":
            video = _video(state.md, tokens[index + 1], env, line)
            if video is not None:
                result.append(video)
                index += 3  # paragraph_open, inline, paragraph_close
                continue
            _check_stray_containers(tokens[index + 1], env, line)
        index += 1
        if _is_quiz(token):
            _quiz(token, env, line)
            continue
        _check_token(token, env, line)
        result.append(token)
    state.tokens = result


# --- the configured parser -------------------------------------------------------------------


def _admonition_renderer(name: str) -> Callable[..., str]:
    opening = (
        f'<aside class="admonition admonition-{name}">\n'
        f'<p class="admonition-title">{ADMONITION_TITLES[name]}</p>\n'
    )

    def render(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return opening if tokens[idx].nesting == 1 else "</aside>\n"

    return render


def _footnote_ids(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> tuple[str, str]:
    # The plugin joins repeated references with ":", which the id allow-list does not accept.
    ident = str(self.rules["footnote_anchor_name"](tokens, idx, options, env))
    sub_id = int(tokens[idx].meta.get("subId", -1))
    return ident, (f"{ident}-{sub_id}" if sub_id > 0 else ident)


def _footnote_ref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    ident, ref_id = _footnote_ids(self, tokens, idx, options, env)
    caption = self.rules["footnote_caption"](tokens, idx, options, env)
    return f'<sup class="footnote-ref"><a href="#fn{ident}" id="fnref{ref_id}">{caption}</a></sup>'


def _footnote_anchor(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    _ident, ref_id = _footnote_ids(self, tokens, idx, options, env)
    return f' <a href="#fnref{ref_id}" class="footnote-backref">\u21a9\ufe0e</a>'


def _build_parser() -> MarkdownIt:
    # A nesting limit of 20 (as CommonMark's preset) keeps `[[[[…` and `::: tip` towers linear.
    options = {"html": False, "linkify": False, "typographer": False, "maxNesting": 20}
    md = MarkdownIt("js-default", options)
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(tasklists_plugin)
    for name in ADMONITION_TITLES:
        md.use(container_plugin, name=name, render=_admonition_renderer(name))
    md.core.ruler.push("lms_rewrite", _rewrite_tokens)
    # Our own rule rather than the anchors plugin, whose de-duplication is quadratic.
    md.core.ruler.push("lms_heading_ids", _heading_ids)
    md.add_render_rule("video", _render_video)
    md.add_render_rule("footnote_ref", _footnote_ref)
    md.add_render_rule("footnote_anchor", _footnote_anchor)
    return md


# Configured once; rendering keeps its state in `env`, so threads can share it.
_MD = _build_parser()


_allowed_video_hosts: tuple[str, ...] = DEFAULT_VIDEO_HOSTS


def configure_video_hosts(hosts: Sequence[str]) -> None:
    """Set the video hosts this installation allows (LMS_VIDEO_HOSTS), for every render."""
    unknown = sorted(set(hosts) - set(DEFAULT_VIDEO_HOSTS))
    if unknown:
        raise ValueError(f"unsupported video hosts: {', '.join(unknown)}")
    global _allowed_video_hosts
    _allowed_video_hosts = tuple(hosts)


def allowed_video_hosts() -> tuple[str, ...]:
    return _allowed_video_hosts


def frame_hosts(video_hosts: Sequence[str]) -> tuple[str, ...]:
    """The hosts the CSP must allow in frames for these video hosts' embeds."""
    hosts = []
    if any("youtu" in host for host in video_hosts):
        hosts.append("www.youtube-nocookie.com")
    if any(host.endswith("vimeo.com") for host in video_hosts):
        hosts.append("player.vimeo.com")
    return tuple(hosts)


def render_markdown(
    text: str,
    *,
    video_hosts: tuple[str, ...] | None = None,
    image_url: ImageUrl | None = None,
) -> RenderedMarkdown:
    """Render Markdown to sanitized HTML; quizzes are returned apart and never rendered.

    `image_url` maps an image's upload name (or https URL) to the URL to serve, or None
    when there is no such image. Problems give line numbers within `text`.
    """
    hosts = _allowed_video_hosts if video_hosts is None else video_hosts
    env = _Env(video_hosts=hosts, image_url=image_url, problems=[], quizzes=[])
    md_env: dict[str, Any] = {"lms": env}
    # The container plugin indexes past the end of a source without a final line break.
    tokens = _MD.parse(text if text.endswith("\n") else text + "\n", md_env)
    html = _MD.renderer.render(tokens, _MD.options, md_env)
    return RenderedMarkdown(
        html=clean_html(html),
        quizzes=env.quizzes,
        headings=_headings(tokens),
        problems=env.problems,
    )
