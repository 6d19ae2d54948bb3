"""Pure functions on statement JSON: identifiers, query keys, comparison and the ``ids`` / ``canonical`` formats."""
from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import orjson

from tracking.validation import COMPONENT_LISTS, CONTEXT_ACTIVITY_KINDS, IFI_KEYS, stored_timestamp


def dumps(value: Any) -> str:
    """The one JSON serialisation Rapport stores and returns (compact UTF-8; orjson: the statement log's hot path,
    the standard library for integers beyond 64 bits, which orjson does not write)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# Every byte to a space but digits to "0": a run of 19 digits is then a plain substring search (a regex over a batch
# of statements cost about 5% of storing it).
_DIGITS = bytes.maketrans(bytes(range(256)), b" " * 48 + b"0" * 10 + b" " * 198)
_LONG_RUN = b"0" * 19


def loads(body: bytes | str) -> Any:
    """Parse JSON from outside strictly: valid UTF-8 without lone surrogates, no NaN or Infinity, numbers within a
    double (orjson refuses the rest, and nesting beyond 1,024 levels). A body with a run of 19 digits is parsed again
    by the standard library, for exact integers beyond 64 bits. Raises ValueError."""
    data = body.encode() if isinstance(body, str) else body  # a str with a lone surrogate fails here
    value = orjson.loads(data)
    if _LONG_RUN in data.translate(_DIGITS):
        try:
            value = json.loads(data)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None
    return value


def ifi(agent: dict) -> str | None:
    """The inverse functional identifier of an Agent or identified Group as one string, or None."""
    if "mbox" in agent:
        local, _, domain = agent["mbox"].partition("@")
        return f"mbox|{local}@{domain.lower()}"
    if "mbox_sha1sum" in agent:
        return f"mbox_sha1sum|{agent['mbox_sha1sum'].lower()}"
    if "openid" in agent:
        return f"openid|{agent['openid']}"
    if "account" in agent:
        return f"account|{agent['account']['homePage']}|{agent['account']['name']}"
    return None


def actor_key(actor: dict) -> str:
    """What the statement log stores (and progress groups by) as the actor: its IFI, or an anonymous group's
    members."""
    return ifi(actor) or "group|" + dumps(sorted(dumps(m) for m in actor.get("member", [])))[:560]


def pair_key(agent: str, activity_id: str) -> int:
    """The key of one (actor, activity) pair: how a progress row finds its statements in the key index."""
    return hash_key("p", f"{agent}|{activity_id}")


def hash_key(kind: str, value: str) -> int:
    """A signed 64-bit key for ``kind|value`` (collisions: about one in 2**64 per pair)."""
    return int.from_bytes(hashlib.blake2b(f"{kind}|{value}".encode(), digest_size=8).digest(), "big", signed=True)


def _agent_ids(agent: dict | None) -> list[str]:
    if not agent:
        return []
    ids = [i for i in [ifi(agent)] if i]
    for member in agent.get("member", []):
        member_id = ifi(member)
        if member_id:
            ids.append(member_id)
    return ids


def _parts(statement: dict) -> list[tuple[str, dict]]:
    """The statement and, if its object is one, its SubStatement (which has actor, verb, object, context and
    attachments of its own), each with the path prefix of its properties."""
    target = statement["object"]
    return [("", statement)] + ([("object.", target)] if target.get("objectType") == "SubStatement" else [])


def mentioned_activities(statement: dict) -> list[str]:
    """The id of every Activity in a statement: its object, its context's, and those of its SubStatement."""
    found = []
    for _, holder in _parts(statement):
        if holder["object"].get("objectType", "Activity") == "Activity":
            found.append(holder["object"]["id"])
        found += _context_activities(holder.get("context", {}))
    return found


def _context_activities(context: dict) -> list[str]:
    found = []
    for kind in CONTEXT_ACTIVITY_KINDS:
        items = context.get("contextActivities", {}).get(kind, [])
        found.extend(item["id"] for item in (items if isinstance(items, list) else [items]))
    return found


def query_keys(statement: dict) -> set[int]:
    """Keys for the filters ``agent``, ``verb``, ``activity``, ``registration`` and their ``related_*`` forms."""
    keys: set[int] = set()
    target = statement["object"]
    kind = target.get("objectType", "Activity")
    direct_agents = _agent_ids(statement["actor"])
    if kind in ("Agent", "Group"):
        direct_agents += _agent_ids(target)
    related_agents = list(direct_agents) + _agent_ids(statement.get("authority"))
    related_activities = []
    context = statement.get("context", {})
    related_agents += _agent_ids(context.get("instructor")) + _agent_ids(context.get("team"))
    related_activities += _context_activities(context)
    if kind == "Activity":
        keys.add(hash_key("o", target["id"]))
        related_activities.append(target["id"])
    if kind == "SubStatement":
        sub_context = target.get("context", {})
        related_agents += _agent_ids(target["actor"]) + _agent_ids(sub_context.get("instructor"))
        related_agents += _agent_ids(sub_context.get("team"))
        sub_object = target["object"]
        if sub_object.get("objectType", "Activity") == "Activity":
            related_activities.append(sub_object["id"])
        elif sub_object.get("objectType") in ("Agent", "Group"):
            related_agents += _agent_ids(sub_object)
        related_activities += _context_activities(sub_context)
    keys.update(hash_key("a", a) for a in direct_agents)
    keys.update(hash_key("ra", a) for a in related_agents)
    keys.update(hash_key("ro", a) for a in related_activities)
    keys.add(hash_key("v", statement["verb"]["id"]))
    if "registration" in context:
        keys.add(hash_key("r", context["registration"].lower()))
    return keys


def _normal(value: Any) -> Any:
    """Sort unordered lists (group members) so comparison ignores their order."""
    if isinstance(value, dict):
        # An LRS may add the default objectType when it stores a statement; it changes nothing.
        out = {k: _normal(v) for k, v in value.items() if not (k == "objectType" and v in ("Agent", "Activity"))}
        if isinstance(out.get("member"), list):
            out["member"] = sorted(out["member"], key=dumps)
        if "mbox" in out and isinstance(out["mbox"], str):
            local, _, domain = out["mbox"].partition("@")
            out["mbox"] = f"{local}@{domain.lower()}"
        return out
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def comparable(statement: dict, *, keep_timestamp: bool = True) -> dict:
    """The parts of a statement that immutability covers (xAPI-Data 2.3.1), for same-id comparison."""
    out = copy.deepcopy(statement)
    for key in ("id", "stored", "authority", "version"):
        out.pop(key, None)
    if "timestamp" in out:
        if keep_timestamp:
            out["timestamp"] = _same_moment(out["timestamp"])
        else:
            out.pop("timestamp")
    normalise_context_activities(out)
    sub = out["object"]
    if sub.get("objectType") == "SubStatement" and "timestamp" in sub:
        sub["timestamp"] = _same_moment(sub["timestamp"])
    return _normal(out)


def _same_moment(value: str) -> str:
    """A timestamp written so that two ways of writing one moment compare equal (a stored statement may hold a
    form that today's validation refuses: it is compared as it is written)."""
    moment = stored_timestamp(value)
    return moment.isoformat() if moment else value


def normalise_context_activities(statement: dict) -> None:
    """Every contextActivities value as an array, in the statement and its SubStatement (xAPI-Data 2.4.6.2: the LRS
    MUST return every value as an array, even if it arrived as a single Activity Object)."""
    for _, holder in _parts(statement):
        context = holder.get("context", {})
        for kind, items in context.get("contextActivities", {}).items():
            context["contextActivities"][kind] = items if isinstance(items, list) else [items]


def attachment_headers(statement: dict) -> list[tuple[str, dict]]:
    """The Attachment objects of a statement and of its SubStatement, each with where it is."""
    return [(f"{prefix}attachments[{n}]", header) for prefix, holder in _parts(statement)
            for n, header in enumerate(holder.get("attachments", []))]


def same_statement(received: dict, stored: dict) -> bool:
    return comparable(received, keep_timestamp="timestamp" in received) == comparable(
        stored, keep_timestamp="timestamp" in received)


def _ids_agent(agent: dict) -> dict:
    out = {"objectType": agent.get("objectType", "Agent")}
    for key in IFI_KEYS:
        if key in agent:
            out[key] = agent[key]
    if out["objectType"] == "Group" and "member" in agent and not any(k in agent for k in IFI_KEYS):
        out["member"] = [_ids_agent(m) for m in agent["member"]]
    return out


def _ids_activity(item: dict) -> dict:
    # xAPI-Communication 2.1.3, format=ids: only what identifies it; objectType defaults to Activity.
    return {"id": item["id"]}


def _map_parts(statement: dict, agent_fn, activity_fn, verb_fn) -> dict:
    out = dict(statement)
    out["actor"] = agent_fn(statement["actor"])
    out["verb"] = verb_fn(statement["verb"])
    target = statement["object"]
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        out["object"] = activity_fn(target)
    elif kind in ("Agent", "Group"):
        out["object"] = agent_fn(target)
    elif kind == "SubStatement":
        out["object"] = {"objectType": "SubStatement",
                         **_map_parts({k: v for k, v in target.items() if k != "objectType"},
                                      agent_fn, activity_fn, verb_fn)}
    if "authority" in statement:
        out["authority"] = agent_fn(statement["authority"])
    if "context" in statement:
        context = dict(statement["context"])
        for key in ("instructor", "team"):
            if key in context:
                context[key] = agent_fn(context[key])
        if "contextActivities" in context:  # statements stored before 2026-12-02 may hold a single object here
            context["contextActivities"] = {k: [activity_fn(a) for a in (v if isinstance(v, list) else [v])]
                                            for k, v in context["contextActivities"].items()}
        out["context"] = context
    return out


def ids_format(statement: dict) -> dict:
    """Only what identifies agents, activities and verbs (format=ids)."""
    return _map_parts(statement, _ids_agent, _ids_activity, lambda v: {"id": v["id"]})


def pick_language(language_map: dict, accept: list[str]) -> dict:
    """One entry of a language map: the first accepted language present, else the first entry."""
    if not language_map:
        return language_map
    lowered = {k.lower(): k for k in language_map}
    for wanted in accept:
        wanted = wanted.lower()
        if wanted in lowered:
            return {lowered[wanted]: language_map[lowered[wanted]]}
        for key, original in lowered.items():
            if key.split("-")[0] == wanted.split("-")[0]:
                return {original: language_map[original]}
    first = next(iter(language_map))
    return {first: language_map[first]}


def canonical_format(statement: dict, definitions: dict[str, dict], accept: list[str]) -> dict:
    """Activities with Rapport's canonical definitions and one language per map (format=canonical)."""

    def activity_fn(item: dict) -> dict:
        definition = definitions.get(item["id"], item.get("definition"))
        out = {"objectType": "Activity", "id": item["id"]}
        if definition:
            definition = dict(definition)
            for key in ("name", "description"):
                if key in definition:
                    definition[key] = pick_language(definition[key], accept)
            for key in COMPONENT_LISTS & definition.keys():  # interaction components: one language each too
                definition[key] = [{**c, "description": pick_language(c["description"], accept)}
                                   if "description" in c else c for c in definition[key]]
            out["definition"] = definition
        return out

    def verb_fn(item: dict) -> dict:
        out = {"id": item["id"]}
        if "display" in item:
            out["display"] = pick_language(item["display"], accept)
        return out

    return _map_parts(statement, lambda a: a, activity_fn, verb_fn)


def activity_definitions(statement: dict) -> dict[str, dict]:
    """Every activity a statement mentions with a definition (for the canonical definitions)."""
    found = {}
    target = statement["object"]
    if target.get("objectType", "Activity") == "Activity" and "definition" in target:
        found[target["id"]] = target["definition"]
    for kind in CONTEXT_ACTIVITY_KINDS:
        for item in statement.get("context", {}).get("contextActivities", {}).get(kind, []):
            if "definition" in item:
                found[item["id"]] = item["definition"]
    return found
