"""The Typer application and the error handling shared by every command."""

from __future__ import annotations

import contextlib
import os
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from icaxes.cli._text import printable

#: the --force option of the commands that write a folder
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Replace OUTPUT even if it is an existing folder icaxes did not write "
    "(never the current folder or one holding the input).")]

#: the opt-in to unpickling, for every command that reads a source
TrustPickleOption = Annotated[bool, typer.Option(
    "--trust-pickle", help="Read a gensim .kv/.model file, which is a Python pickle: loading it "
    "can run code from the file, so use this only for files you trust.")]


def _error_line(exc: BaseException) -> tuple[str, int] | None:
    """The one ``error:`` line and exit status for an exception, or None for a bug (traceback)."""
    import errno

    from icaxes.errors import IcaxesError

    if isinstance(exc, IcaxesError):
        return f"error: {exc}", 2
    if isinstance(exc, KeyboardInterrupt):
        return "error: interrupted; nothing was written", 130
    if isinstance(exc, EOFError):  # a truncated compressed file (gzip, bz2, lzma)
        return f"error: the input ended early ({exc}); the file is truncated or corrupt", 2
    if isinstance(exc, MemoryError):
        return "error: not enough memory for this input; use --limit or a smaller input", 2
    import zlib

    if isinstance(exc, zlib.error) or type(exc).__name__ in ("BadGzipFile", "BadZipFile", "LZMAError"):
        return f"error: corrupt compressed input ({exc}); the file is damaged", 2
    if isinstance(exc, OSError):
        if exc.errno == errno.EPIPE:  # e.g. `icaxes axes m --json | head`: stop quietly
            with contextlib.suppress(OSError):
                sys.stdout = open(os.devnull, "w")
            return "", 1
        where = f"{exc.filename}: " if exc.filename else ""
        return f"error: {where}{exc.strerror or exc}", 2
    code = getattr(exc, "exit_code", None)
    if callable(getattr(exc, "format_message", None)) and isinstance(code, int):
        # a usage error: one line like every other error, with the command's help as the way out
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        return f"error: {exc.format_message()}{hint}", code
    if type(exc).__name__ == "Abort":  # a declined prompt; icaxes itself has none
        return "error: aborted; nothing was written", 1
    return None


class _Escaped(Exception):  # a carrier, never shown
    """Carries a command's exception past click's own handlers (which turn EOFError into Abort)."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(exc)
        self.exc = exc


class _Boundary(TyperGroup):
    """The CLI's one error boundary, for ``icaxes`` and for :class:`typer.testing.CliRunner` alike.

    Every exception of a command becomes one ``error:`` line on stderr and an exit status:
    2 for bad input and for disk or permission errors, 130 for Ctrl-C, a click usage error's
    own status; anything else is a bug and keeps its traceback.
    """

    def invoke(self, ctx: Any) -> Any:
        from typer import _click

        try:
            return super().invoke(ctx)
        except (_click.exceptions.ClickException, typer.Exit, typer.Abort):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            raise _Escaped(exc) from exc

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        command = next((a for a in argv if not a.startswith("-")), "")
        try:
            from icaxes.io.atomic import writing_as

            with writing_as(f"icaxes {command}".strip()):
                rv = super().main(argv, prog_name or "icaxes", complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
            if code == 130:  # typer turns a Ctrl-C outside a command into a return of 130
                print("error: interrupted; nothing was written", file=sys.stderr)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except (Exception, KeyboardInterrupt) as exc:
            inner = exc.exc if isinstance(exc, _Escaped) else exc
            line = _error_line(inner)
            if line is None:
                raise inner from None
            message, code = line
            if message:
                print(printable(message), file=sys.stderr)  # messages may quote tokens
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=_Boundary,
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
    help="lbfgs: fast; fixed-point: scikit-learn's FastICA steps (its path at low dimension).")]


#: the restarts option of the fitting commands (default: :data:`icaxes.params.N_INIT`)
NInitOption = Annotated[int, typer.Option(
    "--n-init", help="Solve ICA from this many starts and keep the one with the largest contrast "
    "(the first is the default start; the model records every start's contrast).")]


#: the device option of the fitting commands
DeviceOption = Annotated[str | None, typer.Option(
    help="Run the ICA solver's passes on this PyTorch device, e.g. cuda (needs icaxes[torch]; "
    "default: icaxes' own CPU pass).")]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (errors are handled by the app's one boundary)."""
    from icaxes._startup import release

    release()
    return app(args=argv, standalone_mode=False)
