"""Tokens, labels and names from data never drive the terminal: control characters are shown escaped.

A real GloVe model whose strongest tokens are renamed to hold escape sequences, C1 controls and
a bidi override goes through the installed ``icaxes`` script; nothing it prints may carry such
a character raw, and the escaped spelling must be what the user sees.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from icaxes.cli._text import json_text, printable, shown
from icaxes.io.filters import RowSelection
from icaxes.model import AxisModel, load_model

# C0 controls other than newline, DEL, C1 controls, bidi controls and separators
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
HOSTILE = ("\x1b[2J{}", "{}\x1b]0;owned\x07", "\u202e{}", "{}\x9b2J")


@pytest.fixture(scope="module")
def hostile(glove_20k_dir, tmp_path_factory):
    """The 20k GloVe model folder with the top token of axes 0-3 renamed to hostile text."""
    # read every row: the hostile names are not words, so the default display rows would drop them
    every = RowSelection(None, None)
    ica, pca = (load_model(glove_20k_dir, m).with_display(every) for m in ("ica", "pca"))
    renamed = {ica.top_tokens(k, 1)[0]: pattern.format(ica.top_tokens(k, 1)[0])
               for k, pattern in enumerate(HOSTILE)}
    folder = tmp_path_factory.mktemp("hostile") / "model"
    for m in (ica, pca):
        tokens = [renamed.get(t, t) for t in m.tokens]
        meta = dict(m.metadata, source="glove\x1b[31m-red")
        # labels=None: the default labels are the (hostile) top tokens
        AxisModel(tokens, m.components, m.transform, m.method, m.frequencies, meta).save(folder / m.method)
    return folder, list(renamed.values())


def icaxes(*args: object) -> subprocess.CompletedProcess[bytes]:
    exe = Path(sys.executable).with_name("icaxes")
    env = dict(os.environ, COLUMNS="400")  # wide enough that no cell is folded
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, timeout=120, env=env)


def assert_clean(res: subprocess.CompletedProcess[bytes]) -> tuple[str, str]:
    out, err = res.stdout.decode("utf-8"), res.stderr.decode("utf-8")
    assert not RAW.search(out), RAW.findall(out)
    assert not RAW.search(err), RAW.findall(err)
    assert "Traceback" not in err
    return out, err


def test_printable_escapes_controls_only():
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("\u202eabc\x9b\x7f\u2028") == "\\u202eabc\\x9b\\x7f\\u2028"
    kept = "naïve 東京 café 👩‍👩‍👧 \u200d עברית"  # scripts, emoji, a joiner: unchanged
    assert printable(kept) == kept
    assert shown("[bold]\x1b") == "\\[bold]\\x1b"
    data = {"t": "\x1b\x9b\u202e\ud800x"}
    assert json.loads(json_text(data)) == data and not RAW.search(json_text(data))


def test_axes_table_and_json_show_tokens_escaped(hostile):
    folder, tokens = hostile
    out, _ = assert_clean(res := icaxes("axes", folder, "-n", "4", "-k", "3"))
    assert res.returncode == 0
    for t in tokens:
        assert printable(t) in out  # in the top tokens and in the default labels
    assert "glove\\x1b[31m-red" in out  # the source name in the title
    js, _ = assert_clean(res := icaxes("axes", folder, "-n", "4", "-k", "3", "--json"))
    assert res.returncode == 0
    assert [r["top"][0] for r in json.loads(js)] == tokens  # JSON keeps the exact tokens


def test_explain_and_similarity_show_tokens_escaped(hostile):
    folder, tokens = hostile
    out, _ = assert_clean(res := icaxes("explain", folder, tokens[0], "-k", "3"))
    assert res.returncode == 0 and printable(tokens[0]) in out
    out, _ = assert_clean(res := icaxes("similarity", folder, tokens[2], tokens[3], "-k", "3"))
    assert res.returncode == 0
    assert f"cos({printable(tokens[2])}, {printable(tokens[3])})" in out
    js, _ = assert_clean(res := icaxes("similarity", folder, tokens[2], tokens[3], "--json"))
    assert res.returncode == 0 and json.loads(js)["a"] == tokens[2]


def test_error_line_quoting_a_token_is_escaped(hostile):
    folder, tokens = hostile
    res = icaxes("explain", folder, tokens[1] + "\x1b[2J")
    out, err = assert_clean(res)
    assert res.returncode == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "\\x1b[2J" in err and "unknown token" in err


def test_match_shows_tokens_escaped(hostile):
    folder, tokens = hostile
    out, _ = assert_clean(res := icaxes("match", folder, folder, "--permutations", "0", "--top", "50"))
    assert res.returncode == 0
    assert all(printable(t) in out for t in tokens)
