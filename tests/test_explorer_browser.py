"""The explorer page in a real browser: Debian's chromium driven by Playwright.

Expectations come from the Python API on the same models. Screenshots are kept under
test-artifacts/ (not committed).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate, special, stats

from icaxes.explorer import PageLimits, build_page, serve, write_explorer
from icaxes.interpret.axes import component_p_value, product_p_value
from icaxes.model import AxisModel, load_model
from icaxes.universal.matching import axis_correlations, match_optimal

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# headless, and nothing that reaches out to the network on its own
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EVIL = "<img src=x onerror=alert(1)>"
CLOSER = "</script><script>alert(2)</script><!--"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run `make system-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="icaxes-chromium-")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=FLAGS,
                viewport={"width": 1400, "height": 900})
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_page(ctx, url: str):
    """Open ``url``, recording console errors, page errors, dialogs and any network request."""
    page = ctx.new_page()
    seen = SimpleNamespace(errors=[], dialogs=[], requests=[])
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))

    def on_dialog(d):
        seen.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: seen.requests.append(r.url))
    page.goto(url)
    page.wait_for_selector(".axis-item")
    return page, seen


def with_hostile_tokens(m: AxisModel, copies: dict[str, str]) -> AxisModel:
    """The model plus copies of real rows under hostile names."""
    rows = [m.index[src] for src in copies.values()]
    comps = np.vstack([np.asarray(m.components), np.asarray(m.components)[rows]])
    freqs = None if m.frequencies is None else np.concatenate([m.frequencies, m.frequencies[rows] * 0.5])
    return AxisModel(list(m.tokens) + list(copies), comps, m.transform, m.method, freqs,
                     dict(m.metadata), m.labels)


@pytest.fixture(scope="module")
def explorer(glove_20k_dir, glove_10k_30k_ica, tmp_path_factory):
    copies = {EVIL: "paris", CLOSER: "london"}
    ica = with_hostile_tokens(load_model(glove_20k_dir, "ica"), copies)
    pca = with_hostile_tokens(load_model(glove_20k_dir, "pca"), copies)
    path = tmp_path_factory.mktemp("explorer") / "explorer.html"
    write_explorer([("glove-20k", {"ica": ica, "pca": pca}), ("glove-10k-30k", glove_10k_30k_ica)], path)
    return SimpleNamespace(path=path, url=path.as_uri(), ica=ica, pca=pca, other=glove_10k_30k_ica)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"explorer-{name}.png"))


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_explore_axes_tokens_scatter_pairs_and_matches(browser, explorer):
    ica = explorer.ica
    page, seen = open_page(browser, explorer.url)
    N = ica.normalized

    # axis list: one entry per axis, with the top tokens the Python API gives
    items = page.locator(".axis-item")
    assert items.count() == ica.n_axes
    assert items.nth(0).locator(".toks").text_content() == ", ".join(ica.top_tokens(0, 8))
    shot(page, "axes")

    # search with completion
    page.fill("#search", "quee")
    page.wait_for_selector("#search-suggest li")
    suggestions = page.locator("#search-suggest li .tok").all_text_contents()
    assert "queen" in suggestions and all("quee" in s.lower() for s in suggestions)
    page.locator("#search-suggest li", has_text="queen").first.click()
    assert page.locator("#tab-token .token-title").text_content() == "queen"
    strongest = ica.explain("queen", 2)
    names = page.locator("#token-composition .name").all_text_contents()
    assert names[0] == f"#{strongest[0].axis} {ica.labels[strongest[0].axis]}"
    q = ica.index["queen"]
    sims = N @ N[q]
    sims[q] = -np.inf
    expected_near = [ica.tokens[i] for i in np.argsort(-sims)[:3]]
    assert page.locator("#token-neighbours .name").first.text_content() in expected_near
    shot(page, "token")

    # open the token's strongest axis: its top tokens, and where the token falls
    k = strongest[0].axis
    page.locator("#token-composition .name").first.click()
    assert page.locator("#tab-axis h3").text_content() == f"Axis #{k} {ica.labels[k]}"
    assert page.locator("#axis-top .name").all_text_contents()[:10] == ica.top_tokens(k, 10)
    callout = page.locator("#axis-token-callout").text_content()
    rank = int(number(re.search(r"rank ([\d,]+) of the ([\d,]+) tokens on this page", callout).group(1)))
    expected_rank = 1 + int(np.sum(N[:, k] > N[q, k]))
    assert abs(rank - expected_rank) <= max(3, expected_rank // 100)
    assert f"{N[q, k]:.3f}"[:-1] in callout  # its value, to the float16 precision of the page
    shot(page, "axis")

    # scatter of two other axes, hover labels, zoom
    page.click("#tabs button[data-tab=scatter]")
    kx, ky = strongest[0].axis, strongest[1].axis
    page.select_option("#scatter-x", str(kx))
    page.select_option("#scatter-y", str(ky))
    assert page.evaluate("[icaxesExplorer.state.sx, icaxesExplorer.state.sy]") == [kx, ky]
    painted = page.evaluate("""() => { const c = document.getElementById('scatter');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert painted > 5000
    top_token = ica.top_tokens(ky, 1)[0]
    row = page.evaluate(f"icaxesExplorer.data.models[0].tokens.indexOf({top_token!r})")
    box = page.locator("#scatter").bounding_box()
    px, py = page.evaluate(f"[icaxesExplorer.scatter.px[{row}], icaxesExplorer.scatter.py[{row}]]")
    page.mouse.move(box["x"] + px, box["y"] + py)
    page.wait_for_selector("#scatter-tip:not([hidden])")
    tip_token = page.locator("#scatter-tip").text_content().rsplit("  (", 1)[0]
    near = page.evaluate(f"""() => {{ const s = icaxesExplorer.scatter;
        return icaxesExplorer.data.models[0].tokens
            .filter((_, r) => Math.hypot(s.px[r] - {px}, s.py[r] - {py}) <= 10); }}""")
    assert tip_token in near
    before = page.evaluate("icaxesExplorer.scatter.view.slice()")
    page.mouse.wheel(0, -600)
    page.wait_for_function(f"icaxesExplorer.scatter.view[1] - icaxesExplorer.scatter.view[0] < "
                           f"{(before[1] - before[0]) * 0.9}")
    shot(page, "scatter")

    # pair view: the similarity decomposed by axis with p-values, as AxisModel.similarity gives
    page.click("#tabs button[data-tab=pair]")
    for sel, tok in (("#pair-a", "king"), ("#pair-b", "queen")):
        page.fill(sel, tok)
        page.press(sel, "Enter")
    cos, terms = ica.similarity("king", "queen", top=3)
    shown = number(page.locator("#pair-cosine").text_content().split()[-1])
    assert abs(shown - cos) < 3e-3
    first = page.locator("#pair-table tr[data-axis]").first
    allowed = {t.axis for t in terms if terms[0].product - t.product < 2e-3}
    assert int(first.get_attribute("data-axis")) in allowed
    top_row = page.locator(f"#pair-table tr[data-axis='{terms[0].axis}']")
    p_shown = number(top_row.locator("td").nth(6).text_content())
    assert p_shown == pytest.approx(terms[0].p_value, rel=0.1)
    shot(page, "pair")

    # several models: matched axes side by side with their correlations
    page.click("#tabs button[data-tab=compare]")
    other = explorer.other
    shared = [t for t in ica.tokens if t in other.index]
    corr = axis_correlations(np.asarray(ica.components)[[ica.index[t] for t in shared]],
                             np.asarray(other.components)[[other.index[t] for t in shared]])
    rows, cols = match_optimal(corr)
    table = page.locator("#compare-table tr")
    assert table.count() == 1 + len(rows)
    cells = table.nth(1).locator("td")
    assert cells.nth(1).locator(".axis-link").text_content() == f"#{rows[0]} {ica.labels[rows[0]]}"
    assert cells.nth(2).text_content() == f"{corr[rows[0], cols[0]]:.2f}"
    assert cells.nth(3).locator(".axis-link").text_content() == f"#{cols[0]} {other.labels[cols[0]]}"
    shot(page, "compare")

    # PCA is one click away, with its own axes
    page.click("#method-switch button[data-method=pca]")
    page.click(".axis-item[data-axis='0']")
    assert page.locator("#axis-top .name").all_text_contents()[:5] == explorer.pca.top_tokens(0, 5)

    # a token made of markup stays text
    page.fill("#search", "<img")
    page.wait_for_selector("#search-suggest li")
    assert EVIL in page.locator("#search-suggest li .tok").all_text_contents()
    page.locator("#search-suggest li .tok", has_text=EVIL).first.click()
    assert page.locator("#tab-token .token-title").text_content() == EVIL
    assert page.locator("img").count() == 0
    assert page.evaluate(f"icaxesExplorer.data.models[0].tokens.includes({CLOSER!r})")
    shot(page, "markup-token")

    # the view is kept in the URL fragment: a reload reopens it
    again, seen_again = open_page(browser, page.url)
    assert again.locator("#tab-token .token-title").text_content() == EVIL
    assert again.locator("#method-switch button.on").text_content() == "PCA"
    assert again.locator("img").count() == 0 and seen_again.errors == [] and seen_again.dialogs == []
    again.close()

    assert seen.errors == [] and seen.dialogs == []
    assert [u for u in seen.requests if not u.startswith(("file:", "data:"))] == []
    page.close()


def k0_tail(c: float) -> float:
    """(1/pi) * integral of K0 from c to infinity, with scipy, accurate in relative terms.

    Below c = 1 the closed form 1/2 - (1/pi) int_0^c K0 has no cancellation; above it, the
    tail integral is taken directly (scaled by exp(c) so that tiny values keep their digits).
    """
    if c < 1:
        return float(0.5 - special.iti0k0(c)[1] / np.pi)
    val, _ = integrate.quad(lambda t: special.k0e(t) * np.exp(-(t - c)), c, np.inf, epsabs=0, epsrel=1e-13,
                            limit=200)
    return float(np.exp(-c) * val / np.pi)


def test_page_p_values_match_scipy(browser, explorer):
    page, seen = open_page(browser, explorer.url)
    cs = [0.0, 1e-9, 1e-4, 0.01, 0.1, 0.5, 1.0, 2.0, 3.7, 7.5, 15.0, 40.0, 120.0, 300.0]
    zs = [0.0, 1e-6, 0.1, 1.0, 2.5, 5.0, 10.0, 25.0]
    got_p, got_z = page.evaluate(
        "([cs, zs]) => [cs.map(c => icaxesExplorer.productPValue(c, 1, 1)),"
        " zs.map(z => icaxesExplorer.componentPValue(z, 1))]", [cs, zs])
    want_p = [k0_tail(c) for c in cs]
    np.testing.assert_allclose(got_p, want_p, rtol=1e-9)
    np.testing.assert_allclose(got_z, stats.norm.sf(zs), rtol=1e-9)
    # and they agree with the library where its closed form is accurate
    x, y, d = np.array([0.05, 0.2, 0.4]), np.array([0.3, 0.1, 0.25]), 50
    lib = product_p_value(x, y, d)
    js = page.evaluate("([x, y, d]) => x.map((v, i) => icaxesExplorer.productPValue(v, y[i], d))",
                       [x.tolist(), y.tolist(), d])
    np.testing.assert_allclose(js, lib, rtol=1e-8)
    js_c = page.evaluate("([x, d]) => x.map(v => icaxesExplorer.componentPValue(v, d))", [x.tolist(), d])
    np.testing.assert_allclose(js_c, component_p_value(x, d), rtol=1e-9)
    assert seen.errors == []
    page.close()


def test_served_page_works_from_loopback(browser, glove_20k_dir):
    models = {"ica": load_model(glove_20k_dir, "ica"), "pca": load_model(glove_20k_dir, "pca")}
    server = serve(build_page([("glove-20k", models)], limits=PageLimits(max_tokens=3000)), port=0,
                   block=False)
    try:
        port = server.server_address[1]
        page, seen = open_page(browser, f"http://127.0.0.1:{port}/")
        page.fill("#search", "king")
        page.press("#search", "Enter")
        assert page.locator("#tab-token .token-title").text_content() == "king"
        assert page.locator("#token-neighbours .name").count() == 15
        assert seen.errors == [] and seen.dialogs == []
        assert all(u.startswith(f"http://127.0.0.1:{port}/") or u.startswith("data:") for u in seen.requests)
        page.close()
    finally:
        server.shutdown()
        server.server_close()


def test_scatter_opens_on_meaning_and_follows_the_searched_token(browser, explorer):
    ica = explorer.ica
    page, seen = open_page(browser, explorer.url)
    # it opens on the pair chosen in Python for the page (not on axes 0 and 1 by fiat)
    chosen = page.evaluate("icaxesExplorer.data.models[0].methods.ica.scatter")
    assert page.evaluate("[icaxesExplorer.state.sx, icaxesExplorer.state.sy]") == [chosen["x"], chosen["y"]]

    # searching a token moves the scatter to its two strongest axes, as the Python API gives them
    page.fill("#search", "ferrari")
    page.press("#search", "Enter")
    strongest = [p.axis for p in ica.explain("ferrari", 2)]
    assert page.evaluate("[icaxesExplorer.state.sx, icaxesExplorer.state.sy]") == strongest
    page.click("#tabs button[data-tab=scatter]")
    assert [page.locator("#scatter-x").input_value(), page.locator("#scatter-y").input_value()] == \
        [str(k) for k in strongest]
    # the tokens between the two spikes are labelled: high on both axes, top lists excluded
    between = page.evaluate("icaxesExplorer.scatter.between")
    N = ica.normalized
    assert between, "no token between the spikes"
    for t in between:
        assert min(N[ica.index[t], strongest[0]], N[ica.index[t], strongest[1]]) > 0.09, t
    assert set(between) & set(page.evaluate("icaxesExplorer.scatter.labels"))
    shot(page, "scatter-ferrari")

    # this page holds every token, so an unknown one is said to be outside the model
    assert page.evaluate("icaxesExplorer.data.models[0].n_rows") == len(ica.tokens)
    page.fill("#search", "qqqzzx")
    page.press("#search", "Enter")
    callout = page.locator("#tab-token .callout").text_content()
    assert "is not in this model" in callout and f"{len(ica.tokens):,} tokens" in callout

    # the Compare tab names its matching method
    page.click("#tabs button[data-tab=compare]")
    assert "Hungarian" in page.locator("#compare-method").text_content()
    assert seen.errors == [] and seen.dialogs == []
    page.close()
