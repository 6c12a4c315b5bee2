"""BLAS threading for the parts of a fit whose bits must not depend on the number of cores.

OpenBLAS splits some LAPACK reductions (the tridiagonalisation inside ``eigh``) across its
threads, so the same matrix decomposed on one and on two threads gives results that differ in
the last bits. At 300 dimensions and more that is enough to move a fit to a neighbouring fixed
point. The whitening's ``eigh`` therefore always runs in :func:`blas_single_thread`, and so
does the solver's k x k algebra unless it has at least 256 axes and 4 CPUs
(``solver._algebra_threaded``: there the axes may depend on the number of cores).
"""

from __future__ import annotations

from threadpoolctl import ThreadpoolController

_CONTROLLER: ThreadpoolController | None = None


def blas_single_thread():
    """Context limiting BLAS to one thread (the controller is built once: it scans libraries)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")
