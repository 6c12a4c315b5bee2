"""Explorer commands: write the self-contained page (`explore`) or serve it on 127.0.0.1 (`serve`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from icaxes.cli._app import app, err
from icaxes.cli._text import shown as escape

Models = Annotated[list[Path], typer.Argument(help="Model folders written by `icaxes fit` (one or more).")]
MaxTokens = Annotated[int, typer.Option(help="Most frequent tokens whose full components go into the page.")]
TopK = Annotated[int, typer.Option("--top", "-k", help="Top tokens listed per axis (model's display rows).")]
PairsOption = Annotated[str | None, typer.Option(
    "--pairs", "-p", help="Match the axes of the first model with the others over these pairs, as "
    "`icaxes match` does: same | freedict:SRC-TGT (e.g. freedict:en-fr) | MUSE file "
    "(default: the tokens they share).")]
MatchingOption = Annotated[str, typer.Option(
    help="Matched axes: optimal (Hungarian assignment) or greedy (the paper's).")]


def _log(line: str) -> None:
    err.print(escape(line), highlight=False, soft_wrap=True)


@app.command()
def explore(
    models: Models,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")]
    = Path("explorer.html"),
    max_tokens: MaxTokens = 30000,
    top: TopK = 50,
    pairs: PairsOption = None,
    matching: MatchingOption = "optimal",
) -> None:
    """Write a self-contained explorer page (works offline from the file) for one or more models."""
    from icaxes.explorer import PageLimits, write_explorer_of_folders

    path = write_explorer_of_folders(models, output, limits=PageLimits(max_tokens=max_tokens, top_k=top),
                                     pairs=pairs, matching=matching, log=_log)
    err.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); open it in a browser")


@app.command()
def serve(
    models: Models,
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0: any free port).")] = 8765,
    max_tokens: MaxTokens = 30000,
    top: TopK = 50,
    pairs: PairsOption = None,
    matching: MatchingOption = "optimal",
) -> None:
    """Serve the explorer page for one or more models on http://127.0.0.1:PORT/ until Ctrl-C."""
    from icaxes.explorer import PageLimits, page_of_folders
    from icaxes.explorer import serve as serve_page

    page = page_of_folders(models, limits=PageLimits(max_tokens=max_tokens, top_k=top), pairs=pairs,
                           matching=matching, log=_log)
    server = serve_page(page, port=port, block=False)
    host, real_port = server.server_address[:2]
    err.print(f"serving the explorer on http://{host}:{real_port}/ (Ctrl-C to stop)")
    try:
        import time

        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
