"""The question bank: questions kept once and added to any quiz (as a copy that remembers its origin), imported
from GIFT (Moodle's text format) or CSV with every problem reported by line; and duplicating a course."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from sqlalchemy import select

from courses import authoring
from courses.authoring import QuestionInfo
from courses.models import BankQuestion, Course, Lesson, Module, Question, Quiz, new_key
from courses.packs import PackError
from lms.audit.services import record as audit
from lms.errors import Conflict, DomainError, NotFound
from lms.extensions import db


def get(question_id: int) -> BankQuestion:
    found = db.session.get(BankQuestion, question_id)
    if found is None:
        raise NotFound("There is no such question in the bank.")
    return found


def _info(row: BankQuestion | Question) -> QuestionInfo:
    return QuestionInfo(type=row.type, prompt=row.prompt, options=tuple(row.options), explanation=row.explanation,
                        topic=row.topic, shuffle=row.shuffle)


def add_to_bank(infos: list[QuestionInfo], *, actor_id: int | None) -> list[BankQuestion]:
    """Check and keep questions in the bank."""
    rows = []
    for info in infos:
        options = authoring.check_question(info)
        rows.append(BankQuestion(type=info.type, topic=info.topic.strip(), prompt=info.prompt.strip(),
                                 explanation=info.explanation.strip(), options=options,
                                 shuffle=info.shuffle and info.type != "true_false"))
    db.session.add_all(rows)
    db.session.flush()
    audit(actor_id, "bank.add", "", count=len(rows))
    return rows


def save_to_bank(question: Question, *, actor_id: int | None) -> BankQuestion:
    """Keep a copy of a quiz's question in the bank."""
    [row] = add_to_bank([_info(question)], actor_id=actor_id)
    question.bank_id = row.id
    db.session.flush()
    return row


def add_to_quiz(quiz: Quiz, bank_ids: list[int]) -> list[Question]:
    """Copy bank questions into a quiz's draft (each copy is the quiz's own: editing it changes only this quiz)."""
    rows = list(db.session.scalars(select(BankQuestion).where(BankQuestion.id.in_(bank_ids))
                                   .order_by(BankQuestion.id)))
    if not rows:
        raise DomainError("Choose at least one question.")
    added = []
    for row in rows:
        question = authoring.save_question(quiz, _info(row))
        question.bank_id = row.id
        added.append(question)
    db.session.flush()
    return added


# --- GIFT -------------------------------------------------------------------------------------------------------

_GIFT_ESCAPES = {"\\~": "\x01", "\\=": "\x02", "\\#": "\x03", "\\{": "\x04", "\\}": "\x05", "\\:": "\x06",
                 "\\n": "\n"}
_UNESCAPE = {v: k[1] for k, v in _GIFT_ESCAPES.items() if k != "\\n"}


def _protect(text: str) -> str:
    for escaped, mark in _GIFT_ESCAPES.items():
        text = text.replace(escaped, mark)
    return text


def _restore(text: str) -> str:
    for mark, char in _UNESCAPE.items():
        text = text.replace(mark, char)
    return re.sub(r"\s+", " ", text).strip() if "\n" not in text else text.strip()


@dataclass
class _Block:
    line: int
    text: str


def _gift_blocks(source: str) -> list[_Block]:
    blocks, current, start = [], [], 0
    for number, raw in enumerate(source.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.rstrip()
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if current:
                blocks.append(_Block(start, "\n".join(current)))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append(_Block(start, "\n".join(current)))
    return blocks


def parse_gift(source: str, *, name: str = "upload.gift") -> list[QuestionInfo]:
    """Single choice (``{=right ~wrong}``), multiple choice (``{~%50%a ~%50%b ~%-100%c}``) and true/false
    (``{T}``/``{FALSE}``) questions, ``::title::`` names, ``#feedback`` per option, ``####`` general feedback and
    ``$CATEGORY:`` as the topic. Raises PackError listing ``name:line: problem`` for everything it cannot take."""
    questions, problems, topic = [], [], ""
    for block in _gift_blocks(_protect(source)):
        text = block.text.strip()
        if text.startswith("$CATEGORY:"):
            topic = text.split(":", 1)[1].strip().split("/")[-1][:80]
            continue
        text = re.sub(r"^::.*?::", "", text, flags=re.S).strip()
        text = re.sub(r"^\[(html|moodle|plain|markdown)\]", "", text).strip()
        match = re.fullmatch(r"(.*?)\{(.*)\}(.*)", text, flags=re.S)
        if match is None:
            problems.append(f"{name}:{block.line}: a question needs its answers between {{ and }}")
            continue
        prompt = _restore((match.group(1) + " " + match.group(3)).strip())
        answers = match.group(2).strip()
        explanation = ""
        if "####" in answers:
            answers, explanation = answers.split("####", 1)
            explanation = _restore(explanation)
        try:
            questions.append(_gift_question(prompt, answers.strip(), explanation, topic))
        except DomainError as error:
            problems.append(f"{name}:{block.line}: {error.message}")
    if problems:
        raise PackError(problems)
    if not questions:
        raise PackError([f"{name}:1: no questions found"])
    return questions


def _gift_question(prompt: str, answers: str, explanation: str, topic: str) -> QuestionInfo:
    if re.fullmatch(r"(T|TRUE|F|FALSE)(#.*)?", answers, flags=re.S):
        truth = answers.split("#", 1)[0] in ("T", "TRUE")
        info = QuestionInfo(type="true_false", prompt=prompt, options=authoring.true_false_options(truth),
                            explanation=explanation, topic=topic)
        authoring.check_question(info)
        return info
    if answers.startswith(("#", ":")) or "->" in answers:
        raise DomainError("numeric and matching questions are not supported")
    parts = re.findall(r"([=~])([^=~]*)", answers)
    if not parts or "~" not in [kind for kind, _ in parts]:
        raise DomainError("short-answer questions are not supported: give wrong options with ~")
    options, weighted = [], False
    for kind, body in parts:
        body, _, feedback = body.partition("#")
        weight = re.match(r"\s*%(-?\d+(?:\.\d+)?)%", body)
        if weight:
            weighted = True
            body = body[weight.end():]
        correct = kind == "=" or bool(weight and float(weight.group(1)) > 0)
        options.append({"text": _restore(body), "correct": correct, "explanation": _restore(feedback)})
    right = sum(o["correct"] for o in options)
    kind = "multiple" if weighted and right > 1 else "single"
    info = QuestionInfo(type=kind, prompt=prompt, options=tuple(options), explanation=explanation, topic=topic)
    authoring.check_question(info)
    return info


# --- CSV --------------------------------------------------------------------------------------------------------

CSV_COLUMNS = ("type", "topic", "prompt", "option1", "option2", "option3", "option4", "option5", "option6",
               "correct", "explanation")


def parse_csv(source: str, *, name: str = "upload.csv") -> list[QuestionInfo]:
    """A header row naming (in any order) type, topic, prompt, option1 .. option6, correct (option numbers such as
    ``2`` or ``1;3``, or ``true``/``false`` for a true/false question) and explanation. Raises PackError listing
    ``name:line: problem`` for every bad row; nothing is kept then."""
    reader = csv.DictReader(io.StringIO(source.lstrip("\ufeff")))
    missing = [c for c in ("type", "prompt", "correct") if c not in (reader.fieldnames or [])]
    if missing:
        raise PackError([f"{name}:1: the header needs the column(s) {', '.join(missing)}"])
    questions, problems = [], []
    for row in reader:
        line = reader.line_num
        kind = (row.get("type") or "").strip().lower().replace(" ", "_").replace("/", "_")
        correct = (row.get("correct") or "").strip().lower()
        try:
            if kind == "true_false":
                if correct not in ("true", "false"):
                    raise DomainError("correct is true or false for a true/false question")
                options = authoring.true_false_options(correct == "true")
            else:
                texts = [(row.get(f"option{i}") or "").strip() for i in range(1, 7)]
                try:
                    right = {int(n) for n in re.split(r"[;, ]+", correct) if n}
                except ValueError:
                    raise DomainError("correct lists option numbers, such as 2 or 1;3") from None
                if not right or not right <= {i + 1 for i, t in enumerate(texts) if t}:
                    raise DomainError("correct names options that are empty or missing")
                options = tuple({"text": t, "correct": i + 1 in right} for i, t in enumerate(texts) if t)
            info = QuestionInfo(type=kind, prompt=(row.get("prompt") or "").strip(), options=options,
                                explanation=(row.get("explanation") or "").strip(),
                                topic=(row.get("topic") or "").strip()[:80])
            authoring.check_question(info)
            questions.append(info)
        except DomainError as error:
            problems.append(f"{name}:{line}: {error.message}")
    if problems:
        raise PackError(problems)
    if not questions:
        raise PackError([f"{name}:2: no questions found"])
    return questions


# --- duplicating a course ---------------------------------------------------------------------------------------

def duplicate_course(course: Course, *, slug: str, title: str, actor_id: int | None) -> Course:
    """A new draft course with a copy of the draft's modules, lessons, quizzes and questions (new keys: learning
    records of the two courses never mix)."""
    if db.session.scalar(select(Course.id).where(Course.slug == slug.strip().lower())):
        raise Conflict(f"Another course already uses the slug {slug}.", field="slug")
    copy = authoring.save_course(authoring.CourseInfo(
        slug=slug, title=title, kind=course.kind, summary=course.summary, estimated_minutes=course.estimated_minutes,
        job_role_ids=tuple(r.id for r in course.job_roles), min_lesson_seconds=course.min_lesson_seconds,
        require_scroll=course.require_scroll), course=None, actor_id=actor_id)
    for module in course.modules:
        twin = Module(slug=module.slug, title=module.title, summary=module.summary, position=module.position)
        copy.modules.append(twin)
        for lesson in module.lessons:
            twin.lessons.append(Lesson(key=new_key(), slug=lesson.slug, title=lesson.title, minutes=lesson.minutes,
                                       body=lesson.body, position=lesson.position))
        for quiz in module.quizzes:
            quiz_copy = Quiz(key=new_key(), title=quiz.title, pass_mark=quiz.pass_mark,
                             max_attempts=quiz.max_attempts, draw=quiz.draw, remedial=quiz.remedial,
                             feedback=quiz.feedback, lessons_first=quiz.lessons_first, position=quiz.position)
            quiz_copy.questions = [Question(key=new_key(), type=q.type, topic=q.topic, prompt=q.prompt,
                                            explanation=q.explanation, options=[dict(o) for o in q.options],
                                            shuffle=q.shuffle, bank_id=q.bank_id, position=q.position)
                                   for q in quiz.questions]
            twin.quizzes.append(quiz_copy)
    db.session.flush()
    audit(actor_id, "course.duplicate", copy.slug, source=course.slug)
    return copy
