"""How courses reacts to the host's signals."""
from __future__ import annotations

import random

from courses import demo, enrolment, library
from lms import signals
from lms.plugins import receiver


@receiver(signals.people_joined, "courses")
def assign_paths_to_joiners(sender, person_ids: list[int], **kwargs) -> None:
    """New people get every path whose rules match them, the new-hire path for their role included."""
    enrolment.assign_paths(person_ids)


@receiver(signals.people_changed_role, "courses")
def assign_paths_for_new_roles(sender, changes: list[tuple[int, int | None, int | None]], **kwargs) -> None:
    """A person who changes role gets the new role's paths; the old role's unfinished paths are withdrawn (what
    they completed stays completed)."""
    person_ids = [person_id for person_id, _old, _new in changes]
    enrolment.withdraw_unmatched(person_ids)
    enrolment.assign_paths(person_ids)


@receiver(signals.demo_seeded, "courses")
def load_starter_library(sender, people, **kwargs) -> None:
    """The demo gets the starter course packs and paths, assigned to everyone they match."""
    from sqlalchemy import select

    from courses import media
    from lms.extensions import db
    from lms.people.models import Person

    for host in ("www.youtube-nocookie.com", "player.vimeo.com", "docs.google.com"):
        media.add_host(host, actor_id=None)
    library.import_library(library.STARTER, actor_id=None)
    enrolment.assign_paths(list(db.session.scalars(select(Person.id))))
    db.session.commit()
    # The demo logins start fresh; their colleagues are part-way through (a fixed seed: the same demo each time),
    # having learned over the weeks since their wave's training began.
    demo.backdate_rollout(skip_emails=set(people))
    demo.simulate_learning(random.Random(2026), skip_emails=set(people))  # noqa: S311 (not a secret)
