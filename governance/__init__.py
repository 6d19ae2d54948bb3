"""Governance plugin.

Training gaps by department, role and wave, against the program's goals, for the executive sponsor and board.
"""
from lms.permissions import Permission
from lms.plugins import MenuItem, Plugin

plugin = Plugin(
    name="governance",
    title="Governance",
    blueprints=("governance.views:bp",),
    menu=(MenuItem("Governance", "governance.board", Permission.SPONSOR, order=60),),
)
