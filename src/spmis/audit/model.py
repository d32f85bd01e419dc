"""What a check of the audit chain finds, and a day's root hash. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    """Why an entry does not match."""

    MISSING = "missing"  # the entry with this number is not there (deleted, or the order changed)
    ALTERED = "altered"  # its hash is not the hash of its content and the entry before it


FAULT_TEXT = {
    Fault.MISSING: ("entry {seq} is missing: the chain jumps from {prev} to {found}",
                    "ធាតុទី {seq} បាត់៖ ខ្សែសង្វាក់លោតពី {prev} ទៅ {found}"),
    Fault.ALTERED: ("entry {seq} does not match: its content or the entry before it was changed",
                    "ធាតុទី {seq} មិនត្រូវគ្នា៖ ខ្លឹមសាររបស់វា ឬធាតុមុនវា ត្រូវបានកែប្រែ"),
}


@dataclass(frozen=True)
class Verdict:
    """The outcome of recomputing the chain: ``checked`` entries matched; ``bad_seq`` is the first
    entry that does not (None when the whole chain holds), with the ``fault``."""

    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    fault: Fault | None = None
    found_seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.bad_seq is None

    def message(self, locale: str = "en") -> str:
        if self.fault is None or self.bad_seq is None:
            text = ("the chain holds: {n} entries, head {head}",
                    "ខ្សែសង្វាក់ត្រឹមត្រូវ៖ ធាតុ {n} ក្បាល {head}")
            return text[locale == "km"].format(n=self.checked, head=self.head_hash)
        return FAULT_TEXT[self.fault][locale == "km"].format(
            seq=self.bad_seq, prev=self.bad_seq - 1, found=self.found_seq)


@dataclass(frozen=True)
class DailyRoot:
    """The chain's head at the end of a UTC day: its last entry and that entry's hash."""

    day: str
    entries: int
    last_seq: int
    root_hash: str
