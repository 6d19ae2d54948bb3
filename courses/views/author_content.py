"""The trainer's authoring pages inside a course: modules, lessons (with preview), quizzes, questions; moving and
deleting them. Every view needs the trainer permission."""
from __future__ import annotations

import os

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from courses import authoring, markdown
from courses.forms import OPTION_ROWS, LessonForm, ModuleForm, QuestionForm, QuizForm
from courses.models import Course, Lesson, Module, Question, Quiz
from courses.views import bp
from courses.views.author import attempt, page_status
from lms.admin.forms import choices
from lms.errors import NotFound
from lms.extensions import db
from lms.permissions import Permission, requires

ITEMS: dict[str, type] = {"module": Module, "lesson": Lesson, "quiz": Quiz, "question": Question}


def _get(model: type, item_id: int):
    item = db.session.get(model, item_id)
    if item is None:
        raise NotFound(f"There is no such {model.__name__.lower()}.")
    return item


def _course_of(item) -> Course:
    if isinstance(item, Module):
        return item.course
    if isinstance(item, Question):
        return item.quiz.module.course
    return item.module.course


def _back_to(item) -> str:
    """Where to go after moving or deleting ``item``: the quiz for a question, else the course editor."""
    if isinstance(item, Question):
        return url_for("courses.author_quiz", quiz_id=item.quiz_id)
    return url_for("courses.author_course", course_id=_course_of(item).id) + f"#module-{_module_id(item)}"


def _module_id(item) -> int:
    return item.id if isinstance(item, Module) else item.module_id


# --- modules ------------------------------------------------------------------------------------------------------

def _module_page(form: ModuleForm, course: Course, module: Module | None):
    return render_template("courses/author/module_form.html", form=form, course=course, module=module), page_status()


@bp.route("/author/courses/<int:course_id>/modules/new", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_module_new(course_id: int):
    course = authoring.get_course(course_id)
    form = ModuleForm()
    if form.validate_on_submit() and (module := attempt(form, lambda: authoring.save_module(
            course, authoring.ModuleInfo(form.slug.data, form.title.data, form.summary.data or "")))):
        flash(f"Module “{module.title}” is added.", "success")
        return redirect(url_for("courses.author_course", course_id=course.id) + f"#module-{module.id}")
    return _module_page(form, course, None)


@bp.route("/author/modules/<int:module_id>", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_module(module_id: int):
    module = _get(Module, module_id)
    form = ModuleForm(obj=module)
    if form.validate_on_submit() and attempt(form, lambda: authoring.save_module(
            module.course, authoring.ModuleInfo(form.slug.data, form.title.data, form.summary.data or ""),
            module=module)):
        flash(f"Module “{module.title}” is saved.", "success")
        return redirect(url_for("courses.author_course", course_id=module.course_id) + f"#module-{module.id}")
    return _module_page(form, module.course, module)


# --- lessons ------------------------------------------------------------------------------------------------------

def _lesson_page(form: LessonForm, module: Module, lesson: Lesson | None):
    # The preview always shows the text in the form: saved, just previewed, or refused with the other fields;
    # text that check() refuses is not rendered, the form says which line is the problem.
    refused = markdown.check(form.body.data or "")
    if refused and not form.body.errors:
        form.body.errors = [f"Line {line}: {message}" for line, message in refused]
    preview = "" if refused else markdown.render(form.body.data or "")
    status = 200 if form.preview.data and not refused else page_status()
    return render_template("courses/author/lesson.html", form=form, module=module, course=module.course,
                           lesson=lesson, preview=preview, learner_css=_learner_css()), status


def _learner_css() -> bool:
    """The preview uses the learner's stylesheet when there is one, so it looks as learners see it."""
    return bool(bp.static_folder) and os.path.isfile(os.path.join(bp.static_folder, "learner.css"))


def _lesson_info(form: LessonForm) -> authoring.LessonInfo:
    return authoring.LessonInfo(title=form.title.data, body=form.body.data or "", minutes=form.minutes.data or 5)


@bp.route("/author/modules/<int:module_id>/lessons/new", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_lesson_new(module_id: int):
    module = _get(Module, module_id)
    form = LessonForm()
    if not form.preview.data and form.validate_on_submit() and (lesson := attempt(
            form, lambda: authoring.save_lesson(module, _lesson_info(form)))):
        flash(f"Lesson “{lesson.title}” is added.", "success")
        return redirect(url_for("courses.author_lesson", lesson_id=lesson.id))
    return _lesson_page(form, module, None)


@bp.route("/author/lessons/<int:lesson_id>", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_lesson(lesson_id: int):
    lesson = _get(Lesson, lesson_id)
    form = LessonForm(obj=lesson)
    if not form.preview.data and form.validate_on_submit() and attempt(
            form, lambda: authoring.save_lesson(lesson.module, _lesson_info(form), lesson=lesson)):
        flash(f"Lesson “{lesson.title}” is saved.", "success")
        return redirect(url_for("courses.author_lesson", lesson_id=lesson.id))
    return _lesson_page(form, lesson.module, lesson)


@bp.route("/author/preview", methods=["POST"])
@requires(Permission.TRAINER)
def author_preview():
    """Live preview: JSON ``{"markdown": "..."}`` in, ``{"html": "..."}`` (sanitised) out."""
    data = request.get_json(silent=True)
    text = data.get("markdown") if isinstance(data, dict) else None
    if not isinstance(text, str):
        return jsonify(error='Send JSON {"markdown": "..."}.'), 400
    refused = markdown.check(text)
    if refused:
        line, message = refused[0]
        return jsonify(error=f"Line {line}: {message}", line=line), 400
    return jsonify(html=markdown.render(text))


# --- quizzes ------------------------------------------------------------------------------------------------------

def _quiz_form(quiz: Quiz | None) -> QuizForm:
    form = QuizForm(obj=quiz) if quiz else QuizForm()
    rows = db.session.execute(
        select(Course.slug, Course.title, Module.slug, Module.title).join(Module, Module.course_id == Course.id)
        .where(Course.kind == "remedial").order_by(Course.title, Module.position)).all()
    pairs = [("", "None")] + [(f"{cs}/{ms}", f"{ct}: {mt}") for cs, ct, ms, mt in rows]
    current = quiz.remedial if quiz else None
    if current and current not in {value for value, _ in pairs}:
        pairs.append((current, current))
    form.remedial.choices = choices(pairs)
    return form


def _quiz_info(form: QuizForm) -> authoring.QuizInfo:
    return authoring.QuizInfo(title=form.title.data, pass_mark=form.pass_mark.data,
                              max_attempts=form.max_attempts.data or 0, draw=form.draw.data or None,
                              remedial=form.remedial.data or None)


@bp.route("/author/modules/<int:module_id>/quizzes/new", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_quiz_new(module_id: int):
    module = _get(Module, module_id)
    form = _quiz_form(None)
    if form.validate_on_submit() and (quiz := attempt(form, lambda: authoring.save_quiz(module, _quiz_info(form)))):
        flash(f"Quiz “{quiz.title}” is added. Now add its questions.", "success")
        return redirect(url_for("courses.author_quiz", quiz_id=quiz.id))
    return render_template("courses/author/quiz.html", form=form, module=module, course=module.course,
                           quiz=None), page_status()


@bp.route("/author/quizzes/<int:quiz_id>", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_quiz(quiz_id: int):
    quiz = _get(Quiz, quiz_id)
    form = _quiz_form(quiz)
    if form.validate_on_submit() and attempt(form, lambda: authoring.save_quiz(quiz.module, _quiz_info(form),
                                                                               quiz=quiz)):
        flash(f"Quiz “{quiz.title}” is saved.", "success")
        return redirect(url_for("courses.author_quiz", quiz_id=quiz.id))
    return render_template("courses/author/quiz.html", form=form, module=quiz.module, course=quiz.module.course,
                           quiz=quiz), page_status()


# --- questions ----------------------------------------------------------------------------------------------------

def _question_form(question: Question | None) -> QuestionForm:
    if question is None:
        return QuestionForm()
    options = [] if question.type == "true_false" else list(question.options)
    answer = "true" if question.type == "true_false" and question.options[0].get("correct") else "false"
    return QuestionForm(data={
        "type": question.type, "topic": question.topic, "prompt": question.prompt,
        "explanation": question.explanation, "answer": answer if question.type == "true_false" else "true",
        "options": options + [{}] * (OPTION_ROWS - len(options)),
    })


def _question_info(form: QuestionForm) -> authoring.QuestionInfo:
    if form.type.data == "true_false":
        options = authoring.true_false_options(form.answer.data == "true")
    else:
        options = tuple({"text": row.text.data or "", "correct": bool(row.correct.data),
                         "explanation": row.explanation.data or ""} for row in form.options)
    return authoring.QuestionInfo(type=form.type.data, prompt=form.prompt.data or "", options=options,
                                  explanation=form.explanation.data or "", topic=form.topic.data or "")


def _question_page(form: QuestionForm, quiz: Quiz, question: Question | None):
    return render_template("courses/author/question.html", form=form, quiz=quiz, module=quiz.module,
                           course=quiz.module.course, question=question), page_status()


@bp.route("/author/quizzes/<int:quiz_id>/questions/new", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_question_new(quiz_id: int):
    quiz = _get(Quiz, quiz_id)
    form = _question_form(None)
    if form.validate_on_submit() and attempt(form, lambda: authoring.save_question(quiz, _question_info(form))):
        flash("The question is added.", "success")
        return redirect(url_for("courses.author_quiz", quiz_id=quiz.id) + "#questions")
    return _question_page(form, quiz, None)


@bp.route("/author/questions/<int:question_id>", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_question(question_id: int):
    question = _get(Question, question_id)
    form = _question_form(question)
    if form.validate_on_submit() and attempt(form, lambda: authoring.save_question(
            question.quiz, _question_info(form), question=question)):
        flash("The question is saved.", "success")
        return redirect(url_for("courses.author_quiz", quiz_id=question.quiz_id) + "#questions")
    return _question_page(form, question.quiz, question)


# --- moving and deleting ------------------------------------------------------------------------------------------

@bp.route("/author/<what>/<int:item_id>/move", methods=["POST"])
@requires(Permission.TRAINER)
def author_move(what: str, item_id: int) -> Response:
    item = _get(ITEMS.get(what) or abort(404), item_id)
    direction = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if direction is None:
        abort(400)
    authoring.move(item, direction)
    db.session.commit()
    return redirect(_back_to(item))


@bp.route("/author/<what>/<int:item_id>/delete", methods=["GET", "POST"])
@requires(Permission.TRAINER)
def author_delete(what: str, item_id: int):
    item = _get(ITEMS.get(what) or abort(404), item_id)
    back = _back_to(item)
    if request.method == "POST":
        name = _name(what, item)
        authoring.delete(item)
        db.session.commit()
        flash(f"{name} is deleted from the draft. Published versions keep it.", "success")
        return redirect(back.split("#")[0] if what == "module" else back)
    return render_template("courses/author/confirm_delete.html", item=item, what=what, name=_name(what, item),
                           course=_course_of(item), back=back)


def _name(what: str, item) -> str:
    if what == "question":
        prompt = item.prompt if len(item.prompt) <= 60 else item.prompt[:57] + "…"
        return f"Question “{prompt}”"
    return f"{what.capitalize()} “{item.title}”"
