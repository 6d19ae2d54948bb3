"""Fixtures for the embedded LRS: an LRS client with credentials, and a small xAPI client over the test client."""
from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass

import pytest
import tincan

from lms.extensions import db
from tracking.services_clients import create_client

ADL = "http://adlnet.gov/expapi/verbs/"
SITE = "http://localhost/xapi-test/activities/"


@dataclass
class Xapi:
    """Sends xAPI requests the way an LRS client does: Basic credentials and the version header."""

    client: object
    key: str
    secret: str
    version: str | None = "1.0.3"

    def headers(self, extra: dict | None = None) -> dict:
        token = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}
        if self.version:
            headers["X-Experience-API-Version"] = self.version
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, *, json_body=None, data=None, params=None, headers=None,
                content_type=None):
        if json_body is not None:
            data = json.dumps(json_body)
            content_type = content_type or "application/json"
        return self.client.open("/xapi/" + path, method=method, data=data, query_string=params,
                                headers=self.headers(headers), content_type=content_type)

    def get(self, path: str, **params):
        return self.request("GET", path, params=params)

    def post_statements(self, statements):
        return self.request("POST", "statements", json_body=statements)

    def put_statement(self, statement, statement_id: str):
        return self.request("PUT", "statements", json_body=statement, params={"statementId": statement_id})


def make_client(scopes=("read", "write"), name="Authoring tool"):
    new = create_client(name, list(scopes))
    db.session.commit()
    return new.client.key, new.secret


@pytest.fixture()
def lrs(app, client) -> Xapi:
    key, secret = make_client()
    return Xapi(client, key, secret)


def statement(*, email="ann@example.com", verb="experienced", activity="lesson-1", **extra) -> dict:
    """A statement built with tincan's models, as an xAPI client library would send it."""
    built = tincan.Statement(
        actor=tincan.Agent(mbox=f"mailto:{email}", name=email.split("@")[0].title()),
        verb=tincan.Verb(id=ADL + verb, display=tincan.LanguageMap({"en-US": verb})),
        object=tincan.Activity(id=SITE + activity,
                               definition=tincan.ActivityDefinition(name=tincan.LanguageMap({"en-US": activity}))),
    )
    body = json.loads(built.to_json())
    body.pop("version", None)
    body["id"] = str(uuid.uuid4())
    body.update(extra)
    return body


def agent_param(email: str) -> str:
    return json.dumps({"mbox": f"mailto:{email}"})
