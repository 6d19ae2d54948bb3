"""The question bank (browse, import from GIFT or CSV, add to a quiz, keep a quiz's question) and course
duplication. Trainers only."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from courses import authoring, bank, packs
from courses.forms import BankImportForm, BankPickForm, DuplicateForm
from courses.models import BankQuestion, Question, Quiz
from courses.views import bp
from courses.views.author import attempt, page_status, put_error
from lms.admin.forms import choices
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.permissions import Permission, requires


def _bank_rows(topic: str | None):
    query = select(BankQuestion).order_by(BankQuestion.topic, BankQuestion.id)
    if topic:
        query = query.where(BankQuestion.topic == topic)
    return db.session.scalars(query).all()


@bp.route("/author/bank", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_bank():
    form = BankImportForm()
    problems = None
    if form.validate_on_submit():
        raw = form.file.data.read()
        name = form.file.data.filename or f"upload.{form.format.data}"
        try:
            text = raw.decode("utf-8-sig")
            parse = bank.parse_gift if form.format.data == "gift" else bank.parse_csv
            rows = bank.add_to_bank(parse(text, name=name), actor_id=current_user.id)
        except UnicodeDecodeError:
            db.session.rollback()
            problems = [f"{name}: not UTF-8 text"]
        except packs.PackError as error:
            db.session.rollback()
            problems = error.problems
        except DomainError as error:
            db.session.rollback()
            put_error(form, error)
        else:
            db.session.commit()
            flash(f"{len(rows)} question{'s' if len(rows) != 1 else ''} added to the bank.", "success")
            return redirect(url_for("courses.author_bank"))
    topic = request.args.get("topic") or None
    topics = sorted({t for t in db.session.scalars(select(BankQuestion.topic)) if t})
    status = 400 if problems else page_status()
    return render_template("courses/author/bank.html", form=form, problems=problems, rows=_bank_rows(topic),
                           topics=topics, topic=topic), status


@bp.route("/author/quizzes/<int:quiz_id>/from-bank", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_quiz_from_bank(quiz_id: int):
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound("There is no such quiz.")
    topic = request.args.get("topic") or None
    rows = _bank_rows(topic)
    form = BankPickForm()
    form.question_ids.choices = choices((r.id, r.prompt) for r in rows) if request.method == "GET" else choices(
        (r.id, r.prompt) for r in db.session.scalars(select(BankQuestion)))
    if form.validate_on_submit() and (added := attempt(form, lambda: bank.add_to_quiz(quiz, form.question_ids.data))):
        flash(f"{len(added)} question{'s' if len(added) != 1 else ''} added from the bank.", "success")
        return redirect(url_for("courses.author_quiz", quiz_id=quiz.id) + "#questions")
    return render_template("courses/author/bank_pick.html", form=form, quiz=quiz, module=quiz.module,
                           course=quiz.module.course, rows={r.id: r for r in rows}, topic=topic), page_status()


@bp.route("/author/questions/<int:question_id>/to-bank", methods=["POST"])
@requires(Permission.TRAINER)
def author_question_to_bank(question_id: int) -> Response:
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound("There is no such question.")
    bank.save_to_bank(question, actor_id=current_user.id)
    db.session.commit()
    flash("A copy of the question is in the bank.", "success")
    return redirect(url_for("courses.author_question", question_id=question.id))


@bp.route("/author/courses/<int:course_id>/duplicate", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_duplicate(course_id: int):
    course = authoring.get_course(course_id)
    form = DuplicateForm(data={"title": f"{course.title} (copy)", "slug": f"{course.slug}-copy"[:80]}
                         if request.method == "GET" else None)
    if form.validate_on_submit() and (copy := attempt(form, lambda: bank.duplicate_course(
            course, slug=form.slug.data, title=form.title.data, actor_id=current_user.id))):
        flash(f"“{copy.title}” is a new draft, a copy of “{course.title}”.", "success")
        return redirect(url_for("courses.author_course", course_id=copy.id))
    return render_template("courses/author/duplicate.html", form=form, course=course), page_status()
