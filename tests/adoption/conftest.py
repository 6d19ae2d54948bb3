"""A small hand-built organisation whose adoption and readiness answers are written out in the tests.

Everything goes through the real services: people, courses' learning services, the embedded LRS over HTTP with an
LRS client's Basic credentials (the documented CRM statements), the CSV import and the pulse survey's signed links.

    Course A "crm-basics" (two lessons, a three-question quiz); path "sales" = [A] for sales reps.
    Maria's team (sales reps):
      t1  completes A; CRM statements today (logged-in, created:opportunity); pulse answer 2
      t2  completes A; no CRM use                                   -> trained but not using
      t3  nothing completed; CSV: logged-in 2 days ago               -> using but not trained
      t4  completes A; logged-in 3 days ago by a statement AND by CSV (count 1 each): counted once
      t5  nothing completed; one statement today, then voided        -> not active
    Omar's team:
      o1  completes A today; CRM use 10 days ago only (before training, so active in 28 days, not 7); pulse 5
    Maria and Omar are sales managers (nothing required of them). A rollout announcement reached every sales rep;
    all but t3 opened it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from adoption import guide, readmodel, surveys
from adoption.models import PulseSurvey
from adoption.usage import DEFAULT_TYPE, import_csv, mark_dirty
from courses.models import LearningPath, PathCourse, PathRule
from lms.extensions import db
from lms.people import services as people
from lms.permissions import Permission
from lms.types import utcnow
from tests.conftest import PASSWORD, login, password_hash
from tests.courses.builders import build_course
from tests.governance.conftest import complete_course
from tests.tracking.conftest import Xapi, make_client
from tracking import api as tracking_api


@dataclass
class Org:
    lrs: Xapi
    courses: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)
    voided: str = ""

    def id(self, key: str) -> int:
        return self.people[key].id


def crm_statements(employee_id: str, when, *, kinds=("logged-in", "created")) -> list[dict]:
    """The documented statements (adoption.guide), as a CRM sends them."""
    wanted = {"logged-in": 0, "created": 1, "updated": 2}
    examples = guide.examples(DEFAULT_TYPE, employee_id=employee_id, when=when)
    return [examples[wanted[k]] for k in kinds]


def _person(org: Org, key: str, role: str, manager: str | None, permissions=("learner",)):
    info = people.PersonInfo(name=key.upper(), email=f"{key}@example.com", employee_id=f"E-{key}",
                             job_role_id=org.roles[role].id,
                             manager_id=org.people[manager].id if manager else None,
                             permissions=frozenset(Permission(p) for p in permissions))
    person = people.create_person(info, actor_id=None)
    person.password_hash = password_hash(PASSWORD)
    db.session.commit()
    org.people[key] = person
    return person


def signout(client) -> None:
    """Forget the signed-in session (a new browser, as far as the app can tell)."""
    client._cookies.clear()


def as_(client, person) -> None:
    signout(client)
    login(client, person)


def post(org: Org, statements: list[dict]) -> None:
    response = org.lrs.post_statements(statements)
    assert response.status_code == 200, response.get_data(as_text=True)


def settle() -> None:
    """What the worker does: derive pending statements, then bring the read model up to date."""
    tracking_api.catch_up()
    readmodel.bring_up_to_date()
    db.session.commit()


def build_org(factory, client) -> Org:
    key, secret = make_client(scopes=("write",), name="CRM")
    org = Org(lrs=Xapi(client, key, secret))
    org.roles = {code: factory.job_role(code) for code in ("sales_rep", "sales_manager")}
    db.session.commit()
    org.courses["A"] = build_course("crm-basics")
    path = LearningPath(slug="sales", title="Sales path", ordered=False, due_days=30, due_after="assignment")
    path.steps = [PathCourse(course=org.courses["A"], position=0)]
    path.rules = [PathRule(job_role_id=org.roles["sales_rep"].id)]
    db.session.add(path)
    db.session.commit()
    _person(org, "maria", "sales_manager", None, ("manager", "learner"))
    _person(org, "omar", "sales_manager", None, ("manager", "learner"))
    for key_ in ("t1", "t2", "t3", "t4", "t5"):
        _person(org, key_, "sales_rep", "maria")
    _person(org, "o1", "sales_rep", "omar")
    for key_ in ("t1", "t2", "t4", "o1"):
        complete_course(org.people[key_], "A", org)

    now = utcnow()
    post(org, crm_statements("E-t1", now))
    three_days = now - timedelta(days=3)
    post(org, crm_statements("E-t4", three_days, kinds=("logged-in",)))
    post(org, crm_statements("E-o1", now - timedelta(days=10), kinds=("logged-in",)))
    doomed = crm_statements("E-t5", now, kinds=("logged-in",))[0] | {"id": "6f1b2c3d-0000-4000-8000-000000000005"}
    post(org, [doomed])
    org.voided = doomed["id"]
    settle()
    post(org, [{"actor": {"objectType": "Agent", "account": {"homePage": "https://crm.example.com", "name": "E-t5"}},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
                "object": {"objectType": "StatementRef", "id": org.voided}}])
    csv = ("person,date,kind,count\n"
           f"E-t3,{(now - timedelta(days=2)).date()},logged-in,1\n"
           f"t4@example.com,{three_days.date()},logged-in,1\n")
    import_csv(csv.encode())
    db.session.commit()

    # A rollout announcement was delivered to every sales rep; all but t3 opened it (comms' own records).
    from comms.models import Engagement
    from lms.mail.models import OutgoingMail

    for key_ in ("t1", "t2", "t3", "t4", "t5", "o1"):
        mail = OutgoingMail(to_address=f"{key_}@example.com", person_id=org.id(key_), category="announcement",
                            source="campaign", status="sent", subject="The new CRM is coming", sent_at=now)
        db.session.add(mail)
        db.session.flush()
        db.session.add(Engagement(mail_id=mail.id, person_id=org.id(key_), category="announcement",
                                  opens=0 if key_ == "t3" else 1))
    mark_dirty([p.id for p in org.people.values()])  # as the worker's daily pass over everyone does
    db.session.commit()

    survey = PulseSurvey(question=surveys.QUESTION, recipients=2)
    db.session.add(survey)
    db.session.commit()
    org.survey_id = survey.id
    for key_, answer in (("t1", 2), ("o1", 5)):
        token = surveys.answer_token(survey.id, org.id(key_), answer)
        page = client.get(f"/adoption/pulse/{token}")
        assert page.status_code == 200
        from tests.conftest import csrf_token

        csrf = csrf_token(client, f"/adoption/pulse/{token}")
        assert client.post(f"/adoption/pulse/{token}", data={"csrf_token": csrf}).status_code == 200
    settle()
    return org


@pytest.fixture()
def org(app, factory, client) -> Org:
    return build_org(factory, client)
