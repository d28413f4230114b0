"""Staff pages of the service domain; each module brings its own routes (see ../urls.py)."""

from __future__ import annotations

from typing import Any, cast

from clientdesk.accounts.models import User


def actor(request: Any) -> User:
    """The signed-in staff member; `require_perm` has proved it is one before a view runs."""
    return cast(User, request.user)
