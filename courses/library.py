"""A content library: a folder of course packs (``packs/<slug>/``) and learning paths (``paths.yaml``).

``import_library`` validates every pack and the paths, reporting ``packs/<slug>/<file>:<line>: ...``, and writes
nothing if anything is wrong. The starter library ships in ``courses/content``.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from courses import packs
from courses.models import TRAINING_KINDS, Course, LearningPath, PathCourse, PathRule
from lms.extensions import db
from lms.people.models import Department, JobRole, RolloutWave

STARTER = Path(__file__).parent / "content"


def is_library(path: Path) -> bool:
    return path.is_dir() and (path / "packs").is_dir()


def import_library(path: Path, *, actor_id: int | None, publish: bool = True) -> dict[str, Any]:
    """Import every pack under ``path/packs`` and then ``path/paths.yaml``. Raises PackError with all problems."""
    problems: list[str] = []
    parsed: list[tuple[str, dict[str, bytes]]] = []
    for folder in sorted(p for p in (path / "packs").iterdir() if p.is_dir()):
        files = packs.read_folder(folder)
        try:
            packs.parse_pack(files)
        except packs.PackError as error:
            problems += [f"packs/{folder.name}/{p}" for p in error.problems]
        parsed.append((folder.name, files))
    if problems:
        raise packs.PackError(problems)
    summary: dict[str, Any] = {"courses": [], "published": [], "paths": []}
    for _name, files in parsed:
        course, published = packs.import_pack(files, actor_id=actor_id, publish=publish)
        summary["courses"].append(course.slug)
        if published:
            summary["published"].append(course.slug)
    paths_file = path / "paths.yaml"
    if paths_file.is_file():
        summary["paths"] = import_paths(paths_file.read_bytes(), name="paths.yaml")
    return summary


def import_paths(data: bytes, *, name: str) -> list[str]:
    """Create or update learning paths from a paths file. Raises PackError listing every problem."""
    reader = packs._Reader({name: data})
    text = reader.text(name)
    document = reader.yaml(name, text) if text is not None else None
    if reader.problems:
        raise packs.PackError(reader.problems)
    if not isinstance(document, dict) or not isinstance(document.get("paths"), list):
        raise packs.PackError([f"{name}:1: expected `paths:` with a list of learning paths"])
    courses = {slug: course for slug, course in db.session.execute(select(Course.slug, Course))}
    lookups = {
        "job_role": {c: i for c, i in db.session.execute(select(JobRole.code, JobRole.id))},
        "department": {n.lower(): i for n, i in db.session.execute(select(Department.name, Department.id))},
        "wave": {n.lower(): i for n, i in db.session.execute(select(RolloutWave.name, RolloutWave.id))},
    }
    plans = []
    for entry in document["paths"]:
        if not isinstance(entry, dict):
            reader.problem(name, 1, "each path must be a mapping")
            continue
        plans.append(_parse_path(reader, name, entry, courses, lookups))
    if reader.problems:
        raise packs.PackError(reader.problems)
    slugs = []
    for plan in plans:
        path = db.session.scalar(select(LearningPath).where(LearningPath.slug == plan["slug"])) or LearningPath()
        for key in ("slug", "title", "kind", "summary", "ordered", "due_days", "due_after", "due_date",
                    "recertify_months", "active"):
            setattr(path, key, plan[key])
        path.steps = [PathCourse(course=courses[slug], position=i) for i, slug in enumerate(plan["courses"])]
        path.rules = [PathRule(**rule) for rule in plan["rules"]]
        db.session.add(path)
        slugs.append(plan["slug"])
    db.session.flush()
    return slugs


def _parse_path(reader, name: str, entry: dict, courses: dict, lookups: dict) -> dict[str, Any]:
    line = entry["__line__"]
    plan: dict[str, Any] = {"slug": entry.get("slug"), "title": entry.get("title"),
                            "active": entry.get("active", True) is not False,
                            "kind": entry.get("kind", "crm_application"), "summary": str(entry.get("summary") or ""),
                            "ordered": bool(entry.get("ordered", True)), "recertify_months":
                            entry.get("recertify_months"), "due_days": None, "due_after": "assignment",
                            "due_date": None, "rules": [], "courses": []}
    if not isinstance(plan["slug"], str) or not packs.authoring.SLUG.match(plan["slug"]):
        reader.problem(name, line, "slug is required: lowercase letters, digits and hyphens")
    if not isinstance(plan["title"], str) or not plan["title"].strip():
        reader.problem(name, line, "title is required")
    if plan["kind"] not in TRAINING_KINDS:
        reader.problem(name, line, f"kind {plan['kind']!r} is not one of {', '.join(TRAINING_KINDS)}")
    for slug in entry.get("courses") or []:
        if slug not in courses:
            reader.problem(name, line, f"course {slug!r} does not exist (import its pack first)")
        plan["courses"].append(slug)
    if not plan["courses"]:
        reader.problem(name, line, "a path needs at least one course")
    due = entry.get("due") or {}
    if isinstance(due, dict) and due:
        if "date" in due:
            if not isinstance(due["date"], date):
                reader.problem(name, due.get("__line__", line), "due date must look like 2027-03-31")
            plan["due_date"] = due["date"]
        elif isinstance(due.get("days"), int) and due.get("after", "assignment") in ("assignment", "hire_date"):
            plan["due_days"], plan["due_after"] = due["days"], due.get("after", "assignment")
        else:
            reader.problem(name, due.get("__line__", line),
                           "due is {days: N, after: hire_date|assignment} or {date: YYYY-MM-DD}")
    for rule in entry.get("assign") or []:
        if not isinstance(rule, dict):
            reader.problem(name, line, "each assign rule must be a mapping")
            continue
        parsed = {"new_hire": rule.get("new_hire")}
        for key, column in (("job_role", "job_role_id"), ("department", "department_id"), ("wave", "wave_id")):
            value = rule.get(key)
            parsed[column] = None
            if value is not None:
                lookup_key = str(value) if key == "job_role" else str(value).lower()
                if lookup_key not in lookups[key]:
                    reader.problem(name, rule["__line__"], f"unknown {key.replace('_', ' ')} {value!r}")
                parsed[column] = lookups[key].get(lookup_key)
        plan["rules"].append(parsed)
    return plan


def export_paths() -> bytes:
    """Every learning path as a paths file (``paths.yaml``); importing it gives the same paths."""
    import yaml

    roles = dict(db.session.execute(select(JobRole.id, JobRole.code)).all())
    departments = dict(db.session.execute(select(Department.id, Department.name)).all())
    waves = dict(db.session.execute(select(RolloutWave.id, RolloutWave.name)).all())
    entries = []
    for path in db.session.scalars(select(LearningPath).order_by(LearningPath.slug)):
        entry: dict[str, Any] = {"slug": path.slug, "title": path.title, "kind": path.kind}
        if path.summary:
            entry["summary"] = path.summary
        entry["ordered"] = path.ordered
        entry["courses"] = [step.course.slug for step in path.steps]
        rules = []
        for rule in path.rules:
            out: dict[str, Any] = {}
            if rule.job_role_id is not None:
                out["job_role"] = roles[rule.job_role_id]
            if rule.department_id is not None:
                out["department"] = departments[rule.department_id]
            if rule.wave_id is not None:
                out["wave"] = waves[rule.wave_id]
            if rule.new_hire is not None:
                out["new_hire"] = rule.new_hire
            rules.append(out)
        if rules:
            entry["assign"] = rules
        if path.due_date:
            entry["due"] = {"date": path.due_date}
        elif path.due_days is not None:
            entry["due"] = {"days": path.due_days, "after": path.due_after}
        if path.recertify_months:
            entry["recertify_months"] = path.recertify_months
        if not path.active:
            entry["active"] = False
        entries.append(entry)
    return yaml.safe_dump({"paths": entries}, sort_keys=False, allow_unicode=True, width=110).encode()
