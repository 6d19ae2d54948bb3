"""courses.api: what other plugins may ask about training."""
from __future__ import annotations

from courses import api
from courses.models import LearningPath, PathCourse
from lms.extensions import db
from tests.courses.builders import build_course


def test_path_courses_lists_every_paths_courses_in_order(app):
    first, second = build_course("first", questions=0), build_course("second", questions=0)
    active = LearningPath(slug="rollout", title="Rollout", steps=[PathCourse(course=second, position=0),
                                                                   PathCourse(course=first, position=1)])
    retired = LearningPath(slug="old", title="Old", active=False, steps=[PathCourse(course=first, position=0)])
    db.session.add_all([active, retired])
    db.session.commit()
    assert api.path_courses() == {active.id: (second.id, first.id), retired.id: (first.id,)}
