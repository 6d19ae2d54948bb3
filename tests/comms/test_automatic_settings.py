"""The program office switches automatic messages on and off and edits their templates (a bad placeholder is a form
error naming it); ``flask lms comms tick`` and the worker run them."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from comms.models_lifecycle import AutoSetting, AutoTick
from courses.enrolment import enrol, today
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import login, post_form
from tests.courses.builders import build_course


def test_the_program_office_edits_switches_and_previews(app, client, factory):
    office = factory.person(permissions=[Permission.PROGRAM_OFFICE, Permission.LEARNER], name="Olive Office")
    login(client, office)
    page = client.get("/comms/automatic/").get_data(as_text=True)
    assert page.count(">Off<") == 5 and "Reminder before a due date" in page
    edit = client.get("/comms/automatic/reminder")
    assert edit.status_code == 200 and "Preview (for you" in edit.get_data(as_text=True)
    assert "Hello Olive, these courses are due within 3 days" in edit.get_data(as_text=True)
    bad = post_form(client, "/comms/automatic/reminder", {"enabled": "y", "days": "5", "subject": "Due soon",
                                                          "body": "Hello {{ nickname }}"})
    assert bad.status_code == 400 and "unknown placeholder {{ nickname }}" in bad.get_data(as_text=True)
    assert db.session.get(AutoSetting, "reminder") is None
    bad = post_form(client, "/comms/automatic/reminder", {"enabled": "y", "days": "0", "subject": "Due soon",
                                                          "body": "Hello"})
    assert bad.status_code == 400 and "Between 1 and 60" in bad.get_data(as_text=True)
    body = "Within {{ extra.days }} days:\n\n{{ extra.due_soon }}"
    good = post_form(client, "/comms/automatic/reminder", {"enabled": "y", "days": "5",
                                                           "subject": "{{ first_name }}, due soon", "body": body})
    assert good.status_code == 302
    row = db.session.get(AutoSetting, "reminder")
    assert (row.enabled, row.days, row.subject) == (True, 5, "{{ first_name }}, due soon")
    frame = client.get("/comms/automatic/reminder/preview.html")
    assert frame.headers["Content-Security-Policy"].startswith("sandbox") and "Lead to cash" in frame.get_data(
        as_text=True)
    post_form(client, "/comms/automatic/welcome/switch", {"enabled": "1"}, form_url="/comms/automatic/")
    db.session.expire_all()
    assert db.session.get(AutoSetting, "welcome").enabled
    post_form(client, "/comms/automatic/reminder/switch", {"enabled": "0"}, form_url="/comms/automatic/")
    db.session.expire_all()
    assert not db.session.get(AutoSetting, "reminder").enabled
    assert db.session.get(AutoSetting, "reminder").days == 5  # switching keeps the template
    assert client.get("/comms/automatic/nonsense").status_code == 404


def test_cli_tick_and_the_worker_send_reminders(app, factory, inbox):
    office = factory.person(permissions=[Permission.PROGRAM_OFFICE])
    rep = factory.person(name="Ray Rep", email="ray@example.com")
    enrol(rep, build_course("crm-basics"), due_date=today() + timedelta(days=3))
    db.session.commit()
    from comms import automatic_settings

    automatic_settings.switch("reminder", True, actor_id=office.id)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "comms", "tick", "--date", (today() - timedelta(days=1)).isoformat()])
    assert result.exit_code == 0 and "0 automatic mail(s)" in result.output  # due in 4 days: not yet
    result = runner.invoke(args=["lms", "comms", "tick", "--date", "not-a-date"])
    assert result.exit_code != 0 and "not-a-date" in result.output
    result = runner.invoke(args=["lms", "worker", "--once"])  # the worker ticks (it never ran) and sends
    assert result.exit_code == 0, result.output
    assert "comms: 1 automatic mail(s) with 1 item(s)" in result.output
    runner.invoke(args=["lms", "worker", "--once"])
    inbox.wait_for(1)
    assert inbox.messages[0]["To"].addresses[0].addr_spec == "ray@example.com"
    assert db.session.scalar(select(AutoTick.last_run_at)) is not None
    result = runner.invoke(args=["lms", "comms", "tick"])
    assert "0 automatic mail(s)" in result.output
