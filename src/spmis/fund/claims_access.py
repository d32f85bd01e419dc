"""Who may use the routes of the fund's claims, member statements, coverage and coverage gap
(merged into the fund's manifest, ``spmis.fund.capability``), and their menu entries."""

from spmis.auth.role_sets import API, AUD, EMP, FIN, FUND, A, roles
from spmis.auth.roles import PUBLIC
from spmis.manifest import MenuItem, Rule
from spmis.pagekit.texts import N_

#: an employer's account (the use cases keep it to its own enterprise's workers)
EMPLOYER = roles(EMP)
#: submit a claim
SUBMIT = roles(A, FUND) | EMPLOYER
#: see claims (the finance office pays them)
READ_CLAIMS = roles(A, FUND, AUD, FIN) | EMPLOYER
#: review, decide or pay (the use case checks which action each role may take)
ACT = roles(A, FUND, FIN)
#: a member's statement and coverage
READ_MEMBER = roles(A, FUND, AUD) | EMPLOYER
#: the coverage gap
READ_GAP = roles(A, FUND, AUD)
P = f"{API}/fund"
OFFICE = "/office/fund"

CLAIMS_ACCESS: dict[tuple[str, str], Rule] = {
    ("POST", f"{P}/claims"): SUBMIT,
    ("GET", f"{P}/claims"): READ_CLAIMS,
    ("GET", f"{P}/claims/{{claim_id}}"): READ_CLAIMS,
    ("POST", f"{P}/claims/{{claim_id}}/actions"): ACT,
    ("POST", f"{P}/claims/{{claim_id}}/pension-end"): roles(A, FUND),
    ("GET", f"{P}/claims/{{claim_id}}/documents/{{document_id}}"): READ_CLAIMS,
    ("GET", f"{P}/members/{{person_id}}/statement"): READ_MEMBER,
    ("GET", f"{P}/members/{{person_id}}/coverage"): READ_MEMBER,
    ("GET", f"{P}/coverage-gap"): READ_GAP,
    ("GET", f"{P}/statements/verify/{{code}}"): PUBLIC,
    ("GET", f"{OFFICE}/claims"): READ_CLAIMS,
    ("GET", f"{OFFICE}/claims/new"): SUBMIT,
    ("POST", f"{OFFICE}/claims/new"): SUBMIT,
    ("GET", f"{OFFICE}/claims/{{claim_id}}"): READ_CLAIMS,
    ("GET", f"{OFFICE}/claims/{{claim_id}}/documents/{{document_id}}"): READ_CLAIMS,
    ("POST", f"{OFFICE}/claims/{{claim_id}}/{{action}}"): ACT,
    ("GET", f"{OFFICE}/members/{{person_id}}/statement"): READ_MEMBER,
    ("GET", f"{OFFICE}/members/{{person_id}}/statement.pdf"): READ_MEMBER,
    ("GET", f"{OFFICE}/coverage-gap"): READ_GAP,
    ("GET", "/verify/statement/{code}"): PUBLIC,
}

CLAIMS_MENU = (
    # the queue is fund staff's: an employer reaches its own workers' claims from its page
    MenuItem(46, "office", f"{OFFICE}/claims", N_("Claims"), READ_CLAIMS - EMPLOYER),
    MenuItem(47, "office", f"{OFFICE}/coverage-gap", N_("Coverage gap"), READ_GAP),
)
