"""The composer's fast path (see :class:`FastBody`): most campaign bodies only print values, and rendering their
Markdown once per campaign instead of once per recipient is what lets a worker keep up with the relay."""
from __future__ import annotations

import html as html_lib
import re
from typing import TYPE_CHECKING

import css_inline
from jinja2 import TemplateError, Undefined, UndefinedError
from jinja2.sandbox import SecurityError

from comms.compose import (
    _ENVS,
    _HREF,
    PRINTABLE_NAMES,
    DueList,
    Links,
    TemplateProblem,
    _finalize_markdown,
    _tracked,
    _undefined,
    _when,
)
from courses import api as courses_api
from lms.errors import DomainError

if TYPE_CHECKING:
    from comms.compose import Composer

_EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)


class FastBody:
    """A body whose template is only ``{{ expressions }}`` (no ``{% blocks %}``): its Markdown is rendered and its
    layout's CSS inlined once, with a token standing for each expression; each recipient's mail then only replaces
    the tokens by their values, escaped (the same text the Markdown path gives, without rendering Markdown 100,000
    times). Anything else, or a body the tokens do not survive, takes the general path."""

    def __init__(self, composer: Composer, tokenized: str, expressions: list, tokens: list[str]) -> None:
        self.composer, self.tokenized, self.expressions, self.tokens = composer, tokenized, expressions, tokens
        self.body_html = courses_api.render_markdown(tokenized)
        self._pages: dict[tuple[bool, bool, bool], str] = {}
        if not all(t in self.body_html for t in tokens):
            raise ValueError("a token did not survive Markdown")

    @classmethod
    def build(cls, source: str, composer: Composer) -> FastBody | None:
        if "{%" in source or "{#" in source:
            return None
        env = _ENVS["markdown"]
        expressions, tokens = [], []

        def token(match: re.Match) -> str:
            tokens.append(f"zqx{len(tokens)}xqz")
            source = match.group(1).strip()
            expressions.append(_Name(source) if source in PRINTABLE_NAMES
                               else env.compile_expression(source, undefined_to_none=False))
            return tokens[-1]

        try:
            tokenized = _EXPR.sub(token, source)
            return cls(composer, tokenized, expressions, tokens) if tokens or source else None
        except (TemplateError, DomainError, ValueError):
            return None

    def _page(self, pixel: bool, preferences: bool, unsubscribe: bool) -> str:
        key = (pixel, preferences, unsubscribe)
        if key not in self._pages:
            self._pages[key] = css_inline.inline(self.composer.page(
                self.body_html, "zqxsubjectxqz", "zqxpixelxqz" if pixel else None,
                "zqxprefsxqz" if preferences else None, "zqxunsubxqz" if unsubscribe else None))
        return self._pages[key]

    def values(self, context: dict) -> list:
        found = []
        for expression in self.expressions:
            try:
                value = expression(**context)
            except UndefinedError as exc:
                raise TemplateProblem(f"The body uses something unknown: {_undefined(exc)}") from None
            except SecurityError as exc:
                raise TemplateProblem(f"The body does something templates may not do: {exc}") from None
            except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
                raise TemplateProblem(f"The body has a template error: {type(exc).__name__}: {exc}") from None
            if isinstance(value, Undefined):
                try:
                    str(value)
                except UndefinedError as exc:
                    raise TemplateProblem(f"The body uses something unknown: {_undefined(exc)}") from None
            found.append(value)
        return found

    def render(self, context: dict, links: Links, subject: str, pixel: str | None, preferences: str | None,
               unsubscribe: str | None) -> tuple[str, str]:
        """(the HTML part, the personalised Markdown for the text part); three passes over the page, not one per
        value."""
        values = dict(zip(self.tokens, self.values(context), strict=True))
        colour = html_lib.escape(self.composer.layout.colour)

        def in_html(match: re.Match) -> str:
            value = values[match.group(1) or match.group(2)]
            if isinstance(value, DueList):
                return _due_html(value, colour)
            text = html_lib.escape("" if value is None else str(value))
            return f"<p>{text}</p>" if match.group(1) else text

        html = _TOKEN_HTML.sub(in_html, self._page(pixel is not None, preferences is not None,
                                                   unsubscribe is not None))
        html = _HREF.sub(lambda m: m.group(1) + html_lib.escape(_tracked(links, html_lib.unescape(m.group(2))))
                         + m.group(3), html)
        own = {"zqxsubjectxqz": subject, "zqxpixelxqz": pixel, "zqxprefsxqz": preferences, "zqxunsubxqz": unsubscribe}
        html = _OWN.sub(lambda m: html_lib.escape(own[m.group(0)] or ""), html)
        markdown = _TOKEN.sub(lambda m: _finalize_markdown(values[m.group(0)]), self.tokenized)
        return html, markdown


_TOKEN = re.compile(r"zqx\d+xqz")
_TOKEN_HTML = re.compile(r"<p>(zqx\d+xqz)</p>|(zqx\d+xqz)")
_OWN = re.compile(r"zqx(?:subject|pixel|prefs|unsub)xqz")


class _Name:
    """``{{ first_name }}``: a placeholder by name, looked up without running a template (every name is always in
    the context, so this is what the sandbox would print)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, **context):
        return context[self.name]


def _due_html(due: DueList, colour: str) -> str:
    if not due:
        return "<p>You have nothing due right now.</p>"
    items = "".join(f'<li><a href="{html_lib.escape(d.url)}" style="color: {colour};">{html_lib.escape(d.title)}'
                    f"</a>{html_lib.escape(_when(d))}</li>" for d in due)
    return f"<ul>{items}</ul>"


