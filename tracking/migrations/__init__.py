"""Alembic revisions of the tracking plugin (branch ``tracking``)."""
