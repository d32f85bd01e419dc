"""Helpers shared by the formulas: money rounding and type aliases for formula signatures."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

#: OpenFisca passes populations, periods and parameter nodes untyped; formulas annotate them so.
Population = Any
Period = Any
Parameters = Any
Array = Any


def riel(amount: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Round a computed amount to whole units (riel or US cent), half up, as integers."""
    return np.floor(np.asarray(amount, dtype=np.float64) + 0.5).astype(np.int64)
