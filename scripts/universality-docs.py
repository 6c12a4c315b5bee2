"""Copy a universality report's key figures into docs/figures (compressed) and print its table.

    icaxes universal configs/universal.toml -o universal-report
    python scripts/universality-docs.py universal-report
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from PIL import Image

from icaxes.universal.report import summary_table_markdown

FIGURES = [
    "use-languages-merged-ica", "use-languages-merged-pca", "use-languages-matched-r",
    "use-languages-corr-ja_use", "use-languages-projection-ja_use",
    "e5-languages-matched-r", "english-models-matched-r", "static-languages-merged-ica",
    "images-matched-r", "images-top-images-images",
]


def main(report: str, docs: str = "docs/figures", width: int = 760) -> None:
    src = Path(report) / "figures"
    dst = Path(docs)
    dst.mkdir(parents=True, exist_ok=True)
    total = 0
    for name in FIGURES:
        p = src / f"{name}.png"
        if not p.exists():
            print(f"missing {p}", file=sys.stderr)
            continue
        im = Image.open(p).convert("RGB")
        if im.width > width:
            im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
        out = dst / f"universality-{name}.png"
        im.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
        total += out.stat().st_size
    print(f"figures: {total / 1024:.0f} KB", file=sys.stderr)
    print(summary_table_markdown(pd.read_csv(Path(report) / "tables" / "summary.csv")))


if __name__ == "__main__":
    main(*sys.argv[1:])
