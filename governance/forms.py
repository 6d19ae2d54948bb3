"""Forms of the governance pages (Flask-WTF: every posted form carries its CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from lms.admin.forms import MultiCheckboxField, choices, optional_int


class SeatForm(FlaskForm):
    person_id = SelectField("Held by", coerce=optional_int, validators=[Optional()])
    submit = SubmitField("Save")


class NewSeatForm(FlaskForm):
    title = StringField("Seat", validators=[DataRequired(), Length(max=120)],
                        description="For example “Finance SME” or “Data protection officer”.")
    duty = StringField("What the seat is for", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Add seat")


class CadenceForm(FlaskForm):
    cadence_months = SelectField("The board meets every", coerce=int,
                                 choices=choices([(1, "month"), (2, "2 months"), (3, "3 months (quarterly)"),
                                                  (4, "4 months"), (6, "6 months")]))
    submit = SubmitField("Save cadence")


class MeetingForm(FlaskForm):
    scheduled_for = DateField("Date", validators=[DataRequired()])
    title = StringField("Title", validators=[Optional(), Length(max=200)],
                        description="Leave empty for “Governance board, <month year>”.")
    submit = SubmitField("Plan meeting")


class RescheduleForm(FlaskForm):
    scheduled_for = DateField("New date", validators=[DataRequired()])
    submit = SubmitField("Move meeting")


class HoldForm(FlaskForm):
    held_on = DateField("Held on", validators=[DataRequired()])
    submit = SubmitField("Mark as held")


class MinutesForm(FlaskForm):
    minutes = TextAreaField("Minutes", validators=[Optional(), Length(max=50_000)], render_kw={"rows": 10})
    submit = SubmitField("Save minutes")


class DecisionForm(FlaskForm):
    text = TextAreaField("Decision", validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 2})
    submit = SubmitField("Record decision")


class ActionForm(FlaskForm):
    title = StringField("Action", validators=[DataRequired(), Length(max=300)])
    owner_id = SelectField("Owner", coerce=optional_int, validators=[Optional()])
    due_date = DateField("Due", validators=[Optional()])
    goal_id = SelectField("For goal", coerce=optional_int, validators=[Optional()])
    submit = SubmitField("Add action")


class ActionUpdateForm(FlaskForm):
    status = SelectField("Status", choices=choices([("open", "Open"), ("done", "Done"), ("dropped", "Dropped")]))
    owner_id = SelectField("Owner", coerce=optional_int, validators=[Optional()])
    due_date = DateField("Due", validators=[Optional()])
    note = StringField("Note", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Update action")


class GoalForm(FlaskForm):
    title = StringField("Goal", validators=[DataRequired(), Length(max=200)],
                        description="Specific and measurable, e.g. “Move 60% of service requests to self-service”.")
    key = StringField("Key", validators=[DataRequired(), Length(max=80),
                                         Regexp(r"^[a-z0-9][a-z0-9-]*$", message="Lowercase letters, digits and "
                                                                                  "hyphens.")],
                      description="Names the goal in the API and in CSV imports, e.g. self-service-share.")
    metric = StringField("Metric", validators=[DataRequired(), Length(max=200)],
                         description="What is measured, e.g. “Share of service requests made in the portal”.")
    unit = StringField("Unit", validators=[Optional(), Length(max=40)], description="e.g. %, days, €.")
    direction = SelectField("Better when the value goes", choices=choices([("up", "up"), ("down", "down")]))
    baseline = FloatField("Baseline", validators=[InputRequired()])
    baseline_on = DateField("Baseline measured on", validators=[DataRequired()])
    target = FloatField("Target", validators=[InputRequired()])
    deadline = DateField("Deadline", validators=[DataRequired()])
    owner_id = SelectField("Owner", coerce=optional_int, validators=[Optional()])
    description = TextAreaField("Why it matters", validators=[Optional(), Length(max=5000)], render_kw={"rows": 3})
    course_ids = SelectMultipleField("Linked courses", coerce=int, validators=[Optional()],
                                     description="The training this goal depends on (hold Ctrl to pick several).")
    path_ids = SelectMultipleField("Linked learning paths", coerce=int, validators=[Optional()],
                                   description="Every course of a path counts as linked training.")
    auto_metric = SelectField("Measured by", validators=[Optional()],
                              description="An automatic metric records its value every day by itself; otherwise "
                                          "values come by hand, CSV or the API.")
    job_role_ids = MultiCheckboxField("Job roles concerned (none: everyone)", coerce=int, validators=[Optional()])
    department_ids = MultiCheckboxField("Departments concerned (none: everyone)", coerce=int,
                                        validators=[Optional()])
    submit = SubmitField("Save goal")


class ValueForm(FlaskForm):
    measured_on = DateField("Measured on", validators=[DataRequired()])
    value = FloatField("Value", validators=[InputRequired()])
    note = StringField("Note", validators=[Optional(), Length(max=300)])
    submit = SubmitField("Record value")


class ValuesCsvForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired(), FileAllowed(["csv", "txt"], "A .csv file, please.")],
                     description="UTF-8 CSV with a header row; dates YYYY-MM-DD.")
    submit = SubmitField("Import values")


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)],
                       description="The system that will use it, e.g. “Power BI” or “CRM nightly job”.")
    submit = SubmitField("Create token")


class GapFilterForm(FlaskForm):
    """The gap report's filters (a GET form: nothing changes, no CSRF token)."""

    class Meta:
        csrf = False

    by = SelectField("Group by", choices=choices([("department", "Department"), ("job_role", "Job role"),
                                                  ("wave", "Rollout wave"), ("manager", "Manager"),
                                                  ("person", "Person")]), default="department")
    course_id = SelectField("Course", coerce=optional_int, validators=[Optional()])
    path_id = SelectField("Learning path", coerce=optional_int, validators=[Optional()])
    wave_id = SelectField("Rollout wave", coerce=optional_int, validators=[Optional()])
    department_id = SelectField("Department", coerce=optional_int, validators=[Optional()])
    job_role_id = IntegerField("Job role", validators=[Optional(), NumberRange(min=0)])
    manager_id = IntegerField("Manager", validators=[Optional(), NumberRange(min=0)])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1)], default=1)
