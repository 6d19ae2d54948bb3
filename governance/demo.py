"""The demo's governance story, true of the demo's records: the board with its technology SME seat vacant,
five measurable goals with values over the past months (one on track, one at risk because its linked course is
behind, one off track because its people, in the lagging Marketing department, have barely started, one off track
because hardly anyone has taken the soft-skills course it depends on, one off track because the sales reps' pipeline
habits are not changing fast enough), the last
quarterly meeting's minutes, decisions and actions (one overdue), and the next meeting, due next week.

The training figures themselves come from courses' demo: Wave 1 (live first) is ahead and Marketing lags."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from courses import api as courses_api
from governance import services_board as board
from governance import services_goals as goals
from governance import services_meetings as meetings
from governance import services_tokens as tokens
from lms.extensions import db
from lms.people.models import Department, JobRole
from lms.types import utcnow


def _months_ago(today: date, months: int) -> date:
    return meetings.add_months(today, -months)


def seed(people: dict) -> None:
    """Seed the story; ``people``: the demo logins by email (see ``lms.demo``)."""
    today = utcnow().date()
    login = {email.split("@")[0]: person for email, person in people.items()}
    roles = {role.code: role for role in board.ensure_default_roles()}
    for code, who in (("executive_sponsor", "sponsor"), ("program_lead", "office"), ("people_sme", "service.manager"),
                      ("process_sme", "sales.manager")):
        if who in login:
            board.assign(roles[code], login[who].id, actor_id=None)
            roles[code].since = _months_ago(today, 7)
    # The technology SME seat stays vacant: IT has not named anyone yet (an open action, overdue).

    courses = {c.slug: c.id for c in courses_api.catalogue().courses}
    departments = {d.name: d.id for d in db.session.scalars(select(Department))}
    job_roles = {r.code: r.id for r in db.session.scalars(select(JobRole))}
    owner = lambda key: login[key].id if key in login else None  # noqa: E731
    start = _months_ago(today, 6)
    self_service = goals.save_goal(goals.GoalInfo(
        key="self-service-share", title="Move 60% of service requests to self-service",
        metric="Share of service requests made in the customer portal", unit="%", baseline=22, baseline_on=start,
        target=60, deadline=meetings.add_months(today, 6), direction="up", owner_id=owner("service.manager"),
        description="Seed 002: reduce service cost by moving requests to self-service. Agents must know the "
                    "portal's cases and knowledge base to point customers to it.",
        course_ids=tuple(c for c in (courses.get("crm-service-agent"),) if c),
        department_ids=tuple(d for d in (departments.get("Customer Service"),) if d)), goal=None, actor_id=None)
    leads = goals.save_goal(goals.GoalInfo(
        key="leads-qualified-in-crm", title="Qualify 90% of marketing leads in the CRM",
        metric="Share of new leads qualified in the CRM (not in spreadsheets)", unit="%", baseline=15,
        baseline_on=start, target=90, deadline=meetings.add_months(today, 4), direction="up",
        owner_id=owner("marketing.manager"),
        description="Campaign leads only reach sales when marketers qualify them in the CRM.",
        course_ids=tuple(c for c in (courses.get("crm-sales-rep"),) if c),
        job_role_ids=tuple(r for r in (job_roles.get("marketer"),) if r)), goal=None, actor_id=None)
    duplicates = goals.save_goal(goals.GoalInfo(
        key="duplicate-accounts", title="Fewer than 2% duplicate customer accounts",
        metric="Duplicate accounts found by the nightly data-quality job", unit="%", baseline=9.5,
        baseline_on=start, target=2, deadline=meetings.add_months(today, 5), direction="down",
        owner_id=owner("sponsor"), description="One view of the customer: one account per customer."),
        goal=None, actor_id=None)
    satisfaction = goals.save_goal(goals.GoalInfo(
        key="customer-satisfaction", title="Raise customer satisfaction to 85%",
        metric="Customers rating their last contact 4 or 5 out of 5", unit="%", baseline=72, baseline_on=start,
        target=85, deadline=meetings.add_months(today, 7), direction="up", owner_id=owner("sponsor"),
        description="Seed 000: listening, realistic promises and the customer's point of view, in every contact.",
        course_ids=tuple(c for c in (courses.get("soft-skills"),) if c)), goal=None, actor_id=None)
    pipeline = goals.save_goal(goals.GoalInfo(
        key="pipeline-in-crm", title="Keep 95% of open opportunities up to date in the CRM",
        metric="Open opportunities updated in the last 14 days", unit="%", baseline=40, baseline_on=start,
        target=95, deadline=meetings.add_months(today, 3), direction="up", owner_id=owner("sales.manager"),
        description="Seed 001: managers coach from the pipeline report only if reps keep it current.",
        course_ids=tuple(c for c in (courses.get("crm-sales-rep"),) if c),
        job_role_ids=tuple(r for r in (job_roles.get("sales_rep"),) if r)), goal=None, actor_id=None)
    bi = tokens.create_token("Power BI (demo)", actor_id=None)
    for goal, monthly, source in ((self_service, (25, 29, 33, 38, 42, 46), "api"),
                                  (satisfaction, (72, 73, 72.5, 74, 74.5, 75), "api"),
                                  (leads, (15, 17, 16, 18, 19, 19), "csv"),
                                  (pipeline, (40, 44, 43, 47, 49, 50), "csv"),
                                  (duplicates, (8.6, 7.4, 6.1, 5.0, 3.9, 3.1), "api")):
        values = [goals.ValueInfo(min(_months_ago(today, 5 - n), today), value) for n, value in enumerate(monthly)]
        goals.record_values(goal, values, source=source, token_id=bi.token.id if source == "api" else None)

    held_on = today - timedelta(days=84)
    last = meetings.schedule(held_on, f"Governance board, {held_on:%B %Y}", actor_id=None)
    last.minutes = (
        "Present: Sam Sponsor (chair), Priya Program-Office, Maria Sales-Manager, Omar Service-Manager.\n"
        "IT could not send anyone: the technology SME seat is still vacant.\n\n"
        "1. Training completion: Wave 1 has started its rollout paths; Waves 2 and 3 follow.\n"
        "2. Goals: self-service share rising; marketing still qualifies leads in spreadsheets.\n"
        "3. The sponsor asked marketing to take the sales reps' CRM course before campaigns move to the CRM.")
    for text in ("Wave 1 goes live on its planned date; no slip.",
                 "Marketers take the sales reps' CRM course (lead qualification) this quarter.",
                 "IT names a technology SME before the next meeting."):
        meetings.add_decision(last, text, actor_id=None)
    meetings.hold(last, held_on, {"generated_on": held_on.isoformat(), "items": [
        {"title": "Board seats", "points": ["The Technology SME seat is vacant."]},
        {"title": "Training completion", "points": ["Wave 1 rollout paths assigned; nothing due yet."]},
        {"title": "Program goals", "points": ["Self-service share, leads qualified in the CRM, duplicates."]},
        {"title": "Open actions (carried until closed)", "points": ["None yet."]}]}, actor_id=None)
    upcoming = meetings.next_meeting()
    meetings.reschedule(upcoming, today + timedelta(days=6), actor_id=None)  # due next week
    upcoming.title = f"Governance board, {upcoming.scheduled_for:%B %Y}"
    for title, who, due, goal, status in (
            ("Name a technology SME for the board", "sponsor", today - timedelta(days=14), None, "open"),
            ("Book every marketer on the sales reps' CRM course", "marketing.manager", today + timedelta(days=10),
             leads, "open"),
            ("Publish the self-service FAQ in the customer portal", "service.manager", today - timedelta(days=30),
             self_service, "done")):
        action = meetings.add_action(meetings.ActionInfo(title, owner(who), due, goal.id if goal else None, last.id),
                                     actor_id=None)
        if status != "open":
            meetings.update_action(action, status=status, note="Live since last month.", due_date=due,
                                   owner_id=owner(who), actor_id=None)
    db.session.flush()
