"""The comms mail composer: every comms mail (campaigns, ``comms.api.send_to_people``, automatic messages) is made
here, so that they all look alike and follow the same rules.

1. Personalisation: the subject and the Markdown body are Jinja2 templates, run in a
   :class:`~jinja2.sandbox.SandboxedEnvironment` with :class:`~jinja2.StrictUndefined`. The names a template may use
   are :data:`PLACEHOLDERS` (``first_name``, ``last_name``, ``name``, ``job_role``, ``department``, ``manager``,
   ``due``, ``my_learning_url``) and ``extra.<name>`` for strings the caller gives per person. An unknown name or a
   template error raises :class:`TemplateProblem` naming it: a form error, never a blank or a traceback in a mail.
   Values are escaped for Markdown, so a name cannot add a link; ``due`` prints as a list of the person's open
   courses with their due dates and links (or loop over it: ``{% for c in due %}{{ c.title }}{% endfor %}``).
2. The body is rendered by the lessons' Markdown renderer and nh3 allowlist (``courses.api.render_markdown``).
3. The HTML part is the layout (company name, colour, logo) around it, its CSS inlined by css-inline; the plain-text
   part is the personalised Markdown. Links are turned into signed tracking links when the mail's outbox row is
   known (see :mod:`comms.links`); the footer links to the person's mail preferences.
"""
from __future__ import annotations

import functools
import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import css_inline
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from courses import api as courses_api
from lms.errors import DomainError
from lms.mail.rendering import RenderedMail

PLACEHOLDERS = ("first_name", "last_name", "name", "job_role", "department", "manager", "due", "my_learning_url",
                "extra")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")
_HREF = re.compile(r'(<a\s[^>]*?href=")([^"]*)(")')
_MD_UNESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_MD_LINK = re.compile(r"(?<!\\)(!?)\[([^\]]*)\]\(\s*<?([^)\s>]+)>?\s*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")


class TemplateProblem(DomainError):
    """A subject or body that cannot be personalised: an unknown placeholder, a syntax or template error."""

    def __init__(self, message: str, *, field: str = "body") -> None:
        super().__init__(message, field=field)


class Url(str):
    """A link Rapport made (never escaped for Markdown)."""


@dataclass(frozen=True)
class DueLine:
    title: str
    due_date: date | None
    overdue: bool
    url: Url

    def __str__(self) -> str:
        return self.title


class DueList(list):
    """The person's open courses; prints as a Markdown list (HTML part) or plain lines (text part)."""

    def markdown(self) -> str:
        if not self:
            return "You have nothing due right now."
        return "\n".join(f"- [{_md_escape(d.title)}]({d.url}){_when(d)}" for d in self)

    def text(self) -> str:
        if not self:
            return "You have nothing due right now."
        return "\n".join(f"- {d.title}{_when(d)}: {d.url}" for d in self)

    def __str__(self) -> str:
        return self.text()


def _when(line: DueLine) -> str:
    if line.due_date is None:
        return ""
    return f", due {line.due_date.strftime('%d %b %Y')}" + (" (overdue)" if line.overdue else "")


def _md_escape(value: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", value.replace("&", "&amp;").replace("<", "&lt;"))


@dataclass(frozen=True)
class Layout:
    company_name: str = ""
    colour: str = "#1f5fa8"
    logo_url: str = ""
    footer: str = ""


@dataclass(frozen=True)
class Recipient:
    person_id: int | None
    email: str
    name: str
    job_role: str = ""
    department: str = ""
    manager: str = ""
    due: tuple[DueLine, ...] = ()

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0] if self.name else ""

    @property
    def last_name(self) -> str:
        return self.name.split(" ", 1)[1] if " " in self.name.strip() else ""


class Links:
    """How a mail's links are made: by default left as they are (previews); see :class:`comms.links.MailLinks`."""

    def track(self, url: str) -> str:
        return url

    def pixel(self) -> str | None:
        return None

    def preferences(self) -> str | None:
        return None

    def unsubscribe(self) -> str | None:
        return None


@dataclass(frozen=True)
class Message:
    subject: str
    body_markdown: str
    category: str
    sender_name: str | None = None
    extra_names: frozenset[str] = field(default_factory=frozenset)


def _finalize_markdown(value):
    if isinstance(value, DueList):
        return value.markdown()
    if isinstance(value, Url | Markup):
        return value
    if value is None:
        return ""
    return _md_escape(str(value))


def _finalize_text(value):
    if isinstance(value, DueList):
        return value.text()
    return "" if value is None else value


# "markdown" for the body (values escaped for Markdown), "text" for the subject (values as they are)
_ENVS = {kind: SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=finalize,
                                    keep_trailing_newline=True)
         for kind, finalize in (("markdown", _finalize_markdown), ("text", _finalize_text))}


def _compile(source: str, where: str, extra_names: frozenset[str]):
    env = _ENVS["markdown"]
    try:
        parsed = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"The {where} has a template error on line {exc.lineno}: {exc.message}",
                              field=where) from None
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(PLACEHOLDERS))
    if unknown:
        known = ", ".join("{{ " + p + " }}" for p in PLACEHOLDERS if p != "extra")
        raise TemplateProblem(f"The {where} uses an unknown placeholder {{{{ {unknown[0]} }}}}; the placeholders "
                              f"are {known}" + (", and extra." + ", extra.".join(sorted(extra_names))
                                                if extra_names else "") + ".", field=where)
    return {kind: e.from_string(source) for kind, e in _ENVS.items()}


class Composer:
    """Compiles a message once and renders it for each recipient."""

    def __init__(self, message: Message, layout: Layout, *, base_url: str, site_name: str = "Rapport") -> None:
        self.message = message
        self.layout = layout
        self.base_url = base_url.rstrip("/")
        self.site_name = site_name
        self._subject = _compile(message.subject, "subject", message.extra_names)
        self._body = _compile(message.body_markdown, "body", message.extra_names)
        from comms.compose_fast import FastBody

        self._fast = FastBody.build(message.body_markdown, self)
        self._plain_subject = plain_names(message.subject)

    @functools.cached_property
    def _my_learning(self) -> Url:
        return Url(self.base_url + courses_api.my_learning_path())

    def context(self, recipient: Recipient, extra: Mapping[str, str] | None) -> dict:
        return {"first_name": recipient.first_name, "last_name": recipient.last_name, "name": recipient.name,
                "job_role": recipient.job_role, "department": recipient.department, "manager": recipient.manager,
                "due": DueList(recipient.due), "extra": _Extra(extra or {}), "my_learning_url": self._my_learning}

    def page(self, body: str, subject: str, pixel: str | None, preferences: str | None,
             unsubscribe: str | None) -> str:
        """The layout around a body of sanitised HTML (before its CSS is inlined)."""
        return _LAYOUT.render(layout=self.layout, body=Markup(body),  # noqa: S704 (sanitised by nh3)
                              subject=subject, site_name=self.site_name, pixel=pixel, preferences=preferences,
                              unsubscribe=unsubscribe, company=self.layout.company_name or self.site_name)

    def _personal_subject(self, context: dict) -> str:
        if self._plain_subject is not None:  # only {{ names }}: no template to run
            text = "".join(part if n % 2 == 0 else _finalize_text(context[part])
                           for n, part in enumerate(self._plain_subject))
        else:
            text = _run(self._subject["text"], context, "subject")
        return " ".join(text.split())

    def personalise(self, recipient: Recipient, extra: Mapping[str, str] | None = None) -> tuple[str, str]:
        """(subject, personalised Markdown body); raises :class:`TemplateProblem`."""
        context = self.context(recipient, extra)
        subject = _run(self._subject["text"], context, "subject")
        return " ".join(subject.split()), _run(self._body["markdown"], context, "body")

    def render(self, recipient: Recipient, *, links: Links | None = None,
               extra: Mapping[str, str] | None = None) -> RenderedMail:
        links = links or Links()
        preferences, unsubscribe, pixel = links.preferences(), links.unsubscribe(), links.pixel()
        fast = self._fast
        if fast is not None:
            context = self.context(recipient, extra)
            subject = self._personal_subject(context)
            html, markdown_source = fast.render(context, links, subject, pixel, preferences, unsubscribe)
        else:
            subject, markdown_source = self.personalise(recipient, extra)
            body = courses_api.render_markdown(markdown_source)
            body = _HREF.sub(lambda m: m.group(1) + html_lib.escape(_tracked(links, html_lib.unescape(
                m.group(2)))) + m.group(3), body)
            html = css_inline.inline(self.page(body, subject, pixel, preferences, unsubscribe))
        text = _text(markdown_source, links)
        footer = [f"-- \n{self.layout.company_name or self.site_name}"]
        if self.layout.footer:
            footer.append(self.layout.footer)
        if unsubscribe:
            footer.append(f"Unsubscribe from these mails: {unsubscribe}")
        if preferences:
            footer.append(f"Your mail preferences: {preferences}")
        headers = {}
        if unsubscribe and self.message.category in ("newsletter", "recognition"):
            headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        return RenderedMail(subject, text.rstrip() + "\n\n" + "\n".join(footer) + "\n", html, headers,
                            to_name=recipient.name or None, sender_name=self.message.sender_name or None)

    def check(self, sample: Recipient, extra: Mapping[str, str] | None = None) -> None:
        """Personalise for a sample person (raises :class:`TemplateProblem`) and render the Markdown (raises the
        renderer's DomainError naming the line)."""
        extra = {name: "" for name in self.message.extra_names} if extra is None else extra
        _, markdown_source = self.personalise(sample, extra)
        courses_api.render_markdown(markdown_source)


class _Extra:
    """``extra.<name>``: a caller's per-person strings; an unknown name is a template error naming it."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise UndefinedError(f"'extra.{name}' is not given for this mail") from None

    __getitem__ = __getattr__


PRINTABLE_NAMES = frozenset(PLACEHOLDERS) - {"extra"}  # placeholders that are values themselves
_NAME_ONLY = re.compile(r"\{\{\s*(" + "|".join(sorted(PRINTABLE_NAMES)) + r")\s*\}\}")


def plain_names(source: str) -> list[str] | None:
    """A template that only prints placeholders by name (``Hello {{ first_name }}``), split into text and names
    (odd positions), or None when it does anything else (filters, blocks, ``extra``): such a template prints the
    same as Jinja2 would without running it."""
    if "{%" in source or "{#" in source:
        return None
    parts = _NAME_ONLY.split(source)
    return None if any("{{" in part or "}}" in part for part in parts[::2]) else parts


def _run(template, context: dict, where: str) -> str:
    try:
        return template.render(context)
    except UndefinedError as exc:
        raise TemplateProblem(f"The {where} uses something unknown: {_undefined(exc)}", field=where) from None
    except SecurityError as exc:
        raise TemplateProblem(f"The {where} does something templates may not do: {exc}", field=where) from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise TemplateProblem(f"The {where} has a template error: {type(exc).__name__}: {exc}",
                              field=where) from None


def _undefined(exc: UndefinedError) -> str:
    message = str(exc)
    match = re.search(r"has no attribute '([^']+)'", message)
    return f"there is no '{match.group(1)}' ({message})" if match else message


def _tracked(links: Links, url: str) -> str:
    if not url.lower().startswith(("http://", "https://")):
        return url  # mailto: and the like are not tracked
    return links.track(url)


def _text(text: str, links: Links) -> str:
    """The plain-text part: the personalised Markdown with links written out (tracked) and escapes undone. Values
    were escaped for Markdown, so a link in someone's name stays text here too."""
    def link(match: re.Match) -> str:
        image, label, url = match.groups()
        if image:
            return f"[{label or 'image'}]"
        return f"{label} ({_tracked(links, url)})" if label and label != url else _tracked(links, url)

    text = _AUTOLINK.sub(lambda m: _tracked(links, m.group(1)), _MD_LINK.sub(link, text))
    return _MD_UNESCAPE.sub(r"\1", text).replace("&lt;", "<").replace("&amp;", "&")


_LAYOUT = SandboxedEnvironment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{ subject }}</title>
<style>
body { margin: 0; padding: 0; background: #f3f4f6; font-family: Arial, Helvetica, sans-serif; color: #1f2933; }
.wrap { max-width: 640px; margin: 0 auto; padding: 24px 12px; }
.head { background: {{ layout.colour }}; color: #ffffff; padding: 16px 24px; font-size: 20px; font-weight: bold; }
.head img { max-height: 40px; vertical-align: middle; margin-right: 12px; }
.body { background: #ffffff; padding: 24px; line-height: 1.5; font-size: 16px; }
.body a { color: {{ layout.colour }}; }
.body h1, .body h2, .body h3 { color: {{ layout.colour }}; margin: 0 0 12px 0; }
.body table { border-collapse: collapse; }
.body th, .body td { border: 1px solid #d9dde3; padding: 4px 8px; }
.foot { color: #5f6b7a; font-size: 12px; padding: 16px 24px; }
.foot a { color: #5f6b7a; }
</style></head>
<body><div class="wrap">
<div class="head">{% if layout.logo_url %}<img src="{{ layout.logo_url }}" alt="">{% endif %}{{ company }}</div>
<div class="body">{{ body }}</div>
<div class="foot"><p>{{ company }}{% if layout.footer %} · {{ layout.footer }}{% endif %}</p>
{% if unsubscribe %}<p><a href="{{ unsubscribe }}">Unsubscribe from these mails</a></p>{% endif %}
{% if preferences %}<p><a href="{{ preferences }}">Your mail preferences</a></p>{% endif %}
</div></div>{% if pixel %}<img src="{{ pixel }}" width="1" height="1" alt="">{% endif %}</body></html>""")
