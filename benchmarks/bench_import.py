"""Start-up cost: ``import icaxes`` and ``icaxes --help``, each in a fresh interpreter.

Each command runs in its own subprocess (so nothing is already imported or cached in the
process); the median of ``--repeats`` runs after one warm-up run is reported, with the bare
interpreter start (``python -c pass``) for reference and the heavy modules each command
left in ``sys.modules``.

    .venv/bin/python benchmarks/bench_import.py [--repeats 7] [--out import.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench_solvers import median_seconds

HEAVY = ("sklearn", "scipy", "scipy.stats", "pandas", "matplotlib", "torch", "pyarrow")

#: what each timed subprocess runs; the last one prints which heavy modules got imported
COMMANDS = {
    "python -c pass": "pass",
    "import icaxes": "import icaxes",
    "icaxes --help": "import sys, io, contextlib\n"
                     "from icaxes.cli import main\n"
                     "with contextlib.redirect_stdout(io.StringIO()):\n"
                     "    main(['--help'])",
}


def _run(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)


def _heavy_after(code: str) -> list[str]:
    probe = code + f"\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return [m for m in out.stdout.strip().splitlines()[-1].split(",") if m] if out.stdout.strip() else []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", help="also write the results as JSON here")
    args = ap.parse_args()
    results = {}
    for name, code in COMMANDS.items():
        seconds = median_seconds(lambda code=code: _run(code), repeats=args.repeats)
        results[name] = {"median_s": round(seconds, 4), "heavy_modules": _heavy_after(code)}
        print(f"{name:16s} {seconds:6.3f} s (median of {args.repeats})  heavy modules: "
              f"{', '.join(results[name]['heavy_modules']) or 'none'}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump({"repeats": args.repeats, "python": sys.version.split()[0], "results": results},
                      fh, indent=1)


if __name__ == "__main__":
    main()
