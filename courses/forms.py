"""WTForms for the trainer's authoring pages. Views fill in the choices that come from the database."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, StopValidation

from courses.markdown import MAX_LESSON_CHARS, check
from courses.models import QUESTION_TYPES, TRAINING_KINDS
from lms.admin.forms import MultiCheckboxField, choices

OPTION_ROWS = 6
SLUG_RULE = Regexp(r"^[a-z0-9][a-z0-9-]*$", message="Lowercase letters, digits and hyphens.")


class CourseForm(FlaskForm):
    slug = StringField("Slug", validators=[DataRequired(), Length(max=80), SLUG_RULE],
                       description="Part of the course's address and of learning records, e.g. pipeline-basics. "
                                   "It cannot change once the course is published.")
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Training kind", choices=choices(TRAINING_KINDS.items()))
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})
    estimated_minutes = IntegerField("Estimated minutes", default=0,
                                     validators=[Optional(), NumberRange(min=0, max=10_000)])
    job_role_ids = MultiCheckboxField("Target job roles", coerce=int)
    submit = SubmitField("Save course")


class ModuleForm(FlaskForm):
    slug = StringField("Slug", validators=[DataRequired(), Length(max=80), SLUG_RULE],
                       description="Unique in this course, e.g. pipeline-stages. Remedial quizzes name modules "
                                   "as course-slug/module-slug.")
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})
    submit = SubmitField("Save module")


def renderable_markdown(form, field) -> None:
    """The lesson body must pass :func:`courses.markdown.check` (bounded rendering); each problem names its line."""
    for line, message in check(field.data or ""):
        field.errors.append(f"Line {line}: {message}")
    if field.errors:
        raise StopValidation()


class LessonForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    minutes = IntegerField("Minutes to read", default=5, validators=[InputRequired(), NumberRange(min=1, max=600)])
    body = TextAreaField("Lesson text (Markdown)", validators=[Optional(), renderable_markdown],
                         description=f"Markdown with tables, fenced code and admonitions (!!! tip), up to "
                                     f"{MAX_LESSON_CHARS:,} characters. Raw HTML, scripts and links other than "
                                     "http, https and mailto are removed.",
                         render_kw={"rows": 22, "spellcheck": "true"})
    save = SubmitField("Save lesson")
    preview = SubmitField("Preview")


class QuizForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    pass_mark = IntegerField("Pass mark (%)", default=75, validators=[InputRequired()])
    max_attempts = IntegerField("Attempts allowed", default=3, validators=[Optional(), NumberRange(min=0, max=100)],
                                description="0 means unlimited.")
    draw = IntegerField("Questions drawn per attempt", validators=[Optional(), NumberRange(min=1, max=1000)],
                        description="Leave empty to ask every question; a number draws that many at random.")
    remedial = SelectField("Remedial module", validate_choice=False,
                           description="Failing the quiz assigns this module; the next attempt opens after it.")
    submit = SubmitField("Save quiz")


class OptionForm(Form):
    """One answer option row; a row without text is ignored."""

    text = StringField("Option text", validators=[Optional(), Length(max=1000)])
    correct = BooleanField("Right answer")
    explanation = StringField("Explanation", validators=[Optional(), Length(max=2000)])


class QuestionForm(FlaskForm):
    type = SelectField("Question type", choices=choices(QUESTION_TYPES.items()))
    topic = StringField("Topic", validators=[Optional(), Length(max=80)],
                        description="Groups questions in reports of weak topics, e.g. forecasting.")
    prompt = TextAreaField("Question", validators=[DataRequired(), Length(max=4000)], render_kw={"rows": 3})
    explanation = TextAreaField("Explanation shown after answering", validators=[Optional(), Length(max=4000)],
                                render_kw={"rows": 2})
    answer = RadioField("The statement is", choices=choices([("true", "True"), ("false", "False")]), default="true")
    options = FieldList(FormField(OptionForm), min_entries=OPTION_ROWS, max_entries=OPTION_ROWS)
    submit = SubmitField("Save question")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options_errors: list[str] = []


class PublishForm(FlaskForm):
    requires_recompletion = BooleanField(
        "Requires re-completion", description="Everyone who completed an earlier version is enrolled again.")
    note = TextAreaField("What changed", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    submit = SubmitField("Publish")


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class PackUploadForm(FlaskForm):
    pack = FileField("Course pack (.zip)", validators=[FileRequired(), FileAllowed(["zip"], "Upload a .zip file.")],
                     description="A zip of course.yaml, lessons/*.md and quizzes/*.yaml. A course with the same "
                                 "slug has its draft replaced.")
    publish = BooleanField("Publish a new version if the content changed")
    submit = SubmitField("Import")
