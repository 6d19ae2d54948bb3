"""A small organisation for comms tests, and helpers to drive the comms pages as the program office."""
from __future__ import annotations

import re

import pytest

from lms.permissions import Permission
from tests.conftest import login, post_form

AUDIENCE_DEFAULTS = {"match": "all", "manager_scope": "direct", "course_status": "not_started",
                     "path_status": "not_started", "active": ""}


@pytest.fixture()
def office(factory):
    return factory.person(name="Olga Office", role=None, department="Program Office", email="office@example.com",
                          permissions=(Permission.PROGRAM_OFFICE,))


@pytest.fixture()
def office_client(client, office):
    login(client, office)
    return client


def save_audience(client, name: str, **fields) -> int:
    response = post_form(client, "/comms/audiences/new", {**AUDIENCE_DEFAULTS, "name": name, "action": "save",
                                                           **fields})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/comms/audiences/(\d+)", response.headers["Location"]).group(1))


def save_campaign(client, **fields) -> int:
    data = {"name": "", "sender_name": "", "category": "announcement", "audience_id": "", "action": "save", **fields}
    response = post_form(client, "/comms/campaigns/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/comms/campaigns/(\d+)", response.headers["Location"]).group(1))


def act(client, campaign_id: int, action: str, **data):
    return post_form(client, f"/comms/campaigns/{campaign_id}/{action}", data,
                     form_url=f"/comms/campaigns/{campaign_id}")
