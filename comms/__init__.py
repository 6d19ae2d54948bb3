"""Communications plugin.

Rollout newsletters, reminders and recognition for audiences across the organisation.
"""
from lms.permissions import Permission
from lms.plugins import MenuItem, Plugin

plugin = Plugin(
    name="comms",
    title="Communications",
    blueprints=("comms.views:bp",),
    menu=(MenuItem("Communications", "comms.campaigns", Permission.PROGRAM_OFFICE, order=40),),
)
