"""The trainer's authoring pages: the course list, course details, publishing, versions and learners, course packs.

Modules, lessons, quizzes and questions are in ``author_content``. Every view needs the trainer permission; each
parses a form, calls one service in ``courses.authoring`` or ``courses.packs``, commits and redirects.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TypeVar

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager
from wtforms import FieldList

from courses import authoring, drafts, packs
from courses.forms import CourseForm, PackUploadForm, PublishForm, StatusForm
from courses.models import TRAINING_KINDS, Course, CourseVersion, Enrolment
from courses.views import bp
from lms.admin.forms import choices
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import JobRole, Person
from lms.permissions import Permission, requires

T = TypeVar("T")
STATUSES = ("draft", "published", "archived")
ENROLMENT_STATUSES = {"assigned": "Not started", "in_progress": "In progress", "completed": "Completed",
                      "replaced": "Replaced by a newer version"}


# --- helpers shared with author_content ---------------------------------------------------------------------------

def put_error(form, error: DomainError) -> None:
    """Show a domain error on the field it names (or the form's ``<field>_errors`` list), else above the form."""
    bucket = getattr(form, f"{error.field}_errors", None) if error.field else None
    target = getattr(form, error.field, None) if error.field else None
    if isinstance(bucket, list):
        bucket.append(error.message)
    elif target is not None and hasattr(target, "errors") and not isinstance(target, FieldList):
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def attempt(form, action: Callable[[], T]) -> T | bool:
    """Run one service call: commit when it succeeds and return its result (True for a service that returns
    nothing); on a DomainError roll back, show the message on ``form`` and return False."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        put_error(form, error)
        return False
    db.session.commit()
    return True if result is None else result


def page_status() -> int:
    """A form page shown again after a POST means the input was refused: 400."""
    return 400 if request.method == "POST" else 200


# --- courses ------------------------------------------------------------------------------------------------------

@bp.route("/author/")
@requires(Permission.TRAINER)
def author_index() -> str:
    status = request.args.get("status")
    query = select(Course).order_by(Course.title)
    if status in STATUSES:
        query = query.where(Course.status == status)
    courses = db.session.scalars(query).all()
    unpublished = {c.id for c in courses if c.status == "published" and drafts.draft_changes(c)}
    latest = dict(db.session.execute(
        select(CourseVersion.course_id, func.max(CourseVersion.number)).group_by(CourseVersion.course_id)).all())
    learners: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for course_id, number, count in db.session.execute(
            select(Enrolment.course_id, CourseVersion.number, func.count(func.distinct(Enrolment.person_id)))
            .join(CourseVersion, CourseVersion.id == Enrolment.version_id)
            .where(Enrolment.status != "replaced")
            .group_by(Enrolment.course_id, CourseVersion.number)
            .order_by(CourseVersion.number.desc())):
        learners[course_id].append((number, count))
    return render_template("courses/author/index.html", courses=courses, latest=latest, learners=learners,
                           unpublished=unpublished,
                           status=status if status in STATUSES else None, statuses=STATUSES)


def _course_form(course: Course | None) -> CourseForm:
    form = CourseForm(obj=course) if course else CourseForm()
    form.job_role_ids.choices = choices((r.id, r.name) for r in db.session.scalars(
        select(JobRole).order_by(JobRole.name)))
    if request.method == "GET" and course is not None:
        form.job_role_ids.data = [r.id for r in course.job_roles]
    return form


def _course_info(form: CourseForm) -> authoring.CourseInfo:
    return authoring.CourseInfo(slug=form.slug.data, title=form.title.data, kind=form.kind.data,
                                summary=form.summary.data or "", estimated_minutes=form.estimated_minutes.data or 0,
                                job_role_ids=tuple(form.job_role_ids.data or ()),
                                min_lesson_seconds=form.min_lesson_seconds.data or 0,
                                require_scroll=bool(form.require_scroll.data))


@bp.route("/author/courses/new", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_course_new():
    form = _course_form(None)
    if form.validate_on_submit() and (course := attempt(form, lambda: authoring.save_course(
            _course_info(form), course=None, actor_id=current_user.id))):
        flash(f"“{course.title}” is created as a draft. Add its first module.", "success")
        return redirect(url_for("courses.author_course", course_id=course.id))
    return render_template("courses/author/course_form.html", form=form, course=None), page_status()


@bp.route("/author/courses/<int:course_id>/details", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_course_edit(course_id: int):
    course = authoring.get_course(course_id)
    form = _course_form(course)
    if form.validate_on_submit() and attempt(form, lambda: authoring.save_course(
            _course_info(form), course=course, actor_id=current_user.id)):
        flash(f"“{course.title}” is saved.", "success")
        return redirect(url_for("courses.author_course", course_id=course.id))
    return render_template("courses/author/course_form.html", form=form, course=course), page_status()


@bp.route("/author/courses/<int:course_id>")
@requires(Permission.TRAINER)
def author_course(course_id: int) -> str:
    course = authoring.get_course(course_id)
    return render_template("courses/author/course.html", course=course, latest=_latest_number(course),
                           problems=authoring.validate_for_publishing(course), changes=drafts.draft_changes(course))


def _latest_number(course: Course) -> int | None:
    return db.session.scalar(select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id))


# --- publishing and status ----------------------------------------------------------------------------------------

@bp.route("/author/courses/<int:course_id>/publish", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_publish(course_id: int):
    course = authoring.get_course(course_id)
    form = PublishForm()
    if form.validate_on_submit() and (version := attempt(form, lambda: authoring.publish(
            course, actor_id=current_user.id, requires_recompletion=form.requires_recompletion.data,
            note=form.note.data or ""))):
        flash(f"“{course.title}” version {version.number} is published.", "success")
        return redirect(url_for("courses.author_versions", course_id=course.id))
    return render_template("courses/author/publish.html", course=course, form=form, latest=_latest_number(course),
                           problems=authoring.validate_for_publishing(course),
                           changes=drafts.draft_changes(course)), page_status()


@bp.route("/author/courses/<int:course_id>/status", methods=["POST"])
@requires(Permission.TRAINER)
def author_status(course_id: int) -> Response:
    course = authoring.get_course(course_id)
    form = StatusForm()
    if form.validate_on_submit() and attempt(form, lambda: authoring.set_status(
            course, form.status.data, actor_id=current_user.id)):
        labels = {"archived": "archived: it gets no new learners", "published": "restored",
                  "draft": "restored as a draft"}
        flash(f"“{course.title}” is {labels[course.status]}.", "success")
    else:
        flash(" ".join(form.form_errors) or "Choose archive or restore.", "error")
    return redirect(url_for("courses.author_course", course_id=course_id))


# --- versions and learners ----------------------------------------------------------------------------------------

@bp.route("/author/courses/<int:course_id>/versions")
@requires(Permission.TRAINER)
def author_versions(course_id: int) -> str:
    course = authoring.get_course(course_id)
    versions = db.session.execute(
        select(CourseVersion.id, CourseVersion.number, CourseVersion.published_at, CourseVersion.requires_recompletion,
               CourseVersion.note, Person.name.label("publisher"))
        .outerjoin(Person, Person.id == CourseVersion.published_by_id)
        .where(CourseVersion.course_id == course.id).order_by(CourseVersion.number.desc())).all()
    numbers = {v.id: v.number for v in versions}
    counts = dict(db.session.execute(
        select(Enrolment.version_id, func.count(Enrolment.id)).where(Enrolment.course_id == course.id)
        .group_by(Enrolment.version_id)).all())
    query = (select(Enrolment).join(Person, Person.id == Enrolment.person_id)
             .join(CourseVersion, CourseVersion.id == Enrolment.version_id)
             .where(Enrolment.course_id == course.id).options(contains_eager(Enrolment.person))
             .order_by(CourseVersion.number.desc(), Person.name, Enrolment.id))
    version = request.args.get("version", type=int)
    if version is not None:
        query = query.where(CourseVersion.number == version)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("courses/author/versions.html", course=course, versions=versions, numbers=numbers,
                           counts=counts, page=page, version=version, statuses=ENROLMENT_STATUSES)


# --- course packs -------------------------------------------------------------------------------------------------

@bp.route("/author/import", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_import():
    form = PackUploadForm()
    problems: list[str] | None = None
    if form.validate_on_submit():
        try:
            files = packs.read_zip(form.pack.data.read())
            course, published = packs.import_pack(files, actor_id=current_user.id, publish=form.publish.data)
        except packs.PackError as error:
            db.session.rollback()
            problems = error.problems
        except DomainError as error:
            db.session.rollback()
            put_error(form, error)
        else:
            db.session.commit()
            done = "imported and published as a new version" if published else "imported"
            flash(f"“{course.title}” is {done}.", "success")
            return redirect(url_for("courses.author_course", course_id=course.id))
    return render_template("courses/author/import.html", form=form, problems=problems), page_status()


@bp.route("/author/courses/<int:course_id>/export.zip")
@requires(Permission.TRAINER)
def author_export(course_id: int) -> Response:
    course = authoring.get_course(course_id)
    data = packs.zip_bytes(packs.export_pack(course), course.slug)
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f"attachment; filename={course.slug}.zip"})


@bp.app_template_filter("training_kind")
def training_kind(kind: str) -> str:
    return TRAINING_KINDS.get(kind, kind)
