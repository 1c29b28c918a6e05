"""What every command module of the CLI shares: the error decorator and the service.

Nothing here imports the service layer; :func:`service` hands out the
:class:`~workbench.service.Workbench` that the root group built for this invocation.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from workbench.exceptions import InvalidInput, WorkbenchError

if TYPE_CHECKING:
    from workbench.service import Workbench

__all__ = ["handle_errors", "service"]

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn workbench errors into a message on stderr and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            click.secho(f"error: {len(exc.problems)} problem(s) found:", fg="red", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(exc.exit_code)
        except WorkbenchError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def service(ctx: click.Context) -> Workbench:
    """The workspace's service object, made by the root group (``ctx.obj``)."""
    wb: Workbench = ctx.obj
    return wb
