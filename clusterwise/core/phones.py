"""Phone numbers as they are stored and matched: digits, with a leading + kept."""

from __future__ import annotations


def phone_digits(value: str | None) -> str:
    """'+91 98220-12345' → '+919822012345'; spaces, dashes and brackets go."""
    return "".join(ch for ch in (value or "") if ch.isdigit() or ch == "+")
