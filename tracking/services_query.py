"""GET statements: the query parameters of xAPI-Communication 2.1.3, answered from the key index in result order.

The ``more`` link carries the query and a cursor (the last row's ``stored`` and ``seq``), so a page never repeats
or skips a row however many statements arrive meanwhile (ascending queries are capped at the first page's time).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import and_, exists, or_, select, text
from sqlalchemy.orm import aliased

from lms.extensions import db
from lms.types import utcnow
from tracking.bulk import micros
from tracking.models import Statement, StatementKey
from tracking.validation import InvalidStatement, actor, iri, timestamp, uuid_string
from tracking.xapi_data import hash_key, ifi, loads

MAX_LIMIT = 100
FILTERS = ("agent", "verb", "activity", "registration", "related_activities", "related_agents", "since", "until",
           "limit", "format", "attachments", "ascending")
SINGLE = ("statementId", "voidedStatementId")
FORMATS = ("ids", "exact", "canonical")


@dataclass
class StatementQuery:
    params: dict[str, str]
    keys: list[int | tuple[int, ...]] = field(default_factory=list)  # all must match; of a tuple, any
    since: datetime | None = None
    until: datetime | None = None
    limit: int = MAX_LIMIT
    format: str = "exact"
    attachments: bool = False
    ascending: bool = False
    cursor: tuple[datetime, int] | None = None
    ceiling: datetime | None = None
    include_voided: bool = False  # the admin's records page; the LRS never returns voided statements in a list


def _boolean(params: dict[str, str], name: str) -> bool:
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise InvalidStatement(f"{name}: {value!r} must be true or false.")
    return value == "true"


def check_parameters(params: dict[str, str], allowed: tuple[str, ...]) -> None:
    """Unknown parameters, and known ones in the wrong case, are refused (xAPI-Communication 3.2)."""
    for name in params:
        if name not in allowed:
            hint = next((a for a in allowed if a.lower() == name.lower()), None)
            raise InvalidStatement(f"Unknown parameter {name!r}" + (f" (did you mean {hint!r}?)" if hint else "")
                                   + f"; allowed here: {', '.join(allowed)}.")


def parse_format(params: dict[str, str]) -> str:
    value = params.get("format", "exact")
    if value not in FORMATS:
        raise InvalidStatement(f"format: {value!r} must be one of {', '.join(FORMATS)}.")
    return value


def parse_agent(raw: str, name: str = "agent", *, agent_only: bool = False) -> str:
    """The identifier of the Agent (or identified Group, unless ``agent_only``) in a JSON parameter."""
    try:
        value = loads(raw)
    except ValueError:
        raise InvalidStatement(f"{name}: not valid JSON; send an Agent object like "
                               '{"mbox": "mailto:name@example.com"}.') from None
    actor(value, name)
    if agent_only and value.get("objectType") == "Group":
        raise InvalidStatement(f"{name}: this resource takes an Agent, not a Group.")
    key = ifi(value)
    if key is None:
        raise InvalidStatement(f"{name}: an anonymous Group cannot be used here; send an Agent.")
    return key


def parse_query(params: dict[str, str]) -> StatementQuery:
    """Check and parse the filter parameters (400 naming any bad one)."""
    check_parameters(params, FILTERS)
    query = StatementQuery(params=dict(params))
    related_agents = _boolean(params, "related_agents")
    related_activities = _boolean(params, "related_activities")
    if "registration" in params:
        query.keys.append(hash_key("r", uuid_string(params["registration"], "registration")))
    if "agent" in params:
        query.keys.append(hash_key("ra" if related_agents else "a", parse_agent(params["agent"])))
    if "activity" in params:
        query.keys.append(hash_key("ro" if related_activities else "o", iri(params["activity"], "activity")))
    if "verb" in params:
        query.keys.append(hash_key("v", iri(params["verb"], "verb")))
    for name in ("since", "until"):
        if name in params:
            setattr(query, name, timestamp(params[name], name, clamp=True))
    if "limit" in params:
        if not re.fullmatch(r"[0-9]+", params["limit"]):
            raise InvalidStatement(f"limit: {params['limit']!r} must be a whole number (0 for the most allowed).")
        digits = params["limit"].lstrip("0")
        query.limit = MAX_LIMIT if not digits or len(digits) > 9 else min(int(digits), MAX_LIMIT)
    query.format = parse_format(params)
    query.attachments = _boolean(params, "attachments")
    query.ascending = _boolean(params, "ascending")
    if query.ascending:
        query.ceiling = utcnow()
    return query


_PAGE_COLUMNS = (Statement.seq, Statement.stored, Statement.body, Statement.has_attachments, Statement.voided)


def run_query(query: StatementQuery) -> tuple[list, str | None]:
    """The page of statements (never voided ones) and the token for the next page, if there is one."""
    convert = micros if query.keys else (lambda moment: moment)
    if query.keys:
        drive = aliased(StatementKey)
        order_stored, order_seq = drive.stored_us, drive.seq
        stmt = select(*_PAGE_COLUMNS).join(drive, drive.seq == Statement.seq).where(_matches(drive, query.keys[0]))
        for key in query.keys[1:]:
            other = aliased(StatementKey)
            stmt = stmt.where(exists().where(other.seq == drive.seq, _matches(other, key)))
    else:
        order_stored, order_seq = Statement.stored, Statement.seq
        stmt = select(*_PAGE_COLUMNS)
    if not query.include_voided:
        stmt = stmt.where(Statement.voided.is_(False))
    if query.since is not None:
        stmt = stmt.where(order_stored > convert(query.since))
    if query.until is not None:
        stmt = stmt.where(order_stored <= convert(query.until))
    if query.ceiling is not None:
        stmt = stmt.where(order_stored <= convert(query.ceiling))
    if query.cursor is not None:
        stored, seq = convert(query.cursor[0]), query.cursor[1]
        if query.ascending:
            stmt = stmt.where(or_(order_stored > stored, and_(order_stored == stored, order_seq > seq)))
        else:
            stmt = stmt.where(or_(order_stored < stored, and_(order_stored == stored, order_seq < seq)))
    if query.ascending:
        stmt = stmt.order_by(order_stored.asc(), order_seq.asc())
    else:
        stmt = stmt.order_by(order_stored.desc(), order_seq.desc())
    if db.engine.dialect.name == "postgresql":
        # Key frequencies are very skewed (a learner vs a common verb), so PostgreSQL may overestimate a walk of
        # about a hundred index entries and start parallel workers, which costs more than the walk itself.
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    rows = db.session.execute(stmt.limit(query.limit + 1)).all()
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[:query.limit]
    last = rows[-1]
    return rows, encode_more(query, (last.stored, last.seq))


def _more_serializer() -> URLSafeSerializer:
    """``more`` tokens are signed with the app's secret: a page can only continue a query this LRS began."""
    return URLSafeSerializer(current_app.secret_key, salt="xapi-more")


def _matches(table, key: int | tuple[int, ...]):
    """A key, or any of several (one person known by several identifiers, on the admin's records page)."""
    return table.key.in_(key) if isinstance(key, tuple) else table.key == key


def encode_more(query: StatementQuery, cursor: tuple[datetime, int]) -> str:
    payload = {"p": query.params, "c": [cursor[0].isoformat(), cursor[1]]}
    if query.ceiling is not None:
        payload["x"] = query.ceiling.isoformat()
    return _more_serializer().dumps(payload)


def decode_more(token: str) -> StatementQuery:
    """The query a ``more`` token continues; 400 when the token is not one of ours."""
    try:
        payload = _more_serializer().loads(token)
        query = parse_query(payload["p"])
        query.cursor = (datetime.fromisoformat(payload["c"][0]), int(payload["c"][1]))
        if "x" in payload:
            query.ceiling = datetime.fromisoformat(payload["x"])
    except (BadData, ValueError, KeyError, TypeError, IndexError):
        raise InvalidStatement("This 'more' link is not valid; run the query again.") from None
    return query
