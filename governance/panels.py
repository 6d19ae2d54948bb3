"""The governance panel on the host's home page (``Plugin.home_panels``): vacant board seats, above all a vacant
or deactivated executive sponsor, as a red warning for the people who run the program."""
from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from governance import access


def warnings(person) -> Markup | None:
    """Red warnings for the program office, the sponsor and board members; nothing for anyone else."""
    if not access.sees_everything(person):
        return None
    from governance.services_board import vacancies

    found = vacancies()
    if not found:
        return None
    html = render_template("governance/_home_panel.html", board_vacancies=found, on_home=True)
    return Markup(html)  # noqa: S704 (rendered by Jinja, autoescaped)
