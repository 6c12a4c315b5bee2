"""Word-pair and analogy evaluation on the user's own files, with gensim's conventions.

The options mirror gensim's ``KeyedVectors.evaluate_word_pairs`` and
``evaluate_word_analogies``, so scores on MEN, RW, a translated SimLex or a private list
compare with what gensim reports:

- pair files: one pair per line, ``word1 DELIM word2 DELIM score`` (further fields ignored,
  so RW's extra columns are fine); lines starting with ``#`` are comments; lines whose score
  is not a number (headers) are skipped and counted;
- analogy files: the Google format, ``: section`` lines, then ``a b c d`` per line;
- ``case_insensitive`` (default, as in gensim): words and vocabulary are compared lower-cased,
  and a lower-cased word that several rows share is the first (most frequent) row;
- ``restrict_vocab``: only the first rows (the most frequent) count as known;
- ``dummy4unknown``: a pair with an unknown word gets similarity 0 and is kept, an analogy
  with one counts as wrong; otherwise they are left out. Either way the OOV share (a
  fraction, where gensim prints a percentage) is reported.

Similarity is the cosine: of the raw rows, and of the models' normalised components (the
whitened-space cosine, the same for ICA and PCA).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from icaxes.errors import InputError


@dataclass
class PairFile:
    """The pairs of a file and what could not be read."""

    pairs: list[tuple[str, str, float]]
    skipped_lines: int


@dataclass
class PairsScore:
    """Correlations of a cosine with the human scores of a pair file."""

    pearson: float
    pearson_p: float
    spearman: float
    spearman_p: float
    n_pairs: int  # pairs scored (with dummy4unknown: every pair)
    n_oov: int  # pairs with a word outside the vocabulary
    oov_share: float  # n_oov / all pairs


@dataclass
class AnalogyFileScore:
    """Top-1 accuracy (3CosAdd, the query words excluded) on an analogy file."""

    accuracy: float  # correct / questions scored (with dummy4unknown: / all questions)
    n_questions: int
    n_oov: int
    oov_share: float
    per_section: dict[str, float]


def _lines(path: str | os.PathLike[str]) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file; give a word-pair or analogy file")
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start + 1}); save it as UTF-8") from None


def read_word_pairs(path: str | os.PathLike[str], *, delimiter: str = "\t") -> PairFile:
    """Read ``word1 DELIM word2 DELIM score`` lines (see the module notes).

    Raises
    ------
    InputError
        If no line holds a valid pair (e.g. the wrong delimiter).
    """
    if not delimiter:
        raise InputError("the delimiter must not be empty (use ' ' for spaces, '\\t' for tabs)")
    pairs: list[tuple[str, str, float]] = []
    skipped = 0
    for line in _lines(path):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(delimiter) if delimiter.strip() else line.split()
        try:
            a, b, score = fields[0].strip(), fields[1].strip(), float(fields[2])
        except (IndexError, ValueError):
            skipped += 1
            continue
        if not a or not b or not np.isfinite(score):
            skipped += 1
            continue
        pairs.append((a, b, score))
    if not pairs:
        raise InputError(f"{path}: no 'word1{delimiter!r}word2{delimiter!r}score' line found "
                         f"({skipped} line(s) skipped); check --delimiter")
    return PairFile(pairs, skipped)


def read_analogy_file(path: str | os.PathLike[str]) -> dict[str, list[tuple[str, str, str, str]]]:
    """Read a Google-format analogy file: ``: section`` lines, then ``a b c d`` per line.

    Raises
    ------
    InputError
        On a question line that does not have four words (naming the line).
    """
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    current = "questions"
    for lineno, line in enumerate(_lines(path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith(":"):
            current = line[1:].strip() or f"section at line {lineno}"
            sections.setdefault(current, [])
            continue
        words = line.split()
        if len(words) != 4:
            raise InputError(f"{path}, line {lineno}: an analogy needs 4 words 'a b c d', got {len(words)}")
        sections.setdefault(current, []).append((words[0], words[1], words[2], words[3]))
    if not any(sections.values()):
        raise InputError(f"{path}: no analogy question found (expected ': section' and 'a b c d' lines)")
    return sections


def vocabulary_index(tokens: Sequence[str], *, case_insensitive: bool = True,
                     restrict_vocab: int | None = None) -> dict[str, int]:
    """Token -> row over the first ``restrict_vocab`` rows; lower-cased keys keep the first row."""
    n = len(tokens) if restrict_vocab is None else min(restrict_vocab, len(tokens))
    index: dict[str, int] = {}
    for i in range(n):
        key = tokens[i].lower() if case_insensitive else tokens[i]
        index.setdefault(key, i)
    return index


def pairs_score(unit: np.ndarray, index: dict[str, int], pairs: Sequence[tuple[str, str, float]], *,
                case_insensitive: bool = True, dummy4unknown: bool = False) -> PairsScore:
    """Pearson and Spearman correlation of the cosine of unit rows with the human scores."""
    from scipy import stats

    gold, pred = [], []
    oov = 0
    for a, b, score in pairs:
        ka, kb = (a.lower(), b.lower()) if case_insensitive else (a, b)
        if ka in index and kb in index:
            pred.append(float(unit[index[ka]] @ unit[index[kb]]))
            gold.append(score)
        else:
            oov += 1
            if dummy4unknown:
                pred.append(0.0)
                gold.append(score)
    if len(gold) < 3:
        raise InputError(f"only {len(gold)} of {len(pairs)} pairs have both words in the vocabulary; "
                         "use a larger vocabulary, --case-insensitive, or --dummy4unknown")
    pr = stats.pearsonr(gold, pred)
    sr = stats.spearmanr(gold, pred)
    return PairsScore(float(pr.statistic), float(pr.pvalue), float(sr.statistic), float(sr.pvalue),
                      len(gold), oov, oov / len(pairs))


def analogy_file_score(unit: np.ndarray, index: dict[str, int],
                       sections: dict[str, list[tuple[str, str, str, str]]], *,
                       case_insensitive: bool = True, dummy4unknown: bool = False) -> AnalogyFileScore:
    """3CosAdd top-1 accuracy over the rows in ``index``.

    See :func:`icaxes.evaluate.similarity.analogy_accuracy` (here with the full cosine).
    """
    from icaxes.evaluate.similarity import analogy_accuracy

    V = max(index.values()) + 1 if index else 0
    if case_insensitive:
        sections = {s: [tuple(w.lower() for w in q) for q in qs] for s, qs in sections.items()}  # type: ignore[misc]
    total = sum(len(qs) for qs in sections.values())
    try:
        res = analogy_accuracy(unit, index, sections, None, vocab=V)
    except InputError:
        if not dummy4unknown:
            raise InputError(f"none of the {total} analogy questions has all four words in the "
                             "vocabulary; use a larger vocabulary or --dummy4unknown") from None
        return AnalogyFileScore(0.0, total, total, 1.0, {s: 0.0 for s in sections})
    oov = res.n_missing
    correct = res.micro * res.n_questions
    accuracy = correct / (res.n_questions + oov) if dummy4unknown else res.micro
    return AnalogyFileScore(float(accuracy), res.n_questions + (oov if dummy4unknown else 0), oov,
                            oov / total, res.per_category)


#: names of delimiters that are awkward to type on a command line
DELIMITERS = {"\\t": "\t", "tab": "\t", "space": " "}


def evaluate_files(tokens: Sequence[str], spaces: dict[str, np.ndarray], *,
                   pairs: Sequence[str | os.PathLike[str]] = (),
                   analogies: Sequence[str | os.PathLike[str]] = (), delimiter: str = "\t",
                   case_insensitive: bool = True, dummy4unknown: bool = False,
                   restrict_vocab: int | None = 300_000) -> list[dict]:
    """Score every file in every space; one flat dict per (file, space) for tables and JSON.

    Parameters
    ----------
    tokens : sequence of str
        Row tokens, most frequent first.
    spaces : dict of str to ndarray
        Name -> unit-length rows (e.g. ``{"raw": ..., "ica": ...}``).
    delimiter : str
        Field delimiter of the pair files; ``tab``, ``\\t`` and ``space`` name a tab and
        any whitespace.
    """
    delimiter = DELIMITERS.get(delimiter, delimiter)
    if not pairs and not analogies:
        raise InputError("give at least one --pairs or --analogies file")
    if restrict_vocab is not None and restrict_vocab < 1:
        raise InputError(f"restrict_vocab must be positive, got {restrict_vocab}")
    index = vocabulary_index(tokens, case_insensitive=case_insensitive, restrict_vocab=restrict_vocab)
    rows: list[dict] = []
    for path in pairs:
        pf = read_word_pairs(path, delimiter=delimiter)
        for name, unit in spaces.items():
            s = pairs_score(unit, index, pf.pairs, case_insensitive=case_insensitive,
                            dummy4unknown=dummy4unknown)
            rows.append({"file": str(path), "kind": "pairs", "space": name, **asdict(s),
                         "skipped_lines": pf.skipped_lines})
    for path in analogies:
        sections = read_analogy_file(path)
        for name, unit in spaces.items():
            a = analogy_file_score(unit, index, sections, case_insensitive=case_insensitive,
                                   dummy4unknown=dummy4unknown)
            rows.append({"file": str(path), "kind": "analogies", "space": name, **asdict(a)})
    return rows


def evaluate_user_files(target: str | os.PathLike[str], *, pairs: Sequence[str | os.PathLike[str]] = (),
                        analogies: Sequence[str | os.PathLike[str]] = (), limit: int = 50000,
                        seed: int = 0, delimiter: str = "\t", case_insensitive: bool = True,
                        dummy4unknown: bool = False, restrict_vocab: int | None = 300_000,
                        allow_pickle: bool = False, progress: bool = False) -> list[dict]:
    """Score your word-pair and analogy files on a model folder or a source, raw and ICA.

    What ``icaxes evaluate --pairs/--analogies`` does. ``target`` is a model folder (its ICA
    model; the raw rows are its components mapped back through the fitted transform) or a
    source, fitted (cached) on its ``limit`` most frequent rows with ``seed``
    (:func:`icaxes.evaluate.run.fitted_models`). The other parameters are those of
    :func:`evaluate_files`; the rows are its rows, spaces ``raw`` and ``ica``.
    """
    from icaxes.evaluate.similarity import unit_rows
    from icaxes.io.model_format import ModelFolder

    folder = ModelFolder(target)
    if folder.holds_models:
        ica = folder.load("ica")
        raw = ica.transform.inverse_transform(np.asarray(ica.components, dtype=np.float64))
    else:
        from icaxes.evaluate.run import fitted_models

        emb, ica, _ = fitted_models(str(target), limit, seed, progress=progress, allow_pickle=allow_pickle)
        raw = np.asarray(emb.vectors)
    spaces = {"raw": unit_rows(raw), "ica": unit_rows(ica.components)}
    return evaluate_files(list(ica.tokens), spaces, pairs=pairs, analogies=analogies, delimiter=delimiter,
                          case_insensitive=case_insensitive, dummy4unknown=dummy4unknown,
                          restrict_vocab=restrict_vocab)
