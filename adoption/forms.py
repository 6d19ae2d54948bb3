"""Adoption's forms (Flask-WTF: every one carries a CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from lms.admin.forms import choices, optional_int


class UsageImportForm(FlaskForm):
    file = FileField("Usage CSV", validators=[FileRequired("Choose a CSV file.")],
                     description="Columns: person (employee id or email), date (YYYY-MM-DD), kind (logged-in, "
                                 "created:opportunity, ...), count.")
    submit = SubmitField("Import")


class PulseForm(FlaskForm):
    question = StringField("Question", validators=[DataRequired(), Length(max=300)])
    audience = SelectField("Send to", choices=choices([("required", "Everyone required to use the CRM")]))
    submit = SubmitField("Send the pulse survey")


class AnswerForm(FlaskForm):
    survey_id = HiddenField()
    answer = SelectField("Your answer", coerce=int, choices=choices([(n, str(n)) for n in range(1, 6)]))
    submit = SubmitField("Send my answer")


class BadgeRuleForm(FlaskForm):
    name = StringField("Badge name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("What it recognises", validators=[Optional(), Length(max=1000)])
    kind = SelectField("Awarded for", choices=choices([
        ("path", "Complete a learning path"), ("quiz_first_time", "Pass a quiz at the first attempt"),
        ("crm_weeks", "Use the CRM in N weeks after training")]))
    path_id = SelectField("Learning path", coerce=optional_int, validators=[Optional()])
    quiz = SelectField("Quiz", validators=[Optional()])
    weeks = IntegerField("Weeks of CRM use", validators=[Optional(), NumberRange(min=1, max=104)])
    colour = StringField("Colour", default="#1f6feb",
                         validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$", message="A colour like #1f6feb.")])
    submit = SubmitField("Save the badge")


class RevokeForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(), Length(max=300)])
    submit = SubmitField("Revoke")


class NoteForm(FlaskForm):
    text = TextAreaField("Coaching note", validators=[DataRequired(), Length(max=4000)],
                         description="Only you and this person can read it.")
    submit = SubmitField("Add note")


class SwitchForm(FlaskForm):
    on = BooleanField("On")
    submit = SubmitField("Save")


class OptOutForm(FlaskForm):
    opt_out = BooleanField("Leave me off the team leaderboard")
    submit = SubmitField("Save")
