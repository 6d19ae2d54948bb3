"""Statement validation per xAPI 1.0.3 (xAPI-Data.md, section 2 and 4): structure, formats and types only.

:func:`check_statement` raises :class:`InvalidStatement` naming the first problem and where it is, e.g.
``statement.actor.mbox: "bob@example.com" is not a mailto IRI``.
"""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from lms.errors import DomainError

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+\Z")
_MAILTO = re.compile(r"^mailto:[^@\s:/]+@[^@\s/.]+(?:\.[^@\s/.]+)+\Z")  # linear: no backtracking
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}\Z")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
# RFC 5646 section 2.1: the sequence of subtags and their lengths (a well-formed tag; the registry is not consulted).
_LANGTAG = (r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?"
            r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*(?:-[a-wyz0-9](?:-[a-z0-9]{2,8})+)*(?:-x(?:-[a-z0-9]{1,8})+)?")
_GRANDFATHERED = ("en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|i-tao|"
                  "i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|"
                  "zh-min|zh-min-nan|zh-xiang")
_LANG = re.compile(rf"^(?:{_LANGTAG}|x(?:-[a-z0-9]{{1,8}})+|{_GRANDFATHERED})\Z", re.IGNORECASE)
# ISO 8601 extended format (as RFC 3339 writes it): a calendar date, T, hours and minutes, optional seconds and
# fraction, optional zone. The offset -00:00 ("unknown local offset" in RFC 3339) is not ISO 8601: refused.
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?\Z",
                        re.IGNORECASE)
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^P(?:{_NUM}W|(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)\Z"
)
_VERSION = re.compile(r"^1\.0(?:\.\d+)?\Z")  # "1.0" is 1.0.0 (xAPI-Communication 3.3)
_SHA2 = re.compile(r"^(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})\Z")
# RFC 9110 media type: type "/" subtype, then parameters; printable ASCII only (it goes into response headers).
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:[ \t]*;[\x20-\x7e]*)?\Z")
INTERACTION_TYPES = {"true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing",
                     "likert", "numeric", "other"}
COMPONENT_LISTS = {"choices", "scale", "source", "target", "steps"}
CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")
IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")


class InvalidStatement(DomainError):
    """A statement (or a query parameter) that breaks the xAPI data rules; answered with 400."""


def _fail(path: str, message: str):
    raise InvalidStatement(f"{path}: {message}")


def _obj(value: Any, path: str, allowed: set[str], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        _fail(path, "must be a JSON object")
    for key, item in value.items():
        if key not in allowed:
            _fail(path, f"property {key!r} is not allowed here (allowed: {', '.join(sorted(allowed))})")
        if item is None:
            _fail(f"{path}.{key}", "must not be null")
    for key in required:
        if key not in value:
            _fail(path, f"property {key!r} is required")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        _fail(path, "must be a string")
    return value


def media_type(value: str) -> bool:
    """Whether ``value`` is a media type that can go into a Content-Type header as it is."""
    return len(value) <= 255 and bool(_MEDIA_TYPE.match(value))


def essence(content_type: str) -> str:
    """The type/subtype of a Content-Type, lower case, without parameters (they may be written either way)."""
    return content_type.split(";")[0].strip().lower()


def iri(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _IRI.match(value):
        _fail(path, f"{value!r} is not an absolute IRI (it needs a scheme, like https:)")
    return value


def uuid_string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _UUID.match(value):
        _fail(path, f"{value!r} is not a UUID in standard form")
    return value.lower()


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(path, "must be a number")
    if isinstance(value, int) and not -1e308 < value < 1e308:  # scores are compared and scaled as doubles
        _fail(path, "is beyond the range of a double-precision number")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, "must be true or false")
    return value


EARLIEST, LATEST = datetime(1000, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def timestamp(value: Any, path: str, *, clamp: bool = False) -> datetime:
    """Parse an ISO 8601 timestamp; one without a time zone is taken as UTC. Statements are stored for the years
    1000 to 9999; ``clamp`` (a query's bound, such as since=0001-01-01T00:00:00Z) moves a moment outside them to
    the nearest one instead of refusing it."""
    match = _TIMESTAMP.match(value) if isinstance(value, str) else None
    if match is None:
        _fail(path, f"{value!r} is not an ISO 8601 timestamp like 2026-03-31T09:30:00.000Z")
    zone = (match.group(1) or "").upper()
    if zone.startswith("-") and not zone.strip("-:0"):
        _fail(path, f"the offset {zone} is not allowed (ISO 8601 writes a zero offset as Z or +00:00)")
    try:
        parsed = datetime.fromisoformat(value.upper().replace(",", ".").removesuffix("Z") + ("+00:00" if zone == "Z"
                                                                                           else ""))
        parsed = (parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed).astimezone(UTC)
    except ValueError:
        _fail(path, f"{value!r} is not an ISO 8601 timestamp like 2026-03-31T09:30:00.000Z")
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the year 1 in UTC, and so on
        parsed = None
    if parsed is None or not EARLIEST <= parsed <= LATEST:
        if not clamp:
            _fail(path, f"{value!r} is outside the years 1000 to 9999 that this LRS stores")
        parsed = (EARLIEST if value < "5000" else LATEST) if parsed is None else min(max(parsed, EARLIEST), LATEST)
    return parsed


def stored_timestamp(value: str) -> datetime | None:
    """A timestamp as a statement in the log holds it: checked by :func:`timestamp` when it arrived, or by the
    looser parser of versions before 2026-12-02 (``2026-03-31T09Z``, basic format, week dates). None if neither
    reads it; never an error, so that old statements are still derived and compared."""
    try:
        return timestamp(value, "timestamp", clamp=True)
    except InvalidStatement:
        pass
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        return min(max((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC), EARLIEST), LATEST)
    except (ValueError, OverflowError, IndexError):
        return None


def language_map(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        _fail(path, "must be a language map (an object of language tag to string)")
    for tag, text in value.items():
        if len(tag) > 100 or not _LANG.match(tag):
            _fail(path, f"{tag!r} is not an RFC 5646 language tag")
        _str(text, f"{path}.{tag}")
    return value


MAX_EXTENSION_DEPTH = 32


def extensions(value: Any, path: str) -> dict:
    """Extension values are any JSON, the one place a statement can nest freely: at most 32 levels deep."""
    if not isinstance(value, dict):
        _fail(path, "must be an object whose keys are IRIs")
    for key in value:
        iri(key, f"{path} key")
    stack = [(item, 1) for item in value.values()]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if children and depth >= MAX_EXTENSION_DEPTH:
            _fail(path, f"extension values may nest at most {MAX_EXTENSION_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in children)
    return value


def agent(value: Any, path: str, *, as_object: bool = False) -> dict:
    """An Agent: exactly one inverse functional identifier."""
    _obj(value, path, {"objectType", "name", *IFI_KEYS})
    if as_object and value.get("objectType") != "Agent":
        _fail(f"{path}.objectType", "must be 'Agent' when an Agent is the object")
    if "objectType" in value and value["objectType"] != "Agent":
        _fail(f"{path}.objectType", f"{value['objectType']!r} must be 'Agent'")
    if "name" in value:
        _str(value["name"], f"{path}.name")
    _ifi(value, path, required=True)
    return value


def _ifi(value: dict, path: str, *, required: bool) -> None:
    found = [k for k in IFI_KEYS if k in value]
    if len(found) > 1:
        _fail(path, f"has more than one identifier ({', '.join(found)}); use exactly one")
    if not found:
        if required:
            _fail(path, "needs one identifier: mbox, mbox_sha1sum, openid or account")
        return
    key = found[0]
    item = value[key]
    if key == "mbox" and (not isinstance(item, str) or not _MAILTO.match(item)):
        _fail(f"{path}.mbox", f"{item!r} is not a mailto IRI like mailto:name@example.com")
    if key == "mbox_sha1sum" and (not isinstance(item, str) or not _SHA1.match(item)):
        _fail(f"{path}.mbox_sha1sum", "must be the 40 hex digits of a SHA-1")
    if key == "openid":
        iri(item, f"{path}.openid")
    if key == "account":
        _obj(item, f"{path}.account", {"homePage", "name"}, ("homePage", "name"))
        iri(item["homePage"], f"{path}.account.homePage")
        _str(item["name"], f"{path}.account.name")


def actor(value: Any, path: str, *, as_object: bool = False) -> dict:
    """An Agent or a Group (anonymous with members, or identified)."""
    if not isinstance(value, dict):
        _fail(path, "must be an Agent or Group object")
    if value.get("objectType") != "Group":
        return agent(value, path, as_object=as_object)
    _obj(value, path, {"objectType", "name", "member", *IFI_KEYS})
    if "name" in value:
        _str(value["name"], f"{path}.name")
    _ifi(value, path, required=False)
    identified = any(k in value for k in IFI_KEYS)
    if "member" in value:
        if not isinstance(value["member"], list):
            _fail(f"{path}.member", "must be an array of Agents")
        for index, member in enumerate(value["member"]):
            agent(member, f"{path}.member[{index}]")
    elif not identified:
        _fail(path, "an anonymous Group needs a 'member' array")
    if not identified and not value.get("member"):
        _fail(f"{path}.member", "an anonymous Group needs at least one member")
    return value


def verb(value: Any, path: str) -> dict:
    _obj(value, path, {"id", "display"}, ("id",))
    iri(value["id"], f"{path}.id")
    if "display" in value:
        language_map(value["display"], f"{path}.display")
    return value


def activity(value: Any, path: str) -> dict:
    _obj(value, path, {"objectType", "id", "definition"}, ("id",))
    if "objectType" in value and value["objectType"] != "Activity":
        _fail(f"{path}.objectType", f"{value['objectType']!r} must be 'Activity'")
    iri(value["id"], f"{path}.id")
    if "definition" in value:
        _definition(value["definition"], f"{path}.definition")
    return value


def _definition(value: Any, path: str) -> None:
    allowed = {"name", "description", "type", "moreInfo", "extensions", "interactionType",
               "correctResponsesPattern", *COMPONENT_LISTS}
    _obj(value, path, allowed)
    for key in ("name", "description"):
        if key in value:
            language_map(value[key], f"{path}.{key}")
    for key in ("type", "moreInfo"):
        if key in value:
            iri(value[key], f"{path}.{key}")
    if "extensions" in value:
        extensions(value["extensions"], f"{path}.extensions")
    kind = value.get("interactionType")
    if kind is None and ("correctResponsesPattern" in value or COMPONENT_LISTS & value.keys()):
        _fail(path, "interaction properties need an 'interactionType'")
    if kind is not None and (not isinstance(kind, str) or kind not in INTERACTION_TYPES):
        _fail(f"{path}.interactionType", f"{kind!r} is not one of {', '.join(sorted(INTERACTION_TYPES))}")
    if "correctResponsesPattern" in value:
        pattern = value["correctResponsesPattern"]
        if not isinstance(pattern, list) or not all(isinstance(p, str) for p in pattern):
            _fail(f"{path}.correctResponsesPattern", "must be an array of strings")
    for key in COMPONENT_LISTS & value.keys():
        components = value[key]
        if not isinstance(components, list):
            _fail(f"{path}.{key}", "must be an array of interaction components")
        ids = set()
        for index, component in enumerate(components):
            where = f"{path}.{key}[{index}]"
            _obj(component, where, {"id", "description"}, ("id",))
            _str(component["id"], f"{where}.id")
            if component["id"] in ids:
                _fail(where, f"id {component['id']!r} appears twice in {key}")
            ids.add(component["id"])
            if "description" in component:
                language_map(component["description"], f"{where}.description")


def _object(value: Any, path: str, *, in_substatement: bool) -> dict:
    if not isinstance(value, dict):
        _fail(path, "must be an object")
    kind = value.get("objectType", "Activity")
    if kind == "Activity":
        return activity(value, path)
    if kind in ("Agent", "Group"):
        return actor(value, path, as_object=True)
    if kind == "StatementRef":
        _obj(value, path, {"objectType", "id"}, ("id",))
        uuid_string(value["id"], f"{path}.id")
        return value
    if kind == "SubStatement":
        if in_substatement:
            _fail(path, "a SubStatement cannot contain another SubStatement")
        _statement_body(value, path, substatement=True)
        return value
    _fail(f"{path}.objectType", f"{kind!r} is not Activity, Agent, Group, StatementRef or SubStatement")
    return value


def _result(value: Any, path: str) -> None:
    _obj(value, path, {"score", "success", "completion", "response", "duration", "extensions"})
    if "score" in value:
        score = _obj(value["score"], f"{path}.score", {"scaled", "raw", "min", "max"})
        for key in score:
            _number(score[key], f"{path}.score.{key}")
        if "scaled" in score and not -1 <= score["scaled"] <= 1:
            _fail(f"{path}.score.scaled", "must be between -1 and 1")
        if "min" in score and "max" in score and score["min"] >= score["max"]:
            _fail(f"{path}.score", "min must be less than max")
        if "raw" in score and ("min" in score and score["raw"] < score["min"]
                               or "max" in score and score["raw"] > score["max"]):
            _fail(f"{path}.score.raw", "must lie between min and max")
    for key in ("success", "completion"):
        if key in value:
            _bool(value[key], f"{path}.{key}")
    if "response" in value:
        _str(value["response"], f"{path}.response")
    if "duration" in value and (not isinstance(value["duration"], str) or not _DURATION.match(value["duration"])):
        _fail(f"{path}.duration", f"{value['duration']!r} is not an ISO 8601 duration like PT1M30S")
    if "extensions" in value:
        extensions(value["extensions"], f"{path}.extensions")


def _context(value: Any, path: str, object_is_activity: bool) -> None:
    allowed = {"registration", "instructor", "team", "contextActivities", "revision", "platform", "language",
               "statement", "extensions"}
    _obj(value, path, allowed)
    if "registration" in value:
        uuid_string(value["registration"], f"{path}.registration")
    if "instructor" in value:
        actor(value["instructor"], f"{path}.instructor")
    if "team" in value:
        actor(value["team"], f"{path}.team")
        if value["team"].get("objectType") != "Group":
            _fail(f"{path}.team", "must be a Group")
    if "contextActivities" in value:
        activities = _obj(value["contextActivities"], f"{path}.contextActivities", set(CONTEXT_ACTIVITY_KINDS))
        for kind, items in activities.items():
            for index, item in enumerate(items if isinstance(items, list) else [items]):
                activity(item, f"{path}.contextActivities.{kind}[{index}]")
    for key in ("revision", "platform"):
        if key in value:
            _str(value[key], f"{path}.{key}")
            if not object_is_activity:
                _fail(f"{path}.{key}", "may only be used when the object is an Activity")
    if "language" in value and (not isinstance(value["language"], str) or not _LANG.match(value["language"])):
        _fail(f"{path}.language", f"{value['language']!r} is not an RFC 5646 language tag")
    if "statement" in value:
        ref = _obj(value["statement"], f"{path}.statement", {"objectType", "id"}, ("objectType", "id"))
        if ref["objectType"] != "StatementRef":
            _fail(f"{path}.statement.objectType", "must be 'StatementRef'")
        uuid_string(ref["id"], f"{path}.statement.id")
    if "extensions" in value:
        extensions(value["extensions"], f"{path}.extensions")


def _attachments(value: Any, path: str) -> None:
    if not isinstance(value, list):
        _fail(path, "must be an array of Attachment objects")
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        _obj(item, where, {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"},
             ("usageType", "display", "contentType", "length", "sha2"))
        iri(item["usageType"], f"{where}.usageType")
        language_map(item["display"], f"{where}.display")
        if "description" in item:
            language_map(item["description"], f"{where}.description")
        if not isinstance(item["contentType"], str) or not media_type(item["contentType"]):
            _fail(f"{where}.contentType", "must be an Internet media type (type/subtype) of at most 255 characters")
        if isinstance(item["length"], bool) or not isinstance(item["length"], int) or item["length"] < 0:
            _fail(f"{where}.length", "must be a whole number of octets")
        if not isinstance(item["sha2"], str) or not _SHA2.match(item["sha2"]):
            _fail(f"{where}.sha2", "must be the hex digits of a SHA-224, SHA-256, SHA-384 or SHA-512 hash")
        if "fileUrl" in item:
            iri(item["fileUrl"], f"{where}.fileUrl")


def _statement_body(value: dict, path: str, *, substatement: bool) -> None:
    allowed = {"actor", "verb", "object", "result", "context", "timestamp", "attachments"}
    allowed |= {"objectType"} if substatement else {"id", "stored", "authority", "version"}
    _obj(value, path, allowed, ("actor", "verb", "object"))
    actor(value["actor"], f"{path}.actor")
    verb(value["verb"], f"{path}.verb")
    target = _object(value["object"], f"{path}.object", in_substatement=substatement)
    if "result" in value:
        _result(value["result"], f"{path}.result")
    if "context" in value:
        _context(value["context"], f"{path}.context", target.get("objectType", "Activity") == "Activity")
    if "timestamp" in value:
        timestamp(value["timestamp"], f"{path}.timestamp")
    if "attachments" in value:
        _attachments(value["attachments"], f"{path}.attachments")


def check_statement(value: Any, path: str = "statement") -> dict:
    """Validate one statement as received; return it unchanged."""
    if not isinstance(value, dict):
        _fail(path, "must be a JSON object")
    _statement_body(value, path, substatement=False)
    if "id" in value:
        uuid_string(value["id"], f"{path}.id")
    if "stored" in value:
        timestamp(value["stored"], f"{path}.stored")
    if "authority" in value:
        _authority(value["authority"], f"{path}.authority")
    if "version" in value and (not isinstance(value["version"], str) or not _VERSION.match(value["version"])):
        _fail(f"{path}.version", f"{value['version']!r} is not accepted; this LRS takes statements of version 1.0.x")
    if value["verb"]["id"] == VOIDED:
        target = value["object"]
        if target.get("objectType") != "StatementRef":
            _fail(f"{path}.object", "a voiding statement's object must be a StatementRef")
    return value


def _authority(value: Any, path: str) -> None:
    """xAPI-Data 2.4.9: an Agent, or (3-legged OAuth) an anonymous Group of exactly two Agents. Checked although
    the LRS records its own authority when it stores: a statement that breaks the rule is refused (400)."""
    actor(value, path)
    if value.get("objectType") != "Group":
        return
    if any(key in value for key in IFI_KEYS):
        _fail(path, "an authority that is a Group must be an anonymous Group of two Agents (3-legged OAuth), "
                    "not an identified Group")
    if len(value.get("member", [])) != 2:
        _fail(f"{path}.member", f"an authority Group has exactly two Agents (3-legged OAuth); this one has "
                                f"{len(value.get('member', []))}")


def new_uuid() -> str:
    return str(uuid.uuid4())
