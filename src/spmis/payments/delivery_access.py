"""Access rules of payment delivery's routes (merged into the payments manifest): finance
officers produce payrolls and reconcile; programme officers keep conditions and events;
auditors read."""

from spmis.auth.role_sets import API, AUD, FIN, PO, A, roles

P = f"{API}/payments"
OFFICE = "/office/payments"
#: read providers, payroll figures, reconciliations and the outbox
READ = roles(A, PO, FIN, AUD)
#: produce payroll files (personal data, logged) and reconcile
PAY = roles(FIN)

DELIVERY_ACCESS = {
    ("GET", f"{P}/providers"): READ,
    ("POST", f"{P}/providers"): roles(A, FIN),
    ("PUT", f"{P}/beneficiaries/{{beneficiary_id}}/account"): roles(PO, FIN),
    ("GET", f"{P}/cycles/{{cycle_id}}/payroll-summary"): READ,
    ("GET", f"{P}/cycles/{{cycle_id}}/payroll"): PAY,
    ("POST", f"{P}/cycles/{{cycle_id}}/reconciliations"): PAY,
    ("GET", f"{P}/cycles/{{cycle_id}}/reconciliations"): READ,
    ("GET", f"{P}/reconciliations/{{rec_id}}"): READ,
    ("POST", f"{P}/cycles/{{cycle_id}}/retry-failed"): PAY,
    ("POST", f"{P}/cycles/{{cycle_id}}/cancel-failed"): PAY,
    ("POST", f"{P}/conditions"): roles(A, PO),
    ("POST", f"{P}/events"): roles(PO),
    ("GET", f"{P}/notifications"): roles(A, PO, AUD),
    ("POST", f"{P}/notifications/deliver"): roles(A),
    ("GET", f"{OFFICE}/cycles/{{cycle_id}}/payroll"): READ,
    ("GET", f"{OFFICE}/cycles/{{cycle_id}}/payroll/file"): PAY,
    ("POST", f"{OFFICE}/cycles/{{cycle_id}}/reconciliations"): PAY,
    ("POST", f"{OFFICE}/cycles/{{cycle_id}}/failed"): PAY,
    ("GET", f"{OFFICE}/reconciliations/{{rec_id}}"): READ,
    ("GET", f"{OFFICE}/events"): roles(A, PO),
    ("POST", f"{OFFICE}/events"): roles(PO),
    ("POST", f"{OFFICE}/events/import"): roles(PO),
}
