"""Every signal plugins use to talk to each other, in one place.

Receivers run inside the sender's transaction: they may add rows (an enrolment, a statement, an outbox row)
but never commit, and never perform side effects directly (queue mail or HTTP through an outbox instead).
Connect receivers in a plugin's ``receivers.py``; the plugin loader imports it only for enabled plugins.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# --- people and organisation (sender: None) ---------------------------------------------------------------
people_joined = _signals.signal("people-joined", doc="""
People were added (roster import, admin form or API).
kwargs: ``person_ids: list[int]``. Courses assigns new-hire paths; comms may send a welcome mail.
""")
people_changed_role = _signals.signal("people-changed-role", doc="""
People's job role changed.
kwargs: ``changes: list[tuple[int, int | None, int | None]]`` as (person id, old job role id, new job role id).
""")
people_deactivated = _signals.signal("people-deactivated", doc="""
People were deactivated; their records stay. kwargs: ``person_ids: list[int]``.
""")

# --- learning (sender: None; emitted by the courses plugin) -----------------------------------------------
enrolled = _signals.signal("enrolled", doc="""
People were enrolled in courses (by a path, by hand, or as remedial training).
kwargs: ``enrolment_ids: list[int]`` (courses.models.Enrolment ids; sent once per batch).
""")
lesson_viewed = _signals.signal("lesson-viewed", doc="""
A learner opened a lesson. kwargs: ``person``, ``lesson``, ``enrolment``.
""")
lesson_completed = _signals.signal("lesson-completed", doc="""
A learner completed a lesson. kwargs: ``person``, ``lesson``, ``enrolment``.
""")
quiz_answered = _signals.signal("quiz-answered", doc="""
A learner answered one question. kwargs: ``person``, ``attempt``, ``question``, ``response``, ``correct: bool``.
""")
quiz_passed = _signals.signal("quiz-passed", doc="""
A learner passed a quiz. kwargs: ``person``, ``attempt`` (score and duration on it).
""")
quiz_failed = _signals.signal("quiz-failed", doc="""
A learner failed a quiz. kwargs: ``person``, ``attempt``.
""")
course_completed = _signals.signal("course-completed", doc="""
A learner completed every required item of a course version. kwargs: ``person``, ``enrolment``.
""")
path_completed = _signals.signal("path-completed", doc="""
A learner completed every course of a learning path. kwargs: ``person``, ``assignment`` (PathAssignment).
""")
remedial_assigned = _signals.signal("remedial-assigned", doc="""
Failing a quiz assigned its remedial module. kwargs: ``person``, ``attempt``, ``enrolment`` (the remedial one).
""")

# --- set-up (sender: None) ------------------------------------------------------------------------------------
demo_seeded = _signals.signal("demo-seeded", doc="""
``flask lms demo`` created the demo organisation; plugins add their demo content in the same transaction.
kwargs: ``people: dict[str, Person]`` keyed by demo login email.
""")
