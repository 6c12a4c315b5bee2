"""The solver's pass over the whitened rows on a PyTorch device (a GPU, or PyTorch's CPU).

``ICA(device="cuda")`` copies the whitened rows to the device once and runs every pass
there: per chunk of rows ``Y = Z W^T``, ``tanh``, ``tanh(Y)^T Z`` and the column sums of
``tanh^2`` (and, when the solver asks for the exact Hessian diagonal, ``tanh^2(Y)^T Y^2``),
in the data's precision with the k x k partial sums added in float64, exactly the quantities
of the in-memory pass (:class:`icaxes.decompose.solver.NumpyPass`). Only k x k matrices travel
per iteration; the k x k algebra, the stopping rule and everything after the solve stay on
the CPU in float64, so the solver, its criterion and its result are the same.

On a CPU the numpy pass is the faster one (it fuses the nonlinearity into cache-sized chunks
on its own threads); ``device="cpu"`` exists to test this path without a GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from icaxes.errors import InputError, require

#: bytes of one chunk's temporaries on the device (Y, and Y^2 near the end)
CHUNK_BYTES = 256 * 2**20


def _torch():
    return require("torch", extra="torch", feature="ICA on a PyTorch device (device=...)")


def check_device(device: str) -> Any:
    """Return the ``torch.device`` for ``device`` or raise :class:`InputError` if unusable."""
    torch = _torch()
    try:
        dev = torch.device(device)
        torch.zeros(1, device=dev)
    except (RuntimeError, AssertionError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"device {device!r} cannot be used by PyTorch here ({first}); "
                         "use 'cpu', or 'cuda' on a machine with a CUDA GPU and a CUDA build of "
                         "PyTorch") from None
    return dev


class TorchPass:
    """One pass over ``Z`` on a PyTorch device: ``pass_(W, curvature) -> (C, a, P)``.

    Parameters
    ----------
    Z : ndarray of shape (n, k)
        Whitened rows, float32 or float64 (the device computes in that precision).
    device : str
        A PyTorch device name: ``"cuda"``, ``"cuda:1"``, ``"cpu"``...
    chunk_rows : int, optional
        Rows per chunk (default: as many as fit ``CHUNK_BYTES`` of temporaries).
    """

    def __init__(self, Z: np.ndarray, device: str, chunk_rows: int | None = None) -> None:
        torch = _torch()
        self.torch = torch
        self.device = check_device(device)
        self.n, k = Z.shape
        self.np_dtype = Z.dtype
        try:
            self.Z = torch.from_numpy(np.ascontiguousarray(Z)).to(self.device)
        except torch.OutOfMemoryError:
            raise InputError(f"the whitened rows ({Z.nbytes / 2**30:.1f} GiB) do not fit in the "
                             f"memory of device {device!r}; fit on a sample of the rows (fit_sample, "
                             "or icaxes fit-array --sample N), or leave the device unset") from None
        self.chunk = chunk_rows or max(1, CHUNK_BYTES // (2 * k * Z.itemsize))

    def __call__(self, W: np.ndarray, curvature: bool = False) -> tuple:
        """Return ``C`` (k, k), ``a`` (k,) and ``P`` (k, k, or None) for the rotation ``W``."""
        torch = self.torch
        k = W.shape[0]
        Wt = torch.from_numpy(np.ascontiguousarray(W.T, dtype=self.np_dtype)).to(self.device)
        f64 = dict(dtype=torch.float64, device=self.device)
        C, sq = torch.zeros((k, k), **f64), torch.zeros(k, **f64)
        Q, y2 = (torch.zeros((k, k), **f64), torch.zeros(k, **f64)) if curvature else (None, None)
        # full float32 products even where the user allowed TF32 (10-bit mantissa) for speed:
        # the criterion at tol 1e-10 needs them, as does landing on the same solution
        precision = torch.get_float32_matmul_precision()
        torch.set_float32_matmul_precision("highest")
        try:
            self._chunks(Wt, C, sq, Q, y2)
        finally:
            torch.set_float32_matmul_precision(precision)
        C_, sq_ = C.cpu().numpy(), sq.cpu().numpy()
        P = None if Q is None else (y2.cpu().numpy()[None, :] - Q.cpu().numpy()) / self.n
        return C_ / self.n, 1.0 - sq_ / self.n, P

    def _chunks(self, Wt: Any, C: Any, sq: Any, Q: Any, y2: Any) -> None:
        """Add every chunk's sums into ``C``, ``sq`` (and ``Q``, ``y2`` when not None)."""
        torch = self.torch
        with torch.no_grad():
            for start in range(0, self.n, self.chunk):
                Zc = self.Z[start : start + self.chunk]
                T = Zc @ Wt
                Y2 = T.square() if Q is not None else None
                T.tanh_()
                C += (T.T @ Zc).double()
                T.square_()
                sq += T.sum(dim=0, dtype=torch.float64)
                if Y2 is not None:
                    Q += (T.T @ Y2).double()
                    y2 += Y2.sum(dim=0, dtype=torch.float64)

    def close(self) -> None:
        """Free the device copy of the rows."""
        self.Z = None
