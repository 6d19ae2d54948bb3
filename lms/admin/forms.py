from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from lms.permissions import Permission


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def optional_int(value):
    """Coerce for a select whose empty choice means "none": "" (and "None", as WTForms renders None) is None."""
    return int(value) if value not in (None, "", "None") else None


class ConfirmForm(FlaskForm):
    """A form that is only a button (start, pause, delete, revoke, nudge, a switch...): the CSRF token is all it
    carries. Every package's one-button forms use this one; the template writes the button's own words."""

    submit = SubmitField("Confirm")


class PersonForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    employee_id = StringField("Employee id", validators=[Optional(), Length(max=64)])
    job_role_id = SelectField("Job role", coerce=optional_int, validators=[Optional()])
    department_id = SelectField("Department", coerce=optional_int, validators=[Optional()])
    wave_id = SelectField("Rollout wave", coerce=optional_int, validators=[Optional()])
    manager = StringField("Manager", validators=[Optional(), Length(max=254)],
                          description="The manager's email or employee id; leave empty for none.")
    hire_date = DateField("Hire date", validators=[Optional()])
    permissions = MultiCheckboxField("Permissions", choices=choices((p.value, p.label) for p in Permission))
    submit = SubmitField("Save")


class NewPersonForm(PersonForm):
    invite = BooleanField("Invite by mail", default=True,
                          description="Send a welcome mail with a link to set their password.")
    submit = SubmitField("Save")


class RosterUploadForm(FlaskForm):
    roster = FileField("Roster CSV file", validators=[FileRequired(), FileAllowed(["csv"], "Upload a .csv file.")],
                       description="Columns: email, name, and optionally employee_id, job_role, department, "
                                   "manager, hire_date, wave, active, permissions.")
    dry_run = BooleanField("Dry run: check the file and show what would change, without saving")
    invite = BooleanField("Invite the new people by mail",
                          description="Each person the file adds gets a welcome mail with a link to set a password.")
    submit = SubmitField("Import")


class OrgItemForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    submit = SubmitField("Save")


class JobRoleForm(OrgItemForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=60),
                                           Regexp(r"^[a-z][a-z0-9_]*$",
                                                  message="Lowercase letters, digits and underscores.")],
                       description="Used in roster files and course packs, e.g. sales_rep.")


class WaveForm(OrgItemForm):
    go_live = DateField("Go-live date", validators=[Optional()])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    who = StringField("Person", validators=[Optional(), Length(max=254)],
                      description="Part of the email of who acted, or of what it was done to.")
    action = StringField("Action", validators=[Optional(), Length(max=80)],
                         description="An action (auth.sign_in_failed) or its area (auth).",
                         render_kw={"list": "audit-actions"})
    since = DateField("From (UTC)", validators=[Optional()])
    until = DateField("To (UTC)", validators=[Optional()])


class PeopleFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    department = SelectField("Department", coerce=optional_int, validators=[Optional()])
    job_role = SelectField("Job role", coerce=optional_int, validators=[Optional()])
    wave = SelectField("Wave", coerce=optional_int, validators=[Optional()])
    permission = SelectField("Permission", choices=choices([("", "Any")] + [(p.value, p.label) for p in Permission]),
                             validators=[Optional()])
    status = SelectField("Status", choices=choices([("active", "Active"), ("inactive", "Inactive"), ("all", "All")]),
                         default="active")


class MailLogFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Address or subject", validators=[Optional(), Length(max=200)])
    status = SelectField("Status", choices=choices([("", "Any"), ("queued", "Queued"), ("held", "Held (paused)"),
                                                    ("sending", "Being sent"), ("sent", "Sent"),
                                                    ("unconfirmed", "Sent, not confirmed"), ("bounced", "Bounced"),
                                                    ("failed", "Failed"), ("skipped", "Skipped"),
                                                    ("cancelled", "Cancelled")]), validators=[Optional()])
    source = SelectField("Sent by", validators=[Optional()])


class TestMailForm(FlaskForm):
    to_address = EmailField("Send a test mail to", validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField("Send a test mail")
