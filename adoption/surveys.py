"""Pulse surveys (ADKAR Desire): the program office sends a 1-5 question through comms; each recipient's mail
carries five signed answer links (``extra.answer_1`` .. ``extra.answer_5``, reached without signing in), and the
same question can be answered in Rapport on "My adoption"."""
from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app
from sqlalchemy import select

from adoption import comms_link
from adoption.models import PulseAnswer, PulseSurvey
from adoption.usage import mark_dirty
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.people.models import Person
from lms.types import utcnow

QUESTION = "How much do you want to work with the new CRM? (1 = not at all, 5 = very much)"
BODY = """Hello {{ first_name }},

{question}

One click answers (no sign-in needed):

- [1: not at all]({{ extra.answer_1 }})
- [2]({{ extra.answer_2 }})
- [3]({{ extra.answer_3 }})
- [4]({{ extra.answer_4 }})
- [5: very much]({{ extra.answer_5 }})

You can also answer on your "My adoption" page in Rapport.
"""


def _mac(text: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key, b"adoption.pulse:" + text.encode(), hashlib.sha256).hexdigest()[:32]


# Letters and digits only: the token rides in a Markdown link target (comms escapes punctuation in extra values).
TOKEN = re.compile(r"^s(\d{1,12})p(\d{1,12})a([1-5])x([0-9a-f]{32})$")


def answer_token(survey_id: int, person_id: int, answer: int) -> str:
    text = f"s{survey_id}p{person_id}a{answer}"
    return f"{text}x{_mac(text)}"


def read_token(token: str) -> tuple[int, int, int]:
    match = TOKEN.match(token or "")
    if match is None or not hmac.compare_digest(match.group(4), _mac(token.rpartition("x")[0])):
        raise DomainError("This answer link is not valid (it may have been changed or cut short).")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def answer_url(survey_id: int, person_id: int, answer: int) -> str:
    base = current_app.config["LMS_BASE_URL"].rstrip("/")
    return f"{base}/adoption/pulse/{answer_token(survey_id, person_id, answer)}"


def send(person_ids: list[int], *, question: str, sender_id: int | None) -> PulseSurvey:
    """Send the pulse survey to these people (through comms, category survey); returns it with its count."""
    question = (question or QUESTION).strip()
    if len(question) > 300:
        raise DomainError("The question has at most 300 characters.")
    ids = sorted(set(db.session.scalars(select(Person.id).where(Person.id.in_(person_ids),
                                                                Person.active.is_(True)))))
    if not ids:
        raise DomainError("Nobody to ask: choose at least one active person.")
    survey = PulseSurvey(question=question, sent_by_id=sender_id)
    db.session.add(survey)
    db.session.flush()
    extra = {pid: {f"answer_{n}": answer_url(survey.id, pid, n) for n in range(1, 6)} for pid in ids}
    survey.recipients = comms_link.send(ids, subject="One question about the new CRM",
                                        body_markdown=BODY.replace("{question}", question), category="survey",
                                        source="adoption-survey", extra=extra)
    return survey


def record_answer(survey_id: int, person_id: int, answer: int) -> PulseAnswer:
    if not 1 <= answer <= 5:
        raise DomainError("Answer with a number from 1 to 5.")
    if db.session.get(PulseSurvey, survey_id) is None:
        raise NotFound("No such survey.")
    row = db.session.get(PulseAnswer, (survey_id, person_id))
    if row is None:
        row = PulseAnswer(survey_id=survey_id, person_id=person_id, answer=answer)
        db.session.add(row)
    row.answer, row.answered_at = answer, utcnow()
    mark_dirty([person_id])
    db.session.flush()
    return row


def latest_survey() -> PulseSurvey | None:
    return db.session.scalar(select(PulseSurvey).order_by(PulseSurvey.sent_at.desc()).limit(1))


def answer_of(survey_id: int, person_id: int) -> int | None:
    row = db.session.get(PulseAnswer, (survey_id, person_id))
    return row.answer if row else None
