"""A ``--help`` that reads well: values named in capitals, no Python types.

Typer labels every parameter with its Python type (``<str>``, ``<bool>``, ``<list[str]>``). Each
option here names its value with ``metavar=`` (FILE, DATE, PROFILE...); what a ``metavar`` cannot
reach is fixed by the classes below, which ``readable_help`` gives to every command of the app:

- a flag takes no value, so it shows none (this covers the ``--help`` that typer adds);
- an argument's ``metavar`` already names it, so its type column is left empty.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


def _no_type(ctx: Any) -> None:
    return None


def _readable(params: list[Any]) -> list[Any]:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
        elif isinstance(param, TyperArgument) and param.metavar is not None:
            param.display_type_rich = _no_type  # type: ignore[method-assign]
    return params


class Command(TyperCommand):
    """A command whose help shows no Python types."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _readable(super().get_params(ctx))


class Group(TyperGroup):
    """A group of commands whose help shows no Python types."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _readable(super().get_params(ctx))


def readable_help(app: typer.Typer) -> None:
    """Give every command and group of ``app``, however deep, the classes above."""
    if not isinstance(app.info.cls, type) or app.info.cls is TyperGroup:  # typer's default
        app.info.cls = Group
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):
            command.cls = Command
    for group in app.registered_groups:
        if group.typer_instance is not None:
            readable_help(group.typer_instance)
