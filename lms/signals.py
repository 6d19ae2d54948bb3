"""Every signal plugins use to talk to each other, in one place, with the values they carry.

Receivers run inside the sender's transaction: they may add rows (an enrolment, a statement, an outbox row)
but never commit, and never perform side effects directly (queue mail or HTTP through an outbox instead).
Connect receivers in a plugin's ``receivers.py``; the plugin loader imports it only for enabled plugins.

Learning signals carry small frozen values declared here (:class:`LessonEvent`, :class:`QuizOutcome`, ...), built
once by the courses plugin, so that tracking, comms and governance read events without importing courses.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from blinker import Namespace

_signals = Namespace()


# --- the values learning signals carry ------------------------------------------------------------------------

@dataclass(frozen=True)
class LearnerRef:
    """Who: a person in Rapport."""

    person_id: int
    name: str
    email: str
    employee_id: str | None


@dataclass(frozen=True)
class PlaceRef:
    """Where in a course an event happened: the enrolment (its registration), the course version, the module
    (None for the course itself) and the learning path the enrolment came from (None when it did not)."""

    enrolment_id: int
    registration: str
    course_id: int
    course_slug: str
    course_title: str
    course_kind: str
    version: int
    module_slug: str | None = None
    module_title: str | None = None
    path_id: int | None = None
    path_slug: str | None = None
    path_title: str | None = None
    remedial: bool = False  # a remedial enrolment: one module to work through, no course certificate


@dataclass(frozen=True)
class ItemRef:
    """A lesson or a quiz of a course version; ``key`` is stable across versions."""

    key: str
    title: str


@dataclass(frozen=True)
class OptionRef:
    text: str
    correct: bool


@dataclass(frozen=True)
class QuestionRef:
    key: str
    type: str  # single | multiple | true_false | scenario
    prompt: str
    topic: str
    options: tuple[OptionRef, ...]


@dataclass(frozen=True)
class LessonEvent:
    learner: LearnerRef
    place: PlaceRef
    lesson: ItemRef
    at: datetime


@dataclass(frozen=True)
class AnswerEvent:
    """One answered question of a quiz attempt; ``response`` holds the chosen option indexes (as shown in the
    question's own option order)."""

    learner: LearnerRef
    place: PlaceRef
    quiz: ItemRef
    attempt_id: int
    question: QuestionRef
    response: tuple[int, ...]
    correct: bool
    at: datetime


@dataclass(frozen=True)
class QuizOutcome:
    """A submitted quiz attempt: passed or failed, its score and timings."""

    learner: LearnerRef
    place: PlaceRef
    quiz: ItemRef
    attempt_id: int
    attempt_number: int
    passed: bool
    score: int
    max_score: int
    started_at: datetime
    submitted_at: datetime


@dataclass(frozen=True)
class CourseEvent:
    """Every required item of an enrolment's course version is done (a remedial enrolment: its module)."""

    learner: LearnerRef
    place: PlaceRef
    started_at: datetime | None
    completed_at: datetime


@dataclass(frozen=True)
class PathEvent:
    learner: LearnerRef
    assignment_id: int
    path_id: int
    path_slug: str
    path_title: str
    completed_at: datetime


@dataclass(frozen=True)
class RemedialEvent:
    """Failing ``quiz`` (at ``failed_place``) assigned the remedial module at ``place``."""

    learner: LearnerRef
    place: PlaceRef
    failed_place: PlaceRef
    quiz: ItemRef


@dataclass(frozen=True)
class ActivityStatement:
    """A statement about an Activity as tracking derived it (Rapport's own, or posted to /xapi/ by a CRM, an
    authoring tool, ...): who (an account's ``(homePage, name)`` and/or an ``mailto:`` mbox), the verb, the activity
    with its definition's type and name (first language), when (the statement's timestamp, else stored), and
    whether it is voided already (its voiding statement came first)."""

    statement_id: str
    account: tuple[str, str] | None
    mbox: str | None
    verb_id: str
    activity_id: str
    activity_type: str | None
    activity_name: str | None
    timestamp: datetime
    voided: bool = False


@dataclass(frozen=True)
class MailEvent:
    """A person opened a mail (its tracking pixel loaded) or followed a tracked link in it (``url``).

    ``campaign_id`` is None for mail that is not a campaign's (sent through ``comms.api.send_to_people``);
    ``title`` is then the mail's subject. ``source`` names what sent the mail ("campaign", "adoption-nudge", ...)."""

    learner: LearnerRef
    mail_id: int
    campaign_id: int | None
    title: str  # the campaign's subject (or the mail's)
    category: str  # announcement | newsletter | reminder | recognition | survey | coaching
    source: str
    at: datetime
    url: str | None = None  # clicks: where the link led


# --- people and organisation (sender: None) ---------------------------------------------------------------
people_joined = _signals.signal("people-joined", doc="""
People were added (roster import, admin form or API).
kwargs: ``person_ids: list[int]``. Courses assigns new-hire paths; comms may send a welcome mail.
""")
people_changed_role = _signals.signal("people-changed-role", doc="""
People's job role changed.
kwargs: ``changes: list[tuple[int, int | None, int | None]]`` as (person id, old job role id, new job role id).
""")
people_changed = _signals.signal("people-changed", doc="""
People's organisation facts changed (department, manager, wave, hire date, job role, active, email, name).
kwargs: ``person_ids: list[int]``. Sent after people_joined / people_changed_role / people_deactivated too, so a
read model that only needs "these people changed" listens here alone.
""")
people_deactivated = _signals.signal("people-deactivated", doc="""
People were deactivated; their records stay. kwargs: ``person_ids: list[int]``.
""")

# --- learning (sender: None; emitted by the courses plugin) -----------------------------------------------
enrolled = _signals.signal("enrolled", doc="""
People were enrolled in courses (by a path, by hand, or as remedial training).
kwargs: ``person_ids: list[int]``, ``enrolment_ids: list[int]`` (sent once per batch).
""")
training_changed = _signals.signal("training-changed", doc="""
What these people are required to do changed other than by a learning event: paths assigned or withdrawn, due
dates changed, a course waived, attempts granted, a new version published. kwargs: ``person_ids: list[int]``.
""")
lesson_viewed = _signals.signal("lesson-viewed", doc="""
A learner opened a lesson. kwargs: ``event: LessonEvent``.
""")
lesson_completed = _signals.signal("lesson-completed", doc="""
A learner completed a lesson. kwargs: ``event: LessonEvent``.
""")
quiz_answered = _signals.signal("quiz-answered", doc="""
A learner answered one question. kwargs: ``event: AnswerEvent``.
""")
quiz_passed = _signals.signal("quiz-passed", doc="""
A learner passed a quiz. kwargs: ``event: QuizOutcome``.
""")
quiz_failed = _signals.signal("quiz-failed", doc="""
A learner failed a quiz. kwargs: ``event: QuizOutcome``.
""")
course_completed = _signals.signal("course-completed", doc="""
A learner completed every required item of a course version (``event.place.remedial``: a remedial module).
kwargs: ``event: CourseEvent``.
""")
path_completed = _signals.signal("path-completed", doc="""
A learner completed every course of a learning path. kwargs: ``event: PathEvent``.
""")
remedial_assigned = _signals.signal("remedial-assigned", doc="""
Failing a quiz assigned its remedial module. kwargs: ``event: RemedialEvent``.
""")

# --- tracking (sender: None) ----------------------------------------------------------------------------------
progress_changed = _signals.signal("progress-changed", doc="""
Progress projections (``tracking``) of these people changed: statements were derived, voided or rebuilt.
kwargs: ``person_ids: list[int]``, ``activity_ids: list[str]`` (the activities whose rows changed; empty when
statements recorded before these people joined became theirs: any of their rows may have changed).
""")

statements_derived = _signals.signal("statements-derived", doc="""
Tracking derived a chunk of stored statements (exactly once each, in the transaction that derives them).
kwargs: ``statements: list[ActivityStatement]`` (those whose object is an Activity) and ``voided_ids: list[str]``
(the statements voided by voiding statements in this chunk). Adoption turns CRM usage statements into daily counts
here, so its reports never scan the statement log.
""")

# --- governance asks other plugins (sender: None; receivers return values) -----------------------------------

@dataclass(frozen=True)
class MetricRequest:
    """What governance asks an automatic goal metric for: its value on ``on`` for the goal's job roles and
    departments (empty: everyone)."""

    metric: str
    job_role_ids: tuple[int, ...]
    department_ids: tuple[int, ...]
    on: date


@dataclass(frozen=True)
class GovernanceSection:
    """A section another plugin adds to the sponsor dashboard or the governance pack: a title and its HTML (already
    escaped / sanitised by the plugin that renders it)."""

    title: str
    html: str
    order: int = 50


goal_metrics_offered = _signals.signal("goal-metrics-offered", doc="""
Governance builds the goal form. Receivers return a list of ``(metric key, label)`` a goal can be measured by
automatically, the key prefixed by the plugin's name ("adoption.active_weekly").
""")
goal_metric_measured = _signals.signal("goal-metric-measured", doc="""
Governance's worker records the day's value of each goal measured automatically. kwargs: ``request:
MetricRequest``. The receiver that offers ``request.metric`` returns its value (a float), or None when it cannot
say; others return None. Governance records it with the metric's plugin name as the value's source.
""")
governance_sections = _signals.signal("governance-sections", doc="""
Governance renders the sponsor dashboard (``where="dashboard"``) or the governance pack (``where="pack"``).
Receivers return a :class:`GovernanceSection` (or None); governance shows them in order, never importing the
plugin that made them.
""")

# --- mail engagement (sender: None; emitted by the comms plugin) --------------------------------------------
mail_opened = _signals.signal("mail-opened", doc="""
A person opened a comms mail (first time and later times alike: receivers count or deduplicate).
Not sent when per-person tracking is off (``LMS_COMMS_TRACK_PEOPLE``). kwargs: ``event: MailEvent``.
""")
mail_clicked = _signals.signal("mail-clicked", doc="""
A person followed a tracked link in a comms mail. Not sent when per-person tracking is off.
kwargs: ``event: MailEvent`` (``event.url`` is the link's target).
""")

# --- set-up (sender: None) ------------------------------------------------------------------------------------
demo_seeded = _signals.signal("demo-seeded", doc="""
``flask lms demo`` created the demo organisation; plugins add their demo content in the same transaction.
kwargs: ``people: dict[str, Person]`` keyed by demo login email.
""")
