"""The per-person read model (``adoption_person``): training, usage, ADKAR inputs and scores, points.

Receivers queue people in ``adoption_dirty``; :func:`refresh_due` (the worker) recomputes them in batches, and
once a day it queues everyone, so figures that move with time alone (active in the last 7 days, kudos) stay
true. Reports read this table and ``adoption_usage_day`` only.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import delete, func, select

from adoption import adkar, comms_link
from adoption.models import DirtyPerson, FirstAttempt, PersonState, PointsEntry, PulseAnswer, Settings, UsageDay
from adoption.usage import mark_dirty
from courses import api as courses_api
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow
from tracking import api as tracking_api

BATCH = 1000
CRM_WEEK_POINTS = 5


def settings() -> Settings:
    row = db.session.get(Settings, 1)
    if row is None:
        row = Settings(id=1, leaderboard_on=True, digest_on=True)
        db.session.add(row)
        db.session.flush()
    return row


def waiting() -> int:
    return db.session.scalar(select(func.count()).select_from(DirtyPerson)) or 0


def bring_up_to_date(most: int | None = None) -> list[int]:
    """Recompute queued people (all, or at most ``most``); the caller commits. Returns their ids."""
    done: list[int] = []
    while most is None or len(done) < most:
        ids = list(db.session.scalars(select(DirtyPerson.person_id).order_by(DirtyPerson.person_id).limit(BATCH)))
        if not ids:
            break
        refresh(ids)
        db.session.execute(delete(DirtyPerson).where(DirtyPerson.person_id.in_(ids)))
        done += ids
    return done


def refresh_due() -> str | None:
    """The worker's step: once a day queue everyone; recompute a batch of queued people; award badges."""
    from adoption import incentives

    today = utcnow().date()
    row = settings()
    if row.full_refresh_on != today:
        row.full_refresh_on = today
        mark_dirty(db.session.scalars(select(Person.id).where(Person.active.is_(True))))
    done = bring_up_to_date(most=BATCH * 5)
    awarded = incentives.award_due(done) if done else 0
    db.session.commit()
    if done or awarded:
        return f"refreshed {len(done)} people, awarded {awarded} badge(s)"
    return None


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def refresh(person_ids: list[int], today: date | None = None) -> None:
    """Recompute the read-model rows of these people."""
    today = today or utcnow().date()
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    ids = sorted(people)
    requirements = defaultdict(list)
    for req in courses_api.requirements(ids):
        requirements[req.person_id].append(req)
    course_ids = {r.course_id for reqs in requirements.values() for r in reqs}
    items = courses_api.course_items(course_ids) if course_ids else {}
    activity = {}
    for course in items.values():
        activity[tracking_api.course_activity(course.slug)] = ("course", course.course_id, None)
        for key in course.lesson_keys:
            activity[tracking_api.lesson_activity(course.slug, key)] = ("lesson", course.course_id, key)
        for key in course.quiz_keys:
            activity[tracking_api.quiz_activity(course.slug, key)] = ("quiz", course.course_id, key)
    progress = defaultdict(dict)
    for fact in tracking_api.progress_of(ids, list(activity)) if activity else []:
        progress[fact.person_id][activity[fact.activity_id]] = fact
    first = defaultdict(list)
    for row in db.session.scalars(select(FirstAttempt).where(FirstAttempt.person_id.in_(ids))):
        first[row.person_id].append(row.score_pct)
    days = defaultdict(set)
    for person_id, day in db.session.execute(
            select(UsageDay.person_id, UsageDay.day).where(
                UsageDay.person_id.in_(ids), (UsageDay.from_statements > 0) | (UsageDay.from_csv > 0))):
        days[person_id].add(day)
    desire = {}
    for person_id, answer in db.session.execute(
            select(PulseAnswer.person_id, PulseAnswer.answer).where(PulseAnswer.person_id.in_(ids))
            .order_by(PulseAnswer.answered_at)):
        desire[person_id] = answer  # the latest wins
    aware = comms_link.awareness(ids)
    kudos = comms_link.kudos(ids)
    states = {s.person_id: s for s in db.session.scalars(select(PersonState).where(PersonState.person_id.in_(ids)))}
    for person_id in ids:
        state = states.get(person_id)
        if state is None:
            state = PersonState(person_id=person_id, leaderboard_opt_out=False)
            db.session.add(state)
        reqs, done = requirements.get(person_id, []), progress.get(person_id, {})
        completed_on = []
        for req in reqs:
            fact = done.get(("course", req.course_id, None))
            when = req.completed_at or (fact.completed_at if fact and fact.status in ("completed", "passed")
                                        else None)
            if when is not None:
                completed_on.append(when.date())
        state.required, state.completed = len(reqs), len(completed_on)
        state.trained_on = max(completed_on) if reqs and len(completed_on) == len(reqs) else None
        mine = [items[r.course_id] for r in reqs if r.course_id in items]
        lessons = [(c, k) for c in mine for k in c.lesson_keys]
        quizzes = [(c, k) for c in mine for k in c.quiz_keys]
        state.lessons_required = len(lessons)
        state.lessons_done = sum(1 for c, k in lessons if (f := done.get(("lesson", c.course_id, k)))
                                 and f.status in ("completed", "passed"))
        state.quizzes_required = len(quizzes)
        state.quizzes_passed = sum(1 for c, k in quizzes if (f := done.get(("quiz", c.course_id, k)))
                                   and f.status == "passed")
        scores = first.get(person_id)
        state.first_attempt_pct = round(sum(scores) / len(scores), 1) if scores else None
        used = sorted(days.get(person_id, ()))
        state.first_used_on, state.last_used_on = (used[0], used[-1]) if used else (None, None)
        state.weeks_used = len({_week(d) for d in used})
        after = [d for d in used if state.trained_on is not None and d >= state.trained_on]
        state.used_after_training_days = len(after)
        state.weeks_used_after_training = len({_week(d) for d in after})
        received, opened = aware.get(person_id, (0, None))
        state.announcements, state.announcements_opened = received, opened
        state.desire, state.kudos = desire.get(person_id), kudos.get(person_id, 0)
        scored = adkar.score(adkar.Inputs(
            state.announcements, state.announcements_opened, state.desire, state.lessons_required,
            state.lessons_done, state.quizzes_required, state.quizzes_passed, state.first_attempt_pct,
            state.trained_on, bool(after), state.last_used_on, state.kudos), today)
        state.awareness, state.desire_score, state.knowledge = scored["awareness"], scored["desire"], \
            scored["knowledge"]
        state.ability, state.reinforcement = scored["ability"], scored["reinforcement"]
        _crm_week_points(person_id, {_week(d) for d in after})
        state.refreshed_on = today
    db.session.flush()
    totals = dict(db.session.execute(select(PointsEntry.person_id, func.sum(PointsEntry.points))
                                     .where(PointsEntry.person_id.in_(ids)).group_by(PointsEntry.person_id)).all())
    for person_id in ids:
        (states.get(person_id) or db.session.get(PersonState, person_id)).points = int(totals.get(person_id) or 0)


def _crm_week_points(person_id: int, weeks: set[str]) -> None:
    from adoption.incentives import grant

    for week in sorted(weeks):
        grant(person_id, f"crm-week:{week}", CRM_WEEK_POINTS)


def state_of(person_id: int) -> PersonState:
    """A person's row, computed now if it is missing or queued."""
    state = db.session.get(PersonState, person_id)
    if state is None or db.session.get(DirtyPerson, person_id) is not None:
        refresh([person_id])
        db.session.execute(delete(DirtyPerson).where(DirtyPerson.person_id == person_id))
        state = db.session.get(PersonState, person_id)
    return state


def days_ago(today: date, n: int) -> date:
    return today - timedelta(days=n - 1)
