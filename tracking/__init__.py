"""Tracking plugin.

Every learning event as an xAPI statement: the embedded LRS and forwarding to an external LRS.
"""
from lms.permissions import Permission
from lms.plugins import MenuItem, Plugin

plugin = Plugin(
    name="tracking",
    title="Tracking",
    blueprints=("tracking.views:bp",),
    menu=(MenuItem("Learning records", "tracking.records", Permission.ADMIN, order=80),),
)
