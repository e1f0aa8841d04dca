"""SQLite ``LIKE`` patterns that treat the user's text literally.

In ``LIKE``, ``%`` matches any run of characters and ``_`` any one character, so a search for
``a_b`` would also find ``axb``, and a trace-id prefix ``ab_`` would resolve to a trace it does not
name. Escape the text and say which escape character is used:

    >>> conn.execute(f"SELECT * FROM t WHERE name LIKE ? {LIKE_ESCAPE}", (like_prefix("a_b"),))
"""

from __future__ import annotations

__all__ = ["LIKE_ESCAPE", "like_contains", "like_literal", "like_prefix"]

LIKE_ESCAPE = "ESCAPE '\\'"


def like_literal(text: str) -> str:
    """``text`` with ``\\``, ``%`` and ``_`` escaped, for use with :data:`LIKE_ESCAPE`.

    Args:
        text: what the user typed.

    Returns:
        A pattern that matches exactly ``text`` (ASCII letters still match case-insensitively, as
        ``LIKE`` does).
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_prefix(text: str) -> str:
    """A pattern for values that start with ``text``."""
    return like_literal(text) + "%"


def like_contains(text: str) -> str:
    """A pattern for values that contain ``text``."""
    return "%" + like_literal(text) + "%"
