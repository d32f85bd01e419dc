"""How a capability declares an encrypted column (``Capability.encrypted_columns``), so that key
rotation (``spmis keys rotate``) finds every one of them without a central list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table
from sqlalchemy.engine import RowMapping


@dataclass(frozen=True)
class EncryptedColumn:
    """A column holding ``FieldCipher`` ciphertext. ``context`` is the associated data the value
    was sealed with: a fixed label, or a function of the row (reading the ``extra`` columns)."""

    table: Table
    column: str
    context: str | Callable[[RowMapping], str]
    extra: tuple[str, ...] = ()
    #: rows read at once when re-encrypting, if fewer than the default (large values: files)
    chunk_rows: int | None = None

    def context_of(self, row: RowMapping) -> str:
        """The encryption context of ``row``'s value."""
        return self.context if isinstance(self.context, str) else self.context(row)
