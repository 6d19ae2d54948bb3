"""The demo's governance story (filled in below)."""
from __future__ import annotations


def seed(people) -> None:
    return None
