"""Evaluation metrics against hand-computed answers on tiny inputs, and on real GloVe."""

from __future__ import annotations

import json

import numpy as np
import pytest

from icaxes.errors import InputError
from icaxes.evaluate import alignment as al
from icaxes.evaluate import hoc, intrusion, purity, similarity, stability, tour


# ------------------------------------------------------------------ CSLS / retrieval
def test_mean_top_k_takes_most_similar():
    sim = np.array([[0.9, 0.1, 0.5, -0.2], [0.0, 0.3, 0.2, 0.1]])
    assert np.allclose(al.mean_top_k_similarity(sim, 2), [(0.9 + 0.5) / 2, (0.3 + 0.2) / 2])


def test_csls_matches_hand_computation():
    a = np.deg2rad([0.0, 60.0])
    b = np.deg2rad([10.0, 50.0, 120.0])
    Q = np.column_stack([np.cos(a), np.sin(a)])
    T = np.column_stack([np.cos(b), np.sin(b)])
    cos = np.cos(a[:, None] - b[None, :])
    # k = 2: r_T(q) = mean of q's 2 most similar targets; r_S(t) = mean of t's 2 most similar queries
    r_t = np.array([np.mean(sorted(row)[-2:]) for row in cos])
    r_s = cos.mean(axis=0)  # only 2 queries, both are the 2 nearest
    want = 2 * cos - r_t[:, None] - r_s[None, :]
    assert np.allclose(al.csls_scores(Q, T, k=2), want)
    # hand values for one entry: cos(0-120) = -0.5; r_T(q0) = (cos10 + cos50) / 2
    assert al.csls_scores(Q, T, k=2)[0, 2] == pytest.approx(
        2 * -0.5 - (np.cos(np.deg2rad(10)) + np.cos(np.deg2rad(50))) / 2
        - (np.cos(np.deg2rad(120)) + np.cos(np.deg2rad(60))) / 2)


def test_csls_demotes_a_hub():
    # target 0 is close to every query (a hub); CSLS must prefer the query's own target
    Q = np.array([[1.0, 0.3, 0.0], [1.0, 0.0, 0.3], [1.0, -0.3, 0.0]])
    T = np.array([[1.0, 0.0, 0.0], [0.9, 0.6, 0.0], [0.2, 0.0, 1.0]])
    pool = np.vstack([Q, [[1.0, 0.05, 0.0]] * 5])
    nn = al.retrieve(Q[:1], T, method="nn", top=1)
    csls = al.retrieve(Q[:1], T, method="csls", k=3, top=1, query_pool=pool)
    assert nn[0, 0] == 0 and csls[0, 0] == 1


def test_accuracy_counts_any_listed_translation():
    ranked = np.array([[3, 1, 2], [0, 2, 1], [2, 0, 1]])
    gold = [[1, 7], [5], [2]]
    acc = al.accuracy_at(ranked, gold, ks=(1, 2, 3))
    assert acc == {1: pytest.approx(1 / 3), 2: pytest.approx(2 / 3), 3: pytest.approx(2 / 3)}


def test_procrustes_recovers_an_exact_rotation():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    R, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    W = al.fit_procrustes(X, X @ R)
    assert np.allclose(W, R, atol=1e-10)
    assert np.allclose(W @ W.T, np.eye(6), atol=1e-10)
    # different widths: the padded solution has orthonormal rows and still fits exactly
    Y = np.hstack([X @ R, np.zeros((200, 3))])
    W2 = al.fit_procrustes(X, Y)
    assert W2.shape == (6, 9) and np.allclose(X @ W2, Y, atol=1e-10)


def test_alignment_task_on_rotated_copy_and_random_transform():
    rng = np.random.default_rng(1)
    n, d = 400, 8
    S = rng.laplace(size=(n, d)) + rng.exponential(size=(n, d))  # skewed independent sources
    X = S @ rng.normal(size=(d, d))
    R, _ = np.linalg.qr(rng.normal(size=(d, d)))
    Y = X @ R
    words = [f"w{i}" for i in range(n)]
    idx = {w: i for i, w in enumerate(words)}
    split = al.split_dictionary([(w, w) for w in words], idx, idx, n_train=300, n_test=100)
    res = {(r.method, r.retrieval): r.accuracy[1] for r in al.alignment_task(X, idx, Y, idx, split)}
    assert res[("procrustes", "csls")] == 1.0 and res[("least squares", "nn")] == 1.0
    Xr, M = al.random_transform(X, seed=3)
    assert not np.allclose(M @ M.T, np.eye(d))
    bad = {(r.method, r.retrieval): r.accuracy[1] for r in al.alignment_task(Xr, idx, Y, idx, split)}
    assert bad[("procrustes", "csls")] < 0.5  # no rotation maps X M onto Y
    assert bad[("least squares", "csls")] == 1.0  # a general linear map still does


def test_paper_random_matrix_construction():
    d = 100
    M = al.random_matrix(d, seed=5, recipe="paper")
    assert np.array_equal(M, al.random_matrix(d, seed=5, recipe="paper"))
    assert not np.allclose(M, al.random_matrix(d, seed=6, recipe="paper"))
    # U, V with entries N(0, 1/d^2) and Exp(1) singular values: E ||M||_F^2 = E[sigma^2] / d = 2 / d
    norms = [d * np.sum(al.random_matrix(d, seed=s, recipe="paper") ** 2) for s in range(10)]
    assert 1.5 < np.mean(norms) < 2.5
    sv = np.linalg.svd(M, compute_uv=False)
    assert sv.max() / sv.min() > 1e3  # far from orthogonal, unlike ours (N(0, 1/d) entries)
    ours = np.linalg.svd(al.random_matrix(d, seed=5), compute_uv=False)
    assert ours.max() / ours.min() < sv.max() / sv.min()
    X, Y = np.random.default_rng(0).normal(size=(2, 30, d))
    Xr, Yr = al.transform_pair(X, Y, seed=5, recipe="paper")
    assert np.allclose(Xr, X @ M) and np.allclose(Yr, Y @ M)  # the same M on both sides
    Xs, Ys = al.transform_pair(X, Y, seed=5, recipe="source")
    assert np.allclose(Xs, X @ al.random_matrix(d, 5)) and np.array_equal(Ys, Y)
    with pytest.raises(InputError, match="unknown random-transform recipe"):
        al.random_matrix(4, recipe="orthogonal")
    with pytest.raises(InputError, match="widths"):
        al.transform_pair(X, Y[:, :10], recipe="paper")


def test_paper_transform_breaks_procrustes_not_ica_permutation():
    from icaxes.evaluate.run import refit_axes_svd

    rng = np.random.default_rng(1)
    n, d = 600, 8
    S = rng.laplace(size=(n, d)) + rng.exponential(size=(n, d))  # skewed independent sources
    X = S @ rng.normal(size=(d, d))
    Y = X @ np.linalg.qr(rng.normal(size=(d, d)))[0]
    words = [f"w{i}" for i in range(n)]
    idx = {w: i for i, w in enumerate(words)}
    split = al.split_dictionary([(w, w) for w in words], idx, idx, n_train=450, n_test=150)
    Xr, Yr = al.transform_pair(X, Y, seed=2, recipe="paper")
    axes = {"src_axes": refit_axes_svd(Xr, tol=1e-8), "tgt_axes": refit_axes_svd(Yr, tol=1e-8)}
    res = {(r.method, r.retrieval): r.accuracy[1]
           for r in al.alignment_task(Xr, idx, Yr, idx, split, **axes)}
    assert res[("procrustes", "csls")] < 0.5  # X M -> X R M is no rotation
    assert res[("ica-permutation", "csls")] > 0.9  # both refits recover the same sources
    assert res[("least squares", "csls")] > 0.95  # a general linear map exists (M is ill-conditioned)


def test_least_squares_variants():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 6)) + 5.0  # far from the origin: centring matters
    Y = (X - X.mean(axis=0)) @ np.linalg.qr(rng.normal(size=(6, 6)))[0]
    words = [f"w{i}" for i in range(300)]
    idx = {w: i for i, w in enumerate(words)}
    split = al.split_dictionary([(w, w) for w in words], idx, idx, n_train=200, n_test=100)
    res = {r.method: r.accuracy[1] for r in al.alignment_task(X, idx, Y, idx, split, retrievals=("nn",))}
    assert res["least squares, normalised"] == 1.0 and res["least squares"] < 1.0
    only = al.alignment_task(X, idx, Y, idx, split, retrievals=("nn",), least_squares=("normalised",))
    assert {r.method for r in only} == {"least squares, normalised", "procrustes"}
    with pytest.raises(InputError, match="least-squares variant"):
        al.alignment_task(X, idx, Y, idx, split, least_squares=("ridge",))


def test_split_is_by_source_frequency_and_proportional():
    pairs = [(f"s{i}", f"t{i}") for i in range(26)] + [("s0", "t1")]
    rank = {f"s{i}": 25 - i for i in range(26)}  # s25 is the most frequent
    tgt = {f"t{i}": i for i in range(26)}
    sp = al.split_dictionary(pairs, rank, tgt, n_train=5000, n_test=1500)
    assert (sp.n_train_words, sp.n_test_words) == (20, 6)  # 26 * 10/13 = 20
    assert sp.train[0] == ("s25", "t25")
    assert sp.test["s0"] == ["t0", "t1"]
    with pytest.raises(InputError):
        al.split_dictionary(pairs[:5], rank, tgt)


# ------------------------------------------------------------------------ similarity
def test_top_p_terms_by_hand():
    x = np.array([0.6, 0.8, 0.0])
    y = np.array([0.8, 0.0, 0.6])
    assert similarity.top_p_terms(x, y, 1) == pytest.approx(0.48)
    assert similarity.top_p_terms(x, y, None) == pytest.approx(0.48)
    x2, y2 = np.array([[0.6, -0.8]]), np.array([[0.6, 0.8]])
    assert similarity.top_p_terms(x2, y2, 1)[0] == pytest.approx(0.36)
    assert similarity.top_p_terms(x2, y2, 2)[0] == pytest.approx(0.36 - 0.64)


def test_analogy_by_hand():
    toks = ["king", "man", "woman", "queen", "apple"]
    V = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 1], [1, 1, 1]], float)
    U = similarity.unit_rows(V)
    idx = {t: i for i, t in enumerate(toks)}
    res = similarity.analogy_accuracy(U, idx, {"x": [("man", "king", "woman", "queen")]})
    assert res.macro == 1.0 and res.n_questions == 1


# -------------------------------------------------------------------------- intrusion
def test_dist_ratio_by_hand():
    space = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    # intra: d(0,1) = 1; inter: (d(0,2) + d(1,2)) / 2 = (3 + sqrt(10)) / 2
    assert intrusion.dist_ratio(space, np.array([0, 1]), np.array([2])) == pytest.approx(
        (3 + np.sqrt(10)) / 2)


def test_intrusion_prefers_clustered_axes():
    rng = np.random.default_rng(0)
    S = rng.exponential(size=(3000, 6)) ** 2  # spiky axes: top words far out on one axis only
    res = intrusion.intrusion_scores(S, seed=0)
    assert res.median > 1.0
    res2 = intrusion.intrusion_scores(rng.normal(size=(3000, 6)), seed=0)
    assert res.median > res2.median


# ----------------------------------------------------------------------------- purity
def test_purity_by_hand():
    M = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0], [1, 0, 0]], bool)
    # 4 known tokens; column 0 holds 3 of them
    assert purity.purity(M) == (0.75, 0)
    assert np.isnan(purity.purity(M[3:])[0])


def test_axis_purity_with_wordnet():
    toks = ["apple", "banana", "cherry", "grape", "lemon", "dog", "cat", "horse", "cow", "sheep",
            "run", "walk", "swim", "jump", "climb"]
    vals = np.zeros((len(toks), 2))
    vals[:5, 0] = 1.0  # fruit axis
    vals[5:10, 1] = 1.0  # animal axis
    res = purity.axis_purity(vals, toks, k=5, n_random=50)
    assert res.scores[0] >= 0.8 and res.scores[1] >= 0.8
    assert res.categories[1] == "noun.animal"
    assert res.chance < res.mean


# -------------------------------------------------------------------------------- HOC
def test_hoc_by_hand_and_spanning_tree():
    S = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    # standardised columns are +-1, so every E[s_i^2 s_j^2] is 1
    assert np.allclose(hoc.higher_order_correlations(S), 1.0)
    S2 = np.array([[2.0, 2.0], [0.0, 0.0], [0.0, 0.0], [-2.0, -2.0]])
    # z = [sqrt2, 0, 0, -sqrt2]: E[z^4] = (4 + 4) / 4 = 2
    assert np.allclose(hoc.higher_order_correlations(S2), 2.0)
    W = np.array([[0, 5, 1, 1], [5, 0, 2, 4], [1, 2, 0, 3], [1, 4, 3, 0]], float)
    assert hoc.maximum_spanning_tree(W) == [(0, 1, 5.0), (1, 3, 4.0), (2, 3, 3.0)]


def test_hoc_clusters_group_dependent_axes():
    rng = np.random.default_rng(0)
    n = 20000
    scale = rng.exponential(size=(n, 2)) ** 2  # shared variance within each group of axes
    S = np.column_stack([rng.normal(size=n) * scale[:, 0], rng.normal(size=n) * scale[:, 0],
                         rng.normal(size=n) * scale[:, 1], rng.normal(size=n) * scale[:, 1]])
    for method in ("average", "tree", "spectral"):
        res = hoc.hoc_clusters(S, n_clusters=2, method=method)
        assert res.labels[0] == res.labels[1] != res.labels[2] == res.labels[3], method


# ------------------------------------------------------------------------------- tour
def test_tour_on_four_points():
    ang = np.deg2rad([90.0, 0.0, 180.0, 30.0])  # shuffled so the answer is not the input order
    V = np.column_stack([np.cos(ang), np.sin(ang)])
    order, steps = tour.axis_tour(V)
    # shortest cycle follows the angles; the 180 -> 0 step (cost 2) is the weakest and is cut
    assert order in ([1, 3, 0, 2], [2, 0, 3, 1])
    assert np.allclose(sorted(steps), sorted([1 - np.cos(np.deg2rad(30)), 0.5, 1.0]))


def test_block_reduce_by_hand():
    X = np.arange(12, dtype=float).reshape(3, 4)
    Y = tour.block_reduce(X, [0, 1, 2, 3], np.ones(4), p=2)
    assert np.allclose(Y, np.column_stack([X[:, :2].sum(1), X[:, 2:].sum(1)]) / np.sqrt(2))
    Y2 = tour.block_reduce(X, [3, 2, 1, 0], np.array([1.0, 1.0, 1.0, 8.0]), p=1, alpha=1 / 3)
    u = np.array([1.0, 1.0, 1.0, 2.0]) / np.sqrt(7)
    assert np.allclose(Y2[:, 0], X @ u)


def test_axis_vectors_mean_of_top_rows():
    X = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    V = tour.axis_vectors(X, k=2)
    assert np.allclose(V, [[0.9, 0.3], [0.4, 0.8]])


def test_whitened_pca_baseline(glove_spaces):
    X = np.asarray(glove_spaces.raw, dtype=np.float64)
    plain, white = tour.pca_baseline(X, 10), tour.pca_baseline(X, 10, whiten=True)
    assert np.allclose(white.std(axis=0, ddof=1), 1.0)
    assert np.allclose(white * plain.std(axis=0, ddof=1), plain)
    assert np.all(np.diff(plain.std(axis=0)) < 0)  # unwhitened: variance falls with the component
    with pytest.raises(InputError):
        tour.pca_baseline(X, 0)


def test_tour_tables_report_both_pca_baselines(glove_spaces):
    from icaxes.evaluate.run import tour_tables

    _, red, _ = tour_tables(glove_spaces, max_rank=10000, p_values=(10,))
    got = dict(zip(red.reduction, red.ws353, strict=True))
    assert {"first p PCA components", "first p whitened PCA components (paper)"} <= set(got)
    assert got["first p PCA components"] != got["first p whitened PCA components (paper)"]
    with pytest.raises(InputError, match="PCA baseline"):
        tour_tables(glove_spaces, pca_baselines=("centred",))


# -------------------------------------------------------------------------- stability
def test_matched_correlation_sees_through_permutation_and_sign():
    rng = np.random.default_rng(0)
    S = rng.laplace(size=(500, 4))
    perm = S[:, [2, 0, 3, 1]] * np.array([1, -1, 1, -1])
    assert np.allclose(stability.matched_abs_correlation(S, perm), 1.0)
    noisy = S + np.column_stack([np.zeros((500, 3)), 3 * rng.normal(size=500)])
    r = stability.matched_abs_correlation(S, noisy)
    assert np.allclose(r[:3], 1.0) and r[3] < 0.5


def test_stability_of_identifiable_sources(laplace_mixture, tmp_path):
    _, _, X = laplace_mixture
    from icaxes.decompose.estimator import ICA

    ref = ICA(random_state=0).fit(X).transform(X)
    res = stability.axis_stability(X, ref, seeds=(1,), n_bootstrap=1, eval_rows=5000)
    assert min(res.stability) > 0.95 and res.unstable == []
    res.save(tmp_path)
    back = stability.load_stability(tmp_path)
    assert back is not None and back.stability == res.stability
    assert json.loads((tmp_path / "stability.json").read_text())["unstable"] == []


# ------------------------------------------------------------ real GloVe, small slices
@pytest.fixture(scope="module")
def glove_spaces():
    from icaxes.evaluate.run import Spaces
    from icaxes.io.sources import load_embeddings
    from icaxes.model import fit_ica, fit_pca

    emb = load_embeddings("glove-6b-50d", limit=20000)
    return Spaces(list(emb.tokens), np.asarray(emb.vectors), fit_ica(emb, seed=0), fit_pca(emb))


def test_ica_beats_pca_at_small_p_on_wordsim(glove_spaces):
    """ICA's few largest terms keep more of WordSim-353 than PCA's (docs/results.md)."""
    sp = glove_spaces
    pairs = similarity.load_similarity_benchmark("ws353")
    ica, pca = sp.unit("ica"), sp.unit("pca")
    for p in (2, 5, 10):
        r_ica = similarity.similarity_spearman(ica, sp.index, pairs, p).rho
        r_pca = similarity.similarity_spearman(pca, sp.index, pairs, p).rho
        assert r_ica > r_pca, (p, r_ica, r_pca)
    # with all terms the two are the same cosine (a rotation of the whitened space)
    full = [similarity.similarity_spearman(u, sp.index, pairs).rho for u in (ica, pca)]
    assert full[0] == pytest.approx(full[1], abs=1e-6)


def test_simlex_small_p_is_not_won_by_ica(glove_spaces):
    """On SimLex-999 (similarity, not relatedness) PCA's top terms do as well or better on 50d GloVe."""
    sp = glove_spaces
    pairs = similarity.load_similarity_benchmark("simlex999")
    r_ica = similarity.similarity_spearman(sp.unit("ica"), sp.index, pairs, 5).rho
    r_pca = similarity.similarity_spearman(sp.unit("pca"), sp.index, pairs, 5).rho
    assert r_pca >= r_ica - 0.02


def test_ica_axes_purer_and_more_intrusion_proof_than_pca(glove_spaces):
    from icaxes.evaluate.run import intrusion_table, purity_table

    summ, per_axis = intrusion_table(glove_spaces, max_rank=10000)
    med = dict(zip(summ.representation, summ["median"], strict=True))
    assert med["ica"] > med["pca"] and med["ica normalised"] > med["pca normalised"]
    # the paper's DistRatio: distances in the original embedding; the ranking holds there too
    orig = dict(zip(summ.representation, summ["median (original space)"], strict=True))
    assert orig["ica"] > orig["pca"] and orig["ica normalised"] > orig["pca normalised"]
    # raw axes are the embedding up to signs: both spaces give the same distances
    assert np.array_equal(per_axis["raw"], per_axis["raw (original space)"])
    assert not np.allclose(per_axis["ica"], per_axis["ica (original space)"])
    pur, _ = purity_table(glove_spaces, max_rank=10000)
    mean = dict(zip(pur.method, pur["mean purity"], strict=True))
    assert mean["ica"] > mean["pca"] > pur["chance"].iloc[0]


def test_hoc_tables_report_ours_and_the_papers_clustering(glove_spaces):
    from icaxes.evaluate.run import hoc_tables

    edges, clusters, res = hoc_tables(glove_spaces, max_rank=10000)
    assert len(edges) == 49
    for method in ("average", "spectral"):
        block = clusters[clusters.clustering == method]
        assert len(block) == 10 and block["size"].sum() == 50, method
        axes = sorted(int(a) for row in block["axes"] for a in row.split())
        assert axes == list(range(50)), method
    # the returned result (drawn in the figure) is the first method's: ours
    assert res.labels.max() == 9 and np.isnan(res.threshold)


# ------------------------------------------------------------------------------- CLI
def test_cli_evaluate_model_folder_and_axes_flags(glove_model_dir, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from icaxes.cli import app

    model = tmp_path / "model"
    shutil.copytree(glove_model_dir, model)  # stability.json is written into the model folder
    out = tmp_path / "eval"
    res = CliRunner().invoke(app, ["evaluate", str(model), "-t", "stability,hoc,purity", "--refits", "1",
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    for name in ("stability.csv", "hoc_clusters.csv", "purity.csv", "summary.md", "eval-hoc.png",
                 "eval-stability.svg"):
        assert (out / name).is_file(), name
    saved = json.loads((model / "ica" / "stability.json").read_text())
    assert len(saved["stability"]) == 50 and all(0 <= s <= 1 + 1e-9 for s in saved["stability"])
    table = CliRunner().invoke(app, ["axes", str(model), "-n", "50"])
    assert table.exit_code == 0 and "stability" in table.output
    assert ("UNSTABLE" in table.output) == bool(saved["unstable"])
    as_json = json.loads(CliRunner().invoke(app, ["axes", str(model), "--json", "-n", "3"]).output)
    assert as_json[0]["stability"] == pytest.approx(saved["stability"][0])


def test_cli_evaluate_bad_task_is_one_line_and_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from icaxes.cli import app

    res = CliRunner().invoke(app, ["evaluate", "glove-6b-50d", "-t", "similarity,nonsense",
                                   "-o", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "unknown task(s) nonsense" in res.output
    assert not (tmp_path / "out").exists()


def test_tasks_and_refits_are_checked_by_the_api_before_any_work(tmp_path, capsys):
    from icaxes.cli import main
    from icaxes.errors import ParameterError
    from icaxes.evaluate.run import TASKS, evaluate_source, parse_tasks

    assert parse_tasks("all") == list(TASKS) and parse_tasks(" hoc, tour ") == ["hoc", "tour"]
    with pytest.raises(ParameterError, match=r"refits \(--refits\) must be an integer of at least 1, got 0"):
        evaluate_source("glove-6b-50d", tmp_path / "out", tasks="stability", refits=0)
    argv = ["evaluate", "glove-6b-50d", "-t", "stability", "--refits", "0", "-o", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: refits (--refits)") and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out").exists()
