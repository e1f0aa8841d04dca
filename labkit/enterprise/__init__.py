"""Enterprise controls for an LLM feature: PII redaction, data classes and egress policy, tenant
isolation, and a tamper-evident audit log.

Import the submodule you need; none of them imports another heavy package at import time:

    >>> from labkit.enterprise import pii
    >>> pii.redact("mail me at ana@example.com").redacted
    'mail me at [EMAIL]'

* :mod:`labkit.enterprise.pii` — detect and redact emails, phones, card numbers, IBANs, national ids,
  API keys and secrets (checksums where the format has one).
* :mod:`labkit.enterprise.policy` — data classes, an egress policy per provider, enforced as a
  ``labkit.llm.hooks.preflight`` hook.
* :mod:`labkit.enterprise.tenancy` — retrieval, caches and traces partitioned by tenant; erasure.
* :mod:`labkit.enterprise.identifiers` — a person's identifiers matched in the forms stores hold them
  (case-folded, phone digits without separators), for every store's ``erase``/``count_mentions``.
* :mod:`labkit.enterprise.erasure` — the erasure receipt, the erasable-store interface, index and ledger search.
* :mod:`labkit.enterprise.audit` — an append-only, hash-chained audit log in SQLite.
"""
