"""How comms reacts to the host's signals: the demo gets its campaigns (see :mod:`comms.demo`)."""
from __future__ import annotations

from lms import signals
from lms.plugins import receiver


@receiver(signals.demo_seeded, "comms")
def seed_demo(sender, people, **kwargs) -> None:
    """A sent go-live announcement with opens and clicks, a scheduled newsletter, a draft reminder."""
    from comms.demo import seed

    seed(people)


# lifecycle's receivers (automatic messages, the demo's kudos): one Plugin.receivers module imports both
import comms.automatic_events  # noqa: E402,F401
