"""The frozen values the learning signals carry (declared in :mod:`lms.signals`), built from courses' rows.

A transaction asks for the same enrolment's place many times (a quiz submit: once per answer), so places are
remembered per session until it commits or rolls back.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, defer

from courses.models import CourseVersion, Enrolment, LearningPath, PathAssignment
from lms.extensions import db
from lms.people.models import Person
from lms.signals import ItemRef, LearnerRef, OptionRef, PlaceRef, QuestionRef

_PLACES = "courses.places"


def learner_ref(person: Person) -> LearnerRef:
    return LearnerRef(person.id, person.name, person.email, person.employee_id)


def item_ref(item: dict[str, Any]) -> ItemRef:
    return ItemRef(item["key"], item["title"])


def question_ref(question: dict[str, Any]) -> QuestionRef:
    return QuestionRef(question["key"], question["type"], question["prompt"], question.get("topic") or "",
                       tuple(OptionRef(o["text"], bool(o.get("correct"))) for o in question["options"]))


def place_ref(enrolment: Enrolment, item_key: str | None = None) -> PlaceRef:
    """The enrolment's place for one of its items (its module from the version's outline), or for the course."""
    places = db.session.info.setdefault(_PLACES, {})
    key = (enrolment.id, enrolment.version_id, enrolment.assignment_id, item_key)
    if key not in places:
        places[key] = _find_place(enrolment, item_key)
    return places[key]


def _find_place(enrolment: Enrolment, item_key: str | None) -> PlaceRef:
    """One query: the version (content deferred; the outline is cached per process) and the path the enrolment's
    assignment belongs to (none without an assignment: ``id IS NULL`` joins nothing)."""
    from courses.learning import outline  # learning sends the events built here

    version, path_id, path_slug, path_title = db.session.execute(
        select(CourseVersion, LearningPath.id, LearningPath.slug, LearningPath.title)
        .options(defer(CourseVersion.content)).select_from(CourseVersion)
        .outerjoin(PathAssignment, PathAssignment.id == enrolment.assignment_id)
        .outerjoin(LearningPath, LearningPath.id == PathAssignment.path_id)
        .where(CourseVersion.id == enrolment.version_id)).one()
    plan = outline(version)
    module = plan.module_of.get(item_key) if item_key else None
    course = enrolment.course
    return PlaceRef(enrolment.id, enrolment.registration, course.id, course.slug, plan.content["title"],
                    course.kind, version.number, module["slug"] if module else None,
                    module["title"] if module else None, path_id, path_slug, path_title,
                    remedial=enrolment.remedial_module is not None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_places(session: Session) -> None:
    session.info.pop(_PLACES, None)
