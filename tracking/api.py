"""The tracking plugin's public API: what other plugins may ask of the learning records.

Readers of derived data call :func:`catch_up` first, as the LRS's own readers do, so that statements still
pending are in the projections. Activity ids are the IRIs :mod:`tracking.statements` gives Rapport's activities;
progress rows are per person and activity (:class:`ProgressFact`), never a scan of the statement log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import tincan
from flask import current_app
from sqlalchemy import select

from lms.extensions import db
from lms.signals import LearnerRef
from tracking import statements
from tracking.models import Progress
from tracking.services_derive import catch_up as _catch_up
from tracking.statements import Learner


def catch_up() -> None:
    """Derive statements still pending (from outside tools) into the projections before reading them."""
    _catch_up()


def _site() -> statements.Site:
    return statements.Site(current_app.config["LMS_BASE_URL"], current_app.config.get("LMS_XAPI_ACTOR", "account"))


def course_activity(slug: str) -> str:
    """The activity id of a course."""
    return statements.course_id(_site(), slug)


def quiz_activity(course_slug: str, quiz_key: str) -> str:
    return statements.quiz_id(_site(), course_slug, quiz_key)


def lesson_activity(course_slug: str, lesson_key: str) -> str:
    return statements.lesson_id(_site(), course_slug, lesson_key)


def path_activity(path_slug: str) -> str:
    return statements.path_id(_site(), path_slug)


@dataclass(frozen=True)
class ProgressFact:
    """One person's progress on one activity, as the projections hold it."""

    person_id: int
    activity_id: str
    status: str  # attempted | completed | failed (and never passed) | passed
    best_score: float | None
    attempts: int
    first_at: datetime
    last_at: datetime
    completed_at: datetime | None


def progress_of(person_ids: list[int], activity_ids: list[str] | None = None) -> list[ProgressFact]:
    """The progress rows of these people (on these activities; None: all of theirs)."""
    found: list[ProgressFact] = []
    for start in range(0, len(person_ids), 2000):
        query = select(Progress.person_id, Progress.activity_id, Progress.status, Progress.best_score,
                       Progress.attempts, Progress.first_at, Progress.last_at, Progress.completed_at).where(
            Progress.person_id.in_(person_ids[start:start + 2000]))
        if activity_ids is not None:
            if not activity_ids:
                return []
            query = query.where(Progress.activity_id.in_(activity_ids))
        found += [ProgressFact(*row) for row in db.session.execute(query)]
    return found


EARNED_VERB = "http://id.tincanapi.com/verb/earned"
BADGE_TYPE = "https://w3id.org/xapi/tla/activity-types/badge"


def record_badge_earned(learner: LearnerRef, *, badge_id: str, badge_name: str, at: datetime) -> None:
    """Record in this transaction's statement batch (stored with the learning events, when the caller commits) that
    ``learner`` earned the badge ``badge_id`` (an IRI: its achievement's id), with the verb ``earned``."""
    from tracking.receivers import _store

    site = _site()
    body = tincan.Statement(
        actor=statements.agent(site, Learner(learner.person_id, learner.name, learner.email, learner.employee_id)),
        verb=tincan.Verb(id=EARNED_VERB, display=tincan.LanguageMap({statements.LANGUAGE: "earned"})),
        object=tincan.Activity(id=badge_id, definition=tincan.ActivityDefinition(
            name=tincan.LanguageMap({statements.LANGUAGE: badge_name}), type=BADGE_TYPE)),
        context=tincan.Context(platform=statements.PLATFORM, language=statements.LANGUAGE), timestamp=at)
    _store(body.as_version("1.0.3"))


def record_statements(bodies: list[dict]) -> None:
    """Store statements another plugin built (the demo CRM's usage, say) with this transaction's batch, as Rapport's
    own: validated, stored and derived when the caller commits, exactly like the learning events' statements."""
    from tracking.receivers import _store

    for body in bodies:
        _store(body)
