"""The governance pack: a PDF for the quarterly meeting, rendered by WeasyPrint from an HTML template (cover,
one-page sponsor summary, charts, gap tables, goals with their linked gaps, open actions, the last meeting's
decisions). Without WeasyPrint or its system libraries (Pango), :func:`availability` says so and nothing else
in governance is affected."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template

from governance import charts
from governance import services_report as report
from governance.charts import data_uri
from governance.services_dashboard import Overview, agenda, last_decisions, overview, sections
from governance.services_goals import RULE


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""


class PackUnavailable(RuntimeError):
    """WeasyPrint cannot run here; the message says why and what to install."""


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: the library loads, Pango (a system library) does not
        raise PackUnavailable(
            "The governance pack needs WeasyPrint and its system libraries (Pango), which are not available here "
            f"({type(error).__name__}: {error}). Install them (pip install weasyprint; apt-get install "
            "libpango-1.0-0 libpangoft2-1.0-0) and restart Rapport. Every other governance page works without them."
        ) from None
    return weasyprint


def availability() -> Availability:
    """Whether the pack can be rendered here (checked when asked, never at import time)."""
    try:
        _weasyprint()
    except PackUnavailable as error:
        return Availability(False, str(error))
    return Availability(True)


def department_chart(by_department: report.GapReport) -> str:
    return charts.completion_by_group([(r.label, r.rate, r.completed, r.required) for r in by_department.rows])


def trend_chart(points: list[report.TrendPoint]) -> str:
    return charts.trend([(p.week_end, p.rate) for p in points])


def goal_chart(line, today: date) -> str:
    goal, status = line.goal, line.status
    return charts.goal_progress(title=goal.title, unit=goal.unit, baseline=goal.baseline,
                                baseline_on=goal.baseline_on, target=goal.target, deadline=goal.deadline,
                                values=[(v.measured_on, v.value) for v in goal.values], projected=status.projected,
                                status=status.status, today=today)


def pack_html(view: Overview | None = None) -> str:
    """The pack as HTML (what WeasyPrint renders)."""
    view = view or overview()
    meeting, decisions = last_decisions()
    by_role = report.gap_report("job_role", goals=[line.goal for line in view.goals], on=view.on)
    by_wave = report.gap_report("wave", goals=[line.goal for line in view.goals], on=view.on)
    return render_template(
        "governance/pack.html", view=view, by_role=by_role, by_wave=by_wave, meeting=meeting, decisions=decisions,
        agenda=agenda(view), site=current_app.config["LMS_SITE_NAME"], rule=RULE, sections=sections("pack"),
        department_chart=data_uri(department_chart(view.by_department)),
        trend_chart=data_uri(trend_chart(view.trend)),
        goal_charts={line.goal.id: data_uri(goal_chart(line, view.on)) for line in view.goals})


def render_pack(view: Overview | None = None) -> bytes:
    """The governance pack as PDF bytes; raises :class:`PackUnavailable` without WeasyPrint."""
    weasyprint = _weasyprint()
    html = pack_html(view)
    return weasyprint.HTML(string=html, base_url=current_app.root_path).write_pdf()
