"""The trainer's results of a course: per course, per quiz and per question, filtered by department, job role and
wave; the per-question figures as CSV."""
from __future__ import annotations

from flask import Response, render_template, request
from sqlalchemy import select

from courses import authoring, results
from courses.views import bp
from lms.extensions import db
from lms.people.models import Department, JobRole, RolloutWave
from lms.permissions import Permission, requires


def _filters() -> results.Filters:
    return results.Filters(department_id=request.args.get("department", type=int),
                           job_role_id=request.args.get("role", type=int), wave_id=request.args.get("wave", type=int))


@bp.route("/author/courses/<int:course_id>/results")
@requires(Permission.TRAINER)
def author_results(course_id: int) -> str:
    course = authoring.get_course(course_id)
    filters = _filters()
    options = {"departments": db.session.execute(select(Department.id, Department.name).order_by(Department.name)),
               "roles": db.session.execute(select(JobRole.id, JobRole.name).order_by(JobRole.name)),
               "waves": db.session.execute(select(RolloutWave.id, RolloutWave.name).order_by(RolloutWave.name))}
    return render_template("courses/author/results.html", course=course,
                           results=results.course_results(course, filters), filters=filters,
                           options={k: list(v) for k, v in options.items()})


@bp.route("/author/courses/<int:course_id>/results.csv")
@requires(Permission.TRAINER)
def author_results_csv(course_id: int) -> Response:
    course = authoring.get_course(course_id)
    data = results.results_csv(results.course_results(course, _filters()))
    return Response(data, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={course.slug}-results.csv"})
