"""Names that the dead-code check (vulture: `make test`, `make lint`, tests/unit/test_contracts.py)
cannot see used, because a framework reads or calls them by reflection, or a signature is fixed by
the caller. Read by vulture only, never imported or run. Rules for whole kinds of name (routes,
commands, formulas, validators, pytest hooks) are in pyproject.toml, [tool.vulture].

Reviewed: add a name only when it is used this way, with its reason; code that nothing uses is
deleted, not listed here.
"""

# ruff: noqa
_ = object()

# --- Pydantic response fields: FastAPI serialises them into the JSON answer (no Python code
# --- reads them). src/spmis/*/schemas.py, and the account row they are validated from
# --- (spmis.auth.accounts, model_validate(from_attributes=True)).
_.access_token  # auth.schemas.TokenOut
_.token_type
_.totp_enabled  # auth.schemas.UserOut, auth.accounts
_.locked_until
_.last_login_at
_.made_at  # auth.schemas.ApprovalOut
_.decided_at  # auth.schemas.ApprovalOut, linkage.schemas.ReviewItemOut
_.decision_reason
_.merged_at  # linkage.schemas.MergeOut
_.merged_by
_.undone_at
_.undone_by
_.undo_reason
_.started_by  # linkage.schemas.RunOut
_.moc_registration_number  # registry.schemas: enterprise in and out
_.tax_id
_.sector
_.size_workers
_.activation_path  # auth.schemas: a new account's activation link
_.activation_url
_.access_log_id  # registry.schemas.RevealOut
_.recorded_at  # registry.schemas.ConsentOut
_.recorded_by

# --- Enum members: values arrive as text (a database column, a request, a DCI message) and are
# --- looked up by value (``Sex("M")``), so a member may never be named in code.
_.TEST  # config.Environment
_.MALE  # registry.model.Sex
_.SEEING  # registry.model.FunctionalDomain (Washington Group)
_.HEARING
_.WALKING
_.REMEMBERING
_.SELF_CARE
_.COMMUNICATING
_.ON_SEARCH  # interop.model.Action: DCI callback actions
_.ON_SUBSCRIBE
_.NOTIFY
_.TXN_ON_STATUS
_.ONE_OFF  # payments.model.Frequency
_.PER_VISIT

# --- Fields read only by a page template (Jinja, which vulture does not read).
_.roles_before  # auth.staff.StaffRequestView: office/approvals.html
_.scope_before
_.resolution  # grievances: shown by office/grievance.html and public/grievance_status.html
_.baseline_len  # rules.pages.Bar: office/policy_chart.html
_.description_en  # rules.simulation.Preset: office/policy.html
_.description_km
_.resolved_at  # grievances.schemas: a response field (pydantic)

# --- SQLAlchemy: a TypeDecorator's hooks and settings (spmis.db.base).
_.impl
_.cache_ok
_.process_bind_param
_.process_result_value

# --- OpenFisca reads these (spmis.rules): the system's currency, a variable's declared values,
# --- and the populations' members that spmis.rules.engine fills in place of its slow setters.
_.CURRENCY
_.possible_values
_.max_length
_.persons_plural
_.members_entity_id
_._members_role

# --- python-multipart calls the parser's callbacks by name (spmis.web.imports).
_.on_part_begin
_.on_header_field
_.on_header_value
_.on_header_end
_.on_headers_finished
_.on_part_data
_.on_part_end

# --- logging.config.dictConfig builds these from their dotted names (spmis.logs).
_.RequestIdFilter

# --- Signatures fixed by the caller: ``__exit__`` (spmis.db.uow), Alembic's ``include_name``
# --- hook (spmis.db.migrate), procrastinate's ``Worker.stop`` (spmis.jobs.queue).
_.exc_type
_.tb
_.parent_names
_.graceful

# --- uvicorn: a test stops a server it started by setting ``should_exit``.
_.should_exit

# --- Locust runs the user classes of bench/load_users.py and reads their settings.
_.ScreenerVisitor
_.CatalogueReader
_.OfficeUser
_.wait_time
_.fixed_count
_.on_start

# --- The roles' descriptions (spmis.auth.roles): the reference wording for the staff-account
# --- pages and docs/security.md, read by no code yet.
_.ROLE_HELP

# --- Payments (issue 14, being built): not called yet.
# --- Whoever calls one removes its line; one still uncalled when payments is done is deleted.
_.events_of  # payments.conditions
_.SETTLED  # payments.reconciliation

# --- Staff accounts (issues 12 and 13, being built): no caller since accounts are activated by
# --- link; its author keeps or deletes it.
_.generate_password  # auth.passwords

# --- Grievances (being built): no caller yet; its author calls it (then removes this line) or
# --- deletes it.
_.office_above  # grievances.model

# --- Capability manifests read by name (spmis.manifest.each("encrypted_files")); the function a
# --- manifest names as a "module:attr" string is called through spmis.manifest.resolve.
_.encrypted_files  # manifest.Capability, read by spmis.auth.keys.rotate_files
_.rekey_reports  # jobs.files, named by spmis.jobs.capability
_.gauges  # manifest.Capability, read by spmis.metrics at each scrape
refresh_gauges  # indicators.gauges, named by spmis.indicators.capability
# --- The fund's health care coverage (spmis.fund.statements.Coverage): fields read by the member
# --- statement page's template and given whole in the API answer (``Coverage.__dict__``).
_.months_with_contribution
_.months_needed
_.card_status
# --- Targeting (issue 19): a round's kind is looked up by value; the cut-offs are fields of the
# --- API's answer (pydantic).
_.ON_DEMAND  # targeting.model.RoundKind
_.level_1_cut_off  # targeting.schemas.ExplanationOut
_.level_2_cut_off
# --- The indicators (issue 16): SQLAlchemy compiles ``days_between`` through the functions
# --- registered by ``@compiles`` and reads ``inherit_cache``; the audit page's template reads
# --- each entry's ``action_code``.
_.inherit_cache  # indicators.compute.days_between
_._days_postgresql
_._days_sqlite
_.action_code  # audit.pages.EntryShown

# --- Community review and equity cards (issue 19): fields the pages' templates read, and
# --- response fields of the API (pydantic).
_.posted_by  # targeting.review.Summary, review_schemas.ListOut
_.approved_by
_.issue_job_id
_.change_reason  # review_schemas.EntryOut
_.validity_reference  # targeting.cards.CardParameters, shown on the list page
_.objection_reference
