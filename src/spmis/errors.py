"""Domain errors. Every entry point maps them the same way:

    SpmisError
     ├── InvalidInput       bad input; names each field and the reason      -> HTTP 422, reject row
     ├── NotFound           no such record (or not in the caller's scope)   -> HTTP 404
     ├── Conflict           stale version or state that forbids the change  -> HTTP 409
     ├── NotAuthenticated   no or bad credentials                           -> HTTP 401
     ├── Forbidden          authenticated, but not allowed                  -> HTTP 403
     ├── TooLarge           a request body over the route's size limit      -> HTTP 413
     ├── RateLimited        too many requests from one address              -> HTTP 429
     ├── Unavailable        the database cannot be reached just now         -> HTTP 503
     └── StorageFull        a file could not be written (disk full, limit)  -> HTTP 507

Messages meant for people carry English and Khmer text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: (English, Khmer) for a NUL character in input: PostgreSQL cannot store one in text
NUL_CHARACTER = ("contains a NUL character", "មានតួអក្សរ NUL")


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field: ``loc`` is the path to it, e.g. ('members', 0, 'sex')."""

    loc: tuple[str | int, ...]
    code: str
    msg: str
    msg_km: str

    def as_dict(self) -> dict[str, object]:
        return {"loc": list(self.loc), "type": self.code, "msg": self.msg, "msg_km": self.msg_km}

    @property
    def field(self) -> str:
        return ".".join(str(part) for part in self.loc)


class SpmisError(Exception):
    """Base of every error SPMIS raises on purpose."""

    msg: str = "error"
    msg_km: str = "កំហុស"

    def __init__(self, msg: str | None = None, msg_km: str | None = None) -> None:
        if msg is not None:
            self.msg = msg
        if msg_km is not None:
            self.msg_km = msg_km
        super().__init__(self.msg)


@dataclass
class InvalidInput(SpmisError):
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        first = self.errors[0] if self.errors else None
        text = f"{first.field}: {first.msg}" if first else "invalid input"
        super().__init__(text, first.msg_km if first else "ទិន្នន័យមិនត្រឹមត្រូវ")

    @classmethod
    def one(cls, loc: tuple[str | int, ...], code: str, msg: str, msg_km: str) -> InvalidInput:
        return cls([FieldError(loc, code, msg, msg_km)])


class NotFound(SpmisError):
    msg = "not found"
    msg_km = "រកមិនឃើញ"


class Conflict(SpmisError):
    msg = "conflict"
    msg_km = "ទិន្នន័យប៉ះទង្គិចគ្នា"


class NotAuthenticated(SpmisError):
    msg = "authentication required"
    msg_km = "តម្រូវឱ្យចូលប្រើប្រាស់"


class Forbidden(SpmisError):
    msg = "not allowed"
    msg_km = "មិនមានសិទ្ធិ"


class TooLarge(SpmisError):
    msg = "the request is too large"
    msg_km = "សំណើធំពេក"


class RateLimited(SpmisError):
    msg = "too many requests; wait a moment and try again"
    msg_km = "សំណើច្រើនពេក សូមរង់ចាំបន្តិច ហើយព្យាយាមម្តងទៀត"

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__()
        self.retry_after = retry_after


class Unavailable(SpmisError):
    """The service cannot answer just now (the database is unreachable or restarting): the
    client may retry after ``retry_after`` seconds; nothing was half-done."""

    msg = "the service is unavailable for a moment (the database cannot be reached); try again"
    msg_km = "សេវាមិនអាចប្រើបានមួយភ្លែត (មិនអាចភ្ជាប់ទៅមូលដ្ឋានទិន្នន័យ) សូមព្យាយាមម្តងទៀត"

    def __init__(self, retry_after: int = 5) -> None:
        super().__init__()
        self.retry_after = retry_after


class StorageFull(SpmisError):
    """A file could not be written to the end (the disk is full, a file-size limit, an I/O
    error); nothing was left under its name."""

    def __init__(self, path: object, cause: OSError) -> None:
        reason = cause.strerror or type(cause).__name__
        super().__init__(
            f"{path} could not be written ({reason}): is the disk full? Nothing was left under "
            "that name; free some space and try again",
            f"មិនអាចសរសេរឯកសារ {path} បានទេ ({reason}): ថាសពេញឬ? គ្មានឯកសារណាមួយត្រូវបានទុកក្រោម"
            "ឈ្មោះនោះទេ សូមបង្កើនទំហំទំនេរ ហើយព្យាយាមម្តងទៀត",
        )
        self.path = path
