"""The explorer page with hostile URL fragments and model names, in a real browser (Debian's chromium).

A fragment is data: keys like ``constructor`` or ``__proto__`` must select nothing and break
nothing. A model name that spells a template placeholder (a folder named ``ICAXES_DATA``) or
holds markup stays text in the title.
"""

from __future__ import annotations

import html
import re
import shutil

import pytest

from icaxes.cli import main
from icaxes.explorer import PageLimits, write_explorer
from icaxes.explorer.page import render_page
from icaxes.model import load_model
from test_explorer_browser import browser, open_page  # noqa: F401  (browser is a fixture)

SMALL = PageLimits(max_tokens=2000)
# spells every placeholder of the template, closes the title and the script, and holds the
# replacement patterns of Python's re ("\1", "\g<0>") and of JavaScript ("$&")
NASTY = "ICAXES_DATA /*ICAXES_SCRIPT*/ ICAXES_TITLE </title></script><!-- $& \\1 \\g<0>"


@pytest.fixture(scope="module")
def page_file(glove_20k_dir, tmp_path_factory):
    models = {"ica": load_model(glove_20k_dir, "ica"), "pca": load_model(glove_20k_dir, "pca")}
    path = tmp_path_factory.mktemp("hostile-page") / "explorer.html"
    write_explorer([("glove-20k", models)], path, limits=SMALL)
    return path, models["ica"]


@pytest.mark.parametrize("fragment", [
    "#method=constructor",
    "#method=__proto__&axis=3",
    "#__proto__=1&constructor=2&method=hasOwnProperty&tab=toString",
    "#m=constructor&method=toString&axis=__proto__&x=valueOf&token=__proto__&a=constructor&b=toString",
    "#method=%E0%A4%A&token=%",  # damaged escapes
])
def test_fragment_keys_never_reach_a_prototype(browser, page_file, fragment):  # noqa: F811
    path, ica = page_file
    page, seen = open_page(browser, path.as_uri() + fragment)
    assert page.locator(".axis-item").count() == ica.n_axes
    assert page.locator("#method-switch button.on").text_content() == "ICA"
    first = page.locator(".axis-item").nth(0).locator(".toks").text_content()
    assert first == ", ".join(ica.top_tokens(0, 8))
    assert seen.errors == [] and seen.dialogs == []
    page.close()


def test_title_with_placeholders_and_markup_stays_text():
    page = render_page({"models": [], "note": NASTY}, title=f"icaxes explorer: {NASTY}")
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert html.unescape(title) == f"icaxes explorer: {NASTY}"
    assert page.count('<script type="application/json" id="icaxes-data">') == 1
    assert page.count("</script>") == 2  # the data element and the page's script, nothing else
    assert "'use strict'" in page and page.count("ICAXES_DATA") == 2  # in the title and the data


def test_model_folder_named_like_a_placeholder(browser, glove_20k_dir, tmp_path):  # noqa: F811
    folder = tmp_path / "ICAXES_DATA"
    shutil.copytree(glove_20k_dir, folder)
    out = tmp_path / "page.html"
    assert main(["explore", str(folder), "-o", str(out), "--max-tokens", "2000"]) == 0
    text = out.read_text(encoding="utf-8")
    assert re.search(r"<title>(.*?)</title>", text, re.S).group(1) == "icaxes explorer: ICAXES_DATA"
    page, seen = open_page(browser, out.as_uri())
    assert page.title() == "icaxes explorer: ICAXES_DATA"
    assert page.locator(".axis-item").count() == load_model(folder, "ica").n_axes
    assert page.locator("#model-select option").first.text_content().startswith("ICAXES_DATA (")
    assert seen.errors == [] and seen.dialogs == []
    page.close()


def test_model_named_with_markup_and_patterns(browser, page_file, tmp_path):  # noqa: F811
    _, ica = page_file
    out = tmp_path / "page.html"
    write_explorer([(NASTY, ica)], out, limits=SMALL)
    page, seen = open_page(browser, out.as_uri())
    assert page.title() == f"icaxes explorer: {NASTY}"
    assert page.locator("#model-select option").first.text_content().startswith(NASTY + " (")
    assert page.locator(".axis-item").count() == ica.n_axes
    assert seen.errors == [] and seen.dialogs == []
    page.close()
