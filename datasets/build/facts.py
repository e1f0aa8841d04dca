"""Facts about Skerry Labs and its product Quaywise -- the single source of truth.

Everything here is fictional and was written for this course. The company, the
product, the customers, the people and every number are invented. Any
resemblance to a real company is accidental.

`make_spine.py` renders these facts (plus hand-written prose) into the knowledge
base and the golden question set. Change a number here, re-run the script, and
every document and reference answer that mentions it changes with it.

Conventions
-----------
* Prices are in USD, per user (seat) per month unless a key says otherwise.
  ``annual`` is the per-user monthly equivalent when billed yearly.
* ``None`` means "unlimited" for limits and "not offered" for prices / SLAs.
* Dates are ISO 8601 strings.
* ``OLD`` holds the values that superseded pages still show; the release that
  changed each one is in ``RELEASES``.
* A few description strings in ``ENDPOINTS`` contain ``{placeholders}`` (for
  example ``{api_page_max}``); make_spine.py fills them from the values above.
"""

AS_OF = "2025-10-20"

COMPANY = {
    "legal_name": "Skerry Labs, Inc.",
    "short_name": "Skerry Labs",
    "product": "Quaywise",
    "tagline": "forms, approvals and file requests for teams that run on paperwork",
    "hq": "Portland, Maine",
    "domain": "quaywise.example",
    "app_url": "https://app.quaywise.example",
    "help_url": "https://help.quaywise.example",
    "status_url": "https://status.quaywise.example",
    "community_url": "https://community.quaywise.example",
    "trust_url": "https://trust.quaywise.example",
    "emails": {
        "support": "support@quaywise.example",
        "billing": "billing@quaywise.example",
        "security": "security@quaywise.example",
        "privacy": "privacy@quaywise.example",
        "dpo": "dpo@quaywise.example",
        "sales": "sales@quaywise.example",
        "legal": "legal@quaywise.example",
    },
}

# --------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------
PLAN_ORDER = ["free", "starter", "team", "business", "enterprise"]

PLANS = {
    "free": {
        "name": "Free",
        "monthly": 0,
        "annual": 0,
        "max_seats": 3,
        "storage_gb_workspace": 2,      # Free has one pooled allowance
        "storage_gb_per_seat": None,
        "attachment_mb": 10,
        "api_rpm": 60,
        "submissions_month": 100,
        "forms": 5,
        "workflow_runs_month": 100,
        "guests": 0,
        "workspaces": 1,
        "audit_log_days": None,         # no audit log
        "sla": None,
        "version_history_days": 7,
    },
    "starter": {
        "name": "Starter",
        "monthly": 9,
        "annual": 7,
        "max_seats": 10,
        "storage_gb_per_seat": 10,
        "attachment_mb": 25,
        "api_rpm": 120,
        "submissions_month": 1000,
        "forms": 50,
        "workflow_runs_month": 1000,
        "guests": 5,
        "workspaces": 1,
        "audit_log_days": None,
        "sla": None,
        "version_history_days": 30,
    },
    "team": {
        "name": "Team",
        "monthly": 19,
        "annual": 16,
        "max_seats": 100,
        "storage_gb_per_seat": 50,
        "attachment_mb": 100,
        "api_rpm": 300,
        "submissions_month": 10000,
        "forms": None,
        "workflow_runs_month": 5000,
        "guests": 25,
        "workspaces": 3,
        "audit_log_days": None,
        "sla": 99.9,
        "version_history_days": 90,
    },
    "business": {
        "name": "Business",
        "monthly": 34,
        "annual": 29,
        "max_seats": 1000,
        "storage_gb_per_seat": 250,
        "attachment_mb": 1024,
        "api_rpm": 900,
        "submissions_month": 100000,
        "forms": None,
        "workflow_runs_month": 25000,
        "guests": 100,
        "workspaces": 20,
        "audit_log_days": 365,
        "sla": 99.95,
        "version_history_days": 365,
    },
    "enterprise": {
        "name": "Enterprise",
        "monthly": None,                # annual contracts only
        "annual": 52,                   # list price "from", per user per month
        "min_seats": 50,
        "max_seats": None,
        "storage_gb_per_seat": 1024,
        "attachment_mb": 5120,
        "api_rpm": 3000,
        "submissions_month": None,
        "forms": None,
        "workflow_runs_month": 100000,
        "guests": None,
        "workspaces": None,
        "audit_log_years": 7,
        "sla": 99.99,
        "version_history_days": None,
    },
}

# Values shown by superseded pages (before the change in the named release).
OLD = {
    "starter_monthly": 8,
    "starter_annual": 6,
    "team_monthly": 17,
    "team_annual": 14,
    "team_attachment_mb": 50,
    "business_attachment_mb": 512,
    "business_api_rpm": 600,
    "password_min_length": 8,
    "region_count": 4,
    "trash_days": 14,
    "business_audit_log_days": 90,
    "webhook_retries": 3,
    "webhook_retry_window": "1 hour",
    "token_max_lifetime": "never expire",
    "export_link_expiry": "24 hours",
    "starter_storage_gb_per_seat": 5,
    "session_idle_days": 30,
    "submissions_page_max": 100,
    "free_max_seats": 5,
    "business_sla": 99.9,
    "business_support_hours": "Monday to Friday, 8:00 to 20:00 Eastern Time",
    "business_ip_ranges": 20,
    "team_workflow_runs_month": 2000,
}

PRICING_CHANGE_2024 = {
    "announced": "2024-03-19",
    "effective": "2024-04-01",
    "grandfathered_until": "2024-09-30",   # existing subscribers kept old price
    "release": "4.4",
}

ADD_ONS = {
    "storage_pack": {"name": "Extra storage", "gb": 100, "price_month": 8,
                     "plans": ["team", "business", "enterprise"]},
    "assist": {"name": "Quaywise Assist", "price_user_month": 6,
               "plans": ["team", "business"], "included_in": ["enterprise"]},
    "api_pack": {"name": "API capacity pack", "rpm": 500, "price_month": 99,
                 "plans": ["business", "enterprise"]},
    "sandbox": {"name": "Sandbox workspace", "price_month": 250,
                "plans": ["business", "enterprise"]},
}

DISCOUNTS = {
    "nonprofit_pct": 30,      # Team and Business, annual billing only
    "education_pct": 50,      # Team and Business, accredited schools and universities
    "annual_saving_note": "about 16%",
}

BILLING = {
    "payment_methods": ["Visa", "Mastercard", "American Express", "ACH debit (US)",
                        "SEPA Direct Debit (EU)"],
    "invoice_min_annual": 5000,       # invoice/PO billing from this annual value
    "net_terms_days": 30,
    "currencies": ["USD", "EUR", "GBP", "CAD", "AUD"],
    "refund_window_days": 30,         # annual plans only, full refund
    "dunning_retry_days": [3, 7, 14],
    "read_only_after_days": 21,
    "downgrade_after_days": 45,
    "enterprise_true_up": "quarterly",
}

TRIAL = {"days": 14, "plan": "business", "max_members": 10, "card_required": False}

# --------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------
REGIONS = [
    {"id": "us-east", "code": "us1", "name": "US East", "city": "Northern Virginia",
     "launched": "2016-09-12", "api_host": "api.us1.quaywise.example"},
    {"id": "us-west", "code": "us2", "name": "US West", "city": "Oregon",
     "launched": "2020-03-03", "api_host": "api.us2.quaywise.example"},
    {"id": "eu-central", "code": "eu1", "name": "EU Central", "city": "Frankfurt",
     "launched": "2019-05-14", "api_host": "api.eu1.quaywise.example"},
    {"id": "eu-west", "code": "eu2", "name": "EU West", "city": "Dublin",
     "launched": "2022-10-04", "api_host": "api.eu2.quaywise.example"},
    {"id": "ap-southeast", "code": "au1", "name": "Asia Pacific", "city": "Sydney",
     "launched": "2024-06-04", "api_host": "api.au1.quaywise.example"},
    {"id": "ca-central", "code": "ca1", "name": "Canada", "city": "Montreal",
     "launched": "2024-12-10", "api_host": "api.ca1.quaywise.example"},
]
OLD_REGION_IDS = ["us-east", "us-west", "eu-central", "eu-west"]

# --------------------------------------------------------------------------
# Service levels and support
# --------------------------------------------------------------------------
SLA = {
    "credit_tiers": [  # (monthly uptime below, credit % of monthly fee)
        ("the committed level", 10),
        ("99.0%", 25),
        ("95.0%", 50),
    ],
    "max_credit_pct": 50,
    "claim_window_days": 30,
    "maintenance_notice_hours": 72,
    "maintenance_max_hours_month": 4,
    "maintenance_window": "Sundays 02:00 to 06:00 UTC",
    "business_sla_effective": "2025-06-01",
}

SUPPORT = {
    "free": {"channels": "community forum and help centre", "hours": None,
             "first_response": None},
    "starter": {"channels": "email", "hours": "Monday to Friday, 9:00 to 17:00 Eastern Time",
                "first_response": "2 business days"},
    "team": {"channels": "email and in-app chat",
             "hours": "Monday to Friday, 8:00 to 20:00 Eastern Time",
             "first_response": "1 business day"},
    "business": {"channels": "email, in-app chat and scheduled calls",
                 "hours": "24/5, from Sunday 20:00 to Friday 20:00 Eastern Time",
                 "hours_short": "24/5"},
    "enterprise": {"channels": "email, chat, phone and a named customer success manager",
                   "hours": "24/7 for Severity 1, otherwise 24/5"},
    # first-response targets by severity, in the order S1..S4
    "targets": {
        "business": ["4 hours", "8 business hours", "2 business days", "3 business days"],
        "enterprise": ["1 hour", "4 hours", "1 business day", "2 business days"],
    },
    "phone": "+1 207 555 0142",
}

# --------------------------------------------------------------------------
# Data retention, backups, privacy
# --------------------------------------------------------------------------
RETENTION = {
    "trash_days": 30,
    "workspace_recovery_days": 30,
    "purge_primary_days": 14,
    "backup_interval_hours": 4,
    "backup_retention_days": 35,
    "free_inactive_months": 12,
    "free_inactive_notice_days": 30,
    "app_log_days": 30,
    "rpo_hours": 1,
    "rto_hours": 4,
    "dsar_days": 30,
    "subprocessor_notice_days": 30,
}

SUBPROCESSORS = [
    ("Stratus Ridge Cloud", "Infrastructure hosting and storage", "Region you choose"),
    ("Letterkite", "Transactional email delivery", "United States"),
    ("Tallywick", "Subscription billing and invoicing", "United States"),
    ("Brightsignal", "Support ticketing and in-app chat", "United States, Ireland"),
    ("Vellum AI", "Language-model processing for Quaywise Assist", "Region-matched (US or EU)"),
    ("Quillscan", "Malware scanning of uploaded files", "Region you choose"),
]

# --------------------------------------------------------------------------
# Security
# --------------------------------------------------------------------------
SECURITY = {
    "encryption_at_rest": "AES-256",
    "tls_min": "1.2",
    "certifications": [
        ("SOC 2 Type II", "annual report; audit period 1 October to 30 September"),
        ("ISO/IEC 27001:2022", "certified since June 2023"),
        ("ISO/IEC 27701", "certified since September 2024"),
        ("Cyber Essentials Plus", "renewed every year, UK scheme"),
    ],
    "hipaa_baa": "Enterprise only",
    "pentest": "once a year by an independent firm, plus after major architecture changes",
    "last_pentest": "March 2025",
    "bounty_min": 100,
    "bounty_max": 10000,
    "bounty_ack_days": 3,
    "password_min_length": 12,
    "mfa_methods": ["authenticator app (TOTP)", "security key or passkey (WebAuthn)"],
    "session_idle_days": 14,
    "session_min_minutes": 15,
    "business_ip_ranges": 50,
    "enterprise_ip_ranges": 200,
    "incident_notice_hours": 48,
    "key_rotation_days": 90,
    "byok": "Enterprise only, using AWS KMS or Azure Key Vault",
}

# --------------------------------------------------------------------------
# Product details
# --------------------------------------------------------------------------
PRODUCT = {
    "max_fields_per_form": 250,
    "max_approval_steps": 10,
    "max_files_per_request": 500,
    "csv_import_rows": 50000,
    "csv_import_mb": 50,
    "webhooks_per_workspace": 25,
    "webhook_timeout_s": 10,
    "webhook_disable_hours": 72,
    "export_link_expiry": "7 days",
    "export_max_gb": 10,
    "export_concurrent": 3,
    "export_per_hour": 10,
    "offline_queue": 200,
    "ios_min": "16",
    "android_min": "10",
    "macos_min": "12 (Monterey)",
    "windows_min": "10",
    "desktop_version": "2.0",
    "ui_languages": ["English", "French", "German", "Spanish", "Portuguese (Brazil)",
                     "Italian", "Dutch", "Danish", "Swedish", "Norwegian", "Finnish",
                     "Polish", "Japanese", "Korean"],
    "integrations": ["Slack", "Microsoft Teams", "Google Drive", "Dropbox",
                     "Salesforce", "Zapier"],
    "custom_domain_plans": ["business", "enterprise"],
    "wcag": "WCAG 2.1 AA",
    "transfer_ownership_hours": 48,
}

# --------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------
API = {
    "base_url": "https://api.quaywise.example/v2",
    "current_version": "v2",
    "v1_sunset": "2026-01-31",
    "token_prefix": "qw_pat_",
    "token_max_lifetime_days": 365,
    "token_default_lifetime_days": 90,
    "oauth_scopes": ["forms:read", "forms:write", "submissions:read", "submissions:write",
                     "files:read", "files:write", "users:admin", "webhooks:manage",
                     "audit:read", "exports:write"],
    "page_default": 50,
    "page_max": 100,
    "submissions_page_max": 200,
    "max_request_mb": 10,
    "request_timeout_s": 30,
    "idempotency_hours": 24,
    "upload_per_minute": 30,
    "invites_per_hour": 100,
    "audit_per_minute": 60,
    "runs_per_minute": 120,
}

COMMON_ERRORS = [
    (400, "invalid_request", "The request is malformed: bad JSON, an unknown parameter or a wrong type."),
    (401, "unauthorized", "No token, an expired token, or a revoked token."),
    (403, "forbidden", "The token is valid but lacks the scope or role for this action."),
    (404, "not_found", "The resource does not exist or is not visible to this token."),
    (409, "conflict", "The resource changed since you read it, or a duplicate was detected."),
    (413, "payload_too_large", "The body or file exceeds the size allowed for your plan."),
    (422, "validation_failed", "The request is well formed but a value breaks a rule."),
    (429, "rate_limited", "Too many requests; wait for the number of seconds in Retry-After."),
    (500, "internal_error", "Something failed on our side; retry with backoff."),
    (503, "service_unavailable", "Planned maintenance or overload; retry with backoff."),
]

# Endpoint reference. "rate" is None when the plan-wide limit applies.
ENDPOINTS = [
    {"slug": "list-workspaces", "method": "GET", "path": "/workspaces",
     "scope": "forms:read", "rate": None, "paged": True,
     "params": [("limit", "query", "integer", False, "Page size, 1 to {api_page_max}, default {api_page_default}."),
                ("cursor", "query", "string", False, "Cursor from the previous page's next_cursor.")],
     "errors": [(401, "unauthorized"), (429, "rate_limited")]},
    {"slug": "get-workspace", "method": "GET", "path": "/workspaces/{workspace_id}",
     "scope": "forms:read", "rate": None, "paged": False,
     "params": [("workspace_id", "path", "string", True, "Workspace ID, starts with ws_.")],
     "errors": [(401, "unauthorized"), (404, "not_found")]},
    {"slug": "list-forms", "method": "GET", "path": "/forms",
     "scope": "forms:read", "rate": None, "paged": True,
     "params": [("workspace_id", "query", "string", True, "Only forms in this workspace."),
                ("status", "query", "string", False, "draft, published or archived."),
                ("updated_since", "query", "timestamp", False, "ISO 8601; only forms changed after this time."),
                ("limit", "query", "integer", False, "Page size, 1 to {api_page_max}, default {api_page_default}."),
                ("cursor", "query", "string", False, "Pagination cursor.")],
     "errors": [(400, "invalid_request"), (401, "unauthorized"), (404, "not_found")]},
    {"slug": "create-form", "method": "POST", "path": "/forms",
     "scope": "forms:write", "rate": None, "paged": False,
     "params": [("workspace_id", "body", "string", True, "Workspace that will own the form."),
                ("title", "body", "string", True, "1 to 200 characters."),
                ("fields", "body", "array", False, "Field definitions; at most {max_fields_per_form}."),
                ("template_id", "body", "string", False, "Start from a template instead of fields.")],
     "errors": [(403, "forbidden"), (422, "validation_failed"),
                (402, "plan_limit_reached")]},
    {"slug": "get-form", "method": "GET", "path": "/forms/{form_id}",
     "scope": "forms:read", "rate": None, "paged": False,
     "params": [("form_id", "path", "string", True, "Form ID, starts with frm_."),
                ("include", "query", "string", False, "Comma-separated: fields, workflow, stats.")],
     "errors": [(401, "unauthorized"), (404, "not_found")]},
    {"slug": "update-form", "method": "PATCH", "path": "/forms/{form_id}",
     "scope": "forms:write", "rate": None, "paged": False,
     "params": [("form_id", "path", "string", True, "Form to change."),
                ("If-Match", "header", "string", True, "The form's current etag."),
                ("title", "body", "string", False, "New title."),
                ("fields", "body", "array", False, "Full replacement list of fields."),
                ("status", "body", "string", False, "draft, published or archived.")],
     "errors": [(409, "conflict"), (423, "form_locked"), (422, "validation_failed")]},
    {"slug": "delete-form", "method": "DELETE", "path": "/forms/{form_id}",
     "scope": "forms:write", "rate": None, "paged": False,
     "params": [("form_id", "path", "string", True, "Form to move to the trash.")],
     "errors": [(403, "forbidden"), (404, "not_found"), (423, "form_locked")]},
    {"slug": "list-submissions", "method": "GET", "path": "/forms/{form_id}/submissions",
     "scope": "submissions:read", "rate": None, "paged": True,
     "params": [("form_id", "path", "string", True, "Form whose submissions you want."),
                ("status", "query", "string", False, "pending, approved, rejected or withdrawn."),
                ("submitted_after", "query", "timestamp", False, "ISO 8601 lower bound."),
                ("limit", "query", "integer", False, "Page size, 1 to {submissions_page_max}, default {api_page_default}."),
                ("cursor", "query", "string", False, "Pagination cursor.")],
     "errors": [(400, "invalid_request"), (404, "not_found"), (429, "rate_limited")]},
    {"slug": "create-submission", "method": "POST", "path": "/forms/{form_id}/submissions",
     "scope": "submissions:write", "rate": None, "paged": False,
     "params": [("form_id", "path", "string", True, "Published form to submit to."),
                ("answers", "body", "object", True, "Map of field key to value."),
                ("Idempotency-Key", "header", "string", False, "Repeat-safe key, remembered for {api_idempotency_hours} hours.")],
     "errors": [(409, "submission_closed"), (422, "validation_failed"),
                (402, "quota_exceeded")]},
    {"slug": "get-submission", "method": "GET", "path": "/submissions/{submission_id}",
     "scope": "submissions:read", "rate": None, "paged": False,
     "params": [("submission_id", "path", "string", True, "Submission ID, starts with sub_."),
                ("include", "query", "string", False, "files, approvals or history.")],
     "errors": [(401, "unauthorized"), (404, "not_found")]},
    {"slug": "upload-file", "method": "POST", "path": "/files",
     "scope": "files:write", "rate": "upload", "paged": False,
     "params": [("file", "body (multipart)", "binary", True, "The file; its size must be within your plan's per-file limit."),
                ("workspace_id", "body (multipart)", "string", True, "Workspace that will own the file."),
                ("filename", "body (multipart)", "string", False, "Overrides the uploaded file name.")],
     "errors": [(413, "payload_too_large"), (415, "file_type_blocked"), (507, "storage_full")]},
    {"slug": "download-file", "method": "GET", "path": "/files/{file_id}/download",
     "scope": "files:read", "rate": None, "paged": False,
     "params": [("file_id", "path", "string", True, "File ID, starts with fil_.")],
     "errors": [(404, "not_found"), (410, "file_quarantined")]},
    {"slug": "decide-approval", "method": "POST", "path": "/approvals/{approval_id}/decision",
     "scope": "submissions:write", "rate": None, "paged": False,
     "params": [("approval_id", "path", "string", True, "Approval step ID, starts with apr_."),
                ("decision", "body", "string", True, "approve or reject."),
                ("comment", "body", "string", False, "Up to 2,000 characters; required when rejecting.")],
     "errors": [(403, "forbidden"), (409, "approval_already_decided"), (422, "validation_failed")]},
    {"slug": "list-users", "method": "GET", "path": "/users",
     "scope": "users:admin", "rate": None, "paged": True,
     "params": [("workspace_id", "query", "string", True, "Workspace to list."),
                ("role", "query", "string", False, "owner, admin, editor, contributor, viewer or guest."),
                ("limit", "query", "integer", False, "Page size, 1 to {api_page_max}, default {api_page_default}."),
                ("cursor", "query", "string", False, "Pagination cursor.")],
     "errors": [(403, "forbidden"), (404, "not_found")]},
    {"slug": "invite-user", "method": "POST", "path": "/users/invite",
     "scope": "users:admin", "rate": "invites", "paged": False,
     "params": [("workspace_id", "body", "string", True, "Workspace to invite into."),
                ("email", "body", "string", True, "Address of the person to invite."),
                ("role", "body", "string", False, "Defaults to contributor.")],
     "errors": [(402, "seat_limit_reached"), (409, "conflict"), (422, "validation_failed")]},
    {"slug": "remove-user", "method": "DELETE", "path": "/users/{user_id}",
     "scope": "users:admin", "rate": None, "paged": False,
     "params": [("user_id", "path", "string", True, "User ID, starts with usr_."),
                ("transfer_to", "query", "string", False, "User who inherits the removed user's forms.")],
     "errors": [(403, "forbidden"), (409, "last_owner")]},
    {"slug": "create-webhook", "method": "POST", "path": "/webhooks",
     "scope": "webhooks:manage", "rate": None, "paged": False,
     "params": [("workspace_id", "body", "string", True, "Workspace whose events you want."),
                ("url", "body", "string", True, "HTTPS endpoint that receives events."),
                ("events", "body", "array", True, "Event types, e.g. submission.created."),
                ("secret", "body", "string", False, "Signing secret; generated if omitted.")],
     "errors": [(422, "webhook_url_unreachable"), (402, "plan_limit_reached")]},
    {"slug": "list-webhooks", "method": "GET", "path": "/webhooks",
     "scope": "webhooks:manage", "rate": None, "paged": True,
     "params": [("workspace_id", "query", "string", True, "Workspace to list."),
                ("state", "query", "string", False, "active or disabled.")],
     "errors": [(403, "forbidden")]},
    {"slug": "create-export", "method": "POST", "path": "/exports",
     "scope": "exports:write", "rate": "exports", "paged": False,
     "params": [("form_id", "body", "string", True, "Form to export."),
                ("format", "body", "string", True, "csv, xlsx, json or pdf_bundle."),
                ("include_files", "body", "boolean", False, "Add attachments to the archive; default false.")],
     "errors": [(409, "export_in_progress"), (429, "rate_limited")]},
    {"slug": "get-export", "method": "GET", "path": "/exports/{export_id}",
     "scope": "exports:write", "rate": None, "paged": False,
     "params": [("export_id", "path", "string", True, "Export job ID, starts with exp_.")],
     "errors": [(404, "not_found"), (410, "export_expired")]},
    {"slug": "list-audit-events", "method": "GET", "path": "/audit-events",
     "scope": "audit:read", "rate": "audit", "paged": True,
     "params": [("since", "query", "timestamp", True, "ISO 8601 start of the window."),
                ("until", "query", "timestamp", False, "ISO 8601 end; defaults to now."),
                ("actor", "query", "string", False, "Only events by this user ID."),
                ("limit", "query", "integer", False, "Page size, 1 to {api_page_max}, default {api_page_default}.")],
     "errors": [(403, "plan_feature_unavailable"), (400, "invalid_request")]},
    {"slug": "start-workflow-run", "method": "POST", "path": "/workflows/{workflow_id}/runs",
     "scope": "forms:write", "rate": "runs", "paged": False,
     "params": [("workflow_id", "path", "string", True, "Workflow ID, starts with wf_."),
                ("submission_id", "body", "string", True, "Submission the run acts on."),
                ("dry_run", "body", "boolean", False, "Validate the steps without running them.")],
     "errors": [(402, "quota_exceeded"), (409, "conflict"), (404, "not_found")]},
]

EXTRA_ERROR_MEANINGS = {
    "plan_limit_reached": "Your plan's limit for this object type is used up.",
    "form_locked": "Someone is publishing or migrating the form; retry in a few seconds.",
    "submission_closed": "The form is closed, archived or past its close date.",
    "quota_exceeded": "The monthly allowance for your plan is used up.",
    "file_type_blocked": "Executable and script file types are refused.",
    "storage_full": "The workspace has no storage left.",
    "file_quarantined": "The malware scan flagged the file; it cannot be downloaded.",
    "approval_already_decided": "Another approver already decided this step.",
    "seat_limit_reached": "All paid seats are taken; add seats first.",
    "last_owner": "A workspace must keep at least one owner.",
    "webhook_url_unreachable": "The URL did not answer our test ping with a 2xx status within {webhook_timeout_s} seconds.",
    "export_in_progress": "An identical export is already running; poll it instead.",
    "export_expired": "The download link has expired; start a new export.",
    "plan_feature_unavailable": "Audit events need the Business or Enterprise plan.",
}

WEBHOOK_EVENTS = ["submission.created", "submission.updated", "approval.decided",
                  "form.published", "file.uploaded", "user.joined", "export.completed"]

# --------------------------------------------------------------------------
# Releases (one changelog page each)
# --------------------------------------------------------------------------
RELEASES = [
    ("4.0", "2023-11-07"), ("4.1", "2023-12-12"), ("4.2", "2024-01-23"),
    ("4.3", "2024-02-27"), ("4.4", "2024-03-19"), ("4.5", "2024-04-30"),
    ("4.6", "2024-06-04"), ("4.7", "2024-07-16"), ("4.8", "2024-08-27"),
    ("4.9", "2024-10-08"), ("5.0", "2024-11-12"), ("5.1", "2024-12-10"),
    ("5.2", "2025-01-21"), ("5.3", "2025-02-25"), ("5.4", "2025-03-25"),
    ("5.5", "2025-04-29"), ("5.6", "2025-05-27"), ("5.7", "2025-06-24"),
    ("5.8", "2025-07-29"), ("5.9", "2025-08-26"), ("5.10", "2025-09-23"),
    ("5.11", "2025-10-14"),
]

# --------------------------------------------------------------------------
# Company-internal records
# --------------------------------------------------------------------------
INCIDENTS = [
    {"id": "INC-2024-0522", "date": "2024-05-22", "region": "us-east",
     "minutes": 96, "summary": "search results lagged behind new submissions"},
    {"id": "INC-2024-0917", "date": "2024-09-17", "region": "eu-central",
     "minutes": 47, "summary": "EU Central unavailable after a certificate rotation"},
    {"id": "INC-2025-0211", "date": "2025-02-11", "region": "all",
     "minutes": 192, "summary": "webhook deliveries delayed"},
]

SALES_DISCOUNT_MATRIX = {"rep": 10, "manager": 20, "vp": 30}

# --------------------------------------------------------------------------
# Customer tenants (private documents)
# --------------------------------------------------------------------------
TENANTS = {
    "halyard": {
        "company": "Halyard Freight Group",
        "hq": "Hamburg, Germany",
        "plan": "enterprise",
        "seats": 650,
        "price": 41,                 # negotiated, per user per month, billed annually
        "contract_id": "QW-ENT-2024-0193",
        "term_start": "2024-07-01",
        "term_end": "2027-06-30",
        "term_months": 36,
        "region": "eu-central",
        "cell": "eu1-cell-07",
        "sla": 99.995,
        "sla_credit_pct": 15,
        "api_rpm": 6000,
        "retention_years": 10,
        "tam": ("Ines Varga", "ines.varga@quaywise.example"),
        "contacts": [
            ("Jonas Okafor", "Head of Platform Engineering", "j.okafor@halyard.example", "+49 40 5550 1187"),
            ("Mette Lindqvist", "IT Service Manager", "m.lindqvist@halyard.example", "+49 40 5550 1240"),
            ("Halyard NOC (24/7)", "Network operations centre", "noc@halyard.example", "+49 40 5550 1000"),
        ],
        "tms": "Bollard TMS",
        "webhook_host": "hooks.halyard.example",
        "renewal_notice_days": 90,
    },
    "verbena": {
        "company": "Verbena Health Partners",
        "hq": "Salem, Oregon",
        "plan": "enterprise",
        "seats": 1200,
        "price": 47,
        "contract_id": "QW-ENT-2024-0041",
        "term_start": "2024-03-01",
        "term_end": "2026-02-28",
        "term_months": 24,
        "region": "us-west",
        "baa_signed": "2024-02-15",
        "clinics": 38,
        "rto_hours": 2,
        "audit_years": 6,
        "session_idle_minutes": 30,
        "ip_ranges": 120,
        "tam": ("Darius Whitcombe", "darius.whitcombe@quaywise.example"),
        "contacts": [
            ("Priya Raman", "Director of Clinical Applications", "priya.raman@verbena.example", "+1 503 555 0119"),
            ("Tomás Ferreira", "Privacy Officer", "privacy.officer@verbena.example", "+1 503 555 0177"),
            ("Verbena IT Service Desk", "First-line support", "servicedesk@verbena.example", "+1 503 555 0100"),
        ],
        "ehr_bridge": "Meridian Bridge",
        "fallback_minutes": 20,
    },
    "foxglove": {
        "company": "Foxglove Credit Union",
        "hq": "Halifax, Nova Scotia",
        "plan": "business",
        "seats": 180,
        "price": 27,
        "contract_id": "QW-BUS-2025-0388",
        "term_start": "2025-01-01",
        "term_end": "2025-12-31",
        "term_months": 12,
        "region": "ca-central",
        "renewal_notice_days": 60,
        "support_extra": "Monday to Friday 7:00 to 22:00 Atlantic Time by phone",
        "ip_ranges": 35,
        "tam": ("Rosalind Achebe", "rosalind.achebe@quaywise.example"),
        "contacts": [
            ("Callum MacIsaac", "Manager, Digital Channels", "c.macisaac@foxglove.example", "+1 902 555 0163"),
            ("Aline Doucet", "Information Security Officer", "a.doucet@foxglove.example", "+1 902 555 0131"),
            ("Foxglove Operations Desk", "After-hours escalation", "opsdesk@foxglove.example", "+1 902 555 0199"),
        ],
        "core": "Tidemark Core",
        "loan_form": "frm_loanapp_2025",
        "scan_hold_minutes": 15,
        "renewal_price": 28,
    },
}
