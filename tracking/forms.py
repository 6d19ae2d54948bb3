"""Forms of the tracking admin pages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from lms.admin.forms import MultiCheckboxField, choices


class LrsClientForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)],
                       description="Which tool uses these credentials, e.g. \"CRM\" or \"Authoring tool\".")
    scopes = MultiCheckboxField("Scopes", choices=choices([("read", "read: fetch statements and documents"),
                                                          ("write", "write: store statements and documents")]),
                                default=["read", "write"])
    submit = SubmitField("Create client")


class RecordsFilterForm(FlaskForm):
    """Filters of the learning records page (a GET form: nothing changes, no CSRF token)."""

    class Meta:
        csrf = False

    person = StringField("Person", validators=[Optional(), Length(max=254)],
                         description="Email or employee id (any email for people outside Rapport).")
    verb = StringField("Verb", validators=[Optional(), Length(max=2048)],
                       description="An ADL verb such as completed, or a verb IRI.")
    activity = StringField("Activity", validators=[Optional(), Length(max=2048)],
                           description="An activity IRI; a course or module also finds what is inside it.")
