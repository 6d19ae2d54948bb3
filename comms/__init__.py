"""Communications plugin.

Rollout newsletters, reminders and recognition for audiences across the organisation: the mail layout and composer
(used by every comms mail), saved audiences by organisation and training status, campaigns sent on the host's one
mail path with their progress, engagement (opens, clicks, unsubscribes) and report.
"""
from lms.permissions import Permission
from lms.plugins import MenuItem, Plugin

plugin = Plugin(
    name="comms",
    title="Communications",
    blueprints=("comms.views:bp", "comms.recognition_views:bp", "comms.automatic_views:bp"),
    models="comms.models",
    migrations="comms.migrations",
    # campaigns' receivers; comms.receivers imports lifecycle's (comms.automatic_events) too
    receivers="comms.receivers",
    workers=("comms.campaigns:start_due", "comms.automatic:tick_due"),  # campaigns; lifecycle's automatic messages
    mail_renderers={"campaign": "comms.sending:render"},
    dependencies=("courses",),
    config={
        # Opens and clicks per delivery, as xAPI statements about the person. Off: campaign totals only (privacy).
        "LMS_COMMS_TRACK_PEOPLE": True,
        "LMS_COMMS_AUTOMATIC_EVERY": 600,  # seconds between the worker's runs of the automatic messages
    },
    menu=(MenuItem("Communications", "comms.campaigns", Permission.PROGRAM_OFFICE, order=40),
          MenuItem("Automatic messages", "automatic.settings", Permission.PROGRAM_OFFICE, order=41),
          MenuItem("Recognition", "recognition.wall", None, order=45)),
    cli="comms.cli:group",  # flask lms comms tick (lifecycle's automatic messages)
)
