"""The Typer application and the error handling shared by every command."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from icaxes.cli._text import printable
from icaxes.errors import IcaxesError

app = typer.Typer(
    name="icaxes",
    help="Find, read and compare the interpretable semantic axes of embeddings with ICA.",
    no_args_is_help=False,  # the callback below prints the help (on stdout, status 0)
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain help: rich markup would swallow text in brackets ("[food]", "icaxes[torch]") and
    # the rich panels show every flag with a value type ("--report <bool>")
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        from icaxes import __version__

        print(f"icaxes {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context, version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the icaxes version and exit.")] = False) -> None:
    if ctx.invoked_subcommand is None:
        print(ctx.get_help())


#: progress bars and tables go to stderr so stdout stays machine-readable where it matters
err = Console(stderr=True)
out = Console(soft_wrap=True)


class Solver(StrEnum):
    """The ICA solvers (see :class:`icaxes.ICA`)."""

    lbfgs = "lbfgs"
    fixed_point = "fixed-point"


#: the ICA solver option of the fitting commands
SolverOption = Annotated[Solver, typer.Option(
    help="lbfgs: fast; fixed-point: scikit-learn's FastICA path step for step (same fixed point).")]


#: the device option of the fitting commands
DeviceOption = Annotated[str | None, typer.Option(
    help="Run the ICA solver's passes on this PyTorch device, e.g. cuda (needs icaxes[torch]; "
    "default: icaxes' own CPU pass).")]


def fail(message: str) -> None:
    """Print one error line and exit with status 2."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    try:
        # in non-standalone mode click returns the code of typer.Exit instead of exiting
        rv = app(args=argv, standalone_mode=False)
    except IcaxesError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 130
    except SystemExit as exc:  # typer/click exits (usage errors are status 2)
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except Exception as exc:  # click usage errors in non-standalone mode
        # typer bundles its own copy of click: recognise its exceptions by their shape
        code = getattr(exc, "exit_code", None)
        if callable(getattr(exc, "format_message", None)) and isinstance(code, int):
            # one line like every other error, with the command's help as the way out
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            print(f"error: {printable(exc.format_message() + hint)}", file=sys.stderr)
            return code
        if type(exc).__name__ == "Abort":
            print("error: aborted; nothing was written", file=sys.stderr)
            return 130
        raise
    if rv == 130:  # click turns Ctrl-C into a silent return of 130 in non-standalone mode
        print("error: interrupted; nothing was written", file=sys.stderr)
    return rv if isinstance(rv, int) else 0
