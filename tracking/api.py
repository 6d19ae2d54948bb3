"""The tracking plugin's public API: what other plugins may ask of the learning records.

Readers of derived data call :func:`catch_up` first, as the LRS's own readers do, so that statements still
pending are in the projections. Activity ids are the IRIs :mod:`tracking.statements` gives Rapport's activities;
progress rows are per person and activity (:class:`ProgressFact`), never a scan of the statement log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from lms.extensions import db
from tracking import statements
from tracking.models import Progress
from tracking.services_derive import catch_up as _catch_up


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
