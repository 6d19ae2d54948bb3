"""Board meetings: the cadence (quarterly by default), the next meeting and whether one is overdue, an agenda
generated from the gap report and the open actions, minutes, decisions and actions (owner, due date, status).
Open actions are carried to every meeting until they are closed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from governance.models import Action, Decision, Meeting, Settings
from lms.audit.services import record as audit
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow

ACTION_STATUSES = {"open": "Open", "done": "Done", "dropped": "Dropped"}


def add_months(day: date, months: int) -> date:
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def settings() -> Settings:
    row = db.session.get(Settings, 1)
    if row is None:
        row = Settings(id=1, cadence_months=3)
        db.session.add(row)
        db.session.flush()
    return row


def cadence_months() -> int:
    return db.session.scalar(select(Settings.cadence_months).where(Settings.id == 1)) or 3


def set_cadence(months: int, *, actor_id: int | None) -> None:
    """How often the board meets, in months (1 to 6; seed 001: at least quarterly)."""
    if months not in range(1, 7):
        raise DomainError("The board meets at least every 6 months: choose 1 to 6 months.", field="cadence_months")
    row = settings()
    before = row.cadence_months
    row.cadence_months = months
    audit(actor_id, "meeting.cadence", "board", before=before, after=months)


def get_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("There is no such meeting.")
    return meeting


def meetings() -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).order_by(Meeting.scheduled_for.desc(), Meeting.id.desc())))


def schedule(on: date, title: str = "", *, actor_id: int | None) -> Meeting:
    """Plan a meeting on a day."""
    title = title.strip() or f"Governance board, {on.strftime('%B %Y')}"
    if len(title) > 200:
        raise DomainError("The title is longer than 200 characters.", field="title")
    meeting = Meeting(title=title, scheduled_for=on, status="planned")
    db.session.add(meeting)
    db.session.flush()
    audit(actor_id, "meeting.schedule", meeting.title, on=on.isoformat())
    return meeting


def reschedule(meeting: Meeting, on: date, *, actor_id: int | None) -> None:
    if meeting.status != "planned":
        raise DomainError("Only a planned meeting can be moved.")
    before = meeting.scheduled_for
    meeting.scheduled_for = on
    audit(actor_id, "meeting.reschedule", meeting.title, before=before.isoformat(), after=on.isoformat())


def cancel(meeting: Meeting, *, actor_id: int | None) -> None:
    if meeting.status != "planned":
        raise DomainError("Only a planned meeting can be cancelled.")
    meeting.status = "cancelled"
    audit(actor_id, "meeting.cancel", meeting.title, on=meeting.scheduled_for.isoformat())


def save_minutes(meeting: Meeting, minutes: str, *, actor_id: int | None) -> None:
    """Write or correct a meeting's minutes (plain text; audited with their length before and after)."""
    if len(minutes) > 50_000:
        raise DomainError("Minutes are limited to 50,000 characters.", field="minutes")
    before = meeting.minutes
    meeting.minutes = minutes.strip()
    audit(actor_id, "meeting.minutes", meeting.title, before_chars=len(before), after_chars=len(meeting.minutes))


def hold(meeting: Meeting, held_on: date, agenda: dict, *, actor_id: int | None) -> Meeting | None:
    """Mark a meeting held on a day, keeping its agenda as it stood; plans the next meeting one cadence later if
    none is planned. Returns the next meeting planned, if one was."""
    if meeting.status != "planned":
        raise DomainError("This meeting is not planned (it was held or cancelled already).")
    if held_on > utcnow().date():
        raise DomainError("A meeting cannot be held in the future.", field="held_on")
    meeting.status, meeting.held_on, meeting.agenda = "held", held_on, agenda
    audit(actor_id, "meeting.held", meeting.title, on=held_on.isoformat())
    db.session.flush()
    if next_meeting() is None:
        return schedule(add_months(held_on, cadence_months()), actor_id=actor_id)
    return None


def add_decision(meeting: Meeting, text: str, *, actor_id: int | None) -> Decision:
    text = text.strip()
    if not text or len(text) > 5000:
        raise DomainError("A decision is 1 to 5,000 characters.", field="text")
    decision = Decision(meeting=meeting, text=text)
    db.session.add(decision)
    db.session.flush()
    audit(actor_id, "decision.add", meeting.title, decision_id=decision.id, text=text[:200])
    return decision


def remove_decision(meeting: Meeting, decision_id: int, *, actor_id: int | None) -> None:
    decision = next((d for d in meeting.decisions if d.id == decision_id), None)
    if decision is None:
        raise NotFound("There is no such decision.")
    audit(actor_id, "decision.remove", meeting.title, text=decision.text[:200])
    meeting.decisions.remove(decision)
    db.session.flush()


@dataclass(frozen=True)
class ActionInfo:
    title: str
    owner_id: int | None
    due_date: date | None
    goal_id: int | None = None
    meeting_id: int | None = None


def add_action(info: ActionInfo, *, actor_id: int | None) -> Action:
    """An action for someone, by a date, raised at a meeting (or between meetings)."""
    title = info.title.strip()
    if not title or len(title) > 300:
        raise DomainError("An action is 1 to 300 characters.", field="title")
    owner = db.session.get(Person, info.owner_id) if info.owner_id else None
    if info.owner_id and (owner is None or not owner.active):
        raise DomainError("The owner must be an active person.", field="owner_id")
    action = Action(title=title, owner_id=info.owner_id, due_date=info.due_date, goal_id=info.goal_id,
                    meeting_id=info.meeting_id, status="open")
    db.session.add(action)
    db.session.flush()
    audit(actor_id, "action.create", title[:200], action_id=action.id, owner=owner.email if owner else None,
          due=info.due_date.isoformat() if info.due_date else None)
    return action


def get_action(action_id: int) -> Action:
    action = db.session.get(Action, action_id)
    if action is None:
        raise NotFound("There is no such action.")
    return action


def update_action(action: Action, *, status: str, note: str, due_date: date | None, owner_id: int | None,
                  actor_id: int | None) -> None:
    """Change an action's status (open, done, dropped), note, due date or owner; audited."""
    if status not in ACTION_STATUSES:
        raise DomainError("Status is open, done or dropped.", field="status")
    if owner_id and (db.session.get(Person, owner_id) is None):
        raise DomainError("The chosen owner does not exist.", field="owner_id")
    before = {"status": action.status, "due": action.due_date.isoformat() if action.due_date else None,
              "owner_id": action.owner_id}
    action.status, action.note, action.due_date, action.owner_id = status, note.strip()[:2000], due_date, owner_id
    action.closed_at = utcnow() if status != "open" else None
    db.session.flush()
    db.session.refresh(action, ["owner"])
    audit(actor_id, "action.update", action.title[:200], action_id=action.id, before=before,
          after={"status": status, "due": due_date.isoformat() if due_date else None, "owner_id": owner_id})


def open_actions() -> list[Action]:
    """Every open action, the overdue ones first (soonest due first, undated last)."""
    rows = list(db.session.scalars(select(Action).where(Action.status == "open")))
    rows.sort(key=lambda a: (a.due_date is None, a.due_date or date.max, a.id))
    return rows


def closed_actions(most: int = 50) -> list[Action]:
    return list(db.session.scalars(select(Action).where(Action.status != "open")
                                   .order_by(Action.closed_at.desc(), Action.id.desc()).limit(most)))


def carried(action: Action) -> int:
    """How many held meetings an open action has been carried through since it was raised."""
    since = action.meeting.held_on or action.meeting.scheduled_for if action.meeting else action.created_at.date()
    return db.session.scalar(select(func.count()).select_from(Meeting).where(
        Meeting.status == "held", Meeting.held_on > since)) or 0


# --- where the board stands -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cadence:
    months: int
    next_meeting: Meeting | None
    last_held: Meeting | None
    due_by: date | None  # when the next meeting should happen by the cadence
    overdue: bool
    message: str | None  # why it is overdue (or that nothing is planned)


def next_meeting() -> Meeting | None:
    """The earliest planned meeting (it may be in the past: then it is overdue)."""
    return db.session.scalar(select(Meeting).where(Meeting.status == "planned")
                             .order_by(Meeting.scheduled_for, Meeting.id).limit(1))


def last_held() -> Meeting | None:
    return db.session.scalar(select(Meeting).where(Meeting.status == "held")
                             .order_by(Meeting.held_on.desc(), Meeting.id.desc()).limit(1))


def cadence(on: date | None = None) -> Cadence:
    """Where the board stands against its cadence: a planned meeting whose day passed, or no meeting planned
    although the last one is more than a cadence ago, is overdue."""
    on = on or utcnow().date()
    months = cadence_months()
    upcoming, held = next_meeting(), last_held()
    due_by = add_months(held.held_on, months) if held else None
    if upcoming is not None and upcoming.scheduled_for < on:
        return Cadence(months, upcoming, held, due_by, True,
                       f"The meeting planned for {upcoming.scheduled_for:%d %B %Y} has not been held.")
    if upcoming is None and due_by is not None and due_by < on:
        return Cadence(months, None, held, due_by, True,
                       f"No meeting since {held.held_on:%d %B %Y}: one was due by {due_by:%d %B %Y}.")
    if upcoming is not None and due_by is not None and upcoming.scheduled_for > due_by:
        return Cadence(months, upcoming, held, due_by, True,
                       f"The next meeting ({upcoming.scheduled_for:%d %B %Y}) is later than the cadence allows "
                       f"(by {due_by:%d %B %Y}).")
    if upcoming is None:
        return Cadence(months, None, held, due_by, False, "No meeting is planned.")
    return Cadence(months, upcoming, held, due_by, False, None)
