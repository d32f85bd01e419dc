"""Messages for people about access control, in English and Khmer, raised as domain errors."""

from __future__ import annotations

from spmis.errors import Forbidden, NotAuthenticated


def bad_credentials() -> NotAuthenticated:
    """The one answer to every refused login or token request: wrong name or secret, inactive
    account, or too many failures from this address (no oracle of which)."""
    return NotAuthenticated(
        "wrong user name or password, or too many failed attempts from here: check them, wait "
        "a while and try again, or ask an administrator",
        "ឈ្មោះអ្នកប្រើ ឬពាក្យសម្ងាត់មិនត្រឹមត្រូវ ឬការព្យាយាមខុសច្រើនដងពេកពីទីនេះ៖ "
        "សូមពិនិត្យ រង់ចាំបន្តិច ហើយព្យាយាមម្តងទៀត ឬសុំជំនួយពីអ្នកគ្រប់គ្រង")


def totp_required() -> NotAuthenticated:
    return NotAuthenticated("a valid one-time code from your authenticator app is required",
                            "តម្រូវឱ្យមានលេខកូដម្តងត្រឹមត្រូវពីកម្មវិធីផ្ទៀងផ្ទាត់របស់អ្នក")


def login_required() -> NotAuthenticated:
    return NotAuthenticated("authentication required: log in or send a bearer token",
                            "តម្រូវឱ្យចូលប្រើប្រាស់ ឬផ្ញើនិមិត្តសញ្ញាចូលប្រើ")


def token_expired() -> NotAuthenticated:
    return NotAuthenticated("the access token has expired; request a new one",
                            "និមិត្តសញ្ញាចូលប្រើបានផុតកំណត់ សូមស្នើសុំថ្មី")


def token_invalid() -> NotAuthenticated:
    return NotAuthenticated("the access token is not valid",
                            "និមិត្តសញ្ញាចូលប្រើមិនត្រឹមត្រូវ")


def session_expired() -> NotAuthenticated:
    return NotAuthenticated("your session has ended; log in again",
                            "វគ្គរបស់អ្នកបានបញ្ចប់ សូមចូលម្តងទៀត")


class RoleRequired(Forbidden):
    """403 because the caller holds none of the roles a route needs: ``needed`` names them (a
    page lists them in words, with the caller's own roles)."""

    def __init__(self, needed: frozenset[str], held: frozenset[str]) -> None:
        names = ", ".join(sorted(needed))
        super().__init__(f"your role does not allow this action; it needs one of these roles: "
                         f"{names}",
                         f"តួនាទីរបស់អ្នកមិនអនុញ្ញាតសកម្មភាពនេះទេ ត្រូវការតួនាទីមួយក្នុងចំណោម៖ "
                         f"{names}")
        self.needed = needed
        self.held = held


def role_not_allowed(needed: frozenset[str] | None = None,
                     held: frozenset[str] | None = None) -> Forbidden:
    """The caller's roles do not allow the route; with ``needed``, the answer names the roles
    that would."""
    if needed:
        return RoleRequired(needed, held or frozenset())
    return Forbidden("your role does not allow this action",
                     "តួនាទីរបស់អ្នកមិនអនុញ្ញាតសកម្មភាពនេះទេ")


def no_decision() -> Forbidden:
    return Forbidden("no access rule is defined for this endpoint; it is closed",
                     "មិនទាន់មានច្បាប់សិទ្ធិសម្រាប់ចំណុចនេះទេ ដូច្នេះវាត្រូវបានបិទ")


def csrf_failed() -> Forbidden:
    return Forbidden("missing or wrong CSRF token; reload the page and try again",
                     "និមិត្តសញ្ញា CSRF ខ្វះ ឬមិនត្រឹមត្រូវ សូមផ្ទុកទំព័រឡើងវិញ")


def outside_scope() -> Forbidden:
    return Forbidden("this is outside your area", "នេះនៅក្រៅតំបន់របស់អ្នក")


def field_not_allowed(field: str) -> Forbidden:
    return Forbidden(f"your role may not set the field '{field}'",
                     f"តួនាទីរបស់អ្នកមិនអនុញ្ញាតឱ្យកំណត់វាល '{field}' ទេ")
