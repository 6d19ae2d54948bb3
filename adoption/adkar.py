"""ADKAR readiness: each element scored 1-5 per person by the rules below (shown on the readiness page), a team's
score the mean of its people's known scores, and the barrier point: the first element scored 3 or below."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

ELEMENTS = ("awareness", "desire", "knowledge", "ability", "reinforcement")
LABELS = {"awareness": "Awareness", "desire": "Desire", "knowledge": "Knowledge", "ability": "Ability",
          "reinforcement": "Reinforcement"}

RULES = {
    "awareness": "Share of the rollout announcements the person received that they opened or clicked: under 20% "
                 "scores 1, under 40% 2, under 60% 3, under 80% 4, otherwise 5; none received scores 1. Unknown "
                 "when per-person mail tracking is off.",
    "desire": "The person's latest answer (1-5) to the pulse survey \"How much do you want to work with the new "
              "CRM?\". Unknown until they answer.",
    "knowledge": "Share of the lessons of their required courses completed, banded like Awareness. Unknown when "
                 "nothing is required of them.",
    "ability": "The mean of the share of required quizzes passed and the average first-attempt score, banded like "
               "Awareness. Unknown when no quiz is required of them.",
    "reinforcement": "1, plus 1 once trained, plus 1 for any CRM use after training, plus 1 for CRM use after "
                     "training in the last 7 days, plus 1 for any recognition (kudos) received.",
}

ACTIONS = {
    "awareness": "Re-send the rollout announcement, and have the manager explain in the next team meeting why the "
                 "CRM is changing and what happens when.",
    "desire": "Ask the sponsor to explain what is in it for the team; the manager talks one to one with the least "
              "willing, and early adopters are recognised.",
    "knowledge": "Book the team into the lessons they have not done, with time set aside for them, and nudge the "
                 "people who are behind.",
    "ability": "Pair people with a super-user, practise in the sandbox, and review the weakest quiz questions "
               "before a retake.",
    "reinforcement": "Recognise people who use the CRM (kudos, badges) and have the manager review CRM use weekly.",
}


def band(share: float) -> int:
    """1-5 from a share 0..1: under 0.2 is 1, under 0.4 2, under 0.6 3, under 0.8 4, otherwise 5."""
    for score, limit in ((1, 0.2), (2, 0.4), (3, 0.6), (4, 0.8)):
        if share < limit:
            return score
    return 5


@dataclass(frozen=True)
class Inputs:
    """What one person's scores are computed from (kept in the read model)."""

    announcements: int
    announcements_opened: int | None  # None: per-person tracking off (or comms not enabled)
    desire: int | None
    lessons_required: int
    lessons_done: int
    quizzes_required: int
    quizzes_passed: int
    first_attempt_pct: float | None
    trained_on: date | None
    used_after_training: bool
    last_used_on: date | None
    kudos: int


def score(inputs: Inputs, today: date) -> dict[str, int | None]:
    """The five scores of one person by :data:`RULES`."""
    i = inputs
    if i.announcements_opened is None:
        awareness = None
    else:
        awareness = band(i.announcements_opened / i.announcements) if i.announcements else 1
    knowledge = band(i.lessons_done / i.lessons_required) if i.lessons_required else None
    if i.quizzes_required:
        passed = min(1.0, i.quizzes_passed / i.quizzes_required)
        ability = band(passed if i.first_attempt_pct is None else (passed + i.first_attempt_pct / 100) / 2)
    else:
        ability = None
    reinforcement = 1
    if i.trained_on is not None:
        reinforcement += 1
        if i.used_after_training:
            reinforcement += 1
            if i.last_used_on is not None and i.last_used_on >= max(i.trained_on, today - timedelta(days=6)):
                reinforcement += 1
    if i.kudos:
        reinforcement += 1
    return {"awareness": awareness, "desire": i.desire, "knowledge": knowledge, "ability": ability,
            "reinforcement": min(5, reinforcement)}


def barrier(scores: dict[str, float | None]) -> str | None:
    """The first element (in ADKAR order) scored 3 or below; unknown elements are passed over."""
    for element in ELEMENTS:
        value = scores.get(element)
        if value is not None and value <= 3:
            return element
    return None


@dataclass(frozen=True)
class TeamReadiness:
    manager_id: int | None
    manager_name: str
    people: int
    scores: dict[str, float | None]  # mean of the known scores, one decimal

    @property
    def barrier(self) -> str | None:
        return barrier(self.scores)

    @property
    def action(self) -> str | None:
        return ACTIONS[self.barrier] if self.barrier else None
