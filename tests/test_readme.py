"""The README's example outputs are what the command line prints on the model it describes."""

from __future__ import annotations

import json
import os
import platform
import re
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info

from icaxes.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_numpy_runs_on_the_kernels_the_readme_was_made_with():
    """OpenBLAS honours OPENBLAS_CORETYPE only when numpy loads: if anything imported numpy
    before the suite's conftest set it, the README checks below would run on other kernels."""
    if platform.machine() != "x86_64":
        pytest.skip("the README's kernel choice applies to x86-64 OpenBLAS only")
    wanted = os.environ["OPENBLAS_CORETYPE"]  # conftest sets it on x86-64 unless the caller did
    cores = {info.get("architecture", "").lower() for info in threadpool_info()
             if info.get("internal_api") == "openblas"}
    assert cores, "numpy does not run on OpenBLAS here"
    assert cores == {wanted.lower()}, f"OpenBLAS runs {cores}, not {wanted}"


@pytest.fixture(scope="module")
def glove_50k_dir(tmp_path_factory):
    """The Command line section's model: `icaxes fit glove-6b-50d --limit 50000 --seed 0`."""
    assert "icaxes fit glove-6b-50d -o glove-model --limit 50000 --seed 0" in README
    out = tmp_path_factory.mktemp("readme") / "glove-model"
    assert main(["fit", "glove-6b-50d", "-o", str(out), "--limit", "50000", "--seed", "0"]) == 0
    return out


def test_similarity_example(glove_50k_dir, capsys):
    said = re.search(r"icaxes similarity glove-model ferrari porsche # cos ([\d.]+) = \w+ axis "
                     r"\+([\d.]+) \(Bonferroni p (\S+)\)", README)
    assert said, "the similarity example is gone from the README"
    capsys.readouterr()
    assert main(["similarity", str(glove_50k_dir), "ferrari", "porsche", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    top = got["terms"][0]
    assert f"{got['cosine']:.2f}" == said.group(1)
    assert f"{top['product']:.2f}" == said.group(2)
    assert f"{top['p_adjusted']:.0e}".replace("e-0", "e-") == said.group(3)


def test_scatter_example(glove_50k_dir, tmp_path, capsys):
    said = re.search(r"`(--scatter italian: axis (\d+) '[^`]*)`", README)
    assert said, "the --scatter example is gone from the README"
    capsys.readouterr()
    # the same axis twice stops before drawing, after saying what each word chose
    code = main(["figures", str(glove_50k_dir), "-o", str(tmp_path / "f"), "--scatter", "italian",
                 "--scatter", said.group(2)])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and err[0] == said.group(1) and err[-1].startswith("error: ")
    assert not (tmp_path / "f").exists()


def test_ferrari_axes_in_the_explorer_paragraph(glove_50k_dir):
    import icaxes

    said = re.search(r"ferrari opens\s+axes (\d+), [^,]+, and (\d+),", README)
    assert said, "the explorer's ferrari example is gone from the README"
    model = icaxes.load_model(glove_50k_dir)
    assert [p.axis for p in model.explain("ferrari", 2)] == [int(said.group(1)), int(said.group(2))]
