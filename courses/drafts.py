"""What a published course's draft changes, before it is published again: a short list a trainer can read."""
from __future__ import annotations

from typing import Any

from courses.authoring import snapshot
from courses.models import Course

_COURSE_FIELDS = {"title": "title", "kind": "training kind", "summary": "summary",
                  "estimated_minutes": "estimated minutes", "job_roles": "target job roles",
                  "min_lesson_seconds": "minimum time on a lesson", "require_scroll": "scroll-to-the-end check"}
_QUIZ_FIELDS = {"title": "title", "pass_mark": "pass mark", "attempts": "attempts allowed", "draw": "questions drawn",
                "remedial": "remedial module", "feedback": "feedback setting", "lessons_first": "lessons first"}


def draft_changes(course: Course) -> list[str]:
    """The differences between the draft and the newest published version, e.g. ``lesson “Stages” edited``.
    Empty when nothing changed (or nothing was ever published)."""
    version = course.latest_version
    if version is None:
        return []
    return diff(version.content, snapshot(course, render=False))


def _same(old: Any, new: Any) -> bool:
    """Equal in everything the older snapshot records: a field added by a later release (a lesson's slug, a quiz's
    feedback setting) or the rendered HTML is not an edit."""
    if isinstance(old, dict) and isinstance(new, dict):
        return all(key == "html" or _same(value, new.get(key)) for key, value in old.items())
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    return old == new


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = [f"course {label} changed" for key, label in _COURSE_FIELDS.items()
               if key in old and not _same(old[key], new.get(key))]
    old_modules = {m["slug"]: m for m in old["modules"]}
    new_modules = {m["slug"]: m for m in new["modules"]}
    changes += [f"module “{m['title']}” added" for slug, m in new_modules.items() if slug not in old_modules]
    changes += [f"module “{m['title']}” removed" for slug, m in old_modules.items() if slug not in new_modules]
    if [s for s in old_modules if s in new_modules] != [s for s in new_modules if s in old_modules]:
        changes.append("modules reordered")
    for slug, module in new_modules.items():
        before = old_modules.get(slug)
        if before is not None and (before["title"], before["summary"]) != (module["title"], module["summary"]):
            changes.append(f"module “{module['title']}” renamed or described anew")
    old_items = {i["key"]: i for m in old["modules"] for i in m["items"]}
    new_items = {i["key"]: i for m in new["modules"] for i in m["items"]}
    for key, item in new_items.items():
        kind = item["type"]
        before = old_items.get(key)
        if before is None:
            changes.append(f"{kind} “{item['title']}” added")
        elif kind == "lesson" and not _same(before, item):
            changes.append(f"lesson “{item['title']}” edited")
        elif kind == "quiz":
            changes += _quiz_changes(before, item)
    changes += [f"{i['type']} “{i['title']}” removed" for key, i in old_items.items() if key not in new_items]
    old_order = [k for m in old["modules"] for k in (i["key"] for i in m["items"]) if k in new_items]
    new_order = [k for m in new["modules"] for k in (i["key"] for i in m["items"]) if k in old_items]
    if old_order != new_order:
        changes.append("lessons or quizzes moved")
    return changes


def _quiz_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    name = f"quiz “{new['title']}”"
    changes = [f"{name}: {label} changed" for key, label in _QUIZ_FIELDS.items()
               if key in old and not _same(old[key], new.get(key))]
    old_q = {q["key"]: q for q in old["questions"]}
    new_q = {q["key"]: q for q in new["questions"]}
    added = sum(1 for k in new_q if k not in old_q)
    removed = sum(1 for k in old_q if k not in new_q)
    edited = sum(1 for k, q in new_q.items() if k in old_q and not _same(old_q[k], q))
    for count, what in ((added, "added"), (removed, "removed"), (edited, "edited")):
        if count:
            changes.append(f"{name}: {count} question{'s' if count != 1 else ''} {what}")
    return changes
