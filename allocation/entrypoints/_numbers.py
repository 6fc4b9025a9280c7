"""Numbers as the terminal views print them: one rule for signs, zeros and decimals."""

from __future__ import annotations

__all__ = ["format_number"]


def format_number(value: float, decimals: int = 1, *, signed: bool = False) -> str:
    """``value`` with ``decimals`` places and thousands separators; ``signed`` puts ``+``
    before a positive value. A value that rounds to zero prints as zero, never ``-0.0``
    nor ``+0.0``.

    Examples
    --------
    >>> format_number(-0.0), format_number(-0.04), format_number(0.04, signed=True)
    ('0.0', '0.0', '0.0')
    >>> format_number(1234.56, 0, signed=True), format_number(-3.25, 1, signed=True)
    ('+1,235', '-3.2')
    """
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0  # drops the sign of -0.0
    sign = "+" if signed and rounded > 0 else ""
    return f"{sign}{rounded:,.{decimals}f}"
