"""Governance plugin.

The board (seats and who holds them), its meetings, decisions and actions, the program's measurable goals and
their values, and the training-gap report that links gaps to the goals they threaten, for the executive sponsor
and the board; the governance pack as a PDF.
"""
from governance.access import SEE_BOARD, SEE_REPORT
from lms.permissions import Permission
from lms.plugins import MenuItem, Plugin

plugin = Plugin(
    name="governance",
    title="Governance",
    blueprints=("governance.views:bp", "governance.views_api:bp"),
    models="governance.models",
    receivers="governance.receivers",
    cli="governance.cli:group",
    migrations="governance.migrations",
    workers=("governance.services_readmodel:refresh_due", "governance.services_auto:record_due"),
    home_panels=("governance.panels:warnings",),
    dependencies=("courses", "tracking"),
    menu=(MenuItem("Governance", "governance.dashboard", SEE_BOARD, order=60),
          MenuItem("Training gaps", "governance.gaps", SEE_REPORT, order=61),
          MenuItem("API tokens", "governance.tokens", Permission.ADMIN, order=85)),
)
