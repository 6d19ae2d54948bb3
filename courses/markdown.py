"""Lesson Markdown: Python-Markdown (tables, fenced code, admonitions), then nh3 with a strict allowlist.

Nothing a trainer writes can run in a learner's browser: no script, no event handlers, no style, links only to
http/https/mailto, images only from this site or https.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import markdown as md
import nh3

EXTENSIONS = ["tables", "fenced_code", "admonition", "sane_lists"]
TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "img", "div", "span", "sup", "sub",
    "dl", "dt", "dd", "kbd", "abbr",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "div": {"class"},
    "p": {"class"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
    "abbr": {"title"},
    "ol": {"start"},
}
LINK_SCHEMES = {"http", "https", "mailto"}
_ALLOWED_CLASS = re.compile(r"^(admonition|admonition-title|note|tip|warning|danger|important|hint|caution|"
                            r"attention|error|example|language-[a-z0-9+-]+)$")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [c for c in value.split() if _ALLOWED_CLASS.match(c)]
        return " ".join(kept) or None
    if tag == "img" and attribute == "src":
        return value if image_source_allowed(value) else None
    return value


def image_source_allowed(src: str) -> bool:
    """Images come from this site (a path) or over https."""
    parts = urlsplit(src.strip())
    if parts.scheme:
        return parts.scheme == "https" and bool(parts.netloc)
    return not parts.netloc and src.strip().startswith("/")


def render(text: str) -> str:
    """Markdown to sanitised HTML."""
    html = md.markdown(text, extensions=EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=LINK_SCHEMES,
        attribute_filter=_filter_attribute,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_RAW_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?/?>")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)")
_FENCE = re.compile(r"^\s*(```|~~~)")


def problems(text: str) -> list[tuple[int, str]]:
    """What a course pack's lesson must not contain, as (line number, message): raw HTML, unsafe links, images
    from elsewhere. (``render`` neutralises all of these anyway; the import refuses them so authors see why.)"""
    found: list[tuple[int, str]] = []
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or line.startswith("    ") and not line.strip().startswith(("-", "*", "|", "!")):
            continue
        code_free = re.sub(r"`[^`]*`", "", line)
        tag = _RAW_TAG.search(code_free)
        if tag:
            found.append((number, f"raw HTML <{tag.group(1)}> is not allowed; write Markdown instead"))
        for match in _LINK.finditer(code_free):
            target = match.group(1)
            is_image = match.group(0).startswith("!")
            scheme = urlsplit(target).scheme.lower()
            if is_image and not image_source_allowed(target):
                found.append((number, f"image {target!r} must be https or a path on this site"))
            elif not is_image and scheme and scheme not in LINK_SCHEMES:
                found.append((number, f"link {target!r} uses {scheme}:, only http, https and mailto are allowed"))
    return found
