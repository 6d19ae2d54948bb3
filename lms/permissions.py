"""Permissions (what a person may do), separate from job roles (what a person does at the company).

Every view declares the permission it needs with :func:`requires` or declares itself :func:`public`.
The app refuses any request to a view that declared neither (fail closed), and
``tests/lms/test_route_permissions.py`` walks every route for every permission.
"""
from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

F = TypeVar("F", bound=Callable)

PERMISSION_ATTR = "_lms_permission"
PUBLIC = "public"
AUTHENTICATED = "authenticated"
API_CLIENT_PREFIX = "lrs:"  # declared by views that API clients call with HTTP Basic credentials
API_AUTHENTICATOR = "lms.api_authenticator"  # app.extensions key: (key, secret) -> principal with .scopes, or None
API_TOKEN_PREFIX = "token:"  # noqa: S105 (not a secret) declared by views that API tokens call (HTTP Bearer)
TOKEN_AUTHENTICATOR = "lms.token_authenticator"  # noqa: S105 (a key name) token -> principal, or None


class Permission(enum.StrEnum):
    LEARNER = "learner"
    MANAGER = "manager"
    TRAINER = "trainer"
    PROGRAM_OFFICE = "program_office"
    SPONSOR = "sponsor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "learner": "Learner",
            "manager": "Manager (sees own reports)",
            "trainer": "Trainer",
            "program_office": "Program office",
            "sponsor": "Executive sponsor",
            "admin": "Administrator",
        }[self.value]


def requires(permission: Permission, *others: Permission) -> Callable[[F], F]:
    """Only people holding ``permission`` (or one of ``others``) may call the view; others get 403, anonymous
    users the login page."""
    wanted = (permission, *others)

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not any(current_user.can(p) for p in wanted):
                abort(403)
            return view(*args, **kwargs)

        setattr(guarded, PERMISSION_ATTR, permission if not others else AnyOf(frozenset(wanted)))
        return guarded  # type: ignore[return-value]

    return decorate


def login_required(view: F) -> F:
    """Any signed-in person may call the view (their own account pages)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)

    setattr(guarded, PERMISSION_ATTR, AUTHENTICATED)
    return guarded  # type: ignore[return-value]


def public(view: F) -> F:
    """Anyone may call the view, signed in or not (login, password reset, health)."""
    setattr(view, PERMISSION_ATTR, PUBLIC)
    return view


def requires_lrs_scope(scope: str, *, read_if: Callable[[], bool] | None = None) -> Callable[[F], F]:
    """Only API clients whose HTTP Basic credentials carry ``scope`` may call the view (the embedded LRS); when
    ``read_if()`` holds for the request (say, a read sent in a POST), the ``read`` scope is enough.

    Sessions play no part: without valid credentials every caller gets 401 with a ``WWW-Authenticate`` challenge
    and a JSON body; valid credentials without the scope get 403. The credentials are checked by the callable a
    plugin stores in ``app.extensions[API_AUTHENTICATOR]``; the principal it returns is put in ``g.api_client``.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args, **kwargs):
            from flask import g, jsonify

            auth = request.authorization
            authenticate = current_app.extensions.get(API_AUTHENTICATOR)
            principal = None
            if auth is not None and auth.type == "basic" and authenticate is not None:
                principal = authenticate(auth.username or "", auth.password or "")
            if principal is None:
                message = ("Credentials of an LRS client are required (HTTP Basic: key and secret)."
                           if auth is None else "These credentials were refused.")
                response = jsonify(error=message, status=401)
                response.status_code = 401
                response.headers["WWW-Authenticate"] = 'Basic realm="xAPI", charset="UTF-8"'
                return response
            needed = "read" if read_if is not None and read_if() else scope
            if needed not in principal.scopes:
                response = jsonify(error=f"This LRS client does not hold the {needed!r} scope.", status=403)
                response.status_code = 403
                return response
            g.api_client = principal
            return view(*args, **kwargs)

        setattr(guarded, PERMISSION_ATTR, API_CLIENT_PREFIX + scope)
        return guarded  # type: ignore[return-value]

    return decorate


@dataclass(frozen=True)
class AnyOf:
    """What :func:`requires_any` declares: any of ``permissions``, or ``or_if(person)`` (a callable or its
    ``"module:function"`` import string, resolved when first asked), e.g. "holds a board seat"."""

    permissions: frozenset[Permission]
    or_if: Callable[[Any], bool] | str | None = None

    def predicate(self) -> Callable[[Any], bool] | None:
        if isinstance(self.or_if, str):
            module, _, name = self.or_if.partition(":")
            return getattr(importlib.import_module(module), name)
        return self.or_if

    def allows(self, person) -> bool:
        """Whether this signed-in, active person may call the view."""
        if not getattr(person, "is_authenticated", False) or not person.active:
            return False
        if any(person.can(p) for p in self.permissions):
            return True
        predicate = self.predicate()
        return bool(predicate is not None and predicate(person))


def requires_any(*permissions: Permission, or_if: Callable[[Any], bool] | str | None = None) -> Callable[[F], F]:
    """People holding any of ``permissions``, or for whom ``or_if(person)`` holds, may call the view; others get
    403, anonymous users the login page. Object-level checks (whose records) stay in the view's service."""
    if not permissions:
        raise ValueError("requires_any needs at least one permission")
    declared = AnyOf(frozenset(permissions), or_if)

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not declared.allows(current_user):
                abort(403)
            return view(*args, **kwargs)

        setattr(guarded, PERMISSION_ATTR, declared)
        return guarded  # type: ignore[return-value]

    return decorate


def allowed(declared: Permission | AnyOf | None, person) -> bool:
    """Whether ``person`` (signed in) may see what ``declared`` guards (a menu item's permission: None is anyone)."""
    if declared is None:
        return True
    if isinstance(declared, AnyOf):
        return declared.allows(person)
    return person.can(declared)


def requires_api_token(scope: str) -> Callable[[F], F]:
    """Only callers with an API token (``Authorization: Bearer <token>``) carrying ``scope`` may call the view (a BI
    or CRM system posting goal values, say).

    Sessions play no part: without a valid token every caller gets 401 with ``WWW-Authenticate: Bearer`` and a JSON
    body; a valid token without the scope gets 403. Tokens are checked by the callable a plugin stores in
    ``app.extensions[TOKEN_AUTHENTICATOR]``; the principal it returns is put in ``g.api_token``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args, **kwargs):
            from flask import g, jsonify

            header = request.headers.get("Authorization", "")
            kind, _, token = header.partition(" ")
            authenticate = current_app.extensions.get(TOKEN_AUTHENTICATOR)
            principal = None
            if kind.lower() == "bearer" and token.strip() and authenticate is not None:
                principal = authenticate(token.strip())
            if principal is None:
                message = ("An API token is required (Authorization: Bearer <token>)." if not header
                           else "This API token was refused (unknown, revoked or malformed).")
                response = jsonify(error=message, status=401)
                response.status_code = 401
                error = "" if not header else ', error="invalid_token"'
                response.headers["WWW-Authenticate"] = f'Bearer realm="Rapport"{error}'
                return response
            if scope not in principal.scopes:
                response = jsonify(error=f"This API token does not hold the {scope!r} scope.", status=403)
                response.status_code = 403
                return response
            g.api_token = principal
            return view(*args, **kwargs)

        setattr(guarded, PERMISSION_ATTR, API_TOKEN_PREFIX + scope)
        return guarded  # type: ignore[return-value]

    return decorate


def declared_permission(view: Callable) -> Permission | AnyOf | str | None:
    return getattr(view, PERMISSION_ATTR, None)


def refuse_undeclared_views() -> None:
    """``before_request`` hook: a view without a declared permission is a bug; answer 403, never serve it."""
    if request.endpoint is None or request.endpoint == "static" or request.endpoint.endswith(".static"):
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and declared_permission(view) is None:
        current_app.logger.error("view %s declares no permission; refused", request.endpoint)
        abort(403)


def undeclared_endpoints(app) -> list[str]:
    """Endpoints whose view declares no permission (static files excepted). Should always be empty."""
    return sorted(
        endpoint for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not endpoint.endswith(".static") and declared_permission(view) is None
    )
