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


SMALL_CELL_MAX = 4
COMPLEMENT_MARK = "*"  # hidden so that a shown total cannot give a small cell back


def is_small(value) -> bool:
    """Whether a count of people is a small cell (1 to 4)."""
    try:
        return 1 <= int(value) <= SMALL_CELL_MAX
    except (TypeError, ValueError):
        return False


def suppress_group(values: dict, total=None, role: str | None = None) -> dict:
    """Counts of people that add up to a shown total, as a role may see them.

    Small cells (1–4) show as "<5". If that hides exactly one cell of a group whose total is
    shown, the total minus the others would give it back, so the smallest other non-zero cell is
    hidden too (complementary suppression). A small total is itself hidden.
    """
    if (role or current_role()) not in AGGREGATE_ONLY_ROLES:
        return dict(values)
    shown = {k: ("<5" if is_small(v) else v) for k, v in values.items()}
    hidden = [k for k, v in shown.items() if v == "<5"]
    revealing = len(hidden) == 1 and total is not None and not is_small(total)
    if revealing:
        others = [
            (int(v), str(k), k) for k, v in values.items() if k not in hidden and _positive(v)
        ]
        if others:
            _, _, smallest = min(others)
            shown[smallest] = "<5" if is_small(values[smallest]) else COMPLEMENT_MARK
    return shown


def suppressed_total(total, role: str | None = None):
    """A group's total as a role may see it."""
    return suppress_small(total, role)


def _positive(value) -> bool:
    try:
        return int(value) > 0
    except (TypeError, ValueError):
        return False
