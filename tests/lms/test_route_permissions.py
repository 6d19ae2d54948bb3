"""Every route declares its permission, and answers exactly the people who hold it.

The walk covers every rule registered on the app, plugins' included, so a new view is covered the day it lands.
"""
from __future__ import annotations

import pytest
from flask import Flask

from lms.extensions import db
from lms.permissions import (
    API_CLIENT_PREFIX,
    API_TOKEN_PREFIX,
    AUTHENTICATED,
    PUBLIC,
    AnyOf,
    Permission,
    declared_permission,
    undeclared_endpoints,
)
from tests.conftest import login

ROLES: list[Permission | None] = [None, *Permission]  # None: not signed in


def test_every_route_declares_a_permission(app):
    assert undeclared_endpoints(app) == []


def test_a_view_without_a_declared_permission_is_caught_and_refused(make_app, factory):
    app = make_app()

    @app.route("/forgot-to-declare")
    def forgot_to_declare():
        return "secret"

    assert undeclared_endpoints(app) == ["forgot_to_declare"]
    admin = factory.person(permissions=list(Permission))
    client = app.test_client()
    with app.app_context():
        login(client, admin)
        assert client.get("/forgot-to-declare").status_code == 403


def _comms_ids(person) -> dict[str, int]:
    """A draft campaign to a saved audience, so the comms pages run their real code for every role."""
    from comms.models import Audience, Campaign

    audience = Audience(name="Sales", rules={"field": "department", "ids": [person.department_id]})
    campaign = Campaign(name="News", subject="News", category="newsletter", body="Hi {{ first_name }}",
                        audience=audience, status="draft", recipients=0, timezone="UTC")
    db.session.add(campaign)
    db.session.commit()
    return {"campaign_id": campaign.id, "audience_id": audience.id}


def _kudos_ids(person) -> dict[str, int]:
    """A kudos on the wall, so the recognition pages run their real code for every role."""
    from comms.api import post_kudos

    kudos_id = post_kudos(author_id=person.id, text="Well done", person_id=person.id)
    db.session.commit()
    return {"kudos_id": kudos_id}


def _url_args(rule, ids: dict[str, int]) -> dict:
    args = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        if name == "kind":
            args[name] = "departments"
        elif converter == "IntegerConverter":
            args[name] = ids.get(name, 1)
        else:
            args[name] = "x"
    return args


def _routes(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _expect_allowed(declared, role) -> bool | str | None:
    """True: must be served; False: must be refused (403); None: anonymous, must be sent to sign in;
    "api": an API-client route (embedded LRS), refused with 401 to every session and to anonymous callers;
    "token": an API-token route, refused with a 401 Bearer challenge to every session and to anonymous callers.

    ``requires_any`` routes are served to the permissions they name; their ``or_if`` predicate (say, "holds a board
    seat") holds for nobody in this walk (nobody here holds anything but one permission), so it must refuse all
    others: each predicate gets its own tests in its plugin."""
    if isinstance(declared, str) and declared.startswith(API_CLIENT_PREFIX):
        return "api"
    if isinstance(declared, str) and declared.startswith(API_TOKEN_PREFIX):
        return "token"
    if declared == PUBLIC:
        return True
    if role is None:
        return None
    if declared == AUTHENTICATED:
        return True
    if isinstance(declared, AnyOf):
        return role in declared.permissions
    if not isinstance(declared, Permission):
        raise AssertionError(f"unknown permission declaration {declared!r}: teach this walk to check it")
    return declared == role


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_routes_answer_only_the_permissions_they_declare(make_app, factory, role, tmp_path):
    # CSRF off so the permission check, not the CSRF check, is what answers a POST. The demo mailbox is on, so its
    # pages answer their permission rather than "not in this deployment".
    app = make_app(WTF_CSRF_ENABLED=False, LMS_DEMO_MAILBOX=str(tmp_path))
    person = factory.person(permissions=[role] if role else [], department="Sales")
    ids = {"person_id": person.id, "item_id": person.department_id, **_comms_ids(person), **_kudos_ids(person)}
    client = app.test_client()
    problems = []
    with app.app_context():
        for rule, method in _routes(app):
            if role is not None:
                login(client, person)  # again each time: a POST may have signed us out
            url = rule.build(_url_args(rule, ids), append_unknown=False)[1]
            response = client.open(url, method=method)
            expected = _expect_allowed(declared_permission(app.view_functions[rule.endpoint]), role)
            status = response.status_code
            location = response.headers.get("Location", "")
            if status >= 500:
                problems.append(f"{method} {url}: {status}")
            elif expected == "api":
                if status != 401 or "Basic" not in response.headers.get("WWW-Authenticate", "") or not response.is_json:
                    problems.append(f"{method} {url}: answered {status} without Basic credentials, expected a 401 "
                                    "JSON challenge")
            elif expected == "token":
                challenge = response.headers.get("WWW-Authenticate", "")
                if status != 401 or not challenge.startswith("Bearer") or not response.is_json:
                    problems.append(f"{method} {url}: answered {status} without a token, expected a 401 JSON "
                                    "Bearer challenge")
            elif expected is None and not (status == 302 and "/auth/login" in location):
                problems.append(f"{method} {url}: anonymous got {status}, expected a redirect to sign in")
            elif expected is True and status in (401, 403):
                problems.append(f"{method} {url}: refused ({status}) a person who holds the permission")
            elif expected is False and status != 403:
                problems.append(f"{method} {url}: answered {status} to a person without the permission")
            db.session.expire_all()
    assert problems == []


def test_a_learner_sees_the_recognition_wall_but_cannot_post_kudos(make_app, factory):
    app = make_app(WTF_CSRF_ENABLED=False)
    boss = factory.person(permissions=[Permission.MANAGER])
    learner = factory.person(permissions=[Permission.LEARNER], manager=boss)
    client = app.test_client()
    with app.app_context():
        login(client, learner)
        assert client.get("/comms/recognition/").status_code == 200
        assert client.get("/comms/recognition/new").status_code == 403
        assert client.post("/comms/recognition/new", data={"person": learner.id, "text": "me!"}).status_code == 403


def test_a_manager_cannot_post_kudos_about_someone_outside_their_team(make_app, factory):
    app = make_app(WTF_CSRF_ENABLED=False)
    boss = factory.person(permissions=[Permission.MANAGER])
    other_boss = factory.person(permissions=[Permission.MANAGER])
    mine = factory.person(manager=boss)
    theirs = factory.person(manager=other_boss)
    client = app.test_client()
    with app.app_context():
        login(client, boss)
        for person in (theirs.email, theirs.name, str(theirs.id)):
            refused = client.post("/comms/recognition/new", data={"person": person, "text": "Well done"})
            assert refused.status_code == 400  # nobody of that name or email in their reporting line
        refused = client.post("/comms/recognition/new", data={"team": other_boss.id, "text": "Well done"})
        assert refused.status_code == 400
        accepted = client.post("/comms/recognition/new", data={"person": mine.email, "text": "Well done"})
        assert accepted.status_code == 302
        found = client.get("/comms/recognition/people.json", query_string={"q": "example.com"}).json["people"]
        assert [p["id"] for p in found] == [mine.id]  # the search is the manager's line only
