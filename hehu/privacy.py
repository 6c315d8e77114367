"""Privacy rules in one place: the server's role, and what each role may see."""

from __future__ import annotations

import os

ROLES = ("deputy", "presenter", "staff", "admin")
AGGREGATE_ONLY_ROLES = ("deputy", "presenter")
DEFAULT_ROLE = "deputy"  # least privilege unless the server says otherwise


def current_role() -> str:
    """The role this server runs as: $HEHU_ROLE set by `hehu serve --role`, never by a page or URL."""
    role = os.environ.get("HEHU_ROLE", DEFAULT_ROLE)
    return role if role in ROLES else DEFAULT_ROLE


def sees_person_rows(role: str | None = None) -> bool:
    """Whether a role may see pseudonymous person-level rows."""
    return (role or current_role()) not in AGGREGATE_ONLY_ROLES


def suppress_small(value, role: str | None = None):
    """A count of people as a role may see it: 1 to 4 shows as '<5' to deputies and presenters."""
    if (role or current_role()) not in AGGREGATE_ONLY_ROLES:
        return value
    try:
        number = int(value)
    except (TypeError, ValueError):
        return value
    return "<5" if 1 <= number <= 4 else value
