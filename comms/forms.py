"""Forms of the comms pages (Flask-WTF: every posted form carries its CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from comms.audiences import TRAINING_STATUSES
from comms.models import CAMPAIGN_CATEGORIES, CATEGORY_LABELS
from lms.admin.forms import choices, optional_int


class CampaignForm(FlaskForm):
    name = StringField("Campaign name", validators=[Optional(), Length(max=200)],
                       description="For you; recipients see the subject. Empty: the subject.")
    subject = StringField("Subject", validators=[DataRequired(), Length(max=300)])
    sender_name = StringField("Sender name", validators=[Optional(), Length(max=120)],
                              description="Shown as who the mail is from, e.g. “CRM Program Office”.")
    category = SelectField("Category", choices=choices([(c, CATEGORY_LABELS[c][:-1]) for c in CAMPAIGN_CATEGORIES]),
                           description="People may leave newsletters and recognition; announcements and reminders "
                                       "about required training always arrive.")
    audience_id = SelectField("Audience", coerce=optional_int, validators=[Optional()])
    body = TextAreaField("Message (Markdown)", validators=[Length(max=20_000)], render_kw={"rows": 14},
                         description="Placeholders: {{ first_name }}, {{ last_name }}, {{ job_role }}, "
                                     "{{ department }}, {{ manager }}, {{ due }} (their open courses with due dates "
                                     "and links), {{ my_learning_url }}.")


class ScheduleForm(FlaskForm):
    send_at = DateTimeLocalField("Send at", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                 validators=[DataRequired(message="Choose a date and time.")])
    timezone = StringField("Time zone", validators=[DataRequired(), Length(max=60)], default="UTC",
                           render_kw={"list": "timezones"}, description="For example Europe/Berlin.")
    submit = SubmitField("Schedule")


class LayoutForm(FlaskForm):
    company_name = StringField("Company name", validators=[Optional(), Length(max=120)])
    colour = StringField("Colour", validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$",
                                                                        message="Use a colour like #1f5fa8.")],
                         render_kw={"type": "color"})
    logo_url = StringField("Logo address", validators=[Optional(), Length(max=500), Regexp(
        r"^(https://\S+|/\S*)$", message="Use an https:// address or a path on this site.")])
    footer = StringField("Footer line", validators=[Optional(), Length(max=500)],
                         description="For example the company's address.")
    submit = SubmitField("Save layout")


class AudienceForm(FlaskForm):
    """The audience builder: each filled-in condition counts; "exclude" turns one into "is not"."""

    name = StringField("Audience name", validators=[Optional(), Length(max=120)])
    match = SelectField("People who match", choices=choices([("all", "all of these conditions"),
                                                     ("any", "any of these conditions")]))
    job_roles = SelectMultipleField("Job role", coerce=int, validators=[Optional()])
    job_roles_not = BooleanField("exclude")
    departments = SelectMultipleField("Department", coerce=int, validators=[Optional()])
    departments_not = BooleanField("exclude")
    waves = SelectMultipleField("Rollout wave", coerce=int, validators=[Optional()])
    waves_not = BooleanField("exclude")
    manager = SelectField("Manager", coerce=optional_int, validators=[Optional()])
    manager_scope = SelectField("Whose people",
                                choices=choices([("direct", "direct reports"), ("team", "whole team")]))
    manager_not = BooleanField("exclude")
    hired_from = DateField("Hired from", validators=[Optional()])
    hired_to = DateField("Hired until", validators=[Optional()])
    hired_not = BooleanField("exclude")
    permission = SelectField("Permission", validators=[Optional()])
    permission_not = BooleanField("exclude")
    active = SelectField("Active", choices=choices([("", "active people"), ("inactive", "deactivated people (counted, "
                                                                              "never mailed)")]))
    course = SelectField("Course", coerce=optional_int, validators=[Optional()])
    course_status = SelectField("Status in the course",
                                choices=choices([(s, s.replace("_", " ")) for s in TRAINING_STATUSES]))
    course_not = BooleanField("exclude")
    path = SelectField("Learning path", coerce=optional_int, validators=[Optional()])
    path_status = SelectField("Status in the path",
                              choices=choices([(s, s.replace("_", " ")) for s in TRAINING_STATUSES]))
    path_not = BooleanField("exclude")
    quiz = SelectField("Failed the quiz", validators=[Optional()])
    quiz_not = BooleanField("exclude")
    overdue = BooleanField("Has anything overdue")
    overdue_not = BooleanField("exclude")
    audience = SelectField("In the saved audience", coerce=optional_int, validators=[Optional()])
    audience_not = BooleanField("exclude")


class PreferencesForm(FlaskForm):
    newsletter = BooleanField("Newsletters: rollout news and stories")
    recognition = BooleanField("Recognition: kudos and successes")
    submit = SubmitField("Save my preferences")
