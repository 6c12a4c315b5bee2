"""The explorer's data, page assembly, size bound, notebook summary, CLI and local server.

The browser itself is driven in test_explorer_browser.py.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import icaxes
from icaxes.cli import main
from icaxes.errors import InputError, OutputError
from icaxes.explorer import PageLimits, build_page, embed_json, explorer_data, serve, write_explorer
from icaxes.model import AxisModel, load_model
from icaxes.universal.matching import axis_correlations, match_optimal

EVIL = "<img src=x onerror=alert(1)>"
SCRIPT_CLOSER = "</script><script>alert(2)</script><!--"


def decode(matrix: dict, n: int, d: int) -> np.ndarray:
    raw = base64.b64decode(matrix["data"])
    if matrix["dtype"] == "float16":
        return np.frombuffer(raw, dtype="<f2").reshape(n, d).astype(np.float32)
    scale = np.frombuffer(base64.b64decode(matrix["scale"]), dtype="<f4")
    return np.frombuffer(raw, dtype=np.int8).reshape(n, d) * scale[:, None]


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="icaxes-data">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def glove_models(glove_20k_dir):
    return {"ica": load_model(glove_20k_dir, "ica"), "pca": load_model(glove_20k_dir, "pca")}


def test_embedded_json_cannot_break_out_of_its_script_element():
    data = {"tokens": [EVIL, SCRIPT_CLOSER, "a&b", "\u2028"]}
    text = embed_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data


def test_page_data_agrees_with_the_python_api(glove_models):
    ica = glove_models["ica"]
    data = explorer_data([("glove5k", glove_models)], limits=PageLimits(max_tokens=2000, top_k=20))
    (m,) = data["models"]
    assert m["n_tokens"] == len(ica.tokens) and set(m["methods"]) == {"ica", "pca"}
    v = m["methods"]["ica"]
    for k in (0, 7, ica.n_axes - 1):
        assert [m["tokens"][r] for r in v["top"][k]] == ica.top_tokens(k, 20)
    np.testing.assert_allclose(v["skewness"], ica.skewness, atol=1e-3)
    assert v["labels"] == ica.labels
    # every top-list token is embedded, plus the most frequent tokens, in frequency order
    top_rows = {int(i) for k in range(ica.n_axes) for i in ica.top_indices(k, 20)}
    rows = [ica.index[t] for t in m["tokens"]]
    assert top_rows <= set(rows) and set(range(2000)) <= set(rows)
    assert rows == sorted(rows) and m["freq_rank"] == rows
    M = decode(v["matrix"], m["n_rows"], ica.n_axes)
    assert v["matrix"]["dtype"] == "float16"
    np.testing.assert_allclose(M, ica.normalized[rows], atol=1e-3)
    # the histogram counts every token once
    assert all(sum(h["counts"]) == len(ica.tokens) for h in v["hist"])


def test_int8_storage_when_float16_would_exceed_the_budget(glove_models):
    ica = glove_models["ica"]
    limits = PageLimits(max_tokens=5000, matrix_bytes=200_000, top_k=10)
    (m,) = explorer_data([("g", ica)], limits=limits)["models"]
    v = m["methods"]["ica"]
    assert v["matrix"]["dtype"] == "int8"
    assert m["n_rows"] * ica.n_axes <= limits.matrix_bytes
    rows = [ica.index[t] for t in m["tokens"]]
    M = decode(v["matrix"], m["n_rows"], ica.n_axes)
    step = np.abs(ica.normalized[rows]).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(M - ica.normalized[rows]) <= step / 2 + 1e-6)


def test_bad_arguments_raise_input_errors(glove_models):
    with pytest.raises(InputError, match="no models"):
        explorer_data([])
    with pytest.raises(InputError, match="given twice"):
        explorer_data([("a", glove_models["ica"]), ("a", glove_models["pca"])])
    with pytest.raises(InputError, match="AxisModel"):
        explorer_data([("a", "not a model")])
    with pytest.raises(InputError, match="one value per axis"):
        explorer_data([("a", glove_models)], stability={"a": {"ica": [0.5, 0.5]}})
    with pytest.raises(InputError, match="positive"):
        explorer_data([("a", glove_models)], limits=PageLimits(top_k=0))


def test_write_is_atomic_and_reports_unwritable_folders(glove_models, tmp_path):
    target = tmp_path / "page.html"
    with pytest.raises(InputError):
        write_explorer([], target)
    assert not target.exists() and not list(tmp_path.iterdir())
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        write_explorer([("g", glove_models["ica"])], blocker / "page.html")
    out = write_explorer({"g": glove_models}, target, limits=PageLimits(max_tokens=500))
    assert out == target and [p.name for p in tmp_path.iterdir() if p.name != "file"] == ["page.html"]
    html = target.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html  # nothing is fetched from anywhere
    assert "ICAXES_DATA" not in html and page_data(html)["models"][0]["name"] == "g"


def test_matched_axes_agree_with_the_matching_module(glove_models, glove_10k_30k_ica):
    # two real models over overlapping vocabularies: ranks 0-20,000 and 10,000-30,000
    a, b = glove_models["ica"], glove_10k_30k_ica
    data = explorer_data([("first", a), ("second", b)], limits=PageLimits(max_tokens=500, top_k=10))
    (match,) = data["matches"]
    shared = [t for t in a.tokens if t in b.index]
    assert match["pairs"] == len(shared) == 10_000 and match["by"] == "shared tokens"
    corr = axis_correlations(a.components[[a.index[t] for t in shared]],
                             b.components[[b.index[t] for t in shared]])
    rows, cols = match_optimal(corr)
    assert match["rows"] == rows.tolist() and match["cols"] == cols.tolist()
    np.testing.assert_allclose(match["r"], corr[rows, cols], atol=1e-4)
    # the same embedding seen twice: the strongest axes are found again
    assert match["r"][0] > 0.9
    # explicit pairs (e.g. a dictionary) replace the shared tokens
    pairs = {("first", "second"): [(t, t) for t in shared[:100]]}
    (m2,) = explorer_data([("first", a), ("second", b)], limits=PageLimits(max_tokens=500, top_k=10),
                          pairs=pairs)["matches"]
    assert m2["pairs"] == 100 and m2["by"] == "translation pairs"


def test_page_size_stays_bounded_for_the_full_400k_vocabulary(glove_models):
    emb = icaxes.load_embeddings("glove-6b-50d")
    assert len(emb) == 400_000
    # the 20k models were fitted on the 20,000 most frequent words: a sample; transform all 400,000
    models = {}
    for method, small in glove_models.items():
        est = small.transform
        models[method] = AxisModel(list(emb.tokens), est.transform(emb.vectors).astype(np.float32), est,
                                   method, emb.frequencies, dict(emb.metadata))
    ica = models["ica"]
    limits = PageLimits()
    html = build_page([("glove-400k", models)], limits=limits)
    size = len(html.encode("utf-8"))
    assert size < 25_000_000, f"page is {size / 1e6:.1f} MB"
    (m,) = page_data(html)["models"]
    assert m["n_tokens"] == 400_000
    assert m["n_rows"] <= limits.max_tokens + 2 * ica.n_axes * limits.top_k
    # top lists come from the whole vocabulary, beyond the embedded most frequent tokens
    v = m["methods"]["ica"]
    ranks = [m["freq_rank"][r] for k in range(ica.n_axes) for r in v["top"][k]]
    assert max(ranks) > limits.max_tokens
    assert [m["tokens"][r] for r in v["top"][3]] == ica.top_tokens(3, limits.top_k)


def test_notebook_summary_is_compact_and_escaped(glove_models):
    ica = glove_models["ica"]
    tokens = list(ica.tokens)
    top = int(ica.top_indices(0, 1)[0])
    tokens[top] = EVIL
    # read every row (the model's content-word display would hide a token of markup)
    meta = {k: v for k, v in ica.metadata.items() if k != "display"}
    m = AxisModel(tokens, np.asarray(ica.components), ica.transform, "ica", ica.frequencies, meta)
    html = m._repr_html_()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "ICA" in html and f"{len(tokens):,}" in html and str(ica.n_axes) in html
    assert ("converged" in html) and html.count("<tr>") < 20


def write_stability(folder: Path, values: list[float]) -> None:
    (folder / "stability.json").write_text(json.dumps({"stability": values, "seeds": [0, 1]}))


def test_cli_explore_writes_the_page_with_stability(glove_20k_dir, tmp_path, capsys):
    folder = tmp_path / "model"
    import shutil

    shutil.copytree(glove_20k_dir, folder)
    n_axes = load_model(folder, "ica").n_axes
    values = [round(1 - k / 100, 3) for k in range(n_axes)]
    write_stability(folder, values)
    out = tmp_path / "out" / "page.html"
    assert main(["explore", str(folder), "-o", str(out), "--max-tokens", "1000", "--top", "15"]) == 0
    data = page_data(out.read_text(encoding="utf-8"))
    (m,) = data["models"]
    assert m["methods"]["ica"]["stability"] == values and m["methods"]["pca"]["stability"] is None
    assert data["limits"]["top_k"] == 15
    assert "wrote" in capsys.readouterr().err


def test_cli_explore_rejects_a_missing_model_without_output(tmp_path, capsys):
    out = tmp_path / "page.html"
    assert main(["explore", str(tmp_path / "nope"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "icaxes fit" in err
    assert not out.exists()


def test_serve_answers_only_the_page_on_loopback(glove_models):
    page = build_page([("g", glove_models["ica"])], limits=PageLimits(max_tokens=300, top_k=5))
    server = serve(page, port=0, block=False)
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.status == 200 and r.read().decode("utf-8") == page
            assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/../etc/passwd", timeout=10)
        assert exc.value.code == 404
        with pytest.raises(InputError, match="choose another --port"):
            serve(page, port=port, block=False)
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_serve_serves_the_page(glove_20k_dir):
    port = free_port()
    exe = Path(sys.executable).parent / "icaxes"
    proc = subprocess.Popen([str(exe), "serve", str(glove_20k_dir),
                             "--port", str(port), "--max-tokens", "500"],
                            stderr=subprocess.PIPE, text=True)
    try:
        body = None
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    body = r.read().decode("utf-8")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        assert body is not None
        data = page_data(body)
        assert data["models"][0]["name"] == glove_20k_dir.name
        assert set(data["models"][0]["methods"]) == {"ica", "pca"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_matching_over_a_pairs_object_uses_its_weights(glove_models, glove_10k_30k_ica):
    from icaxes.universal.pairs import Pairs

    a, b = glove_models["ica"], glove_10k_30k_ica
    shared = [t for t in a.tokens if t in b.index][:2000]
    weights = np.where(np.arange(len(shared)) % 2 == 0, 1.0, 0.25)
    pairs = Pairs([*shared, "not-a-word"], [*shared, "nor-this"],
                  np.concatenate([weights, [1.0]]))
    (m,) = explorer_data([("A", a), ("B", b)], limits=PageLimits(max_tokens=300, top_k=5),
                         pairs={("B", "A"): pairs})["matches"]
    assert m["pairs"] == 2000 and m["by"] == "translation pairs"
    corr = axis_correlations(a.components[[a.index[t] for t in shared]],
                             b.components[[b.index[t] for t in shared]], weights)
    rows, cols = match_optimal(corr)
    assert m["rows"] == rows.tolist() and m["cols"] == cols.tolist()
    np.testing.assert_allclose(m["r"], corr[rows, cols], atol=1e-4)


def test_initial_scatter_axes_pick_the_pair_with_most_words_between():
    from icaxes.explorer.data import initial_scatter_axes

    rng = np.random.default_rng(0)
    d, n = 20, 3000
    X = rng.normal(scale=1 / np.sqrt(d), size=(n, d))
    X[:40, [2, 5]] = 0.8  # 40 words mix axes 2 and 5
    X[40:100, [1, 3]] = 0.8  # 60 numbers mix axes 1 and 3
    X[100:160, [4, 15]] = 0.8  # 60 words mix axes 4 and 15, beyond the first 12 axes
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    letters = "abcdefghijklmnopqrstuvwxyz"
    tokens = [str(1900 + i) if 40 <= i < 100
              else letters[i % 26] + letters[(i // 26) % 26] + letters[i // 676] for i in range(n)]
    best = initial_scatter_axes(X)
    assert (best["x"], best["y"]) == (1, 3) and best["between"] >= 60
    # only words made of letters count: the pile-up of numbers loses
    words = initial_scatter_axes(X, tokens)
    assert (words["x"], words["y"]) == (2, 5) and words["between"] >= 40
    assert (initial_scatter_axes(X, tokens, n_candidates=16)["y"]) == 15
    # no pair with any word between: axes 0 and 1
    flat = initial_scatter_axes(np.eye(d))
    assert (flat["x"], flat["y"], flat["between"]) == (0, 1, 0)


def test_cli_explore_matches_over_pairs_with_the_named_method(glove_20k_dir, glove_10k_30k_ica, tmp_path,
                                                              capsys):
    from icaxes.universal.matching import match_greedy
    from icaxes.universal.pairs import same_token_pairs

    other = tmp_path / "other"
    glove_10k_30k_ica.save(other)
    out = tmp_path / "page.html"
    assert main(["explore", str(glove_20k_dir), str(other), "-o", str(out), "--max-tokens", "500",
                 "--top", "5", "--pairs", "same", "--matching", "greedy"]) == 0
    assert "pairs kept" in capsys.readouterr().err
    data = page_data(out.read_text(encoding="utf-8"))
    (m,) = [x for x in data["matches"] if x["method"] == "ica"]
    a = load_model(glove_20k_dir, "ica")
    pairs = same_token_pairs(a, glove_10k_30k_ica).restrict(a, glove_10k_30k_ica)
    ra, rb = pairs.rows(a, glove_10k_30k_ica)
    corr = axis_correlations(a.components[ra], glove_10k_30k_ica.components[rb], pairs.weights)
    rows, cols = match_greedy(corr)
    assert m["matching"] == "greedy" and "greedy" in m["matching_name"]
    assert m["by"] == "pairs (same tokens)" and m["pairs"] == len(pairs)
    assert m["rows"] == rows.tolist() and m["cols"] == cols.tolist()
    # a --pairs value the parser of `icaxes match` does not know: one line, no page
    bad = tmp_path / "bad.html"
    assert main(["explore", str(glove_20k_dir), str(other), "-o", str(bad), "--pairs", "freedict:en"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "freedict:SRC-TGT" in err and not bad.exists()
    assert main(["explore", str(glove_20k_dir), "-o", str(bad), "--pairs", "same"]) == 2
    assert "two or more model folders" in capsys.readouterr().err and not bad.exists()
