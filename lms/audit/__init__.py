"""Audit log: who did what to what, and when."""
