"""The training-gap report: grouping, drill-down to a person, filters, CSV export and its charts."""
from __future__ import annotations

import csv
import io

from flask import Response, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from courses import api as courses_api
from governance import access, charts
from governance import services_goals as goals_service
from governance import services_report as report
from governance.forms import GapFilterForm
from governance.services_readmodel import bring_up_to_date
from governance.views import bp, data_uri
from lms.admin.forms import choices
from lms.extensions import db
from lms.people.models import Department, JobRole, Person, RolloutWave

PER_PAGE = 50


def _form() -> tuple[GapFilterForm, report.GapFilter, str, int]:
    form = GapFilterForm(request.args)
    catalogue = courses_api.catalogue()
    form.course_id.choices = choices([("", "Any course")] + [(c.id, c.title) for c in catalogue.courses
                                                     if c.kind != "remedial"])
    form.path_id.choices = choices([("", "Any path")] + [(p.id, p.title) for p in catalogue.paths])
    form.wave_id.choices = choices([("", "Any wave")] + [(w.id, w.name) for w in db.session.scalars(
        select(RolloutWave).order_by(RolloutWave.go_live, RolloutWave.name))] + [(0, "No wave")])
    departments = db.session.scalars(select(Department).order_by(Department.name))
    form.department_id.choices = choices([("", "Any department")] + [(d.id, d.name) for d in departments]
                                         + [(0, "No department")])
    form.validate()
    value = lambda field: field.data if not field.errors else None  # noqa: E731
    gap_filter = report.GapFilter(department_id=value(form.department_id), job_role_id=value(form.job_role_id),
                                  wave_id=value(form.wave_id), manager_id=value(form.manager_id),
                                  course_id=value(form.course_id), path_id=value(form.path_id))
    dimension = form.by.data if form.by.data in report.DIMENSIONS and not form.by.errors else "department"
    return form, gap_filter, dimension, value(form.page) or 1


def _chips(gap_filter: report.GapFilter) -> list[tuple[str, str, dict]]:
    """The filters in force as (what, value, link that removes it)."""
    names = {
        "department_id": ("Department", lambda i: db.session.get(Department, i)),
        "job_role_id": ("Job role", lambda i: db.session.get(JobRole, i)),
        "wave_id": ("Wave", lambda i: db.session.get(RolloutWave, i)),
        "manager_id": ("Manager", lambda i: db.session.get(Person, i)),
    }
    catalogue = courses_api.catalogue()
    chips = []
    for name, value in gap_filter.args().items():
        if name in names:
            label, find = names[name]
            row = find(value) if value else None
            shown = row.name if row is not None else ("none" if value == 0 else f"#{value}")
        elif name == "course_id":
            label, course = "Course", catalogue.course(value)
            shown = course.title if course else f"#{value}"
        else:
            label, path = "Path", catalogue.path(value)
            shown = path.title if path else f"#{value}"
        chips.append((label, shown, gap_filter.without(name).args()))
    return chips


@bp.route("/gaps")
@access.see_report
def gaps() -> str:
    scope = access.report_scope(current_user)
    form, gap_filter, dimension, page = _form()
    waiting = bring_up_to_date()
    goals = goals_service.active_goals()
    if dimension == "person":  # up to one row per person: the database sorts and pages them
        result = report.gap_report(dimension, gap_filter, scope, goals=goals,
                                   page=((page - 1) * PER_PAGE, PER_PAGE))
        pages = max(1, -(-result.row_count // PER_PAGE))
        if page > pages:
            page = pages
            result = report.gap_report(dimension, gap_filter, scope, goals=goals,
                                       page=((page - 1) * PER_PAGE, PER_PAGE))
        rows, group_chart = result.rows, None
    else:
        result = report.gap_report(dimension, gap_filter, scope, goals=goals)
        pages = max(1, -(-len(result.rows) // PER_PAGE))
        page = min(page, pages)
        rows = result.rows[(page - 1) * PER_PAGE:page * PER_PAGE]
        group_chart = data_uri(charts.completion_by_group(
            [(r.label, r.rate, r.completed, r.required) for r in result.rows],
            f"Completion by {report.DIMENSIONS[dimension].lower()}"))
    team = db.session.get(Person, scope.manager_id) if not scope.everyone else None
    return render_template("governance/gaps.html", form=form, result=result, rows=rows, page=page, pages=pages,
                           dimension=dimension, dimensions=report.DIMENSIONS, chips=_chips(gap_filter),
                           waiting=waiting, team=team, args=gap_filter.args(), rule=goals_service.RULE,
                           group_chart=group_chart,
                           trend_chart=data_uri(charts.trend([(p.week_end, p.rate) for p in result.trend])))


@bp.route("/gaps.csv")
@access.see_report
def gaps_csv() -> Response:
    scope = access.report_scope(current_user)
    _form_, gap_filter, dimension, _page = _form()
    bring_up_to_date()
    result = report.gap_report(dimension, gap_filter, scope, goals=goals_service.active_goals())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([report.DIMENSIONS[dimension], *(["Job role · department"] if dimension == "person" else []),
                     "People", "Required", "Completed", "In progress", "Not started", "Overdue",
                     "Failed assessments", "Completion rate", "Rate 4 weeks ago", "Goals threatened (owner)"])
    for row in [*result.rows, result.total]:
        writer.writerow([safe_cell(v) for v in (
            row.label, *([row.detail] if dimension == "person" else []), row.people, row.required, row.completed,
            row.in_progress, row.not_started, row.overdue, row.failed, _pct(row.rate), _pct(row.rate_then),
            "; ".join(f"{t.title} ({t.owner}): {t.incomplete} incomplete" for t in row.threatened))])
    name = f"training-gaps-by-{dimension.replace('_', '-')}-{result.on.isoformat()}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _pct(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def safe_cell(value):
    """A CSV cell a spreadsheet will not run: text starting with = + - @ tab or carriage return gets a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.route("/gaps/people/<int:person_id>")
@access.see_report
def gap_person(person_id: int) -> str:
    scope = access.report_scope(current_user)
    bring_up_to_date()
    person, rows = report.person_requirements(person_id, scope)
    back = {k: v for k, v in request.args.items() if k in ("by", *report.GapFilter().__dict__)}
    return render_template("governance/gap_person.html", person=person, rows=rows, back=back)


def drill_url(result: report.GapReport, row: report.GapRow) -> str:
    """Where clicking a row goes: narrowed to it, grouped by the next dimension (a person: their page)."""
    if result.dimension == "person":
        return url_for("governance.gap_person", person_id=row.key, by="person", **result.gap_filter.args())
    narrowed = result.gap_filter.narrowed(result.dimension, row.key)
    return url_for("governance.gaps", by=report.next_dimension(result.dimension, narrowed), **narrowed.args())


bp.add_app_template_global(drill_url, "gov_drill_url")
