"""The statements a CRM sends to report use: built here once, shown on the CRM admins' page and in the README,
and posted by the tests exactly as shown."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import current_app

LOGGED_IN = "https://w3id.org/xapi/adl/verbs/logged-in"
CREATED = "http://activitystrea.ms/schema/1.0/create"
UPDATED = "http://activitystrea.ms/schema/1.0/update"


def crm_statement(*, employee_id: str, verb: str, verb_id: str, record_type: str, record_url: str,
                  timestamp: str, activity_type: str, crm_url: str = "https://crm.example.com") -> dict:
    """One CRM usage statement: the person by their employee id (an account on the CRM), the verb, the record type
    as the activity's name, and the activity type that marks CRM usage."""
    return {
        "actor": {"objectType": "Agent", "account": {"homePage": crm_url, "name": employee_id}},
        "verb": {"id": verb_id, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": record_url,
                   "definition": {"type": activity_type, "name": {"en-US": record_type}}},
        "context": {"platform": "CRM"},
        "timestamp": timestamp,
    }


def examples(activity_type: str, *, employee_id: str = "E1001", when: datetime | None = None) -> list[dict]:
    moment = (when or datetime(2026, 12, 1, 8, 30, tzinfo=UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        crm_statement(employee_id=employee_id, verb="logged-in", verb_id=LOGGED_IN, record_type="crm",
                      record_url="https://crm.example.com", timestamp=moment, activity_type=activity_type),
        crm_statement(employee_id=employee_id, verb="created", verb_id=CREATED, record_type="opportunity",
                      record_url="https://crm.example.com/opportunity", timestamp=moment,
                      activity_type=activity_type),
        crm_statement(employee_id=employee_id, verb="updated", verb_id=UPDATED, record_type="case",
                      record_url="https://crm.example.com/case", timestamp=moment, activity_type=activity_type),
    ]


def example_statements() -> str:
    return json.dumps(examples(current_app.config.get("LMS_CRM_ACTIVITY_TYPE") or "urn:rapport:crm-record"),
                      indent=2)
