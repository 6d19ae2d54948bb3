"""Between the audience builder form and a rule tree (see :mod:`comms.audiences`): the form's filled-in conditions,
combined with all / any, each one negated when "exclude" is ticked."""
from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from comms.forms import AudienceForm
from comms.models import Audience
from courses import api as courses_api
from lms.admin.forms import choices
from lms.extensions import db
from lms.people.models import Department, JobRole, Person, RolloutWave
from lms.permissions import Permission


def fill_choices(form: AudienceForm, *, exclude_audience: int | None = None) -> None:
    for target, model in ((form.job_roles, JobRole), (form.departments, Department), (form.waves, RolloutWave)):
        target.choices = choices([(row.id, row.name) for row in db.session.scalars(select(model)
                                                                                 .order_by(model.name))])
    report = aliased(Person)
    managers = db.session.execute(select(Person.id, Person.name, Person.email).where(
        exists().where(report.manager_id == Person.id)).order_by(Person.name)).all()
    form.manager.choices = choices([("", "—")] + [(m.id, f"{m.name} ({m.email})") for m in managers])
    form.permission.choices = choices([("", "—")] + [(p.value, p.label) for p in Permission])
    catalogue = courses_api.catalogue()
    form.course.choices = choices([("", "—")] + [(c.id, c.title) for c in catalogue.courses if c.kind != "remedial"])
    form.path.choices = choices([("", "—")] + [(p.id, p.title) for p in catalogue.paths])
    form.quiz.choices = choices([("", "—")] + [(f"{q.course_id}:{q.key}", f"{q.course_title}: {q.title}")
                                               for q in catalogue.quizzes])
    form.audience.choices = choices([("", "—")] + [(a.id, a.name) for a in db.session.scalars(
        select(Audience).order_by(Audience.name)) if a.id != exclude_audience])


def _maybe_not(rule: dict, negate: bool) -> dict:
    return {"op": "not", "rules": [rule]} if negate else rule


def rules_from(form: AudienceForm) -> dict:
    parts = []
    f = form
    for field, ids, negate in (("job_role", f.job_roles.data, f.job_roles_not.data),
                               ("department", f.departments.data, f.departments_not.data),
                               ("wave", f.waves.data, f.waves_not.data)):
        if ids:
            parts.append(_maybe_not({"field": field, "ids": list(ids)}, negate))
    if f.manager.data:
        parts.append(_maybe_not({"field": "manager", "person": f.manager.data, "scope": f.manager_scope.data},
                                f.manager_not.data))
    if f.hired_from.data or f.hired_to.data:
        parts.append(_maybe_not({"field": "hired", "from": f.hired_from.data and f.hired_from.data.isoformat(),
                                 "to": f.hired_to.data and f.hired_to.data.isoformat()}, f.hired_not.data))
    if f.permission.data:
        parts.append(_maybe_not({"field": "permission", "value": f.permission.data}, f.permission_not.data))
    if f.course.data:
        parts.append(_maybe_not({"field": "course_status", "course": f.course.data, "status": f.course_status.data},
                                f.course_not.data))
    if f.path.data:
        parts.append(_maybe_not({"field": "path_status", "path": f.path.data, "status": f.path_status.data},
                                f.path_not.data))
    if f.quiz.data and ":" in f.quiz.data:
        course, _, key = f.quiz.data.partition(":")
        if course.isdigit():
            parts.append(_maybe_not({"field": "failed_quiz", "course": int(course), "quiz": key}, f.quiz_not.data))
    if f.overdue.data:
        parts.append(_maybe_not({"field": "overdue"}, f.overdue_not.data))
    if f.audience.data:
        parts.append(_maybe_not({"field": "audience", "audience": f.audience.data}, f.audience_not.data))
    if f.active.data == "inactive":
        parts.append({"field": "active", "value": False})
    rules = {"op": f.match.data if f.match.data in ("all", "any") else "all", "rules": parts}
    if f.active.data == "inactive" and rules["op"] == "any":  # "deactivated" narrows the whole audience
        rules = {"op": "all", "rules": [{"op": "any", "rules": parts[:-1]}, parts[-1]]}
    return rules


def load(form: AudienceForm, audience: Audience) -> None:
    """Fill the form from a saved audience made by the builder (other shapes are shown, not edited)."""
    form.name.data = audience.name
    rules = audience.rules
    if rules.get("op") == "all" and len(rules.get("rules", [])) == 2 and rules["rules"][0].get("op") == "any" \
            and rules["rules"][1].get("field") == "active":
        form.active.data = "inactive"
        rules = rules["rules"][0]
    form.match.data = rules.get("op", "all")
    for rule in rules.get("rules", []):
        negate = rule.get("op") == "not"
        if negate:
            rule = (rule.get("rules") or [{}])[0]
        field = rule.get("field")
        if field in ("job_role", "department", "wave"):
            name = {"job_role": "job_roles", "department": "departments", "wave": "waves"}[field]
            getattr(form, name).data = rule.get("ids", [])
            getattr(form, name + "_not").data = negate
        elif field == "manager":
            form.manager.data, form.manager_scope.data, form.manager_not.data = rule["person"], rule.get(
                "scope", "direct"), negate
        elif field == "hired":
            form.hired_from.data = date.fromisoformat(rule["from"]) if rule.get("from") else None
            form.hired_to.data = date.fromisoformat(rule["to"]) if rule.get("to") else None
            form.hired_not.data = negate
        elif field == "permission":
            form.permission.data, form.permission_not.data = rule["value"], negate
        elif field == "course_status":
            form.course.data, form.course_status.data, form.course_not.data = rule["course"], rule["status"], negate
        elif field == "path_status":
            form.path.data, form.path_status.data, form.path_not.data = rule["path"], rule["status"], negate
        elif field == "failed_quiz":
            form.quiz.data, form.quiz_not.data = f"{rule['course']}:{rule['quiz']}", negate
        elif field == "overdue":
            form.overdue.data, form.overdue_not.data = True, negate
        elif field == "audience":
            form.audience.data, form.audience_not.data = rule["audience"], negate
        elif field == "active" and rule.get("value") is False:
            form.active.data = "inactive"


def describe(rules: dict, names: dict[str, dict] | None = None) -> str:
    """A short human reading of a rule tree, for lists."""
    if "op" in rules:
        inner = [describe(r, names) for r in rules.get("rules", [])]
        if rules["op"] == "not":
            return "not (" + " and ".join(inner) + ")"
        return (" and " if rules["op"] == "all" else " or ").join(inner) or "everyone"
    return rules.get("field", "?").replace("_", " ")
