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
    menu=(MenuItem("My learning", "courses.learning", Permission.LEARNER, order=10),),
)
