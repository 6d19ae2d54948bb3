"""Adoption plugin.

CRM usage next to training: daily usage counts from the CRM's xAPI statements (or a CSV), the adoption report by
team, department, wave and role, adoption as a program-goal metric, ADKAR readiness per person and team, the
manager's stewardship page with coaching notes, nudges and a weekly digest, and incentives: points, a team
leaderboard and badges issued as Open Badges 3.0 credentials.
"""
from adoption.access import SEE_REPORT, SEE_TEAM
from lms.permissions import Permission
from lms.plugins import MenuItem, Plugin

plugin = Plugin(
    name="adoption",
    title="Adoption",
    blueprints=("adoption.views:bp", "adoption.views_public:bp"),
    models="adoption.models",
    receivers="adoption.receivers",
    cli="adoption.cli:group",
    migrations="adoption.migrations",
    workers=("adoption.readmodel:refresh_due", "adoption.coaching:send_digests"),
    dependencies=("courses", "tracking"),
    config={
        "LMS_CRM_ACTIVITY_TYPE": "urn:rapport:crm-record",  # the activity type that marks a CRM usage statement
        "LMS_BADGE_KEY_FILE": None,  # the badge signing key (PEM); None: badge-key.pem in the instance folder
    },
    menu=(MenuItem("Adoption", "adoption.report_page", SEE_REPORT, order=62),
          MenuItem("Stewardship", "adoption.manager_page", SEE_TEAM, order=63),
          MenuItem("My adoption", "adoption.mine", Permission.LEARNER, order=64)),
)
