"""Tracking plugin.

Every learning event as an xAPI statement: the embedded LRS at /xapi/ (xAPI 1.0.3, HTTP Basic with LRS clients),
forwarding to an external LRS through an outbox, and per-person progress projections.
"""
from lms.permissions import Permission
from lms.plugins import MenuItem, Plugin

plugin = Plugin(
    name="tracking",
    title="Tracking",
    blueprints=("tracking.views:bp", "tracking.xapi_views:bp"),
    cli=("tracking.cli:group", "tracking.cli:lrs_client"),
    workers=("tracking.services_derive:derive_due", "tracking.services_forward:forward_due"),
    receivers="tracking.receivers",
    config={
        "LMS_XAPI_ACTOR": "account",  # "account" (base URL + employee id) or "mbox" (mailto:email)
        "LMS_LRS_FORWARD_URL": None,  # the external LRS, e.g. https://lrs.example.com/xAPI; None: no forwarding
        "LMS_LRS_FORWARD_USERNAME": None,
        "LMS_LRS_FORWARD_PASSWORD": None,
        "LMS_LRS_FORWARD_TIMEOUT": 10,  # seconds per HTTP request to the external LRS
        # The web process derives statements posted to /xapi/ in a background thread too (the worker also does).
        "LMS_XAPI_BACKGROUND_DERIVE": True,
    },
    models="tracking.models",
    migrations="tracking.migrations",
    menu=(MenuItem("Learning records", "tracking.records", Permission.ADMIN, order=80),),
)
