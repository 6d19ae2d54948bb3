"""Lesson Markdown: Python-Markdown (tables, fenced code, admonitions), then nh3 with a strict allowlist.

Nothing a trainer writes can run in a learner's browser: no script, no event handlers, no style, links only to
http/https/mailto, images only from this site or https.
"""
from __future__ import annotations

import bisect
import re
from urllib.parse import urlsplit

import markdown as md
import nh3

from lms.errors import DomainError

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


# Python-Markdown does work quadratic (or worse) in the size of some constructs: nested or unclosed brackets,
# code spans and tags, deeply nested lists and quotes, long paragraphs of headings. These bounds keep every
# lesson that passes :func:`check` well under 100 ms to render (bench/markdown_render.py searches for the
# worst case and prints it).
MAX_LESSON_CHARS = 20_000
MAX_LINE_CHARS = 3_000
MAX_LESSON_LINES = 1_000
MAX_MARKS = 2_000  # formatting characters, each of which can start an element: * _ ` [ ] < > | # = & !
MAX_PARAGRAPH_LINES = 200
MAX_NESTING = 8  # lists, quotes and admonitions inside one another
MAX_BRACKET_DEPTH = 4  # [ inside [
MAX_UNCLOSED = 3  # unclosed [ ( ` or < in one paragraph
MAX_UNCLOSED_TAGS = 10  # unclosed < in the whole lesson (raw HTML is parsed across paragraphs)
MAX_HTML_CHARS = 400_000
MAX_COURSE_CHARS = 250_000  # all lessons of a course: publishing renders them in one request


class LessonTooComplex(DomainError):
    """Lesson Markdown outside the bounds :func:`check` sets; ``line`` is where (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"Line {line}: {message}", field="body")
        self.line = line
        self.reason = message


_MARKS = "*_`[]<>|#=&!"
_FENCE_OPEN = re.compile(r"^(~{3,}|`{3,})")


def check(text: str) -> list[tuple[int, str]]:
    """What makes lesson Markdown too costly to render, as (line number, message); empty when it is fine.

    The one check that the lesson form, the preview, publishing and course pack import all run (``render``
    runs it too). It takes time linear in the text."""
    if len(text) > MAX_LESSON_CHARS:
        line = text.count("\n", 0, MAX_LESSON_CHARS) + 1
        return [(line, f"the lesson is longer than {MAX_LESSON_CHARS:,} characters ({len(text):,}); "
                       "split it into two lessons")]
    found: list[tuple[int, str]] = []
    lines = text.split("\n")
    if len(lines) > MAX_LESSON_LINES:
        return [(MAX_LESSON_LINES + 1, f"the lesson has more than {MAX_LESSON_LINES:,} lines; split it into two "
                                       "lessons")]
    skip = _fenced_lines(lines)
    paragraph: list[tuple[int, str]] = []
    tags = _Unclosed()
    marks = 0
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            found.append((number, f"the line is longer than {MAX_LINE_CHARS:,} characters; break it up"))
        if number not in skip and marks <= MAX_MARKS:
            marks += sum(map(line.count, _MARKS))
            if marks > MAX_MARKS:
                found.append((number, f"the lesson has more formatting than one lesson may (more than "
                                      f"{MAX_MARKS:,} of {' '.join(_MARKS)} outside code blocks); split it into "
                                      "two lessons"))
        if number in skip or not line.strip():
            if paragraph:
                _check_paragraph(paragraph, found, tags)
            paragraph = []
            continue
        paragraph.append((number, line))
    if paragraph:
        _check_paragraph(paragraph, found, tags)
    if tags.count > MAX_UNCLOSED_TAGS:
        found.append((tags.first, f"{tags.count} < are never closed by > (the first here); at most "
                                  f"{MAX_UNCLOSED_TAGS} in a lesson: write &lt; for a literal <"))
    return sorted(set(found))


def _fenced_lines(lines: list[str]) -> set[int]:
    """Line numbers inside fenced code blocks, fences included (their text is not parsed as Markdown)."""
    closing: dict[str, list[int]] = {}
    for index, line in enumerate(lines):
        if _FENCE_OPEN.match(line) and not line.rstrip().strip("`~"):
            closing.setdefault(line.rstrip(), []).append(index)
    skip: set[int] = set()
    index = 0
    while index < len(lines):
        match = _FENCE_OPEN.match(lines[index])
        if match:
            candidates = closing.get(match.group(1), [])
            position = bisect.bisect_right(candidates, index)
            if position < len(candidates):
                end = candidates[position]
                skip.update(range(index + 1, end + 2))
                index = end + 1
                continue
        index += 1
    return skip


class _Unclosed:
    """Openers without their closer: how many, and the line of the first."""

    def __init__(self) -> None:
        self.count = 0
        self.first = 0

    def add(self, line: int, count: int = 1) -> None:
        if count and not self.count:
            self.first = line
        self.count += count


def _nesting(line: str) -> int:
    depth, column = 0, 0
    for char in line.expandtabs(4):
        if char == ">":
            depth, column = depth + 1, 0
        elif char == " ":
            column += 1
            if column == 4:
                depth, column = depth + 1, 0
        else:
            break
    return depth


def _check_paragraph(paragraph: list[tuple[int, str]], found: list[tuple[int, str]], tags: _Unclosed) -> None:
    start = paragraph[0][0]
    if len(paragraph) > MAX_PARAGRAPH_LINES:
        found.append((start, f"the paragraph has more than {MAX_PARAGRAPH_LINES} lines; put blank lines "
                             "between its parts"))
    brackets: list[int] = []  # line numbers of the [ still open
    parens: list[tuple[int, bool]] = []  # (line, opens a link target)
    ticks: dict[int, list[int]] = {}  # backtick run length -> lines of the runs still open
    deepest = 0
    tag_open = 0  # line of a < not yet closed by >, or 0
    unclosed_tags = _Unclosed()
    for number, line in paragraph:
        if _nesting(line) > MAX_NESTING:
            found.append((number, f"lists, quotes and notes are nested more than {MAX_NESTING} deep"))
        index, length = 0, len(line)
        while index < length:
            char = line[index]
            if char == "\\":
                index += 2
                continue
            if char == "[":
                brackets.append(number)
                if len(brackets) > MAX_BRACKET_DEPTH and len(brackets) > deepest:
                    deepest = len(brackets)
                    if deepest == MAX_BRACKET_DEPTH + 1:
                        found.append((number, f"brackets [ ] are nested more than {MAX_BRACKET_DEPTH} deep"))
            elif char == "]":
                if brackets:
                    brackets.pop()
            elif char == "(":
                parens.append((number, index > 0 and line[index - 1] == "]"))
            elif char == ")":
                if parens:
                    parens.pop()
            elif char == "`":
                end = index
                while end < length and line[end] == "`":
                    end += 1
                runs = ticks.setdefault(end - index, [])
                if runs:
                    runs.pop()
                else:
                    runs.append(number)
                index = end
                continue
            elif char == "<" and index + 1 < length and not line[index + 1].isspace():
                if tag_open:
                    unclosed_tags.add(tag_open)
                tag_open = number
            elif char == ">" and tag_open:
                tag_open = 0
            index += 1
    if tag_open:
        unclosed_tags.add(tag_open)
    tags.add(unclosed_tags.first, unclosed_tags.count)
    for what, openers, advice in (
        ("[", brackets, "close it with ], or write \\[ for a literal bracket"),
        ("( after ]", [line for line, link in parens if link], "close the link with )"),
        ("`", sorted(line for runs in ticks.values() for line in runs), "close the code with `, or write \\`"),
        ("<", [unclosed_tags.first] * unclosed_tags.count, "write &lt; for a literal <"),
    ):
        if len(openers) > MAX_UNCLOSED:
            found.append((min(openers), f"{len(openers)} {what} are never closed in this paragraph (the first "
                                        f"here); at most {MAX_UNCLOSED} are allowed: {advice}"))


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
    """Markdown to sanitised HTML. Refuses (:class:`LessonTooComplex`) what :func:`check` refuses, and output
    larger than :data:`MAX_HTML_CHARS`, so no lesson costs more than a bounded amount of work."""
    found = check(text)
    if found:
        raise LessonTooComplex(*found[0])
    try:
        html = md.markdown(text, extensions=EXTENSIONS, output_format="html")
    except RecursionError:  # check() bounds nesting; this is the last line of defence
        raise LessonTooComplex(1, "the text is nested too deeply to render") from None
    if len(html) > MAX_HTML_CHARS:
        raise LessonTooComplex(1, f"the lesson renders to more than {MAX_HTML_CHARS:,} characters of HTML "
                                  "(repeated references to long links?); shorten it")
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
