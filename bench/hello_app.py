"""A bare Flask hello-world: the baseline that bench/lesson_page.py serves next to Rapport."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, world!"
