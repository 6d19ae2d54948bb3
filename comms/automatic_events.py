"""Signal receivers of lifecycle's comms parts: what automatic messages are waiting for (a new hire's welcome, a
completed path), and the demo's recognition and automatic messages."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from comms.models_lifecycle import AutoEvent
from lms import signals
from lms.extensions import db
from lms.people.models import Person
from lms.plugins import receiver
from lms.types import utcnow


@receiver(signals.people_joined, "comms")
def welcome_new_hires(sender, person_ids: list[int], **_):
    """New hires (hired within ``LMS_NEW_HIRE_DAYS``) get the welcome mail at the next tick, if it is switched on."""
    today = utcnow().date()
    since = today - timedelta(days=int(current_app.config.get("LMS_NEW_HIRE_DAYS", 90)))
    for start in range(0, len(person_ids), 1000):
        chunk = person_ids[start:start + 1000]
        hires = db.session.scalars(select(Person.id).where(Person.id.in_(chunk), Person.hire_date.is_not(None),
                                                           Person.hire_date >= since))
        db.session.add_all([AutoEvent(person_id=pid, kind="welcome", key="welcome") for pid in hires])


@receiver(signals.path_completed, "comms")
def congratulate(sender, event: signals.PathEvent, **_):
    db.session.add(AutoEvent(person_id=event.learner.person_id, kind="congrats", key=f"path:{event.assignment_id}",
                             detail={"path_title": event.path_title}))


@receiver(signals.demo_seeded, "comms")
def demo_content(sender, people: dict, **_):
    from comms.automatic_demo import seed

    seed(people)
