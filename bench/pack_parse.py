"""Benchmark: how long the worst course packs take to parse (or to be refused).

Run from the repository root with the virtualenv's python::

    python bench/pack_parse.py

Each case is built in memory and handed to ``courses.packs`` exactly as an upload is: ``read_zip`` for zips,
``parse_pack`` for the files (YAML with the pack loader, every field checked, every lesson through
``courses.markdown.check``). Nothing touches a database. Prints, per case, the size, the outcome (accepted, or
the first problem) and the median of 3 runs. The accepted cases sit at the limits, so their times are the most
an accepted pack's parse can cost.
"""
from __future__ import annotations

import io
import statistics
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.markdown_render import FAMILIES, largest_accepted  # noqa: E402
from courses import packs  # noqa: E402
from courses.markdown import render  # noqa: E402

LESSON = "---\ntitle: Stages\nminutes: 5\n---\n\nText.\n"
QUESTION = ("  - id: q{n}\n    type: scenario\n    topic: pipeline\n    prompt: \"A customer on credit hold calls "
            "about order {n}. What do you do?\"\n    options:\n      - text: \"Tell them what the hold means\"\n"
            "        correct: true\n        explanation: \"Honest and consistent.\"\n      - text: \"Hide it\"\n"
            "        explanation: \"They find out.\"\n    explanation: \"Every department sees the same hold.\"\n")


def course_yaml(items: str, summary: str = "Short.") -> str:
    return (f"slug: bench\ntitle: Bench\nkind: crm_application\nsummary: {summary}\nmodules:\n"
            f"  - slug: one\n    title: One\n    items:\n{items}")


def quiz(size: int, title: str = "Check") -> str:
    """A valid quiz of scenario questions, as close to ``size`` bytes as whole questions allow."""
    head = f"title: {title}\npass_mark: 75\nquestions:\n"
    body, n = [], 0
    while len(head) + sum(map(len, body)) + len(QUESTION) + 10 < size:
        body.append(QUESTION.format(n=n))
        n += 1
    return head + "".join(body)


def encode(files: dict[str, str]) -> dict[str, bytes]:
    return {name: text.encode() for name, text in files.items()}


def zipped(files: dict[str, bytes], extra_entries: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"pack/{name}", data)
        for index in range(extra_entries):
            archive.writestr(f"pack/extra/{index}", b"")
    return buffer.getvalue()


ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{b}: &{b} [{','.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))
    + "slug: bomb\ntitle: Bomb\nkind: crm_application\nsummary: *i\nmodules: []\n"
)


def _worst_lessons() -> list[str]:
    """As many lessons of the slowest accepted Markdown family (admonitions) as a course's lesson text allows."""
    make = FAMILIES["admonitions"]
    lesson = make(largest_accepted(make))
    return [lesson] * min(packs.MAX_ITEMS, packs.MAX_LESSON_TEXT // len(lesson))


WORST_LESSONS = _worst_lessons()


def cases() -> dict[str, tuple[str, object]]:
    """name -> ("zip", bytes) or ("files", dict)."""
    one_quiz = "      - quiz: quizzes/check.yaml\n"
    limit_quiz = quiz(packs.MAX_YAML_BYTES - 100)
    quizzes = packs.MAX_YAML_TOTAL_BYTES // packs.MAX_YAML_BYTES + 1
    many_quizzes = "".join(f"      - quiz: quizzes/q{i}.yaml\n" for i in range(quizzes))
    big = quiz(packs.MAX_YAML_TOTAL_BYTES // quizzes - 2_000)
    lessons = "".join(f"      - lesson: lessons/{i:03d}.md\n" for i in range(len(WORST_LESSONS)))
    values = "title: Check\nextra: [" + ",".join(["1"] * (packs.MAX_YAML_NODES - 200)) + "]\n" + quiz(2_000)[13:]
    return {
        "the issue's alias bomb (zip)": ("zip", zipped(encode({"course.yaml": ALIAS_BOMB}))),
        "5 MiB quiz (the issue's)": ("files", encode({"course.yaml": course_yaml(one_quiz),
                                                     "lessons/01.md": LESSON,
                                                     "quizzes/check.yaml": quiz(5 * 2**20)})),
        f"quiz at the {packs.MAX_YAML_BYTES // 2**10} KiB limit": ("files", encode({
            "course.yaml": course_yaml(one_quiz), "quizzes/check.yaml": limit_quiz})),
        f"{quizzes} quizzes, 1 MiB of YAML in all": ("files", encode({
            "course.yaml": course_yaml(many_quizzes),
            **{f"quizzes/q{i}.yaml": big.replace("title: Check", f"title: Check\nkey: q{i}")
               for i in range(quizzes)}})),
        f"{packs.MAX_YAML_NODES:,} values in one quiz": ("files", encode({"course.yaml": course_yaml(one_quiz),
                                                                          "quizzes/check.yaml": values})),
        "YAML nested 17 deep (refused)": ("files", encode({"course.yaml": course_yaml(one_quiz),
                                                           "quizzes/check.yaml": "a: " + "[" * 17 + "]" * 17})),
        "YAML nested 10,000 deep (refused)": ("files", encode({"course.yaml": course_yaml(one_quiz),
                                                               "quizzes/check.yaml": "a: " + "[" * 10_000})),
        f"{len(WORST_LESSONS)} lessons of the slowest accepted Markdown": ("files", encode({
            "course.yaml": course_yaml(lessons),
            **{f"lessons/{i:03d}.md": "---\ntitle: L\nminutes: 5\n---\n\n" + text
               for i, text in enumerate(WORST_LESSONS)}})),
        f"zip of {packs.MAX_PACK_FILES:,} entries": ("zip", zipped(encode({"course.yaml": course_yaml(one_quiz),
                                                                            "quizzes/check.yaml": quiz(2_000)}),
                                                                    packs.MAX_PACK_FILES - 3)),
        "zip of 300,000 entries (the issue's)": ("zip", zipped({}, 300_000)),
    }


def run(kind: str, payload) -> str:
    try:
        files = packs.read_zip(payload) if kind == "zip" else payload
        if kind == "zip" and "course.yaml" not in files:
            return "read"
        packs.parse_pack(files)
    except packs.PackError as error:
        return "refused: " + error.problems[0][:90]
    return "accepted"


def main() -> int:
    print("Building the cases (the 300,000-entry zip takes a while) ...", flush=True)
    built = cases()
    worst_accepted = 0.0
    print(f"{'case':48} {'bytes':>11}  {'median ms':>9}  outcome")
    for name, (kind, payload) in built.items():
        size = len(payload) if kind == "zip" else sum(map(len, payload.values()))
        times, outcome = [], ""
        for _ in range(3):
            started = time.perf_counter()
            outcome = run(kind, payload)
            times.append((time.perf_counter() - started) * 1000)
        ms = statistics.median(times)
        if outcome == "accepted":
            worst_accepted = max(worst_accepted, ms)
        print(f"{name:48} {size:>11,}  {ms:9.1f}  {outcome}")
    print(f"\nSlowest accepted pack: {worst_accepted:.0f} ms to parse")
    started = time.perf_counter()
    for text in WORST_LESSONS:
        render(text)
    print(f"Publishing renders every lesson: {len(WORST_LESSONS)} of the slowest accepted Markdown "
          f"({sum(map(len, WORST_LESSONS)):,} characters, the most a course holds) render in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
