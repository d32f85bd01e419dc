"""Named sets of roles that the capabilities' access rules are written with. Pure: standard
library and ``spmis.auth.roles`` only, so every manifest can import it."""

from __future__ import annotations

from spmis.auth.roles import Role

A = Role.ADMIN
REG = Role.REGISTRAR
PO = Role.PROGRAMME_OFFICER
APR = Role.APPROVER
FIN = Role.FINANCE_OFFICER
FUND = Role.FUND_OFFICER
GRV = Role.GRIEVANCE_OFFICER
AUD = Role.AUDITOR
ENU = Role.ENUMERATOR
MET = Role.METRICS
EMP = Role.EMPLOYER


def roles(*items: Role) -> frozenset[str]:
    """The role names of ``items`` as a rule."""
    return frozenset(r.value for r in items)


#: every staff role (any authenticated user or client) but the monitoring client's, which reads
#: /metrics and nothing else, and an employer's, which sees its own enterprise at the fund and
#: nothing else
ANY_STAFF = roles(*(r for r in Role if r not in (MET, EMP)))
#: read the registry (masked identifiers): every staff role
READ_REGISTRY = ANY_STAFF
#: change households and people
WRITE_HOUSEHOLDS = roles(A, REG)
#: change enterprises (registrars and the social security fund)
WRITE_ENTERPRISES = roles(A, REG, FUND)
#: see identifiers in clear, with a reason, logged (not admin: administering is not casework)
REVEAL = roles(REG, PO, GRV, FUND)
#: record consent
WRITE_CONSENT = roles(A, REG, GRV)
#: read the access log of unmasked reads and the login history
READ_AUDIT = roles(A, AUD)
#: decide maker-checker requests (never admin: the checker must be a designated approver)
DECIDE = roles(APR)

#: read the Prometheus metrics at /metrics (a monitoring client, or an administrator)
READ_METRICS = roles(MET, A)

#: the prefix of every API route
API = "/api/v1"

#: rights an administrator cannot give alone: an account holding any of them is created, or
#: gains them (or a wider area with them), only when another administrator approves; so is a
#: password reset of such an account (spmis.auth.staff). They are the rights to see identifiers
#: and every role that is the second person of a maker-checker: approvers, finance officers (they
#: approve another's payment cycle), and administrators (a second administrator account held by
#: the same person would approve its maker's own requests).
SECOND_ADMIN = roles(A, FIN) | DECIDE | REVEAL
