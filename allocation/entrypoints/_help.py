"""Help that names values as people do: ``FILE``, ``N ≥ 1``, ``POLICY[,POLICY…]``.

Typer's help shows the Python type of every parameter (``<int range> [x>=1]``,
``<list[str]>``, ``<path>``, and ``<bool>`` beside each flag, ``--help`` included) and has no
setting to change that. :class:`App` is the ``typer.Typer`` of ``parts-priority``: it makes
its commands with :class:`HelpCommand` and itself with :class:`HelpGroup`, which give their
parameters the two classes below. An option then shows its ``metavar`` (or a word for its
type: ``N``, ``NUMBER``, ``TEXT``, ``PATH``) with its range in symbols (``N ≥ 1``,
``LEVEL 0.5–0.999``); a flag shows nothing, and an argument only its name (its ``metavar``).
A command's docstring, wrapped for the source, is rewrapped for the terminal. Parsing and
validation are typer's, unchanged.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import typer
import typer.core
from typer.models import CommandFunctionType

__all__ = ["App", "HelpCommand", "HelpGroup"]

_WORDS = {"int": "N", "float": "NUMBER", "str": "TEXT", "path": "PATH"}
"""A placeholder for an option that names none, by the word typer would show."""


class App(typer.Typer):
    """A Typer app whose help shows placeholders, not Python types (see the module)."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(cls=HelpGroup, **settings)

    def command(
        self,
        name: str | None = None,
        *,
        cls: type[typer.core.TyperCommand] | None = None,
        **rest: Any,
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        """Register a command, made with :class:`HelpCommand` unless ``cls`` says otherwise."""
        return super().command(name, cls=cls or HelpCommand, **rest)


class HelpCommand(typer.core.TyperCommand):
    """A command whose help shows placeholders, not Python types."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = _unwrapped(self.help)
        for param in self.params:
            _plain(param)

    def get_help_option(self, ctx: Any) -> typer.core.TyperOption | None:
        option = super().get_help_option(ctx)
        _plain(option)  # None passes through untouched
        return option


class HelpGroup(typer.core.TyperGroup):
    """The app's group: its own options (``--version``, ``--help``) shown as its commands'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _plain(param)

    def get_help_option(self, ctx: Any) -> typer.core.TyperOption | None:
        option = super().get_help_option(ctx)
        _plain(option)  # None passes through untouched
        return option


class _Option(typer.core.TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.count:
            return ""  # a flag takes no value
        word = self.metavar or _word(self.display_type(ctx))
        return _with_range(word, self.min, self.max)

    def _get_number_range_help_str(self) -> str | None:
        return None  # in the placeholder already


class _Argument(typer.core.TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the argument's name (its metavar) says what it is

    def _get_number_range_help_str(self) -> str | None:
        return None


def _plain(param: object) -> None:
    """Give a parameter typer made the subclass that shows a placeholder: typer builds its
    parameters itself and takes no class for them, so the object's class is reassigned (the
    subclasses add no state; only what the help shows differs)."""
    if type(param) is typer.core.TyperOption:
        param.__class__ = _Option
    elif type(param) is typer.core.TyperArgument:
        param.__class__ = _Argument


def _unwrapped(text: str | None) -> str | None:
    """Paragraphs on one line each, for the terminal to wrap."""
    if text is None:
        return None
    return re.sub(r"(?<!\n)\n(?!\n)", " ", inspect.cleandoc(text))


def _word(shown: str | None) -> str:
    """``N`` for typer's ``<int range>``, ``TEXT`` for ``<list[str]>``, and so on."""
    bare = (shown or "").strip("<>").removesuffix(" range")
    bare = bare.removeprefix("list[").removesuffix("]")
    return _WORDS.get(bare, bare.upper() or "VALUE")


def _with_range(word: str, low: float | None, high: float | None) -> str:
    """``N ≥ 1``, ``N ≤ 9``, ``LEVEL 0.5–0.999``.

    Examples
    --------
    >>> _with_range("N", 1, None), _with_range("PORT", 1, 65535), _with_range("X", None, 0.5)
    ('N ≥ 1', 'PORT 1–65535', 'X ≤ 0.5')
    """
    if low is not None and high is not None:
        return f"{word} {_number(low)}–{_number(high)}"
    if low is not None:
        return f"{word} ≥ {_number(low)}"
    if high is not None:
        return f"{word} ≤ {_number(high)}"
    return word


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
