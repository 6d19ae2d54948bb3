"""Course packs: a folder (or zip) with ``course.yaml``, ``lessons/*.md`` and ``quizzes/*.yaml``.

Import validates everything first and reports ``file:line: message`` for each problem; it writes nothing when
anything is invalid. Export writes the same format, and importing an export gives an identical course.
See ``courses/content/FORMAT.md``.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from sqlalchemy import select

from courses import authoring, markdown
from courses.models import TRAINING_KINDS, Course, Lesson, Module, Question, Quiz
from lms.errors import DomainError
from lms.extensions import db
from lms.people.models import JobRole

# Limits: what a pack may hold, and how much parsing it may cost (bench/pack_parse.py prints the worst cases).
MAX_PACK_BYTES = 16 * 2**20  # all files, uncompressed
MAX_PACK_FILES = 1_000
MAX_YAML_BYTES = 128 * 2**10  # one YAML document: course.yaml, a quiz, a lesson's front matter
MAX_YAML_TOTAL_BYTES = 2**20  # all the YAML of a pack
MAX_YAML_NODES = 20_000  # values in one YAML document
MAX_YAML_DEPTH = 16  # mappings and lists inside one another
MAX_ITEMS = 200  # lessons and quizzes in a course
MAX_LESSON_TEXT = markdown.MAX_COURSE_CHARS  # characters of lesson Markdown in a course
MAX_TEXT = 20_000  # characters in any one YAML value
MAX_OPTIONS = 20  # answer options of a question
# Field lengths, as the authoring forms have them.
TEXT_LIMITS = {"title": 200, "summary": 4000, "prompt": 4000, "explanation": 4000, "topic": 80, "text": 1000,
               "option explanation": 2000, "key": 80, "id": 80, "remedial": 161, "job role": 60}


class PackError(DomainError):
    """A pack that cannot be imported; ``problems`` lists every ``file:line: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the course pack; nothing was imported.")
        self.problems = problems


class _Line(int):
    pass


class _RefusingComposer(yaml.composer.Composer):
    """Builds the node tree from the parser's events, refusing anchors and aliases (``&a`` / ``*a``: a few
    hundred bytes of nested aliases expand to gigabytes), more than MAX_YAML_NODES values and nesting deeper than
    MAX_YAML_DEPTH, before anything is constructed."""

    def compose_document(self):
        self.lms_nodes = 0
        self.lms_depth = 0
        return super().compose_document()

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&name, *name) are not allowed in a course pack", event.start_mark)
        self.lms_nodes += 1
        if self.lms_nodes > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(None, None, f"more than {MAX_YAML_NODES:,} values in one file",
                                              event.start_mark)
        if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_TEXT:
            raise yaml.composer.ComposerError(None, None, f"a value longer than {MAX_TEXT:,} characters",
                                              event.start_mark)
        self.lms_depth += 1
        try:
            if self.lms_depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_YAML_DEPTH} deep",
                                                  event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.lms_depth -= 1


if getattr(yaml, "__with_libyaml__", False):  # libyaml's C parser: several times faster than the Python one
    from yaml.cyaml import CParser as _Parser

    class _LineLoader(_RefusingComposer, _Parser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """Safe YAML that remembers the line each mapping starts on (as key ``__line__``)."""

        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:  # pragma: no cover (PyYAML built without libyaml)
    class _LineLoader(_RefusingComposer, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,  # type: ignore[no-redef]
                      yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """Safe YAML that remembers the line each mapping starts on (as key ``__line__``)."""

        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str) -> Any:
    """Parse one YAML document with the pack's loader (safe, no anchors or aliases, bounded); raises YAMLError."""
    loader = _LineLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@dataclass
class _Reader:
    """Files of a pack by relative path, from a folder or a zip, plus the problems found so far."""

    files: dict[str, bytes]
    problems: list[str] = field(default_factory=list)
    yaml_bytes: int = 0
    lesson_chars: int = 0

    def problem(self, name: str, line: int | None, message: str) -> None:
        self.problems.append(f"{name}:{line}: {message}" if line else f"{name}: {message}")

    def text(self, name: str, line_of_reference: tuple[str, int] | None = None) -> str | None:
        if name not in self.files:
            if line_of_reference:
                self.problem(line_of_reference[0], line_of_reference[1], f"file {name} does not exist")
            else:
                self.problem(name, None, "file does not exist")
            return None
        try:
            return self.files[name].decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = self.files[name][:exc.start].count(b"\n") + 1
            self.problem(name, line, "not UTF-8 text")
            return None

    def yaml(self, name: str, text: str, first_line: int = 1) -> Any:
        size = len(text.encode())
        self.yaml_bytes += size
        if size > MAX_YAML_BYTES:
            self.problem(name, first_line, f"YAML larger than {MAX_YAML_BYTES // 2**10} KiB")
            return None
        if self.yaml_bytes > MAX_YAML_TOTAL_BYTES:
            self.problem(name, first_line, f"the pack's YAML is larger than {MAX_YAML_TOTAL_BYTES // 2**20} MiB "
                                           "in all")
            return None
        try:
            return load_yaml(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + first_line if mark else first_line
            self.problem(name, line, f"YAML: {exc.problem or exc.context}")
        except yaml.YAMLError as exc:
            self.problem(name, first_line, f"YAML: {exc}")
        return None

    def limit(self, name: str, line: int | None, what: str, value: Any, limit_key: str | None = None) -> None:
        """A problem when the text ``value`` is longer than ``TEXT_LIMITS`` allows for ``what``."""
        limit = TEXT_LIMITS[limit_key or what]
        if isinstance(value, str) and len(value) > limit:
            self.problem(name, line, f"{what} is longer than {limit:,} characters")


def read_folder(path: Path) -> dict[str, bytes]:
    files, total = {}, 0
    for file in sorted(path.rglob("*")):
        if file.is_file() and not any(part.startswith(".") for part in file.relative_to(path).parts):
            total += file.stat().st_size
            if total > MAX_PACK_BYTES:
                raise PackError([f"{path}: larger than {MAX_PACK_BYTES // 2**20} MiB"])
            if len(files) >= MAX_PACK_FILES:
                raise PackError([f"{path}: more than {MAX_PACK_FILES:,} files"])
            files[file.relative_to(path).as_posix()] = file.read_bytes()
    return files


def _central_directory(data: bytes) -> tuple[int, int] | None:
    """(entries, size of the central directory) from a zip's end record, read before ``zipfile`` reads the
    directory itself (which builds an object per entry); None when there is no end record."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or len(data) < end + 22:
        return None
    entries = int.from_bytes(data[end + 10:end + 12], "little")
    size = int.from_bytes(data[end + 12:end + 16], "little")
    locator = end - 20
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
        record = int.from_bytes(data[locator + 8:locator + 16], "little")  # zip64: the real figures are there
        if data[record:record + 4] == b"PK\x06\x06":
            entries = int.from_bytes(data[record + 32:record + 40], "little")
            size = int.from_bytes(data[record + 40:record + 48], "little")
    return entries, size


def read_zip(data: bytes) -> dict[str, bytes]:
    directory = _central_directory(data)
    # An entry takes at least 46 bytes of the directory; 512 each leaves room for long names.
    if directory and (directory[0] > MAX_PACK_FILES or directory[1] > MAX_PACK_FILES * 512):
        raise PackError([f"upload: more than {MAX_PACK_FILES:,} files in the zip"])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackError(["upload: not a zip file"]) from None
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_PACK_FILES:
        raise PackError([f"upload: more than {MAX_PACK_FILES:,} files in the zip"])
    if sum(i.file_size for i in infos) > MAX_PACK_BYTES:
        raise PackError([f"upload: unpacks to more than {MAX_PACK_BYTES // 2**20} MiB"])
    files = {}
    for info in infos:
        name = PurePosixPath(info.filename)
        if name.is_absolute() or ".." in name.parts:
            raise PackError([f"{info.filename}: unsafe path in zip"])
        if any(part.startswith((".", "__MACOSX")) for part in name.parts):
            continue
        try:
            files[name.as_posix()] = archive.read(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
            raise PackError([f"{info.filename}: the zip cannot be read ({exc})"]) from None
    roots = {name.split("/", 1)[0] for name in files if "/" in name}
    if "course.yaml" not in files and len(roots) == 1:  # the zip holds the pack's folder
        root = roots.pop() + "/"
        files = {name[len(root):]: data for name, data in files.items() if name.startswith(root)}
    return files


# --- parsing ------------------------------------------------------------------------------------------------------

def _need(reader: _Reader, name: str, data: dict, key: str, kind: type | tuple, line: int | None = None) -> Any:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        reader.problem(name, line or data.get("__line__"), f"{key} is required")
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        reader.problem(name, line or data.get("__line__"), f"{key} must be {_kind_name(kind)}")
        return None
    return value


def _text(reader: _Reader, name: str, data: dict, key: str, limit_key: str | None = None) -> str:
    """An optional text field: "" when missing; a problem when it is not text or too long."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        reader.problem(name, data.get("__line__"), f"{key} must be text")
        return ""
    reader.limit(name, data.get("__line__"), limit_key or key, str(value))
    return str(value).strip()


def _kind_name(kind) -> str:
    return {str: "text", int: "a whole number", list: "a list", dict: "a mapping", bool: "true or false"}.get(
        kind, "valid")


def parse_pack(files: dict[str, bytes]) -> dict[str, Any]:
    """Parse and validate a pack; return the course as plain data or raise PackError with every problem."""
    reader = _Reader(files)
    text = reader.text("course.yaml")
    course = reader.yaml("course.yaml", text) if text is not None else None
    if course is None:
        raise PackError(reader.problems)
    if not isinstance(course, dict):
        raise PackError(["course.yaml:1: expected a mapping of course fields"])
    result: dict[str, Any] = {"modules": []}
    slug = _need(reader, "course.yaml", course, "slug", str)
    if slug and not authoring.SLUG.match(slug):
        reader.problem("course.yaml", course["__line__"], f"slug {slug!r}: lowercase letters, digits, hyphens")
    result["slug"] = slug
    result["title"] = _need(reader, "course.yaml", course, "title", str)
    reader.limit("course.yaml", course["__line__"], "title", result["title"])
    kind = _need(reader, "course.yaml", course, "kind", str)
    if kind and kind not in TRAINING_KINDS:
        reader.problem("course.yaml", course["__line__"], f"kind {kind!r} is not one of {', '.join(TRAINING_KINDS)}")
    result["kind"] = kind
    result["summary"] = _text(reader, "course.yaml", course, "summary")
    minutes = course.get("estimated_minutes", 0)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0:
        reader.problem("course.yaml", course["__line__"], "estimated_minutes must be a whole number")
        minutes = 0
    result["estimated_minutes"] = minutes
    roles = course.get("job_roles") or []
    if not isinstance(roles, list):
        reader.problem("course.yaml", course["__line__"], "job_roles must be a list of job role codes")
        roles = []
    result["job_roles"] = [str(r) for r in roles]
    for role in result["job_roles"]:
        reader.limit("course.yaml", course["__line__"], "job role", role)
    modules = course.get("modules")
    if not isinstance(modules, list) or not modules:
        reader.problem("course.yaml", course["__line__"], "modules must be a non-empty list")
        modules = []
    seen_modules, seen_keys = set(), set()
    item_count = 0
    for module in modules:
        if not isinstance(module, dict):
            reader.problem("course.yaml", course["__line__"], "each module must be a mapping")
            continue
        line = module["__line__"]
        mslug = _need(reader, "course.yaml", module, "slug", str)
        if mslug and not authoring.SLUG.match(mslug):
            reader.problem("course.yaml", line, f"module slug {mslug!r}: lowercase letters, digits, hyphens")
        if mslug in seen_modules:
            reader.problem("course.yaml", line, f"module slug {mslug!r} is used twice")
        seen_modules.add(mslug)
        parsed = {"slug": mslug, "title": _need(reader, "course.yaml", module, "title", str),
                  "summary": _text(reader, "course.yaml", module, "summary"), "items": []}
        reader.limit("course.yaml", line, "title", parsed["title"])
        items = module.get("items") or []
        if not isinstance(items, list):
            reader.problem("course.yaml", line, "items must be a list")
            items = []
        item_count += len(items)
        if item_count > MAX_ITEMS:
            reader.problem("course.yaml", line, f"more than {MAX_ITEMS} lessons and quizzes in the course")
            break
        for item in items:
            if not isinstance(item, dict) or not ({"lesson", "quiz"} & set(item)):
                reader.problem("course.yaml", line,
                               "each item is `lesson: lessons/FILE.md` or `quiz: quizzes/FILE.yaml`")
                continue
            if "lesson" in item:
                parsed_item = _parse_lesson(reader, str(item["lesson"]), ("course.yaml", item["__line__"]))
            else:
                parsed_item = _parse_quiz(reader, str(item["quiz"]), ("course.yaml", item["__line__"]))
            if parsed_item:
                if parsed_item["key"] in seen_keys:
                    reader.problem("course.yaml", item["__line__"], f"{parsed_item['key']!r} appears twice")
                seen_keys.add(parsed_item["key"])
                parsed["items"].append(parsed_item)
        if not parsed["items"]:
            reader.problem("course.yaml", line, f"module {mslug!r} has no items")
        result["modules"].append(parsed)
    if reader.problems:
        raise PackError(reader.problems)
    return result


def _parse_lesson(reader: _Reader, name: str, ref: tuple[str, int]) -> dict[str, Any] | None:
    text = reader.text(name, ref)
    if text is None:
        return None
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---" or "---" not in [x.strip() for x in lines[1:]]:
        reader.problem(name, 1, "a lesson starts with front matter between --- lines (title, minutes)")
        return None
    end = [x.strip() for x in lines].index("---", 1)
    meta = reader.yaml(name, "\n".join(lines[1:end]), first_line=2)
    if meta is None and not reader.problems:
        meta = {}
    if not isinstance(meta, dict):
        if meta is not None:
            reader.problem(name, 2, "front matter must be a mapping")
        return None
    meta["__line__"] = 2
    title = _need(reader, name, meta, "title", str)
    minutes = _need(reader, name, meta, "minutes", int)
    reader.limit(name, 2, "title", title)
    reader.limit(name, 2, "key", meta.get("key"))
    body = authoring.normal_body("\n".join(lines[end + 1:]))
    reader.lesson_chars += len(body)
    if reader.lesson_chars > MAX_LESSON_TEXT:
        reader.problem(name, 1, f"the course's lessons are longer than {MAX_LESSON_TEXT:,} characters in all")
        return None
    body_start = end + 2 + (len(lines[end + 1:]) - len("\n".join(lines[end + 1:]).lstrip("\n").split("\n")))
    for line, message in markdown.check(body) or markdown.problems(body):  # problems() only on bounded text
        reader.problem(name, body_start + line - 1, message)
    return {"type": "lesson", "key": str(meta.get("key") or PurePosixPath(name).stem), "title": title,
            "minutes": minutes, "body": body, "source": name}


def _parse_quiz(reader: _Reader, name: str, ref: tuple[str, int]) -> dict[str, Any] | None:
    text = reader.text(name, ref)
    if text is None:
        return None
    quiz = reader.yaml(name, text)
    if not isinstance(quiz, dict):
        if quiz is not None:
            reader.problem(name, 1, "a quiz is a mapping with title, pass_mark and questions")
        return None
    title = _need(reader, name, quiz, "title", str)
    for key in ("title", "key", "remedial"):
        reader.limit(name, quiz["__line__"], key, quiz.get(key))
    pass_mark = quiz.get("pass_mark", 75)
    if not isinstance(pass_mark, int) or not 0 < pass_mark <= 100:
        reader.problem(name, quiz["__line__"], "pass_mark must be a percentage from 1 to 100")
    attempts = quiz.get("attempts", 3)
    if not isinstance(attempts, int) or attempts < 0:
        reader.problem(name, quiz["__line__"], "attempts must be 0 (unlimited) or more")
    remedial = quiz.get("remedial")
    if remedial is not None and (not isinstance(remedial, str) or "/" not in remedial):
        reader.problem(name, quiz["__line__"], "remedial must be course-slug/module-slug")
    questions, ids = [], set()
    raw_questions = quiz.get("questions") or []
    if not isinstance(raw_questions, list):
        reader.problem(name, quiz["__line__"], "questions must be a list")
        raw_questions = []
    for question in raw_questions:
        if not isinstance(question, dict):
            reader.problem(name, quiz["__line__"], "each question must be a mapping")
            continue
        parsed = _parse_question(reader, name, question)
        if parsed:
            if parsed["key"] in ids:
                reader.problem(name, question["__line__"], f"question id {parsed['key']!r} is used twice")
            ids.add(parsed["key"])
            questions.append(parsed)
    if not questions:
        reader.problem(name, quiz["__line__"], "a quiz needs questions")
    draw = quiz.get("draw")
    if draw is not None and (not isinstance(draw, int) or not 0 < draw <= len(questions)):
        reader.problem(name, quiz["__line__"], f"draw must be between 1 and the {len(questions)} questions")
    return {"type": "quiz", "key": str(quiz.get("key") or PurePosixPath(name).stem), "title": title,
            "pass_mark": pass_mark, "attempts": attempts, "draw": draw, "remedial": remedial,
            "questions": questions, "source": name}


def _parse_question(reader: _Reader, name: str, question: dict) -> dict[str, Any] | None:
    line = question["__line__"]
    qtype = question.get("type")
    key = question.get("id")
    if not key:
        reader.problem(name, line, "question needs an id")
        return None
    for field_name in ("id", "prompt", "explanation", "topic"):
        reader.limit(name, line, field_name, question.get(field_name))
    if qtype == "true_false":
        if not isinstance(question.get("answer"), bool):
            reader.problem(name, line, f"question {key}: answer must be true or false")
            return None
        options = authoring.true_false_options(question["answer"])
    else:
        raw = question.get("options")
        if not isinstance(raw, list) or not all(isinstance(o, dict) for o in raw):
            reader.problem(name, line, f"question {key}: options must be a list of mappings with text")
            return None
        if len(raw) > MAX_OPTIONS:
            reader.problem(name, line, f"question {key}: more than {MAX_OPTIONS} options")
            return None
        for option in raw:
            reader.limit(name, option["__line__"], "text", option.get("text"))
            reader.limit(name, option["__line__"], "option explanation", option.get("explanation"))
        options = tuple({k: v for k, v in o.items() if k != "__line__"} for o in raw)
    info = authoring.QuestionInfo(type=str(qtype), prompt=str(question.get("prompt") or ""), options=options,
                                  explanation=str(question.get("explanation") or ""),
                                  topic=str(question.get("topic") or ""))
    try:
        stored = authoring.check_question(info)
    except DomainError as error:
        reader.problem(name, line, f"question {key}: {error.message}")
        return None
    return {"key": str(key), "type": info.type, "prompt": info.prompt.strip(), "options": stored,
            "explanation": info.explanation.strip(), "topic": info.topic.strip()}


# --- writing ------------------------------------------------------------------------------------------------------

def import_pack(files: dict[str, bytes], *, actor_id: int | None, publish: bool = True) -> tuple[Course, bool]:
    """Import (or replace the draft of) a course from a pack; publish it if the content changed.

    Returns (course, published a new version). Raises PackError before writing anything."""
    data = parse_pack(files)
    roles = {code: role for code, role in db.session.execute(select(JobRole.code, JobRole))}
    missing = [code for code in data["job_roles"] if code not in roles]
    if missing:
        raise PackError([f"course.yaml: unknown job role(s) {', '.join(missing)}; add them under Admin > Job roles"])
    course = db.session.scalar(select(Course).where(Course.slug == data["slug"]))
    info = authoring.CourseInfo(slug=data["slug"], title=data["title"], kind=data["kind"], summary=data["summary"],
                                estimated_minutes=data["estimated_minutes"],
                                job_role_ids=tuple(roles[c].id for c in data["job_roles"]))
    course = authoring.save_course(info, course=course, actor_id=actor_id)
    for module in list(course.modules):
        course.modules.remove(module)
    db.session.flush()
    for position, module_data in enumerate(data["modules"]):
        module = Module(slug=module_data["slug"], title=module_data["title"], summary=module_data["summary"],
                        position=position)
        course.modules.append(module)
        for item_position, item in enumerate(module_data["items"]):
            if item["type"] == "lesson":
                module.lessons.append(Lesson(key=item["key"], title=item["title"], minutes=item["minutes"],
                                             body=item["body"], position=item_position, source_name=item["source"]))
            else:
                quiz = Quiz(key=item["key"], title=item["title"], pass_mark=item["pass_mark"],
                            max_attempts=item["attempts"], draw=item["draw"], remedial=item["remedial"],
                            position=item_position, source_name=item["source"])
                quiz.questions = [Question(key=q["key"], type=q["type"], prompt=q["prompt"], options=q["options"],
                                           explanation=q["explanation"], topic=q["topic"], position=i)
                                  for i, q in enumerate(item["questions"])]
                module.quizzes.append(quiz)
    db.session.flush()
    db.session.refresh(course)
    published = False
    if publish and (course.latest_version is None or course.latest_version.content != authoring.snapshot(course)):
        authoring.publish(course, actor_id=actor_id)
        published = True
    return course, published


def export_pack(course: Course) -> dict[str, bytes]:
    """The course's draft as pack files (relative path -> bytes)."""
    files: dict[str, bytes] = {}
    modules = []
    lesson_number = 0
    for module in course.modules:
        items = []
        for item in module.items:
            if isinstance(item, Lesson):
                lesson_number += 1
                name = item.source_name or f"lessons/{lesson_number:02d}-{item.key}.md"
                meta = {"title": item.title, "minutes": item.minutes}
                if PurePosixPath(name).stem != item.key:
                    meta["key"] = item.key
                files[name] = ("---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n"
                               + item.body).encode()
                items.append({"lesson": name})
            else:
                name = item.source_name or f"quizzes/{item.key}.yaml"
                quiz: dict[str, Any] = {"title": item.title, "pass_mark": item.pass_mark,
                                        "attempts": item.max_attempts}
                if PurePosixPath(name).stem != item.key:
                    quiz["key"] = item.key
                if item.draw:
                    quiz["draw"] = item.draw
                if item.remedial:
                    quiz["remedial"] = item.remedial
                quiz["questions"] = [_export_question(q) for q in item.questions]
                files[name] = yaml.safe_dump(quiz, sort_keys=False, allow_unicode=True, width=110).encode()
                items.append({"quiz": name})
        modules.append({"slug": module.slug, "title": module.title, "summary": module.summary, "items": items})
    course_data = {"slug": course.slug, "title": course.title, "kind": course.kind, "summary": course.summary,
                   "job_roles": sorted(r.code for r in course.job_roles),
                   "estimated_minutes": course.estimated_minutes, "modules": modules}
    files["course.yaml"] = yaml.safe_dump(course_data, sort_keys=False, allow_unicode=True, width=110).encode()
    return files


def _export_question(question: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"id": question.key, "type": question.type}
    if question.topic:
        out["topic"] = question.topic
    out["prompt"] = question.prompt
    if question.type == "true_false":
        out["answer"] = bool(question.options[0]["correct"])
    else:
        out["options"] = []
        for option in question.options:
            entry: dict[str, Any] = {"text": option["text"]}
            if option.get("correct"):
                entry["correct"] = True
            if option.get("explanation"):
                entry["explanation"] = option["explanation"]
            out["options"].append(entry)
    if question.explanation:
        out["explanation"] = question.explanation
    return out


def write_folder(files: dict[str, bytes], target: Path) -> None:
    for name, data in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def zip_bytes(files: dict[str, bytes], folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(f"{folder}/{name}", data)
    return buffer.getvalue()
