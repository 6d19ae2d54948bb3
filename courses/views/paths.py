"""Learning paths in the UI, for trainers and the program office: the list, the editor with a preview of who
the rules match, the people on a path, and the paths file (the same format as ``paths.yaml``)."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from courses import library, paths
from courses.forms import COURSE_ROWS, RULE_ROWS, PathForm
from courses.models import Course, LearningPath, PathAssignment
from courses.views import bp
from courses.views.author import attempt, page_status
from lms.admin.forms import choices
from lms.extensions import db
from lms.people.models import Department, JobRole, RolloutWave
from lms.permissions import Permission, requires

EDITORS = (Permission.TRAINER, Permission.PROGRAM_OFFICE)


@bp.route("/author/paths/")
@requires(*EDITORS)
def author_paths() -> str:
    rows = db.session.scalars(select(LearningPath).order_by(LearningPath.title)).all()
    counts = dict(db.session.execute(
        select(PathAssignment.path_id, func.count()).where(PathAssignment.status.in_(("assigned", "completed")))
        .group_by(PathAssignment.path_id)).all())
    return render_template("courses/author/paths.html", paths=rows, counts=counts)


def _form(path: LearningPath | None) -> PathForm:
    if path is not None and request.method == "GET":
        mode = "date" if path.due_date else (path.due_after if path.due_days is not None else "none")
        form = PathForm(data={
            "title": path.title, "slug": path.slug, "kind": path.kind, "summary": path.summary,
            "ordered": path.ordered, "active": path.active, "due_mode": mode, "due_date": path.due_date,
            "due_days": path.due_days, "recertify_months": path.recertify_months,
            "courses": [s.course_id for s in path.steps] + [None] * (COURSE_ROWS - len(path.steps)),
            "rules": [{"job_role_id": r.job_role_id, "department_id": r.department_id, "wave_id": r.wave_id,
                       "new_hire": {True: "yes", False: "no"}.get(r.new_hire, "")} for r in path.rules]
            + [{}] * (RULE_ROWS - len(path.rules))})
    else:
        form = PathForm()
    course_choices = choices([("", "—")] + [(c.id, f"{c.title} ({c.status})") for c in db.session.scalars(
        select(Course).where(Course.status != "archived", Course.kind != "remedial").order_by(Course.title))])
    for row in form.courses:
        row.choices = course_choices
    roles = choices([("", "Any job role")] + [(r.id, r.name) for r in db.session.scalars(
        select(JobRole).order_by(JobRole.name))])
    departments = choices([("", "Any department")] + [(d.id, d.name) for d in db.session.scalars(
        select(Department).order_by(Department.name))])
    waves = choices([("", "Any wave")] + [(w.id, w.name) for w in db.session.scalars(
        select(RolloutWave).order_by(RolloutWave.name))])
    for row in form.rules:
        row.job_role_id.choices, row.department_id.choices, row.wave_id.choices = roles, departments, waves
    return form


def _rules(form: PathForm) -> tuple[paths.RuleInfo, ...]:
    return tuple(paths.RuleInfo(row.job_role_id.data, row.department_id.data, row.wave_id.data,
                                {"yes": True, "no": False}.get(row.new_hire.data)) for row in form.rules)


def _info(form: PathForm) -> paths.PathInfo:
    return paths.PathInfo(
        slug=(form.slug.data or "").strip().lower(), title=form.title.data or "", kind=form.kind.data,
        summary=form.summary.data or "", ordered=bool(form.ordered.data),
        course_ids=tuple(row.data for row in form.courses if row.data), rules=_rules(form),
        due_mode=form.due_mode.data or "none", due_date=form.due_date.data, due_days=form.due_days.data,
        recertify_months=form.recertify_months.data or None, active=bool(form.active.data))


def _editor(path: LearningPath | None):
    form = _form(path)
    matched = None
    if request.method == "POST" and form.check.data:
        form.validate()  # show field errors, but a preview never saves
        matched = paths.preview(_rules(form))
        return render_template("courses/author/path_form.html", form=form, path=path, matched=matched), 200
    if form.validate_on_submit() and (saved := attempt(form, lambda: paths.save_path(
            _info(form), path=path, actor_id=current_user.id))):
        flash(f"“{saved.title}” is saved; its rules are applied.", "success")
        return redirect(url_for("courses.author_path_people", path_id=saved.id))
    return render_template("courses/author/path_form.html", form=form, path=path, matched=matched), page_status()


@bp.route("/author/paths/new", methods=["GET", "POST"])
@requires(*EDITORS)
def author_path_new():
    return _editor(None)


@bp.route("/author/paths/<int:path_id>", methods=["GET", "POST"])
@requires(*EDITORS)
def author_path(path_id: int):
    return _editor(paths.get_path(path_id))


@bp.route("/author/paths/<int:path_id>/people")
@requires(*EDITORS)
def author_path_people(path_id: int) -> str:
    path = paths.get_path(path_id)
    return render_template("courses/author/path_people.html", path=path, members=paths.members(path))


@bp.route("/author/paths/paths.yaml")
@requires(*EDITORS)
def author_paths_export() -> Response:
    """Every path as a paths file, the format ``flask lms courses import-paths`` and the starter library use."""
    return Response(library.export_paths(), mimetype="application/yaml",
                    headers={"Content-Disposition": "attachment; filename=paths.yaml"})
