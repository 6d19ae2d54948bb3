"""The demo's comms, true of its records: the Northwind layout; a go-live announcement sent to Wave 1 ten days ago
that most people opened and a third followed to the go-live guide (recorded through the same path as a real open or
click, so the report, the awareness counts and the xAPI statements agree); a newsletter scheduled for next Monday
09:00 Berlin time; and a draft reminder to "Wave 2 sales reps who have not completed the sales course".

The announcement's mails are marked as handed to the relay before the demo began (their relay answer says so):
the demo has no mail history of its own to replay."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select, update

from comms import audiences, campaigns, engagement
from comms.models import Layout
from courses import api as courses_api
from lms.extensions import db
from lms.mail.models import OutgoingMail
from lms.people.models import JobRole, RolloutWave
from lms.types import utcnow

ANNOUNCEMENT = """Hello {{ first_name }},

**Wave 1 goes live on the new CRM on Monday.** From then on every customer contact, lead and opportunity lives
there, and the spreadsheets retire.

What to do this week:

{{ due }}

Read [the go-live guide](https://intranet.northwind.example/crm/go-live) and bring your questions to the
floor walkers on Monday morning. Your manager, {{ manager }}, has the list of who to call.

See you on the other side,
the CRM program office
"""

NEWSLETTER = """Hello {{ first_name }},

Two weeks into the rollout, here is what changed in {{ department }}:

- Wave 1 closes its first month with every open opportunity in the CRM.
- The customer portal answers one request in three without a call.
- Wave 2 starts training next week: see [My learning]({{ my_learning_url }}).

Thank you for the kudos you sent: read them on the recognition wall.
"""

REMINDER = """Hello {{ first_name }},

Wave 2 goes live soon and the sales course is still open for you:

{{ due }}

It takes about an hour; [start here]({{ my_learning_url }}).
"""


def seed(people: dict) -> None:
    """Seed the story; ``people``: the demo logins by email (see ``lms.demo``)."""
    office = next((p for email, p in people.items() if email.startswith("office@")), None)
    if office is None:
        return
    db.session.merge(Layout(id=1, company_name="Northwind Supplies", colour="#0b5394", logo_url="",
                            footer="Northwind Supplies · CRM rollout program office"))
    waves = {w.name: w.id for w in db.session.scalars(select(RolloutWave))}
    roles = {r.code: r.id for r in db.session.scalars(select(JobRole))}
    sales_course = next((c.id for c in courses_api.catalogue().courses if c.slug == "crm-sales-rep"), None)
    wave1 = audiences.save("Wave 1", {"field": "wave", "ids": [waves["Wave 1"]]}, audience=None, actor_id=office.id)
    everyone = audiences.save("Everyone active", {"field": "active", "value": True}, audience=None,
                              actor_id=office.id)
    rules = {"op": "all", "rules": [{"field": "job_role", "ids": [roles["sales_rep"]]},
                                    {"field": "wave", "ids": [waves["Wave 2"]]}]}
    if sales_course is not None:
        rules["rules"].append({"op": "not", "rules": [
            {"field": "course_status", "course": sales_course, "status": "completed"}]})
    laggards = audiences.save("Wave 2 sales reps without the sales course", rules, audience=None,
                              actor_id=office.id)

    go_live = campaigns.save(campaigns.CampaignInfo(
        "Wave 1 go-live", "{{ first_name }}, Wave 1 goes live on Monday", "announcement", ANNOUNCEMENT,
        "CRM Program Office", wave1.id), campaign=None, actor=office)
    campaigns.start(go_live, actor_id=office.id)
    sent_at = utcnow() - timedelta(days=10)
    go_live.started_at = go_live.finished_at = sent_at
    go_live.status = "finished"
    db.session.execute(update(OutgoingMail).where(OutgoingMail.source == campaigns.SOURCE,
                                                  OutgoingMail.source_id == go_live.id)
                       .values(status="sent", attempts=1, sent_at=sent_at,
                               smtp_reply="250 demo: handed to the relay before the demo began"),
                       execution_options={"synchronize_session": False})
    rng = random.Random(9)  # noqa: S311 (demo behaviour, not a secret)
    for mail_id in db.session.scalars(select(OutgoingMail.id).where(
            OutgoingMail.source == campaigns.SOURCE, OutgoingMail.source_id == go_live.id).order_by(OutgoingMail.id)):
        if rng.random() < 0.78:
            engagement.record(mail_id, "open")
            if rng.random() < 0.45:
                engagement.record(mail_id, "click", "https://intranet.northwind.example/crm/go-live")

    newsletter = campaigns.save(campaigns.CampaignInfo(
        "Rollout news, week 3", "Rollout news for {{ department }}", "newsletter", NEWSLETTER, "CRM Program Office",
        everyone.id), campaign=None, actor=office)
    zone = campaigns.zone("Europe/Berlin")
    today = utcnow().astimezone(zone).date()
    monday = today + timedelta(days=(7 - today.weekday()) or 7)
    campaigns.schedule(newsletter, datetime.combine(monday, time(9, 0)), "Europe/Berlin", actor=office)

    campaigns.save(campaigns.CampaignInfo(
        "Wave 2: finish the sales course", "{{ first_name }}, your sales course before go-live", "reminder",
        REMINDER, "CRM Program Office", laggards.id), campaign=None, actor=office)
    db.session.flush()
