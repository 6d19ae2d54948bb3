"""xAPI 1.0.3 statements for Rapport's own learning events, built with tincan's models.

Pure functions: plain values in, a statement dict out, ready for :func:`tracking.services.store_statements`
(which adds id, stored and authority). Activity ids are stable IRIs under the site's base URL, made from course
and path slugs and lesson, quiz and question keys (which survive new course versions)::

    {base}/xapi/activities/course/{slug}
    {base}/xapi/activities/course/{slug}/module/{module slug}
    {base}/xapi/activities/course/{slug}/lesson/{lesson key}
    {base}/xapi/activities/course/{slug}/quiz/{quiz key}
    {base}/xapi/activities/course/{slug}/quiz/{quiz key}/question/{question key}
    {base}/xapi/activities/path/{path slug}
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import tincan

from lms.signals import QuestionRef

ADL_VERB = "http://adlnet.gov/expapi/verbs/"
ADL_TYPE = "http://adlnet.gov/expapi/activities/"
COURSE, MODULE, LESSON = ADL_TYPE + "course", ADL_TYPE + "module", ADL_TYPE + "lesson"
ASSESSMENT, INTERACTION = ADL_TYPE + "assessment", ADL_TYPE + "cmi.interaction"
LANGUAGE = "en-US"
PLATFORM = "Rapport"
ACTOR_KINDS = ("account", "mbox")


@dataclass(frozen=True)
class Site:
    """Where statements come from: the base URL activity ids live under, and how learners are identified."""

    base_url: str
    actor: str = "account"  # LMS_XAPI_ACTOR: "account" (home page + employee id) or "mbox" (mailto: email)

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    def activity(self, *path: str) -> str:
        return "/".join([self.base, "xapi", "activities", *path])

    @property
    def version_extension(self) -> str:
        """The context extension that carries the course version number."""
        return f"{self.base}/xapi/extensions/course-version"

    @property
    def path_type(self) -> str:
        """ADL registers no activity type for a learning path (a sequence of courses); Rapport names its own."""
        return f"{self.base}/xapi/activity-types/learning-path"


@dataclass(frozen=True)
class Learner:
    person_id: int
    name: str
    email: str
    employee_id: str | None


@dataclass(frozen=True)
class Place:
    """Where in a course an event happened: the enrolment's registration, the course version, the module
    (None for the course itself) and the learning path the enrolment came from (None when it did not)."""

    registration: str
    course_slug: str
    course_title: str
    version: int
    module_slug: str | None = None
    module_title: str | None = None
    path_slug: str | None = None
    path_title: str | None = None


# --- identifiers ------------------------------------------------------------------------------------------------

def course_id(site: Site, slug: str) -> str:
    return site.activity("course", slug)


def module_id(site: Site, slug: str, module_slug: str) -> str:
    return site.activity("course", slug, "module", module_slug)


def lesson_id(site: Site, slug: str, lesson_key: str) -> str:
    return site.activity("course", slug, "lesson", lesson_key)


def quiz_id(site: Site, slug: str, quiz_key: str) -> str:
    return site.activity("course", slug, "quiz", quiz_key)


def question_id(site: Site, slug: str, quiz_key: str, question_key: str) -> str:
    return site.activity("course", slug, "quiz", quiz_key, "question", question_key)


def path_id(site: Site, path_slug: str) -> str:
    return site.activity("path", path_slug)


def choice_id(index: int) -> str:
    """A quiz option's choice id in ``cmi.interaction`` definitions and responses (options have no keys)."""
    return f"option-{index}"


def agent(site: Site, learner: Learner) -> tincan.Agent:
    """The learner as an Agent: an account on the site (employee id) or their mailbox, as ``site.actor`` says.

    A person without an employee id gets an account named by their person id on ``{base}/people``, a home page of
    its own so that it can never be mistaken for the employee whose employee id happens to be the same number.
    """
    kind = (site.actor or "account").strip().lower()
    if kind == "mbox":
        return tincan.Agent(name=learner.name, mbox=f"mailto:{learner.email}")
    if kind != "account":
        raise ValueError(f"LMS_XAPI_ACTOR is {site.actor!r}; use one of: {', '.join(ACTOR_KINDS)}.")
    if learner.employee_id:
        account = tincan.AgentAccount(home_page=site.base, name=learner.employee_id)
    else:
        account = tincan.AgentAccount(home_page=f"{site.base}/people", name=str(learner.person_id))
    return tincan.Agent(name=learner.name, account=account)


# --- parts ------------------------------------------------------------------------------------------------------

def _verb(name: str) -> tincan.Verb:
    return tincan.Verb(id=ADL_VERB + name, display=tincan.LanguageMap({LANGUAGE: name}))


def _activity(activity_id: str, name: str, type_iri: str, **definition: Any) -> tincan.Activity:
    return tincan.Activity(id=activity_id, definition=tincan.ActivityDefinition(
        name=tincan.LanguageMap({LANGUAGE: name}), type=type_iri, **definition))


def _course(site: Site, place: Place) -> tincan.Activity:
    return _activity(course_id(site, place.course_slug), place.course_title, COURSE)


def _module(site: Site, place: Place) -> tincan.Activity:
    return _activity(module_id(site, place.course_slug, place.module_slug), place.module_title or place.module_slug,
                     MODULE)


def _path(site: Site, slug: str, title: str) -> tincan.Activity:
    return _activity(path_id(site, slug), title, site.path_type)


def _context(site: Site, place: Place | None, *, parent: list[tincan.Activity] | None = None,
             grouping: list[tincan.Activity] | None = None) -> tincan.Context:
    grouping = list(grouping or [])
    if place is not None and place.path_slug:
        grouping.append(_path(site, place.path_slug, place.path_title or place.path_slug))
    activities = {}
    if parent:
        activities["parent"] = parent
    if grouping:
        activities["grouping"] = grouping
    extra: dict[str, Any] = {"platform": PLATFORM, "language": LANGUAGE}
    if activities:
        extra["context_activities"] = tincan.ContextActivities(**activities)
    if place is not None:
        extra["registration"] = place.registration
        extra["extensions"] = tincan.Extensions({site.version_extension: place.version})
    return tincan.Context(**extra)


def _in_module(site: Site, place: Place) -> tincan.Context:
    """Context of a lesson or quiz: its module is the parent, the course (and path) group it."""
    return _context(site, place, parent=[_module(site, place)], grouping=[_course(site, place)])


def _statement(site: Site, learner: Learner, verb: str, target: tincan.Activity, context: tincan.Context,
               at: datetime, result: tincan.Result | None = None) -> dict:
    built = tincan.Statement(actor=agent(site, learner), verb=_verb(verb), object=target, context=context,
                             timestamp=at, result=result)
    return built.as_version("1.0.3")


# --- the events -------------------------------------------------------------------------------------------------

def lesson_experienced(site: Site, learner: Learner, place: Place, lesson_key: str, lesson_title: str,
                       at: datetime) -> dict:
    """The learner opened a lesson."""
    target = _activity(lesson_id(site, place.course_slug, lesson_key), lesson_title, LESSON)
    return _statement(site, learner, "experienced", target, _in_module(site, place), at)


def lesson_completed(site: Site, learner: Learner, place: Place, lesson_key: str, lesson_title: str,
                     at: datetime) -> dict:
    target = _activity(lesson_id(site, place.course_slug, lesson_key), lesson_title, LESSON)
    return _statement(site, learner, "completed", target, _in_module(site, place), at,
                      tincan.Result(completion=True))


def question_answered(site: Site, learner: Learner, place: Place, quiz_key: str, quiz_title: str,
                      question: QuestionRef, response: list[int], correct: bool, at: datetime) -> dict:
    """One answered question: a ``choice`` interaction whose choices are the options (``option-<index>``).

    ``question`` is the question as the learning signal carries it (key, prompt, options with ``correct`` flags);
    ``response`` the chosen option indexes.
    """
    options = question.options
    right = [choice_id(i) for i, option in enumerate(options) if option.correct]
    choices = [tincan.InteractionComponent(id=choice_id(i), description=tincan.LanguageMap({LANGUAGE: o.text}))
               for i, o in enumerate(options)]
    target = _activity(question_id(site, place.course_slug, quiz_key, question.key), question.prompt,
                       INTERACTION, interaction_type="choice", correct_responses_pattern=["[,]".join(right)],
                       choices=choices)
    quiz = _activity(quiz_id(site, place.course_slug, quiz_key), quiz_title, ASSESSMENT)
    context = _context(site, place, parent=[quiz], grouping=[_module(site, place), _course(site, place)])
    result = tincan.Result(response="[,]".join(choice_id(i) for i in response), success=correct)
    return _statement(site, learner, "answered", target, context, at, result)


def quiz_finished(site: Site, learner: Learner, place: Place, quiz_key: str, quiz_title: str, *, passed: bool,
                  score: int, max_score: int, started_at: datetime, submitted_at: datetime) -> dict:
    """A submitted attempt: ``passed`` or ``failed`` with the score and how long the attempt took."""
    scaled = round(score / max_score, 4) if max_score else None
    result = tincan.Result(success=passed, duration=max(submitted_at - started_at, timedelta(0)),
                           score=tincan.Score(scaled=scaled, raw=score, min=0, max=max_score))
    target = _activity(quiz_id(site, place.course_slug, quiz_key), quiz_title, ASSESSMENT)
    return _statement(site, learner, "passed" if passed else "failed", target, _in_module(site, place),
                      submitted_at, result)


def course_completed(site: Site, learner: Learner, place: Place, at: datetime,
                     started_at: datetime | None = None) -> dict:
    """Every required item of the enrolment's course version is done (``place.module_slug`` is not used)."""
    result = tincan.Result(completion=True, duration=max(at - started_at, timedelta(0)) if started_at else None)
    return _statement(site, learner, "completed", _course(site, place), _context(site, place), at, result)


def path_completed(site: Site, learner: Learner, path_slug: str, path_title: str, at: datetime) -> dict:
    """Every course of a learning path is completed. A path assignment has no registration of its own."""
    return _statement(site, learner, "completed", _path(site, path_slug, path_title), _context(site, None), at,
                      tincan.Result(completion=True))


# --- mail (comms) --------------------------------------------------------------------------------------------------

ACTIVITY_STREAMS_READ = "http://activitystrea.ms/schema/1.0/read"


def mail_activity_id(site: Site, campaign_id: int | None, mail_id: int) -> str:
    """A campaign is one activity for all its recipients (``.../comms/campaign/{id}``); other mail, its own."""
    return site.activity("comms", "campaign", str(campaign_id)) if campaign_id is not None else \
        site.activity("comms", "mail", str(mail_id))


def mail_read(site: Site, learner: Learner, *, campaign_id: int | None, mail_id: int, title: str, category: str,
              at: datetime, url: str | None = None) -> dict:
    """The person read a mail ("read the go-live announcement": the open pixel loaded), or followed a link in it
    (``url``: "experienced", the link in a context extension)."""
    target = _activity(mail_activity_id(site, campaign_id, mail_id), title or "(no subject)",
                       f"{site.base}/xapi/activity-types/mail-{category}")
    extensions = {f"{site.base}/xapi/extensions/mail-category": category}
    if url:
        extensions[f"{site.base}/xapi/extensions/link"] = url
    context = tincan.Context(platform=PLATFORM, language=LANGUAGE, extensions=tincan.Extensions(extensions))
    if url:
        verb = _verb("experienced")
    else:
        verb = tincan.Verb(id=ACTIVITY_STREAMS_READ, display=tincan.LanguageMap({LANGUAGE: "read"}))
    built = tincan.Statement(actor=agent(site, learner), verb=verb, object=target, context=context, timestamp=at)
    return built.as_version("1.0.3")
