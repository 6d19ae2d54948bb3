"""What the sponsor reads in a minute, the agenda of the next meeting, and everything the governance pack holds:
each built from the gap report, the goals' statuses, the meetings and the actions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from governance import services_board as board_service
from governance import services_goals as goals_service
from governance import services_meetings as meetings_service
from governance import services_report as report
from governance.models import Action, Goal, Meeting
from governance.services_readmodel import bring_up_to_date
from lms.types import utcnow


@dataclass(frozen=True)
class GoalLine:
    goal: Goal
    status: goals_service.GoalStatus
    gaps: list[report.GapRow]  # departments with incomplete linked training, largest first


@dataclass(frozen=True)
class Overview:
    """The sponsor dashboard (and the pack's one-page summary)."""

    on: date
    waiting: int  # people whose figures are still being recomputed
    by_department: report.GapReport
    largest_gaps: list[report.GapCell]
    goals: list[GoalLine]
    cadence: meetings_service.Cadence
    open_actions: list[Action]
    vacancies: list[board_service.Vacancy]

    @property
    def total(self) -> report.GapRow:
        return self.by_department.total

    @property
    def trend(self) -> list[report.TrendPoint]:
        return self.by_department.trend

    @property
    def overdue_actions(self) -> list[Action]:
        return [a for a in self.open_actions if a.overdue(self.on)]

    def goals_with(self, status: str) -> list[GoalLine]:
        return [line for line in self.goals if line.status.status == status]


def goal_lines(goals: list[Goal], by_department: report.GapReport, on: date) -> list[GoalLine]:
    found = goals_service.statuses(goals, on=on)
    lines = []
    for goal in goals:
        gaps = [row for row in by_department.rows if any(t.goal_id == goal.id for t in row.threatened)]
        gaps.sort(key=lambda r: -next(t.incomplete for t in r.threatened if t.goal_id == goal.id))
        lines.append(GoalLine(goal, found[goal.id], gaps))
    order = {"off_track": 0, "at_risk": 1, "on_track": 2}
    lines.sort(key=lambda line: (order[line.status.status], line.goal.deadline))
    return lines


def overview(on: date | None = None) -> Overview:
    """Bring the read model up to date, then gather the dashboard."""
    waiting = bring_up_to_date()
    on = on or utcnow().date()
    goals = goals_service.active_goals()
    by_department = report.gap_report("department", goals=goals, on=on)
    return Overview(on, waiting, by_department, report.largest_gaps(goals, on=on), goal_lines(goals, by_department, on),
                    meetings_service.cadence(on), meetings_service.open_actions(), board_service.vacancies())


def agenda(view: Overview) -> dict:
    """The next meeting's agenda, generated from the gap report and the open actions (kept with the meeting when
    it is held, so its minutes keep their context): plain values only."""
    items = []
    if view.vacancies:
        items.append({"title": "Board seats", "points": [v.message for v in view.vacancies]})
    items.append({"title": "Training completion", "points": [
        f"Overall {_pct(view.total.rate)} completed ({view.total.completed} of {view.total.required} requirements), "
        f"{view.total.overdue} overdue, {view.total.failed} failed assessments."]})
    items.append({"title": "Largest training gaps", "points": [
        f"{cell.department}: {cell.course}: {cell.row.incomplete} of {cell.row.required} not completed"
        + (f" ({cell.row.overdue} overdue)" if cell.row.overdue else "") + (
            "; threatens " + ", ".join(f"{t.title} ({t.owner})" for t in cell.row.threatened)
            if cell.row.threatened else "") for cell in view.largest_gaps] or ["No training gap."]})
    items.append({"title": "Program goals", "points": [
        f"{line.goal.title}: {line.status.label}. " + " ".join(line.status.reasons)
        + (f" Owner: {line.goal.owner.name}." if line.goal.owner else "") for line in view.goals]
        or ["No program goal is set yet."]})
    items.append({"title": "Open actions (carried until closed)", "points": [
        f"{a.title}: {a.owner.name if a.owner else 'no owner'}, due "
        f"{a.due_date.isoformat() if a.due_date else 'no date'}" + (" (overdue)" if a.overdue(view.on) else "")
        for a in view.open_actions] or ["No open action."]})
    items.append({"title": "Decisions and new actions", "points": []})
    return {"generated_on": view.on.isoformat(), "items": items}


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def last_decisions() -> tuple[Meeting | None, list]:
    """The last held meeting and its decisions (for the pack)."""
    meeting = meetings_service.last_held()
    return meeting, list(meeting.decisions) if meeting else []


def sections(where: str) -> list:
    """What other plugins add to the sponsor dashboard (``where="dashboard"``) or the pack (``"pack"``), through
    ``lms.signals.governance_sections`` (each a GovernanceSection whose HTML its plugin rendered and escaped)."""
    from lms import signals

    found = [answer for _receiver, answer in signals.governance_sections.send(None, where=where) if answer]
    return sorted(found, key=lambda s: (s.order, s.title))
