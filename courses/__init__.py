"""Courses plugin.

Courses, lessons, quizzes and learning paths for your role.
"""
from lms.permissions import Permission
from lms.plugins import MenuItem, Plugin

plugin = Plugin(
    name="courses",
    title="Courses",
    blueprints=("courses.views:bp",),
    models="courses.models",
    receivers="courses.receivers",
    cli="courses.cli:group",
    migrations="courses.migrations",
    config={
        "LMS_NEW_HIRE_DAYS": 90,  # people hired this many days ago or later count as new hires
        "LMS_RECOMPLETION_DAYS": 30,  # days to re-complete a course whose new version requires it
        "LMS_MEDIA_MAX_BYTES": 5 * 1024 * 1024,  # largest lesson image
        "LMS_MEDIA_URL": None,  # lesson images from a CDN or bucket mirroring <instance>/media (default: served here)
    },
    menu=(MenuItem("My learning", "courses.learning", Permission.LEARNER, order=10),
          # The team page with each report's learning stands in for the host's plain one.
          MenuItem("My team", "courses.team", Permission.MANAGER, order=20, replaces="home.team"),
          MenuItem("Authoring", "courses.author_index", Permission.TRAINER, order=30),
          MenuItem("Learning paths", "courses.author_paths", Permission.PROGRAM_OFFICE, order=35)),
)
