"""Exceptions and warnings raised by icaxes.

Every problem with the user's input raises a subclass of :class:`InputError`
(itself a :class:`ValueError`), with a one-line message saying what is wrong and
how to fix it. The command line turns any :class:`IcaxesError` into that line on
stderr and exit status 2.
"""

from __future__ import annotations

import functools


class IcaxesError(Exception):
    """Base class of every error icaxes raises on purpose."""


class InputError(IcaxesError, ValueError):
    """The input data or arguments cannot be used as given."""


class ParameterError(InputError):
    """An estimator or command parameter is out of range or of the wrong type."""


class EmbeddingFormatError(InputError):
    """An embedding file is malformed (bad header, ragged rows, bad numbers, bad encoding)."""


class NonFiniteError(InputError):
    """The input holds NaN or infinite values."""


class DuplicateTokenError(InputError):
    """The same token names more than one row."""


class EmptyTokenError(InputError):
    """A token is empty or whitespace only (it could not be looked up or shown)."""


class DegenerateDataError(InputError):
    """The data cannot be whitened: too few rows, all-zero rows, constant or collinear columns."""


class DimensionMismatchError(InputError):
    """Two arrays or models that must share a dimension do not."""


class UnknownTokenError(InputError, KeyError):
    """A token was asked for that the model does not contain."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownSourceError(InputError):
    """A named source or path does not exist."""


class ModelFormatError(InputError):
    """A saved model folder is missing files, holds a member that breaks the model format (wrong
    type, shape, dtype, length, non-finite values, too large, a link out of the folder) or was
    written by an incompatible version."""


class PickleRefusedError(InputError):
    """A file could only be read by unpickling it (which can run code) and no opt-in was given."""


class MissingDependencyError(IcaxesError, ImportError):
    """An optional package needed for this feature is not installed."""


class OutputError(IcaxesError, OSError):
    """An output path cannot be written."""


@functools.cache
def _make_convergence_warning() -> type[Warning]:
    # a subclass of scikit-learn's, so that a user's filter on sklearn's class catches ours;
    # made on first use because importing scikit-learn takes about a second
    from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning

    class ConvergenceWarning(SklearnConvergenceWarning):
        """The ICA solver stopped at ``max_iter`` before reaching ``tol``.

        A subclass of :class:`sklearn.exceptions.ConvergenceWarning` (itself a
        :class:`UserWarning`): filters on either class apply.
        """

    ConvergenceWarning.__module__ = __name__
    ConvergenceWarning.__qualname__ = "ConvergenceWarning"
    return ConvergenceWarning


def __getattr__(name: str):
    if name == "ConvergenceWarning":
        cls = _make_convergence_warning()
        globals()[name] = cls  # made once: every import sees the same class
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def require(module: str, *, extra: str, feature: str):
    """Import an optional module or raise :class:`MissingDependencyError`.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"spacy"``.
    extra : str
        Name of the icaxes extra that installs it, e.g. ``"spacy"``.
    feature : str
        What the user tried to do, for the message.

    Returns
    -------
    module
        The imported module.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{feature} needs the optional package '{module}', which is not installed; "
            f"install it with: pip install 'icaxes[{extra}]'"
        ) from exc
