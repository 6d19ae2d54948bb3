"""The courses blueprint: the learner's pages (``learner``) and the trainer's authoring pages (``author``)."""
from flask import Blueprint

bp = Blueprint("courses", __name__, url_prefix="/learning", template_folder="../templates",
               static_folder="../static", static_url_path="/static")

# Modules whose routes register on bp:
from courses.views import (  # noqa: E402,F401
    author,
    author_content,
    bank,
    catalogue,
    learner,
    media,
    paths,
    people,
    preview,
    results,
)
