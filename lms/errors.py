"""Domain errors: exceptions whose message is fit to show the user.

The boundary (a view, an API endpoint, a CLI command) turns them into a flash message, a 4xx JSON body or a
CLI error (a page answers a 403 or a 404 with an error page of that status, not a flash); services raise them
before writing anything they would have to undo.
"""
from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be carried out, with a message for the person who made it."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Forbidden(DomainError):
    """The person may not do this. The boundary answers 403 (an error page, or a JSON body), never a redirect."""

    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409
