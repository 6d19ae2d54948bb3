"""Forms of the tracking admin pages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from lms.admin.forms import MultiCheckboxField, choices


class LrsClientForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)],
                       description="Which tool uses these credentials, e.g. \"CRM\" or \"Authoring tool\".")
    scopes = MultiCheckboxField("Scopes", choices=choices([("read", "read: fetch statements and documents"),
                                                          ("write", "write: store statements and documents")]),
                                default=["read", "write"])
    submit = SubmitField("Create client")


class ConfirmForm(FlaskForm):
    """A button that only posts (revoke, retry): the CSRF token is all it carries."""

    submit = SubmitField("Confirm")
