"""WTForms for the trainer's authoring pages. Views fill in the choices that come from the database."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
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
from courses.models import FEEDBACK, QUESTION_TYPES, TRAINING_KINDS
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
    min_lesson_seconds = IntegerField("Minimum seconds on a lesson", default=0,
                                      validators=[Optional(), NumberRange(min=0, max=3600)],
                                      description="A lesson can be marked complete only after this long on it; "
                                                  "0 for no minimum.")
    require_scroll = BooleanField("Learners scroll to the end of a lesson before marking it complete")
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
    slug = StringField("Address (slug)", validators=[Optional(), Length(max=80), SLUG_RULE],
                       description="The lesson's readable address and pack file name; made from the title when "
                                   "empty. Old addresses keep working.")
    minutes = IntegerField("Minutes to read", default=5, validators=[InputRequired(), NumberRange(min=1, max=600)])
    body = TextAreaField("Lesson text (Markdown)", validators=[Optional(), renderable_markdown],
                         description=f"Markdown with tables, fenced code and admonitions (!!! tip), up to "
                                     f"{MAX_LESSON_CHARS:,} characters. Raw HTML, scripts, links other than "
                                     "http, https and mailto, and images other than https or uploads are refused, "
                                     "in the editor as in course packs.",
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
    feedback = SelectField("After a failed attempt, show", choices=choices(FEEDBACK.items()), default="final")
    lessons_first = BooleanField("The quiz opens only when the module's lessons are done")
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
    shuffle = BooleanField("Shuffle the options for each attempt", default=True,
                           description="Turn off when the order carries meaning (\"all of the above\"). True or "
                                       "false questions are never shuffled.")
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


# --- learning paths -------------------------------------------------------------------------------------------------

COURSE_ROWS = 8
RULE_ROWS = 4


def _optional_id(value):
    return int(value) if value not in (None, "", "None") else None


class RuleForm(Form):
    """One assignment rule; a row with nothing chosen is ignored."""

    job_role_id = SelectField("Job role", coerce=_optional_id, validate_choice=False)
    department_id = SelectField("Department", coerce=_optional_id, validate_choice=False)
    wave_id = SelectField("Rollout wave", coerce=_optional_id, validate_choice=False)
    new_hire = SelectField("Hire date", choices=choices([("", "Anyone"), ("yes", "New hires only"),
                                                         ("no", "Not new hires")]),
                           validate_choice=False, default="")


class PathForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    slug = StringField("Slug", validators=[DataRequired(), Length(max=80), SLUG_RULE],
                       description="Used in paths files and reports, e.g. rollout-sales.")
    kind = SelectField("Training kind", choices=choices(TRAINING_KINDS.items()), default="crm_application")
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=4000)], render_kw={"rows": 2})
    ordered = BooleanField("Taken in order: each course opens when the one before it is done", default=True)
    courses = FieldList(SelectField("Course", coerce=_optional_id, validate_choice=False),
                        min_entries=COURSE_ROWS, max_entries=COURSE_ROWS)
    rules = FieldList(FormField(RuleForm), min_entries=RULE_ROWS, max_entries=RULE_ROWS)
    due_mode = RadioField("Due", choices=choices([("none", "No due date"), ("date", "On a date"),
                                                  ("hire_date", "A number of days after the hire date"),
                                                  ("assignment", "A number of days after assignment")]),
                          default="none")
    due_date = DateField("Due date", validators=[Optional()])
    due_days = IntegerField("Days", validators=[Optional(), NumberRange(min=0, max=3650)])
    recertify_months = IntegerField("Recertify every (months)", validators=[Optional(), NumberRange(min=1, max=120)],
                                    description="Leave empty for no recertification.")
    active = BooleanField("Active: the rules assign the path", default=True)
    check = SubmitField("Preview who matches")
    submit = SubmitField("Save path")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.courses_errors: list[str] = []


# --- assignment by hand and overrides ---------------------------------------------------------------------------

class AssignForm(FlaskForm):
    course_id = SelectField("Course", coerce=_optional_id, validate_choice=False)
    path_id = SelectField("Or a learning path", coerce=_optional_id, validate_choice=False)
    person_ids = MultiCheckboxField("People in your team", coerce=int, validate_choice=False)
    people = TextAreaField("People", validators=[Optional(), Length(max=100_000)], render_kw={"rows": 4},
                           description="Emails or employee ids, one per line.")
    whole_team = BooleanField("Everyone who reports to me (directly or not)")
    team_of = StringField("Everyone who reports to this manager (email)", validators=[Optional(), Length(max=254)])
    due_date = DateField("Due date", validators=[Optional()])
    submit = SubmitField("Assign")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.people_errors: list[str] = []


class WaiveForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])
    submit = SubmitField("Waive")


class DueForm(FlaskForm):
    due_date = DateField("New due date", validators=[Optional()], description="Empty: no due date.")
    submit = SubmitField("Change due date")


class ExtraAttemptsForm(FlaskForm):
    quiz_key = HiddenField(validators=[DataRequired()])
    extra = IntegerField("Extra attempts", default=1, validators=[InputRequired(), NumberRange(min=1, max=10)])
    submit = SubmitField("Grant")


class ResetAttemptForm(FlaskForm):
    submit = SubmitField("Reset attempt")


# --- media --------------------------------------------------------------------------------------------------------

class ImageUploadForm(FlaskForm):
    image = FileField("Image (PNG, JPEG, GIF or WebP)", validators=[FileRequired()],
                      description="Checked by its content; at most 5 MiB. You get the Markdown to paste into a lesson.")
    submit = SubmitField("Upload")


class EmbedHostForm(FlaskForm):
    host = StringField("Host", validators=[DataRequired(), Length(max=200)],
                       description="e.g. www.youtube-nocookie.com, player.vimeo.com, docs.google.com")
    submit = SubmitField("Allow embeds from this host")


# --- question bank and duplication --------------------------------------------------------------------------------

class BankImportForm(FlaskForm):
    file = FileField("Questions file", validators=[FileRequired()],
                     description="GIFT (Moodle's text format, .gift or .txt) or CSV with the columns type, topic, "
                                 "prompt, option1 .. option6, correct, explanation.")
    format = SelectField("Format", choices=choices([("gift", "GIFT"), ("csv", "CSV")]))
    submit = SubmitField("Import into the bank")


class BankPickForm(FlaskForm):
    question_ids = MultiCheckboxField("Questions", coerce=int)
    submit = SubmitField("Add to the quiz")


class DuplicateForm(FlaskForm):
    title = StringField("Title of the copy", validators=[DataRequired(), Length(max=200)])
    slug = StringField("Slug of the copy", validators=[DataRequired(), Length(max=80), SLUG_RULE])
    submit = SubmitField("Duplicate")
