"""Benchmark: the slowest lesson Markdown that ``courses.markdown.check`` accepts, and how it renders.

Run from the repository root with the virtualenv's python::

    python bench/markdown_render.py                 # families + 60 s of random search
    python bench/markdown_render.py --search 300    # search longer
    python bench/markdown_render.py --seed 7        # another random search

1. **The issue's inputs** (``[`` x 20,000 + ``a`` + ``]`` x 20,000; ``<a `` x 20,000; ``[a](`` x 10,000) and other
   known-pathological ones: how long ``check`` takes to refuse them, and the line it names.
2. **Families**: for each construct that makes Python-Markdown slow (nested or unclosed brackets, code spans,
   tags, nested lists and quotes, many headings in one paragraph, dense emphasis, tables...), the largest
   repetition ``check`` still accepts (found by bisection), rendered.
3. **Random search**: documents of up to ``MAX_LESSON_CHARS`` built from Markdown fragments, mutated for
   ``--search`` seconds, keeping each mutation that ``check`` accepts and that renders slower (a hill climb).

Each render time is the median of 3 runs of ``courses.markdown.render`` (Markdown + nh3). Prints the worst
accepted input of each part and the overall maximum. Goal: every accepted lesson renders in under 100 ms.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from courses.markdown import MAX_LESSON_CHARS, check, render  # noqa: E402

GOAL_MS = 100.0

ISSUE = {
    "[ x 20,000 + a + ] x 20,000": "[" * 20_000 + "a" + "]" * 20_000,
    "<a  x 20,000": "<a " * 20_000,
    "[a]( x 10,000": "[a](" * 10_000,
    "[[[[[a]( x 2,000": "[[[[[a](" * 2_000,
    "nested quotes, 200 levels": "\n".join(">" * i + " a" for i in range(200)),
    "nested lists, 300 levels": "\n".join("    " * i + "- a" for i in range(300)),
    "setext headings x 5,000": "a\n===\n" * 5_000,
}

FAMILIES = {
    "nested brackets [[[[a]]]]": lambda n: "[[[[a]]]]\n" * n,
    "unclosed [ per paragraph": lambda n: ("[[[ " + "a " * 40 + "\n\n") * n,
    "unclosed ( after ]": lambda n: ("[a]( [b]( [c]( " + "a " * 40 + "\n\n") * n,
    "unclosed backticks": lambda n: ("` `` ``` " + "a " * 40 + "\n\n") * n,
    "unclosed <": lambda n: ("<a <b <c " + "a " * 40 + "\n\n") * n,
    "links [a](b)": lambda n: "[a](b) [c](d)\n" * n,
    "images ![a](/b)": lambda n: "![a](/b)\n" * n,
    "emphasis *a*": lambda n: "*a* *b* *c* *d*\n" * n,
    "strong-em ***a***": lambda n: "***a*** ***b***\n" * n,
    "code spans `a`": lambda n: "`a` `b` `c` `d`\n" * n,
    "autolinks <https://a>": lambda n: "<https://a> <https://b>\n" * n,
    "entities &#1;": lambda n: "&#1; &#2; &#3;\n" * n,
    "escapes \\[": lambda n: "\\[ \\] \\` \\*\n" * n,
    "tags <b>a</b>": lambda n: "<b>a</b> <i>b</i>\n" * n,
    "reference links": lambda n: "[a]: https://example.com/x\n\n" + "[a] [a] [a]\n" * n,
    "paragraphs": lambda n: "a\n\n" * n,
    "long paragraphs": lambda n: (("word " * 500)[:2990] + "\n") * n,
    "setext headings, one paragraph": lambda n: ("a\n===\n" * 99 + "\n") * n,
    "hash headings": lambda n: "# a\n" * n,
    "list items": lambda n: ("- [a](b) *c* `d`\n" * 199 + "\n") * n,
    "nested lists, 8 levels": lambda n: "".join("    " * i + "- a\n" for i in range(8)) * n,
    "nested quotes, 8 levels": lambda n: ("> " * 8 + "a\n") * n,
    "quotes and lists mixed": lambda n: ("> - > - > - > - a\n") * n,
    "admonitions": lambda n: "!!! note\n    a *b* [c](d)\n\n" * n,
    "nested admonitions": lambda n: "".join("    " * i + "!!! note\n" for i in range(8)) * n,
    "table cells": lambda n: "|" + "a|" * 10 + "\n|" + "-|" * 10 + "\n" + ("|" + "[a](b) `c` *d*|" * 10 + "\n") * n,
    "many small tables": lambda n: "| a | b |\n|---|---|\n| c | d |\n\n" * n,
    "fenced code": lambda n: "```\n[[[[[<a `\n```\n" * n,
    "hard line breaks": lambda n: "a  \n" * n,
    "brackets and code mixed": lambda n: "[`a`](b) [![c](/d)](e)\n" * n,
}

FRAGMENTS = [
    "[", "]", "(", ")", "`", "``", "<", ">", "*", "**", "_", "!", "\\", "&", "#", "|", "-", "=", ":", '"',
    " ", " ", " ", "a", "word ", "\n", "\n", "\n\n", "- ", "1. ", "> ", "    ", "!!! note\n", "```\n", "~~~\n",
    "[a](b)", "![a](/b)", "<https://a>", "<b>", "</b>", "&amp;", "[a]: https://x\n", "[a]", "[a][b]",
    "===\n", "---\n", "| a | b |\n|---|---|\n", "*a*", "`a`", "a  \n",
]


def render_ms(text: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        render(text)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def largest_accepted(make) -> int:
    """The largest n for which ``check(make(n))`` passes (0 if none), by doubling then bisection."""
    if check(make(1)):
        return 0
    low, high = 1, 2
    while not check(make(high)) and high < 10**6:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if check(make(middle)):
            high = middle
        else:
            low = middle
    return low


def search(seconds: float, rng: random.Random) -> tuple[float, str]:
    """Hill-climb on documents made of paragraphs (family pieces and random fragments): mutate one paragraph
    (add, copy, replace, or change a few characters), keep the mutation when check() accepts it and it renders
    slower."""
    makers = list(FAMILIES.values())

    def fragment_paragraph() -> str:
        return "".join(rng.choice(FRAGMENTS) for _ in range(rng.choice([4, 16, 64, 256])))

    def family_paragraph() -> str:
        return rng.choice(makers)(rng.choice([1, 2, 5, 20, 60]))

    def new_paragraph() -> str:
        return fragment_paragraph() if rng.random() < 0.5 else family_paragraph()

    best_text, best_ms = "", 0.0
    deadline = time.perf_counter() + seconds
    climbs = 0
    while time.perf_counter() < deadline:
        climbs += 1
        paragraphs = [new_paragraph() for _ in range(rng.choice([1, 5, 20]))]
        while check("\n\n".join(paragraphs)) and len(paragraphs) > 1:
            paragraphs.pop()
        if check("\n\n".join(paragraphs)):
            continue
        current = render_ms("\n\n".join(paragraphs), runs=1)
        for _ in range(150):
            if time.perf_counter() >= deadline:
                break
            candidate = list(paragraphs)
            where = rng.randrange(len(candidate))
            kind = rng.random()
            if kind < 0.3:
                candidate.insert(where, new_paragraph())
            elif kind < 0.55:
                candidate[where:where] = [candidate[where]] * rng.choice([1, 3, 10])
            elif kind < 0.7:
                candidate[where] = new_paragraph()
            else:
                text = candidate[where]
                at = rng.randrange(len(text) + 1)
                candidate[where] = text[:at] + rng.choice(FRAGMENTS) + text[at + rng.choice([0, 1, 4]):]
            joined = "\n\n".join(candidate)
            if check(joined):
                continue
            ms = render_ms(joined, runs=1)
            if ms > current:
                paragraphs, current = candidate, ms
        if current > best_ms:
            best_text, best_ms = "\n\n".join(paragraphs), current
    print(f"  {climbs} climbs")
    return render_ms(best_text), best_text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search", type=float, default=60.0, help="seconds of random search (default 60)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    render("warm up: *a* [b](c)")

    print(f"1. The issue's inputs and other pathological ones (refused before rendering; limit "
          f"{MAX_LESSON_CHARS:,} characters)")
    for name, text in ISSUE.items():
        started = time.perf_counter()
        found = check(text)
        ms = (time.perf_counter() - started) * 1000
        verdict = f"refused: line {found[0][0]}: {found[0][1][:70]}" if found else "ACCEPTED"
        print(f"  {name:32} {len(text):>9,} chars  check {ms:7.1f} ms  {verdict}")

    print("\n2. Families: the largest repetition check() accepts, rendered (median of 3)")
    worst = (0.0, "")
    for name, make in FAMILIES.items():
        n = largest_accepted(make)
        if n == 0:
            print(f"  {name:32} refused even once")
            continue
        text = make(n)
        ms = render_ms(text)
        # The same, as many paragraphs of it as the lesson holds.
        piece = make(max(1, min(n, 150) // 2)) + "\n\n"
        m = largest_accepted(lambda m, piece=piece: piece * m)
        many = render_ms(piece * m) if m else 0.0
        worst = max(worst, (ms, name), (many, name + " (paragraphs)"))
        print(f"  {name:32} n={n:>6,} {len(text):>7,} chars  render {ms:6.1f} ms;  "
              f"as {m:>4} paragraphs {len(piece) * m:>7,} chars  render {many:6.1f} ms")
    print(f"  worst family: {worst[1]} at {worst[0]:.1f} ms")

    print(f"\n3. Random search, {args.search:.0f} s, seed {args.seed}")
    search_ms, text = search(args.search, random.Random(args.seed))
    print(f"  slowest accepted document: {len(text):,} chars, render {search_ms:.1f} ms; starts {text[:60]!r}")

    overall = max(worst[0], search_ms)
    print(f"\nMaximum render time of an accepted lesson: {overall:.1f} ms (goal < {GOAL_MS:.0f} ms): "
          f"{'met' if overall < GOAL_MS else 'NOT MET'}")
    return 0 if overall < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
