"""The trainer's authoring pages."""
from __future__ import annotations
