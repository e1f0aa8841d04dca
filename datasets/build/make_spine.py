#!/usr/bin/env python3
"""Build the Stage 13 data spine: the Quaywise knowledge base and golden questions.

Usage::

    python datasets/build/make_spine.py            # writes into datasets/
    python datasets/build/make_spine.py --out DIR  # writes DIR/kb/... and DIR/golden/...

Outputs ``kb/documents.jsonl`` and ``golden/questions.jsonl`` under the output
folder and prints the counts that the datasheets quote.

Everything is fictional and was written for this course. The numbers come from
``facts.py``; the prose below is hand-written and uses ``{placeholders}`` that
are filled from those facts, so a document and a reference answer can never
disagree about a number. Standard library only; no randomness, so two runs give
byte-identical files.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import textwrap
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import facts as F  # noqa: E402

REPO_DATASETS = HERE.parent

# ---------------------------------------------------------------------------
# Formatting helpers and the placeholder context
# ---------------------------------------------------------------------------


def num(v):
    """Render a fact for prose: 1000 -> '1,000', 99.95 -> '99.95', None -> 'unlimited'."""
    if v is None:
        return "unlimited"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def size_label(mb):
    if mb >= 1024 and mb % 1024 == 0:
        return f"{mb // 1024} GB"
    return f"{mb} MB"


def region_by_id(rid):
    for r in F.REGIONS:
        if r["id"] == rid:
            return r
    raise KeyError(rid)


def region_label(rid):
    r = region_by_id(rid)
    return f"{r['name']} ({r['city']})"


def long_date(iso):
    months = ["January", "February", "March", "April", "May", "June", "July",
              "August", "September", "October", "November", "December"]
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{d} {months[m - 1]} {y}"


def raw_values(old_keys=()):
    """Numbers and short phrases, current unless named in old_keys."""
    R = {}
    for p in F.PLAN_ORDER:
        for k, v in F.PLANS[p].items():
            if k != "name":
                R[f"{p}_{k}"] = v
    S, RT, P, A = F.SECURITY, F.RETENTION, F.PRODUCT, F.API
    R.update({
        "password_min_length": S["password_min_length"],
        "session_idle_days": S["session_idle_days"],
        "business_ip_ranges": S["business_ip_ranges"],
        "enterprise_ip_ranges": S["enterprise_ip_ranges"],
        "region_count": len(F.REGIONS),
        "webhook_retries": 8,
        "webhook_retry_window": "24 hours",
        "token_max_lifetime": f"expire after at most {A['token_max_lifetime_days']} days",
        "export_link_expiry": P["export_link_expiry"],
        "submissions_page_max": A["submissions_page_max"],
        "business_support_hours": F.SUPPORT["business"]["hours"],
    })
    for k, v in RT.items():
        R[k] = v
    for k in old_keys:
        R[k] = F.OLD[k]
    # derived values
    for p in F.PLAN_ORDER:
        m, a = R[f"{p}_monthly"], R[f"{p}_annual"]
        R[f"{p}_monthly_year"] = None if m is None else m * 12
        R[f"{p}_annual_year"] = None if a is None else a * 12
        R[f"{p}_attachment"] = size_label(R[f"{p}_attachment_mb"])
        R[f"{p}_name"] = F.PLANS[p]["name"]
    R["enterprise_storage"] = "1 TB"
    ids = F.OLD_REGION_IDS if R["region_count"] == len(F.OLD_REGION_IDS) else [r["id"] for r in F.REGIONS]
    R["region_bullets"] = "\n".join(
        f"- **{region_by_id(i)['name']}** ({region_by_id(i)['city']}), code `{region_by_id(i)['code']}`"
        for i in ids)
    R["region_names"] = ", ".join(region_label(i) for i in ids)
    return R


def context(old_keys=(), extra=None):
    R = raw_values(old_keys)
    C = {k: num(v) for k, v in R.items()}
    co = F.COMPANY
    C.update({
        "company": co["short_name"], "legal_name": co["legal_name"], "product": co["product"],
        "hq": co["hq"], "app_url": co["app_url"], "help_url": co["help_url"],
        "status_url": co["status_url"], "community_url": co["community_url"],
        "trust_url": co["trust_url"],
    })
    for k, v in co["emails"].items():
        C[f"{k}_email"] = v
    for k, v in F.ADD_ONS.items():
        for kk, vv in v.items():
            if not isinstance(vv, list):
                C[f"addon_{k}_{kk}"] = num(vv)
    for src, prefix in ((F.DISCOUNTS, ""), (F.TRIAL, "trial_"), (F.SLA, "sla_"),
                        (F.SECURITY, "sec_"), (F.PRODUCT, ""), (F.API, "api_"),
                        (F.PRICING_CHANGE_2024, "price_change_")):
        for k, v in src.items():
            if not isinstance(v, (list, dict, tuple)):
                C.setdefault(prefix + k, num(v))
    B = F.BILLING
    C.update({
        "invoice_min_annual": num(B["invoice_min_annual"]), "net_terms_days": num(B["net_terms_days"]),
        "refund_window_days": num(B["refund_window_days"]),
        "dunning_1": num(B["dunning_retry_days"][0]), "dunning_2": num(B["dunning_retry_days"][1]),
        "dunning_3": num(B["dunning_retry_days"][2]),
        "read_only_after_days": num(B["read_only_after_days"]),
        "downgrade_after_days": num(B["downgrade_after_days"]),
        "currencies": ", ".join(B["currencies"][:-1]) + " or " + B["currencies"][-1],
        "support_phone": F.SUPPORT["phone"],
        "starter_support_hours": F.SUPPORT["starter"]["hours"],
        "team_support_hours": F.SUPPORT["team"]["hours"],
        "starter_first_response": F.SUPPORT["starter"]["first_response"],
        "team_first_response": F.SUPPORT["team"]["first_response"],
        "ui_language_count": num(len(F.PRODUCT["ui_languages"])),
        "ui_languages": ", ".join(F.PRODUCT["ui_languages"]),
        "integrations": ", ".join(F.PRODUCT["integrations"][:-1]) + " and " + F.PRODUCT["integrations"][-1],
        "webhook_events": ", ".join(f"`{e}`" for e in F.WEBHOOK_EVENTS),
        "webhook_event_count": num(len(F.WEBHOOK_EVENTS)),
        "last_pentest": F.SECURITY["last_pentest"],
    })
    for plan in ("business", "enterprise"):
        for i, t in enumerate(F.SUPPORT["targets"][plan], start=1):
            C[f"{plan}_s{i}"] = t
    for r in F.REGIONS:
        key = r["id"].replace("-", "_")
        C[f"{key}_label"] = region_label(r["id"])
        C[f"{key}_code"] = r["code"]
        C[f"{key}_host"] = r["api_host"]
        C[f"{key}_launched"] = long_date(r["launched"])
        C[f"{key}_city"] = r["city"]
        C[f"{key}_name"] = r["name"]
    for t, T in F.TENANTS.items():
        for k, v in T.items():
            if isinstance(v, (str, int, float)):
                C[f"{t}_{k}"] = num(v)
        C[f"{t}_region_label"] = region_label(T["region"])
        C[f"{t}_region_code"] = region_by_id(T["region"])["code"]
        C[f"{t}_annual_value"] = num(T["seats"] * T["price"] * 12)
        C[f"{t}_list_price"] = num(F.PLANS[T["plan"]]["annual"])
        C[f"{t}_plan_name"] = F.PLANS[T["plan"]]["name"]
        C[f"{t}_tam_name"], C[f"{t}_tam_email"] = T["tam"]
        for i, (name, role, email, phone) in enumerate(T["contacts"], start=1):
            C[f"{t}_c{i}_name"], C[f"{t}_c{i}_role"] = name, role
            C[f"{t}_c{i}_email"], C[f"{t}_c{i}_phone"] = email, phone
        C[f"{t}_term_start_long"] = long_date(T["term_start"])
        C[f"{t}_term_end_long"] = long_date(T["term_end"])
    for k, v in F.OLD.items():
        C[f"old_{k}"] = num(v)
    C["price_change_effective_long"] = long_date(F.PRICING_CHANGE_2024["effective"])
    C["price_change_grandfathered_long"] = long_date(F.PRICING_CHANGE_2024["grandfathered_until"])
    C["api_v1_sunset_long"] = long_date(F.API["v1_sunset"])
    C["old_team_attachment"] = size_label(F.OLD["team_attachment_mb"])
    C["old_business_attachment"] = size_label(F.OLD["business_attachment_mb"])
    C.update(extra or {})
    return C


RAW = raw_values()
CTX = context()

# ---------------------------------------------------------------------------
# Document registry
# ---------------------------------------------------------------------------
DOCS = []


def doc(doc_id, title, category, updated, body, *, tenant="shared", data_class="public",
        old=(), extra=None):
    """Register a page. ``old`` is a list of (version, updated, old_keys, extra) tuples
    describing superseded versions that are rendered from the same body with
    the old facts."""
    DOCS.append({
        "doc_id": doc_id, "title": title, "category": category, "updated": updated,
        "body": textwrap.dedent(body).strip("\n"), "tenant": tenant,
        "data_class": data_class, "old": list(old), "extra": extra or {},
    })

# ===========================================================================
# PUBLIC HELP CENTRE -- pricing
# ===========================================================================

doc("pricing-plans", "Quaywise plans and prices", "pricing", "2024-04-01", """
# Quaywise plans and prices

{product} is priced per user. Anyone who signs in to build forms, review submissions or approve requests takes a seat. People who only fill in your forms, and guests you invite to a single file request, never do.

| Plan | Billed monthly | Billed annually | Seats |
|---|---|---|---|
| Free | $0 | $0 | a handful of people (see the Free plan page) |
| Starter | ${starter_monthly} per user / month | ${starter_annual} per user / month | up to {starter_max_seats} |
| Team | ${team_monthly} per user / month | ${team_annual} per user / month | up to {team_max_seats} |
| Business | ${business_monthly} per user / month | ${business_annual} per user / month | up to {business_max_seats} |
| Enterprise | not available | from ${enterprise_annual} per user / month | {enterprise_min_seats} or more |

Annual prices are quoted as a monthly equivalent but charged once a year, up front. On Team that is ${team_annual_year} per user per year, compared with ${team_monthly_year} if you stay on monthly billing for twelve months. On Starter the yearly figure is ${starter_annual_year}, and on Business ${business_annual_year}.

**How the plans differ.** Starter is for a single team getting its paperwork out of email. Team adds multi-step approvals, built-in integrations with chat and storage tools, and more workspaces. Business adds SAML single sign-on, audit logs and IP allowlisting. Enterprise is sold on an annual contract and adds customer-managed encryption keys, a HIPAA Business Associate Agreement and a named customer success manager.

All prices are in US dollars and exclude sales tax, VAT and GST, which are added at checkout where they apply.{price_note}
""", old=[(1, "2023-11-07", ["starter_monthly", "starter_annual", "team_monthly", "team_annual"],
           {"price_note": ""})],
    extra={"price_note": "\n\n> **Price update.** These prices took effect on 1 April 2024. Subscriptions that started before that date kept their previous price until 30 September 2024."})

doc("pricing-billing-cycles", "Choosing monthly or annual billing", "pricing", "2025-02-03", """
# Choosing monthly or annual billing

Every paid plan except Enterprise can be billed either month to month or once a year. Annual billing costs less — {annual_saving_note} on Team and roughly 15% on Business — in exchange for committing to twelve months.

**An example.** A 20-person Business workspace on monthly billing pays ${business_monthly} per user each month. On annual billing the same workspace pays ${business_annual} per user per month, charged as a single payment of ${business_annual_year} per user for the year.

### Switching from monthly to annual
The switch happens immediately. We credit the unused part of your current month and charge the first year at once, so your renewal date moves to today's date next year.

### Switching from annual to monthly
This takes effect when your current annual term ends. Until then nothing changes. If you need to reduce cost mid-term, removing seats is usually the better lever (see *Adding and removing seats*).

### Enterprise
Enterprise contracts are annual or multi-year only and are invoiced; there is no monthly option.

Billing settings live under **Settings → Billing**, and only the workspace Owner or someone with the Billing admin permission can change them.
""")

doc("pricing-enterprise", "How Enterprise pricing works", "pricing", "2025-03-10", """
# How Enterprise pricing works

Enterprise is the only {product} plan that is not bought by card from the pricing page. It is quoted by our sales team and signed as an order form.

**List price.** Enterprise starts at ${enterprise_annual} per user per month, billed annually, with a minimum of {enterprise_min_seats} seats. The final per-seat price depends on the number of seats, the length of the term (one to three years) and whether you add things like a dedicated region cell.

**What the price includes**

- Quaywise Assist for every seat, at no extra charge
- Customer-managed encryption keys (bring your own key)
- A HIPAA Business Associate Agreement on request
- An uptime commitment of {enterprise_sla}%
- Phone support and a named customer success manager
- Unlimited workspaces, guests and monthly submissions

**Seat changes.** Enterprise customers can add people at any time. Instead of being billed for each addition, seats are reconciled in a {enterprise_true_up} true-up: we compare your highest active seat count in the quarter with the number you bought and invoice the difference pro rata.

**Invoices.** Enterprise is always invoiced, payable by bank transfer within {net_terms_days} days.

To request a quote, write to {sales_email} with your expected seat count and preferred data region.
""", extra={"enterprise_true_up": F.BILLING["enterprise_true_up"]})

doc("pricing-discounts", "Nonprofit and education discounts", "pricing", "2024-11-18", """
# Nonprofit and education discounts

We keep two standing discounts for organisations that do a lot of paperwork on small budgets.

**Registered nonprofits** get {nonprofit_pct}% off the Team and Business plans when billed annually. Charities, community groups and non-governmental organisations qualify if they are registered as non-profit in their country. Political parties and trade associations do not.

**Education** customers get {education_pct}% off Team and Business. This covers accredited schools, colleges and universities, including their individual departments. Education pricing is available on annual and monthly billing.

### How to apply
1. Start on the plan you want, at full price or on a trial.
2. Email {billing_email} from an address on your organisation's domain, attaching proof of status (a registration certificate, tax-exemption letter or accreditation).
3. We review requests within five business days. Once approved, the discount applies from your next invoice; we do not back-date it.

### Good to know
- Discounts do not combine with each other or with promotional codes.
- We ask for fresh proof of status once a year, a month before renewal.
- Enterprise contracts are priced individually, so these percentages do not apply to them.
""")

doc("pricing-add-ons", "Add-ons you can buy with a plan", "pricing", "2025-01-27", """
# Add-ons you can buy with a plan

Some needs don't justify a whole plan upgrade. These add-ons can be switched on from **Settings → Billing → Add-ons** and are billed on the same cycle as your plan.

**Extra storage** — ${addon_storage_pack_price_month} per month for each {addon_storage_pack_gb} GB block. Available on Team, Business and Enterprise. Blocks add to the pooled storage of the whole workspace, not to one person.

**Quaywise Assist** — ${addon_assist_price_user_month} per user per month on Team and Business. Assist drafts forms from a description, summarises long submissions and suggests approval routing. It has to be enabled for every seat in the workspace; you can't buy it for a subset of people. Enterprise includes Assist at no extra cost.

**API capacity pack** — ${addon_api_pack_price_month} per month raises the workspace's API rate limit by {addon_api_pack_rpm} requests per minute. Business and Enterprise only; you can stack several packs.

**Sandbox workspace** — ${addon_sandbox_price_month} per month for a separate, non-production workspace with the same features as your plan, useful for testing workflows and integrations before they go live. Business and Enterprise only.

Removing an add-on takes effect at the end of the current billing period. Storage blocks can only be removed if your usage would still fit without them.
""")

doc("pricing-payments-invoices", "Payment methods, invoices and tax", "pricing", "2024-09-02", """
# Payment methods, invoices and tax

### Ways to pay
Self-serve plans accept Visa, Mastercard and American Express. US customers can also pay by ACH debit, and customers in the euro area by SEPA Direct Debit.

If your annual bill is ${invoice_min_annual} or more, you can ask to pay by invoice instead. Invoices are payable within {net_terms_days} days by bank transfer, and we can add your purchase-order number to them. Enterprise contracts are always invoiced.

### Currencies
Prices are set in US dollars, but you can be billed in {currencies}. The currency is fixed when you first subscribe; to change it later, contact {billing_email}.

### Tax
Prices on our site exclude tax. We add US sales tax, UK and EU VAT, Australian GST and Canadian GST/HST according to your billing address. If you have a VAT or GST number, add it under **Settings → Billing → Tax details** before your next invoice so the reverse-charge rules apply.

### Finding invoices
Every invoice and receipt is emailed to the billing contact and kept under **Settings → Billing → History**, where you can download PDFs going back to the start of your subscription. Owners can add up to three extra billing contacts who receive copies.
""")

doc("pricing-failed-payments", "What happens when a payment fails", "pricing", "2024-09-02", """
# What happens when a payment fails

Cards expire and banks decline things. When a renewal charge fails we don't cut you off straight away; we follow a fixed schedule so you have time to fix it.

| Days after the failed charge | What happens |
|---|---|
| 0 | We email the Owner and billing contacts with a link to update the payment method. |
| {dunning_1}, {dunning_2} and {dunning_3} | We retry the charge automatically. |
| {read_only_after_days} | The workspace becomes read-only. People can still sign in, view and export, but not create forms or accept new submissions. |
| {downgrade_after_days} | The workspace moves to the Free plan. Anything beyond Free's limits is kept but locked. |

Updating the card or paying the outstanding invoice at any point stops the process and restores full access within a few minutes.

Moving to Free never deletes data on its own. Forms over the Free limit are archived rather than removed, and you can unarchive them by upgrading again.

If you pay by invoice, the schedule starts when the invoice becomes overdue, which is {net_terms_days} days after it is issued. Our billing team will usually contact you before the read-only step.
""")

doc("pricing-refunds", "Cancelling and refunds", "pricing", "2024-06-10", """
# Cancelling and refunds

You can cancel a self-serve subscription at any time from **Settings → Billing → Cancel plan**. What happens to your money depends on how you pay.

**Annual plans.** If you cancel within {refund_window_days} days of the purchase date, we refund the full annual charge. After that we don't refund the remaining months, but the workspace keeps its paid features until the end of the term you paid for.

**Monthly plans.** Cancelling stops the next charge. The workspace stays on its plan until the end of the month already paid for; partial months are not refunded.

**Upgrades mid-term** are not refunds: we credit the unused time on your old plan against the new one.

When the paid period ends the workspace moves to the Free plan rather than being deleted. If you want the data gone as well, delete the workspace once the subscription has ended.

Refunds go back to the original payment method and usually arrive within 5 to 10 business days, depending on your bank. Enterprise contracts follow the cancellation terms in the signed order form, not this page.
""")

doc("pricing-free-plan", "The Free plan", "pricing", "2025-04-29", """
# The Free plan

The Free plan is meant for trying {product} properly, or for very small groups with light paperwork. It never expires and needs no card.

**What you get**

- Up to {free_max_seats} members in one workspace
- {free_forms} forms, with up to {free_submissions_month} submissions a month across all of them
- {free_storage_gb_workspace} GB of storage for the whole workspace
- Files up to {free_attachment} each
- API access at {free_api_rpm} requests per minute
- Community forum and help-centre support

Free does not include guests, multi-step approvals, integrations or an uptime commitment.

**Inactive workspaces.** If nobody signs in to a Free workspace for {free_inactive_months} months, we email the Owner and delete the workspace {free_inactive_notice_days} days later unless someone signs in.{free_note}

Upgrading keeps everything: forms, submissions and files carry straight over to the paid plan.
""", old=[(1, "2024-08-12", ["free_max_seats"], {"free_note": ""})],
    extra={"free_note": "\n\n**Member limit change.** From release 5.5 (29 April 2025) new Free workspaces allow three members. Older Free workspaces that already had more keep them, but can't invite anyone else until they are below the limit."})

doc("pricing-trials", "Trying Business free for 14 days", "pricing", "2025-02-17", """
# Trying Business free for {trial_days} days

Every new {product} organisation can trial the Business plan once, for {trial_days} days, without entering card details. The trial includes single sign-on, audit logs and everything else on Business, so it's a good time to test the features you'd be paying for.

**During the trial**

- You can invite up to {trial_max_members} members. If you need more people in the trial, ask {sales_email} and we can usually raise it.
- Usage limits are those of Business, apart from the member cap.
- A banner shows how many days are left.

**When the trial ends** you choose a plan. If you do nothing, the workspace moves to Free. Your forms, submissions and files are kept. Anything above Free's limits — extra forms, members beyond the Free cap, SSO — is locked rather than deleted, and unlocks as soon as you pick a paid plan.

A trial can't be restarted or moved to another workspace, and organisations that have previously paid for {product} aren't eligible.
""")

doc("pricing-seat-changes", "Adding and removing seats", "pricing", "2024-12-02", """
# Adding and removing seats

Your bill follows the number of seats you pay for, not the number of people you've invited at a particular moment. Owners and Billing admins manage seats under **Settings → Billing → Seats**.

**Adding seats** takes effect at once. We charge a pro-rated amount for the rest of the current period — on an annual plan, for the months left until renewal. Inviting someone when every seat is taken prompts the inviter to add a seat, if they have billing rights, or to ask an admin.

**Removing seats** lowers your bill from the next renewal: the next month on monthly billing, the next year on annual billing. You can only remove empty seats, so deactivate or remove the person first. We don't refund part-used periods.

**Plan ceilings.** Starter stops at {starter_max_seats} seats and Team at {team_max_seats}. Going past those means upgrading, which you can do without losing anything. Business goes up to {business_max_seats} seats per organisation; beyond that, talk to us about Enterprise.

**Enterprise** works differently: add people freely and we reconcile the count each quarter.

A person who belongs to several workspaces in the same organisation uses one seat, not one per workspace.
""")

# ===========================================================================
# PUBLIC HELP CENTRE -- limits
# ===========================================================================

doc("limits-overview", "Plan limits at a glance", "limits", "2025-08-26", """
# Plan limits at a glance

This table collects the main usage limits in one place. Each row links to a page with the details: what counts, what happens when you reach the limit, and whether you can buy more.

| Limit | Free | Starter | Team | Business | Enterprise |
|---|---|---|---|---|---|
| Members (seats) | {free_max_seats} | {starter_max_seats} | {team_max_seats} | {business_max_seats} | no maximum |
| Storage | {free_storage_gb_workspace} GB total | {starter_storage_gb_per_seat} GB per seat | {team_storage_gb_per_seat} GB per seat | {business_storage_gb_per_seat} GB per seat | {enterprise_storage} per seat |
| Largest single file | {free_attachment} | {starter_attachment} | {team_attachment} | {business_attachment} | {enterprise_attachment} |
| API requests per minute | {free_api_rpm} | {starter_api_rpm} | {team_api_rpm} | {business_api_rpm} | {enterprise_api_rpm} |
| Submissions per month | {free_submissions_month} | {starter_submissions_month} | {team_submissions_month} | {business_submissions_month} | unlimited |
| Forms | {free_forms} | {starter_forms} | unlimited | unlimited | unlimited |
| Workflow runs per month | {free_workflow_runs_month} | {starter_workflow_runs_month} | {team_workflow_runs_month} | {business_workflow_runs_month} | {enterprise_workflow_runs_month} |
| Guests | none | {starter_guests} | {team_guests} | {business_guests} | unlimited |
| Workspaces | {free_workspaces} | {starter_workspaces} | {team_workspaces} | {business_workspaces} | unlimited |

Storage on paid plans is pooled: the per-seat figure is multiplied by your seat count and shared across the workspace.

Enterprise limits shown here are defaults. Most of them can be raised in the order form.
""")

doc("limits-storage", "How much storage each plan includes", "limits", "2025-01-21", """
# How much storage each plan includes

Storage in {product} is pooled. We multiply your plan's allowance by the number of paid seats and give the whole amount to the workspace, so a heavy uploader can use space that a lighter colleague doesn't need.

| Plan | Allowance |
|---|---|
| Free | {free_storage_gb_workspace} GB for the whole workspace |
| Starter | {starter_storage_gb_per_seat} GB per seat |
| Team | {team_storage_gb_per_seat} GB per seat |
| Business | {business_storage_gb_per_seat} GB per seat |
| Enterprise | {enterprise_storage} per seat |

A Starter workspace with 6 seats, for instance, has {starter_6_seats} GB to share.

**What counts:** files attached to submissions, files collected through file requests, images used in forms, and export archives until they expire. **What doesn't:** the text of submissions, form definitions, version history and audit logs.

**When you run out**, new uploads are refused and the uploader sees a message asking them to contact an admin. Forms keep accepting submissions that have no files, and admins are notified by email.

**Getting more.** Add seats, upgrade, or — on Team and above — buy extra storage in {addon_storage_pack_gb} GB blocks for ${addon_storage_pack_price_month} a month each. Current usage is shown under **Settings → Usage**.
""", old=[(1, "2024-05-13", ["starter_storage_gb_per_seat"], {"starter_6_seats": "30"})],
    extra={"starter_6_seats": num(6 * F.PLANS["starter"]["storage_gb_per_seat"])})

doc("limits-attachments", "File and attachment size limits", "limits", "2024-01-23", """
# File and attachment size limits

There is a maximum size for any single file uploaded to {product}. It is the same whether the file arrives through a form's upload field, a file request, the mobile app or the API, and it depends on the plan of the workspace receiving the file — not the plan of the person sending it.

- **Free:** {free_attachment} per file
- **Starter:** {starter_attachment} per file
- **Team:** {team_attachment} per file
- **Business:** {business_attachment} per file
- **Enterprise:** {enterprise_attachment} per file

Form builders can set a lower limit on an individual upload field, for example to keep scanned receipts small, but never a higher one.

**Blocked file types.** For safety we refuse executables and scripts (such as .exe, .msi, .bat, .cmd, .ps1 and .sh) on every plan. Archives (.zip, .7z) are allowed and scanned like any other file.

**Malware scanning.** Every upload is scanned before anyone can download it. A file that fails the scan is quarantined, and the submitter sees a notice that it was rejected.

If a respondent's upload is too large, they see the limit in the error message and can try a smaller file without losing the rest of their answers.
""", old=[(1, "2023-06-05", ["team_attachment_mb", "business_attachment_mb"], {})])

doc("limits-api-rate", "API rate limits", "limits", "2024-04-30", """
# API rate limits

Requests to the {product} API are limited per access token, per minute. The limit depends on the plan of the workspace the token belongs to.

| Plan | Requests per minute |
|---|---|
| Free | {free_api_rpm} |
| Starter | {starter_api_rpm} |
| Team | {team_api_rpm} |
| Business | {business_api_rpm} |
| Enterprise | {enterprise_api_rpm} |

{headers_sentence}When you go over, the API answers **429** with the error code `rate_limited` and a `Retry-After` header. Back off for at least that long; retrying immediately only extends the lockout.

**Endpoints with their own limits.** A few expensive operations are counted separately, on top of the per-minute limit:

- file uploads: {api_upload_per_minute} per minute
- user invitations: {api_invites_per_hour} per hour
{audit_bullet}- workflow runs started through the API: {api_runs_per_minute} per minute
- exports: {export_concurrent} running at once and {export_per_hour} per hour per workspace

**Need more?** Business and Enterprise workspaces can buy API capacity packs that add {addon_api_pack_rpm} requests per minute each. Creating extra tokens to get around the limit is against our acceptable use policy.
""", old=[(1, "2023-11-07", ["business_api_rpm"], {"headers_sentence": "", "audit_bullet": ""})],
    extra={"headers_sentence": "Every response carries three headers so that you can pace yourself: `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the window resets). ",
           "audit_bullet": f"- audit-event queries: {F.API['audit_per_minute']} per minute\n"})

doc("limits-forms", "Limits on forms, fields and approvals", "limits", "2024-10-21", """
# Limits on forms, fields and approvals

**Number of forms.** Free workspaces can have {free_forms} forms and Starter workspaces {starter_forms}. Team, Business and Enterprise have no cap. Archived forms count toward the cap; forms in the trash don't.

**Fields per form.** A single form can hold up to {max_fields_per_form} fields, including section headers and hidden fields. If you're getting close, it's usually a sign the form should be split into a multi-page form or into two forms joined by a workflow.

**Choices.** A dropdown, checkbox or radio field can list up to 1,000 options. For longer lists, such as cost centres, connect a lookup source instead.

**Approval steps.** An approval chain can have up to {max_approval_steps} steps, each with one or several approvers.

**File requests.** One file request accepts up to {max_files_per_request} files. Each file is still subject to your plan's per-file size limit.

**Text.** Form titles can be 200 characters long, and a long-text answer up to 50,000 characters.

These limits are the same on every plan unless stated otherwise, and Enterprise customers can ask for the field and step limits to be raised for specific forms.
""")

doc("limits-submissions", "Monthly submission allowance", "limits", "2025-03-03", """
# Monthly submission allowance

Each plan comes with a number of form submissions per calendar month, shared by all forms in the workspace:

- Free — {free_submissions_month}
- Starter — {starter_submissions_month}
- Team — {team_submissions_month}
- Business — {business_submissions_month}
- Enterprise — no limit

The counter resets at 00:00 UTC on the first day of each month. Unused submissions don't carry over.

**What counts as a submission?** Each completed response, whether it comes from the web form, the mobile app, an import or the API. Drafts that a respondent saves but never sends don't count, and neither do edits to an existing submission.

**Warnings.** Workspace admins get an email when the workspace has used 80% of its allowance and again at 100%.

**When the allowance runs out**, public forms show a polite "not accepting responses right now" page and the API returns HTTP 402 with the error code `quota_exceeded`. Submissions already received are unaffected, and everything starts working again at the next reset or as soon as you upgrade.

If you regularly hit the ceiling a few days before the month ends, the next plan up is normally cheaper than the lost responses.
""")

doc("limits-workflows", "Workflow automation limits", "limits", "2025-08-26", """
# Workflow automation limits

Workflows run automatically when something happens in a form — a submission arrives, an approval is granted, a file is uploaded — and carry out a series of steps. Each time a workflow is triggered counts as one **run**, however many steps it has.

| Plan | Runs per month |
|---|---|
| Free | {free_workflow_runs_month} |
| Starter | {starter_workflow_runs_month} |
| Team | {team_workflow_runs_month} |
| Business | {business_workflow_runs_month} |
| Enterprise | {enterprise_workflow_runs_month} (can be raised) |

Runs reset on the first of the month, at the same time as submissions.

A single workflow can contain up to 30 steps. Test runs started from the builder with **Dry run** don't count against the allowance.

{overflow_text}
""", old=[(1, "2024-11-04", ["team_workflow_runs_month"], {"overflow_text": (
        "When the monthly runs are used up, new triggers are skipped until the allowance resets, and the form owner "
        "gets an email listing what didn't run. Skipped runs can be started again by hand from the submission.\n\n"
        "Each workflow's run count for the month is shown on its settings page.")})],
    extra={"overflow_text": (
        "When the monthly runs are used up, new triggers are queued rather than dropped. Queued runs wait for up to "
        "7 days and start automatically once the allowance resets or the workspace upgrades; after 7 days they are "
        "discarded and the form owner is notified.\n\n"
        "You can see how many runs each workflow used this month under **Workflows → Usage**.")})

doc("limits-guests", "Guest access and its limits", "limits", "2025-10-14", """
# Guest access and its limits

Guests are people outside your organisation — suppliers, contractors, applicants — whom you invite to take part in specific forms or file requests. They sign in with an email link, see only what they've been given access to, and never take a paid seat.

| Plan | Guests per workspace |
|---|---|
| Free | not available |
| Starter | {starter_guests} |
| Team | {team_guests} |
| Business | {business_guests} |
| Enterprise | no limit |

The limit counts active guests. Removing a guest frees the slot immediately; their past submissions stay in the workspace.

**What guests can do:** fill in forms assigned to them, upload to file requests, see and edit their own submissions while a form allows edits, and comment when you mention them.

**What they can't do:** browse other forms, see other people's submissions, export data or join approval chains as approvers.

Guest sign-in links are valid for one hour. Admins can require guests to use two-step verification from **Settings → Security**.
""")

doc("limits-workspaces", "How many workspaces you can create", "limits", "2024-07-08", """
# How many workspaces you can create

An organisation in {product} can hold several workspaces — for example one for HR and one for Finance — each with its own forms, members and settings. Billing stays at the organisation level.

- **Free:** {free_workspaces} workspace
- **Starter:** {starter_workspaces} workspace
- **Team:** {team_workspaces} workspaces
- **Business:** {business_workspaces} workspaces
- **Enterprise:** as many as you need

Seats are counted across the whole organisation. Someone who is a member of three workspaces uses one seat, not three.

**When to split.** Separate workspaces make sense when groups need different admins, different data regions or strict separation of submissions. If you only want to organise forms, folders inside one workspace are lighter.

**Moving forms between workspaces.** Owners and Admins can move a form, with its submissions and files, to another workspace in the same organisation. Workflows that reference other forms need to be reconnected after the move.

To create a workspace, open the workspace switcher in the top-left corner and choose **New workspace**. The option is greyed out once you've reached your plan's limit.
""")

# ===========================================================================
# PUBLIC HELP CENTRE -- how-to articles
# ===========================================================================

doc("help-getting-started", "Getting started with Quaywise", "help", "2025-06-02", """
# Getting started with {product}

{product} replaces the forms, email threads and shared folders that most teams use to collect requests and get them signed off. This page walks you through the first half hour.

**1. Create your workspace.** Sign up at {app_url} with your work email. You'll be asked for an organisation name and, on paid plans, the data region where your workspace will live. Choose carefully: the region can't be changed later without a migration.

**2. Build a first form.** Open **Forms → New form** and pick a template or start blank. Drag fields in from the left panel. Conditional logic, calculations and file uploads are all under **Add field**.

**3. Add an approval.** If requests need a sign-off, open the form's **Workflow** tab and add an approval step. You can add more steps and parallel approvers later.

**4. Publish and share.** Publishing gives you a link, an embed code and a QR code. Internal forms can be restricted to signed-in members.

**5. Invite your colleagues.** Go to **Settings → Members** and invite people by email, choosing a role for each.

That's enough to run real requests. When you're ready, connect Slack or Microsoft Teams so approvers get notified where they already work, and look at the templates gallery for ideas.
""")

doc("help-invite-members", "Inviting people to your workspace", "help", "2025-03-17", """
# Inviting people to your workspace

Owners and Admins can invite members; on Team and above, Editors can too if an admin has switched on **Let editors invite**.

### Invite by email
1. Go to **Settings → Members** and select **Invite**.
2. Enter one address per line — you can paste up to 50 at a time.
3. Choose a role. Everyone invited together gets the same role; you can change it afterwards.
4. Send. Each person gets an email with a link that stays valid for 10 days.

### Invite with a link
A shareable invite link lets anyone with an address on an approved domain join as a Contributor. Turn it on under **Settings → Members → Invite link** and list the domains you trust. Disable the link when you're done.

### If the invite doesn't arrive
Ask the person to check spam and any quarantine their mail provider uses, then use **Resend** next to their name. Invitations come from a no-reply address on quaywise.example.

### Seats
Each accepted invitation uses a seat. If all seats are taken, the invite is held until an admin adds a seat. Guests are invited from the form or file request itself and don't use seats.

Admins can also add people automatically through SAML just-in-time provisioning or SCIM on plans that include them.
""")

doc("help-roles", "Roles and permissions", "help", "2024-12-16", """
# Roles and permissions

Every member of a workspace has exactly one role. Roles are additive: each one can do everything the role below it can.

| Role | What they can do |
|---|---|
| **Owner** | Everything, including billing, deleting the workspace and transferring ownership. |
| **Admin** | Manage members, security settings, integrations and every form. |
| **Editor** | Create and edit forms and workflows, see submissions to forms they edit. |
| **Contributor** | Submit forms, approve steps assigned to them, see their own submissions. |
| **Viewer** | Read submissions and reports they've been given access to. Cannot submit or approve. |
| **Guest** | Outside person with access to specific forms or file requests only. Not a seat. |

A workspace must always have at least one Owner, and can have several. Contributors and Viewers both use a seat.

**Form-level permissions.** On Team and above, you can override roles per form — for example, to let a Contributor see every submission to the expense form, or to hide a sensitive HR form from other Editors.

**Billing admin.** This is a permission, not a role: an Admin with it can change the plan and payment details without being an Owner.

Changes to roles take effect at the person's next page load. On Business and Enterprise, every role change is written to the audit log.
""")

doc("help-sso", "Setting up SAML single sign-on", "help", "2025-02-10", """
# Setting up SAML single sign-on

Business and Enterprise workspaces can let people sign in through your identity provider (IdP) using SAML 2.0. We've tested the setup with Okta, Microsoft Entra ID, Google Workspace and OneLogin; any IdP that follows the standard should work.

### Before you start
You need to be a workspace Owner or Admin, and someone who can create an application in your IdP. Verify your email domain first under **Settings → Domains**.

### Steps
1. In {product}, open **Settings → Security → Single sign-on** and copy the ACS URL and Entity ID.
2. Create a SAML application in your IdP using those values. Send the user's email address as the NameID.
3. Paste the IdP's metadata URL (or upload its XML) back in {product}.
4. Click **Test connection** and sign in with a test account.
5. When the test works, choose whether SSO is *optional* or *required*.

### Required SSO
Once SSO is required, members on your verified domains can no longer use passwords. Keep at least one Owner account outside SSO as a break-glass login in case your IdP is unavailable; {product} will warn you if there isn't one.

### Just-in-time provisioning
Turn this on to create a member automatically the first time someone from your domain signs in through the IdP. New members get the Contributor role unless you map an IdP group to another role. For full lifecycle management, use SCIM.
""")

doc("help-scim", "Provisioning users with SCIM", "help", "2025-02-25", """
# Provisioning users with SCIM

SCIM lets your identity provider create, update and deactivate {product} members for you. When someone leaves your company and is disabled in the IdP, their access to {product} ends too — no one has to remember to remove them.

**Availability.** SCIM 2.0 provisioning is included on Enterprise and, since release 5.3, on Business. SAML single sign-on must be set up first.

### Setting it up
1. Go to **Settings → Security → Provisioning** and generate a SCIM token. It is shown once, so store it in your IdP straight away.
2. In your IdP, enable provisioning for the {product} application with the base URL shown on the same page and the token.
3. Assign users and groups. They appear in {product} within a few minutes.

### What syncs
- Name, email address and active/inactive state
- Group membership, which you can map to {product} roles (for example, *Finance Approvers* → Editor)

### Deprovisioning
Deactivating a user in the IdP suspends them in {product}. A suspended member can't sign in, and their seat becomes free straight away. Their forms and submissions remain; an admin can transfer ownership of their forms from the member list.

If you rotate the SCIM token, update it in the IdP at once — provisioning pauses until the new token is in place.
""")

doc("help-two-factor", "Two-step verification", "help", "2024-10-28", """
# Two-step verification

Two-step verification (2SV) asks for a second proof of identity after your password. Even if someone learns your password, they can't sign in without it.

### Methods we support
- **Authenticator app** — any app that produces six-digit TOTP codes.
- **Security key or passkey** — hardware keys and platform passkeys that support WebAuthn.

You can register several methods and choose which to use at each sign-in.

### Turning it on for yourself
Open your avatar menu, go to **Account → Security → Two-step verification** and follow the prompts. At the end you'll get 10 single-use recovery codes. Store them somewhere safe and separate from your phone.

### Requiring it for everyone
On Team, Business and Enterprise, Owners and Admins can require 2SV for the whole workspace under **Settings → Security**. Members who haven't set it up are asked to do so at their next sign-in and can't continue until they have. If your workspace uses required SAML SSO, 2SV is handled by your identity provider instead.

### Lost your device?
Use a recovery code. If you've run out, a workspace Owner can reset your 2SV, or you can follow the account recovery process described in *Locked out of your account*.
""")

doc("help-password-policy", "Password requirements", "help", "2024-02-27", """
# Password requirements

If your workspace doesn't use single sign-on, members sign in with an email address and password. Passwords must:

- be at least {password_min_length} characters long;
{breach_bullet}- not be the same as your email address or contain your name.

There are no rules about mixing upper case, digits and symbols. Length matters much more than complexity, so a passphrase of several unrelated words is a good choice.

**We never ask you to change your password on a schedule.** Forced rotation tends to produce weaker passwords. We'll only ask you to change it if we detect that it may have been exposed.

**After five failed attempts** the account is locked for 15 minutes, and the owner of the account gets an email.

Passwords are stored as salted hashes and can't be read by anyone at {company}. If you forget yours, use **Forgot password** on the sign-in page; the reset link is valid for one hour.

Admins who want stronger control — longer passwords, device checks, conditional access — should use SAML single sign-on and enforce those rules in their identity provider.
""", old=[(1, "2023-05-15", ["password_min_length"], {"breach_bullet": ""})],
    extra={"breach_bullet": "- not appear in lists of passwords exposed in known data breaches (we check a hashed prefix, so your password never leaves your browser in full);\n"})

doc("help-sessions", "Sign-in sessions and automatic sign-out", "help", "2025-02-25", """
# Sign-in sessions and automatic sign-out

When you sign in to {product} in a browser or app, we create a session so that you don't have to sign in on every visit.

**Idle timeout.** A session ends after {session_idle_days} days without any activity. Using {product} at least once during that period keeps you signed in.

**Custom timeouts.** On Business and Enterprise, admins can shorten the idle timeout for the whole workspace, to anything from 15 minutes up to {session_idle_days} days, under **Settings → Security → Sessions**. Organisations handling sensitive records often choose a few hours.

**Seeing your sessions.** Under **Account → Security → Active sessions** you can see each device and browser that's signed in, with its approximate location and last activity, and sign any of them out. **Sign out everywhere** ends all sessions except the current one.

**When we end sessions for you.** Changing your password, resetting two-step verification, or being suspended by an admin signs you out of every device immediately.

The mobile apps follow the same idle timeout. If your admin requires a shorter timeout, the app asks you to sign in again rather than quietly refreshing the session.
""", old=[(1, "2024-01-08", ["session_idle_days"], {})])

doc("help-trash", "Restoring deleted forms and files", "help", "2024-07-16", """
# Restoring deleted forms and files

Deleting a form, submission, folder or file in {product} doesn't erase it straight away. It goes to the workspace trash first.

**How long items stay.** Items remain in the trash for {trash_days} days from the moment they were deleted. After that they're permanently removed and can't be brought back, by you or by us.

**Restoring.** Open **Trash** from the left sidebar, select what you want back and choose **Restore**. The item returns to its original folder with its history, comments and approvals intact. Restoring a form also restores the submissions that were deleted together with it.

**Who can restore.** Editors can restore what they deleted themselves. Admins and Owners can restore anything in the workspace.

**Emptying the trash.** Admins can permanently delete items before the {trash_days} days are up — useful when something was uploaded by mistake and must not be kept. This can't be undone.

Deleted items don't count against your form limit, but deleted files still count against storage until they leave the trash.

If a whole workspace was deleted, the trash isn't available; see *Deleting a workspace* for the separate recovery window.
""")

doc("help-exporting", "Exporting your data", "help", "2024-12-10", """
# Exporting your data

You can export submissions from any form at any time, on every plan. Your data is yours, and we want leaving {product} to be as easy as joining.

### Formats
- **CSV** and **Excel (XLSX)** — one row per submission, one column per field.
- **JSON** — the full structure, including approvals and comments.
- **PDF bundle** — one PDF per submission, zipped.

### How to export
Open the form, go to **Submissions**, filter if you like, and choose **Export**. Tick *Include files* to add uploaded attachments to the archive.

Small exports download straight away. Larger ones are prepared in the background; we email you when the file is ready. The download link is valid for {export_link_expiry}, after which you'll need to run the export again. A single archive can be up to {export_max_gb} GB; bigger exports are split into numbered parts.

### Limits
A workspace can run {export_concurrent} exports at once and {export_per_hour} per hour. Admins can export the whole workspace from **Settings → Data → Export everything**.

### Who can export
Editors can export forms they edit; Admins and Owners can export anything. On Business and Enterprise, every export is recorded in the audit log, and admins can turn off exports for specific roles.
""", old=[(1, "2024-04-15", ["export_link_expiry"], {})])

doc("help-importing", "Importing responses from a spreadsheet", "help", "2025-07-29", """
# Importing responses from a spreadsheet

Moving from another tool, or from a shared spreadsheet? You can bring existing responses into a {product} form so that all your history lives in one place.

**Supported files.** CSV (UTF-8) and Excel (.xlsx). One file can hold up to {csv_import_rows} rows and be up to {csv_import_mb} MB. Split larger files and import them one after another.

### Steps
1. Create the form first, with fields for every column you want to keep.
2. Open the form's **Submissions** tab and choose **Import**.
3. Upload the file. We read the header row and suggest a field for each column; adjust the mapping where we guessed wrong.
4. Pick what to do with rows that fail validation: skip them, or import them flagged for review.
5. Start the import. You'll get an email summary when it finishes.

### Things to know
- Imported rows count toward your monthly submission allowance.
- Dates are read as ISO 8601 (2025-03-14) or in the format you choose on the mapping screen.
- Files can't be imported from a spreadsheet; attach them afterwards or use the API.
- Workflows don't run on imported submissions unless you tick **Run workflows**. Be careful with this on large imports — it can use up your monthly workflow runs quickly.

An import can be undone for 24 hours from the import history, which deletes every row it created.
""")

doc("help-integrations", "Connecting Slack, Teams and other apps", "help", "2025-05-12", """
# Connecting Slack, Teams and other apps

Integrations bring {product} into the tools your team already uses. Built-in integrations are available on Team, Business and Enterprise; Free and Starter can still use webhooks and the API.

**Built-in integrations:** {integrations}.

### Chat (Slack and Microsoft Teams)
Approvers get a message with the submission summary and **Approve** / **Reject** buttons, so most sign-offs never need a browser. Form owners can also post new submissions to a channel. Connect from **Settings → Integrations**; an admin of your chat tool may have to approve the app.

### File storage (Google Drive and Dropbox)
Send uploaded files, or a PDF of each completed submission, to a folder you choose. Folder paths can include field values, such as `/Invoices/{{supplier}}/{{month}}`.

### CRM (Salesforce)
Create or update a record when a submission arrives, mapping form fields to object fields. The Salesforce connector needs a Salesforce edition with API access.

### Zapier
Use {product} triggers and actions in Zapier to reach thousands of other tools.

Integration actions count as workflow runs. If an integration stops working — usually because the person who connected it left or lost access — the form owner gets an email and the integration shows a red warning until someone reconnects it.
""")

doc("help-mobile", "Quaywise on iPhone and Android", "help", "2025-05-05", """
# {product} on iPhone and Android

The mobile apps are built for people who fill in forms away from a desk: site inspections, deliveries, field visits.

**Requirements.** iPhone and iPad with iOS {ios_min} or later; Android phones and tablets with Android {android_min} or later. Both apps are free and work with every plan.

### Working offline
Forms you've opened recently are kept on the device, so you can fill them in without signal. Finished submissions are queued and sent automatically when the device reconnects. Up to {offline_queue} submissions can wait in the queue at once. A banner shows how many are pending; don't sign out while it's showing, or the queue is discarded.

Offline mode doesn't cover approvals or anything that needs fresh data from the server, such as lookups against other forms.

### Photos and files
You can attach photos straight from the camera. Large videos are uploaded once you're on Wi-Fi if you switch on **Upload large files on Wi-Fi only**.

### Approvals on the go
Approvers see their queue under **Tasks** and can approve or reject with a comment. Push notifications can be tuned under **Settings → Notifications** in the app.

If your admin has set a short session timeout, the app will ask you to sign in again more often than you might expect; that's intended.
""")

doc("help-desktop-app", "Desktop app for Mac and Windows", "help", "2025-09-23", """
# Desktop app for Mac and Windows

The desktop app gives you {product} in its own window, with native notifications and a system-wide shortcut to open your task list. Everything you can do in the browser works in the app.

**Current version:** {desktop_version}, released alongside {product} 5.10.

**System requirements**
- macOS {macos_min} or later, on Apple silicon or Intel
- Windows {windows_min} or 11, 64-bit

### What's new in {desktop_version}
- Rebuilt on a newer engine: the app starts about twice as fast and uses less memory.
- Drag files from your desktop straight onto a form upload field or a file request.
- A menu-bar (macOS) or system-tray (Windows) icon shows how many approvals are waiting for you.

### Installing for a whole organisation
IT teams can deploy the app with an MSI package on Windows or a signed PKG on macOS, both from **Settings → Downloads**. Managed settings let you pre-set the sign-in domain and turn off automatic updates if you prefer to control versions yourself.

### Updates
By default the app updates itself in the background and applies the update on the next restart. Version 1.x is still supported until 31 March 2026, but receives only security fixes.
""")

doc("help-browsers", "Supported browsers", "help", "2025-01-06", """
# Supported browsers

{product} works in the current and previous major versions of:

- Google Chrome
- Mozilla Firefox
- Apple Safari (macOS and iPadOS)
- Microsoft Edge

Other browsers built on the same engines usually work but aren't tested. Internet Explorer isn't supported in any version.

**Respondents are treated more generously.** People filling in a public form don't need a supported browser. Published forms are tested back to browser versions about three years old and work without JavaScript for simple forms, although file uploads and conditional logic need it.

### If something looks wrong
1. Make sure the browser is up to date.
2. Try a private window. If the problem disappears, a browser extension — often an ad blocker or a password manager — is interfering.
3. Check that your network allows connections to `*.quaywise.example`, including WebSocket connections, which we use for live updates.

If none of that helps, send support a screenshot and the version number from your browser's *About* page.

Cookies must be enabled for signing in. We use only the cookies described in our cookie notice.
""")

doc("help-support-hours", "Support hours and channels by plan", "help", "2025-05-27", """
# Support hours and channels by plan

How you reach us, and when a person will be there to answer, depends on your plan.

**Free** — the community forum at {community_url} and this help centre. Our staff read the forum, but there's no guaranteed reply.

**Starter** — email, {starter_support_hours}. First reply within {starter_first_response}.

**Team** — email and in-app chat, {team_support_hours}. First reply within {team_first_response}.

**Business** — email, in-app chat and scheduled calls, {business_support_hours}. Response times depend on severity and are listed in the support policy.

**Enterprise** — everything above plus phone support and a named customer success manager. Severity 1 incidents are handled 24/7; everything else 24/5.

Outside hours, messages are queued and answered in order of severity when the team is back. Severity 1 issues on Enterprise page our on-call engineer at any hour.

We're closed on 25 December and 1 January. Holiday hours are posted on the status page a week ahead.

Whatever your plan, security vulnerabilities go to {security_email} and are read around the clock.
""", old=[(1, "2024-10-01", ["business_support_hours"], {})])

doc("help-contact-support", "How to contact support", "help", "2025-04-14", """
# How to contact support

The fastest route depends on your plan (see *Support hours and channels by plan*), but a few things make every ticket quicker to resolve.

### Where to write
- **In-app chat:** the speech-bubble icon at the bottom right, on Team and above.
- **Email:** {support_email} from the address you use to sign in.
- **Phone (Enterprise):** {support_phone}. Have your workspace ID ready.

### What to include
- Your **workspace ID** (under **Settings → General**, it starts with `ws_`).
- What you expected and what happened instead, with a screenshot if it's visual.
- For API problems, the **X-Request-Id** header from the failing response. With it we can find the exact request in our logs.
- How many people are affected and whether there's a workaround.

### Choosing a severity
- **Severity 1:** {product} is unavailable or unusable for your whole workspace, with no workaround.
- **Severity 2:** an important feature is broken for many people.
- **Severity 3:** a problem with a workaround, or one affecting a few people.
- **Severity 4:** questions and feature requests.

Please don't mark a question as Severity 1 — it sends an engineer's phone off at night. We'll adjust the severity if it doesn't match the description.

Support staff can't see your data unless you grant temporary access from the ticket; any access is logged.
""")

doc("help-status-page", "Checking service status", "help", "2024-11-25", """
# Checking service status

If {product} seems slow or unavailable, check {status_url} before anything else. It shows the live state of every component in every region, and it's hosted separately from {product}, so it stays up when we don't.

**Components.** Each region has its own rows for the web app, the API, file uploads, email notifications, webhooks and integrations. A problem in EU Central doesn't necessarily affect US East.

**Subscribing.** Select **Subscribe** to get updates by email, SMS, RSS or a Slack channel. You can choose only the regions and components you care about.

**Incidents.** While an incident is open we post an update at least every 30 minutes. Within five business days of a major incident we publish a summary of what happened and what we're changing.

**Planned maintenance.** Routine maintenance happens in the window {sla_maintenance_window}. We announce it on the status page at least {sla_maintenance_notice_hours} hours in advance, and it never exceeds {sla_maintenance_max_hours_month} hours in a month. Most maintenance causes no downtime at all.

**Uptime history.** The page shows 90 days of history per component. Customers with an uptime commitment can request a monthly availability report from support.
""")

doc("help-delete-workspace", "Deleting a workspace", "help", "2025-01-13", """
# Deleting a workspace

Deleting a workspace removes its forms, submissions, files, workflows and members' access. Only an Owner can do it.

### Before you delete
- **Export anything you need.** After the recovery window, nothing can be brought back.
- **Cancel the subscription** if this is your organisation's only workspace. Deleting a workspace doesn't cancel billing by itself.
- **Tell your members.** They'll lose access immediately.

### How to delete
Go to **Settings → General → Delete workspace**, type the workspace name to confirm, and enter your password or sign in again through SSO.

### Recovery window
For {workspace_recovery_days} days after deletion, the workspace can be restored in full by contacting support from the Owner's email address. During that time it's invisible and inaccessible to everyone.

### What happens after that
Once the recovery window ends, the data is permanently erased from our primary storage within {purge_primary_days} days. Encrypted backups that contain it expire on their normal schedule, {backup_retention_days} days after they were taken, and are never restored into a live system just to bring back a deleted workspace.

Audit logs for the workspace are deleted with it. If you're required to keep them, export them first from **Settings → Security → Audit log**.
""")

doc("help-transfer-ownership", "Transferring workspace ownership", "help", "2024-08-19", """
# Transferring workspace ownership

People change jobs, and the person who created your {product} workspace isn't always the right Owner forever. Any Owner can pass ownership to someone else.

### Making someone an Owner
The simplest approach is to add a second Owner rather than transfer: open **Settings → Members**, select the person and change their role to **Owner**. A workspace can have several Owners, and each has full control.

### Transferring and stepping down
1. Go to **Settings → General → Transfer ownership**.
2. Choose a current member. They must have a confirmed email address and two-step verification or SSO.
3. The new Owner receives an email and has {transfer_ownership_hours} hours to accept. Until then nothing changes.
4. Once accepted, you become an Admin. You can then leave the workspace or be removed.

### If the Owner has left the company
If the only Owner's account is gone and nobody can sign in as them, contact support from an email address on the workspace's verified domain. We'll ask for proof of authority — usually a letter on company letterhead from a director — and complete the transfer within five business days.

Billing details stay with the workspace, not the person. Check that the billing contact is still correct after a transfer.
""")

doc("help-custom-domains", "Publishing forms on your own domain", "help", "2025-04-07", """
# Publishing forms on your own domain

Public forms normally live at addresses like `forms.quaywise.example/acme/expense-claim`. On Business and Enterprise you can serve them from a domain you own instead, such as `forms.acme.com`, which respondents tend to trust more.

### Setting it up
1. Go to **Settings → Branding → Custom domain** and enter the subdomain you want to use.
2. In your DNS provider, create a CNAME record pointing that subdomain to `custom.quaywise.example`.
3. Back in {product}, select **Verify**. DNS changes can take a while to spread; we check again automatically every few minutes for 72 hours.
4. Once the record is found, we issue a TLS certificate for the domain. This usually takes under an hour, and we renew it automatically.

### Good to know
- One custom domain per workspace. Enterprise customers can ask for more.
- Use a subdomain, not the root of your domain (`acme.com` itself can't be used).
- Old links on `forms.quaywise.example` keep working and redirect to the new domain.
- If the CNAME is removed, forms fall back to the default address within a day.

Email notifications sent to respondents can also come from your domain; see *Branding your forms* for the sender-domain setup.
""")

doc("help-branding", "Branding your forms", "help", "2024-06-24", """
# Branding your forms

Make forms look like they come from you rather than from us.

### Logo and colours
Under **Settings → Branding**, upload a logo (PNG or SVG, at most 2 MB) and choose an accent colour and a background. These apply to every public form in the workspace. Individual forms can override them from the form's **Design** tab — handy when different departments use different sub-brands.

### The "Powered by" footer
Forms on Free and Starter show a small *Powered by {product}* footer. Team and above can hide it.

### Emails to respondents
Confirmation emails use your logo and colours automatically. On Team and above you can edit the subject and body of each email, insert answers from the submission, and set a reply-to address.

On Business and Enterprise you can send those emails from your own domain. Add the SPF and DKIM records shown under **Settings → Branding → Sender domain**, then verify. Until the records check out, mail is sent from our address with your reply-to.

### Accessibility
We warn you when the colours you choose don't meet contrast requirements, because low contrast makes forms hard to read for many respondents. You can still save the colours, but we recommend following the suggestion.
""")

doc("help-approvals", "Building approval chains", "help", "2025-06-02", """
# Building approval chains

An approval chain decides who has to sign off a submission, in what order, before it's complete. Build it on the form's **Workflow** tab.

### Steps and approvers
A chain can have up to {max_approval_steps} steps. Each step has one or more approvers and a rule:

- **Any one** — the first approver to decide settles the step.
- **Everyone** — all approvers must approve; a single rejection rejects the step.
- **Majority** — more than half must approve.

Approvers can be fixed people, a role, a group synced from your identity provider, or someone chosen from an answer on the form (such as *Your manager*).

### Conditions
Skip steps based on answers: for example, only send purchases above 5,000 to Finance. Conditions use the same editor as conditional logic in forms.

### Reminders and escalation
Set a reminder after a number of hours, and an escalation that reassigns the step to a backup approver if nobody has acted after a number of days.

### Delegation
Approvers going on holiday can delegate their approvals to a colleague for a date range from their profile. Delegated decisions are labelled with both names.

Multi-step approvals are available on Team and above. Free and Starter support a single approval step.
""")

doc("help-file-requests", "Collecting files with file requests", "help", "2024-09-30", """
# Collecting files with file requests

A file request is a simple upload page: you tell people what you need, they drop their files in, and the files land in {product} with a record of who sent what. It's the easiest way to collect contracts, certificates or photos from people outside your organisation.

### Creating a request
Go to **Files → New file request**, write instructions, and optionally:
- set a due date, after which the request closes;
- require uploaders to give their name and email address;
- restrict accepted file types, such as PDF only;
- name an owner who gets notified of each upload.

### Limits
One request accepts up to {max_files_per_request} files in total. Each file must fit within the per-file size limit of your plan — {team_attachment} on Team, {business_attachment} on Business — and all files count toward workspace storage.

### Sharing
Share the link, or invite specific guests so each person sees only their own uploads. Anonymous links are handy for one-off collections; guest invitations are better when you need to know exactly who sent each file.

### After the upload
Files are scanned for malware before anyone can open them. You can move them into a folder, attach them to a submission, or send them to Google Drive or Dropbox automatically with an integration.
""")

doc("help-notifications", "Email and push notifications", "help", "2024-05-20", """
# Email and push notifications

{product} tells you when something needs your attention — and tries hard not to tell you about anything else.

### What you're notified about by default
- An approval is waiting for you.
- A submission you made was approved, rejected or commented on.
- Someone mentions you in a comment.
- A form you own receives a submission (as a daily digest, not one email each).

### Changing your preferences
Open **Account → Notifications**. For each type you can choose email, push (mobile and desktop apps), both, or neither. Approval requests can't be switched off entirely — if you don't want them, ask to be removed as an approver.

### Quiet hours
Set quiet hours to hold push notifications overnight or at weekends. Emails still arrive but without push alerts; anything held is summarised when quiet hours end.

### Digests
Instead of individual emails, you can receive a digest once a day or once a week. Digests arrive at 8:00 in your profile's time zone.

### For admins
Admins can set workspace defaults for new members and can require approval notifications by email for compliance reasons. They can't read anyone's notification settings beyond that.

Email notifications come from notifications@quaywise.example. If they're going to spam, ask your IT team to allow that address.
""")

doc("help-templates", "Starting from a template", "help", "2024-03-11", """
# Starting from a template

Most forms that teams need have been built thousands of times before. The template gallery gives you a working starting point, including fields, conditional logic and a sensible approval chain, so you only need to adapt it.

### Finding templates
Choose **Forms → New form → Browse templates**. The gallery is grouped by department — HR, Finance, Operations, IT, Legal, Facilities — and you can search by name. Popular ones include expense claims, leave requests, purchase requests, equipment checkout, visitor sign-in, incident reports and supplier onboarding.

### Using a template
Select **Use template** to copy it into your workspace. From then on it's your form: changes you make don't affect the template, and later updates to the template don't change your form.

### Your own templates
On Team and above, any form can be saved as a workspace template from its **…** menu. Workspace templates appear at the top of the gallery for everyone in the workspace, which helps keep forms consistent across departments.

### Sharing between workspaces
Enterprise customers can publish templates to every workspace in the organisation and lock certain fields so they can't be removed — useful for consent statements and other wording that legal has approved.

Templates never include submissions, files or member data, only the form design and its workflow.
""")

doc("help-accessibility", "Accessibility of Quaywise and your forms", "help", "2025-09-23", """
# Accessibility of {product} and your forms

We want everyone to be able to fill in a {product} form and to do their job in {product}, whatever assistive technology they use.

**Our target** is {wcag} for published forms and for the main application. Public forms are tested with NVDA and JAWS on Windows, VoiceOver on macOS and iOS, and TalkBack on Android, as well as by keyboard alone.

**Our conformance report.** An Accessibility Conformance Report (VPAT 2.5) is available from the trust portal at {trust_url}. It lists the few places where we don't yet fully meet the standard, with our plan for each.

### What release 5.10 improved
- Every error message on a form is announced by screen readers and linked to its field.
- Focus order in the form builder now follows the visual order.
- Approval screens can be completed with the keyboard alone, including the comment box.

### What you can do as a form builder
- Give every field a clear label; don't rely on placeholder text.
- Keep the contrast warnings we show you in **Design** — they're there for a reason.
- Add alternative text to images in your forms.
- Avoid time limits on forms unless they're essential.

If you find an accessibility barrier, tell us at {support_email} with "Accessibility" in the subject line. These reports go straight to the product team.
""")

doc("help-conditional-logic", "Showing and hiding questions with conditional logic", "help", "2023-12-12", """
# Showing and hiding questions with conditional logic

Conditional logic keeps forms short by showing people only the questions that apply to them.

### Kinds of rules
- **Show/hide a field** — e.g. show *Flight number* only when *Travel type* is *Air*.
- **Skip to a page** — jump past whole sections in multi-page forms.
- **Require a field** — make *Reason* required only when *Amount* is over a threshold.
- **Set a value** — fill in a hidden field, such as a cost centre, from other answers.

### Building a rule
Select a field, open **Logic**, and choose **Add rule**. Rules read like sentences: *When* [field] [is / is not / contains / is greater than] [value] *then* [action]. Combine conditions with *all of* or *any of*.

A field can have up to 50 rules, which is far more than most forms need. If you find yourself writing dozens, consider splitting the form.

### Testing
Use **Preview** and the *Logic debugger* panel, which shows which rules fired and why, as you fill in the form.

### Hidden fields and data
Answers to fields that end up hidden are discarded when the form is submitted, so respondents can't accidentally send information for a branch they backed out of. If you need to keep them, turn on **Keep hidden answers** in the form's settings.

The rule editor described here arrived with release 4.1 and replaced the older one-condition-per-field editor.
""")

doc("help-e-signatures", "Collecting e-signatures", "help", "2025-07-29", """
# Collecting e-signatures

Since release 5.8, a form can ask respondents and approvers to sign electronically, so that contracts, consent forms and declarations can be completed entirely inside {product}.

**Availability:** Team, Business and Enterprise.

### Adding a signature
Add a **Signature** field to the form. Signers can type their name (rendered in a handwriting font) or draw with a mouse, finger or stylus. You can also add a signature to an approval step so that the approver signs as they approve.

### The signed document
When every required signature is in place, {product} produces a PDF of the submission with each signature, the signer's name and email, the date and time in UTC, and their IP address. A final page — the certificate of completion — lists every event from the first view to the last signature, along with a SHA-256 fingerprint of the document. Any later edit to the submission invalidates the fingerprint.

### Legal standing
Simple electronic signatures like these are accepted for most business documents in the US, UK, EU and Canada. Some documents, such as certain property transfers or notarised deeds, need a different kind of signature. If you're unsure, check with your legal team.

Signed PDFs are stored with the submission and count toward storage. They can be sent to Google Drive or Dropbox automatically.
""")

doc("help-languages", "Interface languages and multilingual forms", "help", "2025-01-20", """
# Interface languages and multilingual forms

### The {product} interface
The app is available in {ui_language_count} languages: {ui_languages}. Each person chooses their own under **Account → Preferences → Language**; by default we follow your browser.

### Forms in more than one language
Forms are separate from the interface. A form can have one main language and any number of translations:

1. Open the form's **Settings → Languages** and add a language.
2. Translate each field label, help text and choice. You can export the strings as a spreadsheet for a translator and import them back.
3. Publish. Respondents see the form in their browser's language if you have a translation, and can switch with the language menu at the top.

Submissions are stored with the original field names no matter which language was used, so reports and exports stay consistent. Each submission records the language the respondent used.

### Emails
Confirmation emails are sent in the language the respondent used, provided the email has a translation too.

### Machine translation
Workspaces with Quaywise Assist can draft translations automatically. Drafts are marked as unreviewed until someone approves them.
""")

doc("help-account-recovery", "Locked out of your account", "help", "2024-11-11", """
# Locked out of your account

Here's what to try, in order, if you can't sign in.

**Forgot your password?** Use **Forgot password** on the sign-in page. The reset link is valid for one hour and works once.

**Lost your two-step verification device?** Enter one of your recovery codes instead of a code from the app. Each code works once. After signing in, set up 2SV on your new device and generate new codes.

**No recovery codes left?** Ask an Owner of your workspace to reset your 2SV from **Settings → Members**. You'll be asked to set it up again at your next sign-in.

**You're the only Owner and you're locked out.** Contact {support_email} from the email address on the account. To protect your workspace, we verify your identity before making changes: expect a video call with our support team and questions about the workspace that only an Owner would know. This normally takes up to 2 business days. We never reset access based on an email alone.

**Your workspace uses SSO.** Sign-in problems are handled by your own IT team through your identity provider. {product} support can't bypass SSO.

**Account locked after failed attempts.** Wait 15 minutes and try again, or reset your password.
""")

doc("help-quaywise-assist", "Using Quaywise Assist", "help", "2025-01-27", """
# Using Quaywise Assist

Quaywise Assist is the AI helper inside {product}, introduced in release 5.0. It does three things.

**Draft forms.** Describe what you need — "a request form for new laptops, with manager approval above 2,000 dollars" — and Assist builds a draft with fields, logic and an approval chain. You review and edit it before publishing; nothing goes live without you.

**Summarise submissions.** On long submissions, or on a whole batch, Assist writes a short summary and highlights unusual answers, such as an amount far above the usual range.

**Suggest routing.** For approvals, Assist can suggest which approver should handle a request based on how similar requests were routed before. Suggestions are never applied automatically.

### Availability and price
Assist costs ${addon_assist_price_user_month} per user per month on Team and Business and must cover every seat in the workspace. It's included with Enterprise.

### Turning it off
Admins can disable Assist for the whole workspace or for specific forms under **Settings → Assist**. Forms marked as sensitive never send content to Assist.

### Your data
Assist processes the content you give it only to produce the answer. It isn't used to train models, ours or anyone else's. See *How Quaywise Assist handles your data* for details.
""")

# ===========================================================================
# PUBLIC -- security
# ===========================================================================

doc("security-overview", "Security at Skerry Labs", "security", "2025-04-07", """
# Security at {company}

Teams use {product} for expense claims, HR cases, contracts and health records. We treat that responsibility as the core of the product, not a feature on top.

**Infrastructure.** {product} runs in {region_count} regions on a major cloud provider, each region spread across at least two separate data centres. Production access is limited to a small on-call group, needs hardware-key authentication, and is logged and reviewed.

**Encryption.** Data is encrypted in transit with TLS {sec_tls_min} or newer and at rest with {sec_encryption_at_rest}. Enterprise customers can manage their own encryption keys.

**Application security.** Every change is peer-reviewed and scanned for vulnerable dependencies before release. An independent firm tests the product once a year, and we run a public vulnerability disclosure programme with rewards.

**People.** Employees pass background checks where the law allows, complete security training when they join and every year after, and get access on a least-privilege basis that is reviewed every quarter.

**Compliance.** We hold SOC 2 Type II and ISO/IEC 27001 attestations, among others; see *Certifications and audit reports*.

**Your controls.** Single sign-on, SCIM, two-step verification, IP allowlisting, audit logs and session timeouts let you decide who gets in and see what they did.

Security documentation, reports and our latest penetration-test summary are available from {trust_url}.
""")

doc("security-certifications", "Certifications and audit reports", "security", "2025-03-24", """
# Certifications and audit reports

Independent auditors check our security and privacy controls every year. Here's what we hold and how to get the reports.

| Certification | Notes |
|---|---|
| **SOC 2 Type II** | Covers security, availability and confidentiality. The audit period runs from 1 October to 30 September each year, and the new report is usually ready in November. |
| **ISO/IEC 27001:2022** | Information security management. Certified since June 2023. |
| **ISO/IEC 27701** | Privacy information management, extending 27001. Certified since September 2024. |
| **Cyber Essentials Plus** | UK government-backed scheme, renewed every year. |

### HIPAA
{product} can be used to collect protected health information on the **Enterprise plan only**, after we've signed a Business Associate Agreement with you. Don't collect health information on other plans.

### Getting the reports
Certificates are public on {trust_url}. The SOC 2 report and the summary of our latest penetration test are confidential: request them from the trust portal, accept the non-disclosure terms, and you'll receive access — usually the same business day for paying customers.

### Questionnaires
We have a pre-filled CAIQ and a standard security questionnaire on the trust portal. For custom questionnaires, Business and Enterprise customers can ask their account team; please allow ten business days.
""")

doc("security-vulnerability-disclosure", "Reporting a security vulnerability", "security", "2024-08-05", """
# Reporting a security vulnerability

If you believe you've found a security problem in {product}, we want to hear about it. Please email {security_email} with enough detail for us to reproduce it.

### What happens next
- We acknowledge your report within {sec_bounty_ack_days} business days.
- We tell you whether we've confirmed the issue and keep you updated until it's fixed.
- With your permission, we credit you on our security acknowledgements page.

### Rewards
Valid, previously unknown vulnerabilities are eligible for a reward between ${sec_bounty_min} and ${sec_bounty_max}, depending on impact and the quality of the report. Remote code execution and cross-tenant data access sit at the top of the range.

### In scope
- The web app and API under quaywise.example
- The iOS, Android and desktop apps
- Published forms and file request pages

### Out of scope
Denial-of-service tests, social engineering of our staff, physical attacks, reports produced only by automated scanners, and missing security headers with no demonstrable impact.

### Safe harbour
If you act in good faith, stay within scope, avoid accessing other people's data beyond what's needed to show the problem, and give us reasonable time to fix it before disclosure, we won't take legal action against you.

Please use test workspaces you created yourself rather than customer data.
""")

doc("security-pentest", "Penetration testing", "security", "2025-04-21", """
# Penetration testing

**Our own tests.** An independent security firm tests {product} {sec_pentest}. The tests cover the web application, API, mobile apps and the isolation between customers' workspaces. The most recent test finished in {last_pentest}; all findings rated high or critical were fixed before the report was issued, and medium findings within 60 days.

A summary letter from the testers, describing scope, method and results, is available under NDA from the trust portal at {trust_url}. We don't share the full report, because it contains details that would help an attacker.

**Testing by customers.** Enterprise customers may run their own penetration test against their workspace, or commission one, once per contract year. To arrange it:

1. Email {security_email} at least 10 business days before the test with the dates, the tester's name and source IP addresses, and the scope.
2. We confirm, and send rules of engagement.
3. Share the findings with us afterwards; we'll respond to each.

Customers on other plans can't run active tests, but may take part in our vulnerability disclosure programme like anyone else.

**Not allowed in any test:** denial of service, attacks on other customers' workspaces, and social engineering of {company} staff.
""")

doc("security-encryption", "Encryption and key management", "security", "2025-02-03", """
# Encryption and key management

### In transit
All connections to {product} — the web app, API, mobile and desktop apps, and published forms — use TLS {sec_tls_min} or newer. Older protocol versions are refused. We use HSTS on every domain so browsers never fall back to plain HTTP. Webhooks we send to you are delivered over HTTPS only.

### At rest
Databases, file storage and backups are encrypted with {sec_encryption_at_rest}. Each customer's files are encrypted with a per-workspace data key, which is itself encrypted by a key-encryption key held in a hardware-backed key management service. Data keys are rotated every {sec_key_rotation_days} days; older data is re-encrypted in the background.

### Bring your own key
Enterprise customers can supply the key-encryption key from their own cloud account ({sec_byok}). With your own key:

- you can revoke our access at any time, which makes the workspace unreadable until you restore it;
- every use of the key appears in your own cloud provider's logs;
- key rotation follows your schedule.

Revoking a key is a drastic step: published forms stop working and members can't sign in to the workspace. We recommend testing the process in a sandbox workspace first.

### Passwords and secrets
Passwords are stored as salted, slow hashes. API tokens and webhook secrets are stored hashed and shown only once, when created.
""")

doc("security-ip-allowlist", "Restricting access by IP address", "security", "2025-06-24", """
# Restricting access by IP address

With an IP allowlist, members can only sign in to your workspace and call the API from networks you trust, such as your office or your VPN.

**Availability.** Business workspaces can list up to {business_ip_ranges} IP ranges; Enterprise workspaces up to {enterprise_ip_ranges}. Ranges are written in CIDR notation (for example `203.0.113.0/24`), and both IPv4 and IPv6 are supported.

### Setting it up
1. Go to **Settings → Security → IP allowlist**.
2. Add your ranges with a description for each, such as *London office* or *VPN egress*.
3. Turn on **Enforce**. Before enforcement starts, {product} checks that your own current address is on the list, so you can't lock yourself out by accident.

### What the allowlist covers
- Signing in and using the web, desktop and mobile apps
- API calls made with members' tokens

### What it doesn't cover
- **Public forms and file requests.** Respondents can still reach them from anywhere. To limit a form to your network, make it members-only.
- **Guests.** You can choose to apply the allowlist to guests too, but by default it doesn't.

Blocked attempts appear in the audit log with the source address, which helps when someone is travelling and can't work out why they can't get in.
""", old=[(1, "2024-05-06", ["business_ip_ranges"], {})])

doc("security-audit-logs", "Audit logs", "security", "2024-08-27", """
# Audit logs

The audit log records who did what in your workspace, and when. It's available on Business and Enterprise.

### What's recorded
- Sign-ins, failed sign-ins and sign-outs, with IP address and device
- Member invitations, role changes and removals
- Changes to security settings: SSO, 2SV requirements, IP allowlist, session timeout
- Form publication, deletion and permission changes
- Exports, API token creation and revocation, integration connections
- Every time {company} support accessed the workspace with your permission

Each entry shows the actor, the action, the object, a timestamp in UTC and the source IP address.

### Retention
Business workspaces keep audit events for {business_audit_log_days} days. Enterprise workspaces keep them for {enterprise_audit_log_years} years by default, and can choose a shorter period if their policies require it. Events older than the retention period are deleted automatically.

### Searching and exporting
Filter by person, action type or date under **Settings → Security → Audit log**, and export the results as CSV. To keep events longer than the retention period, or to feed a SIEM, use the `GET /audit-events` API endpoint, which is limited to {api_audit_per_minute} requests per minute.

Audit entries can't be edited or deleted by anyone in your workspace, including Owners.
""", old=[(1, "2024-02-05", ["business_audit_log_days"], {})])

doc("security-subprocessors", "Subprocessors", "security", "2025-01-27", """
# Subprocessors

A subprocessor is a company that {company} uses to provide {product} and that may process customer personal data. We choose them carefully, review their security every year, and bind each one by a written contract at least as protective as our Data Processing Addendum.

{subprocessor_table}

### Changes to this list
We give customers at least {subprocessor_notice_days} days' notice before a new subprocessor starts processing their data. To get the notices, subscribe on {trust_url}. If you object to a new subprocessor on reasonable data-protection grounds, tell us within the notice period; if we can't address the objection, you may terminate the affected service and receive a pro-rata refund.

### Affiliates
{legal_name} has no affiliates that process customer data.

### Regions
Where the table says *Region you choose*, the subprocessor processes data only in the {product} region where your workspace is hosted. Vellum AI is used only when Quaywise Assist is switched on; it was added in November 2024, when Assist launched with release 5.0.
""", extra={"subprocessor_table": "| Subprocessor | Purpose | Location |\n|---|---|---|\n" +
            "\n".join(f"| {a} | {b} | {c} |" for a, b, c in F.SUBPROCESSORS)})

doc("security-incident-response", "How we respond to security incidents", "security", "2024-12-09", """
# How we respond to security incidents

Despite everyone's efforts, security incidents happen across the industry. This page explains what we do when one affects {product}.

**Detection.** Our monitoring watches for unusual access to production systems, abnormal API usage and signs of compromised accounts around the clock. A security engineer is on call at all times.

**Triage and containment.** Suspected incidents are triaged within an hour. If customer data may be involved, we assemble an incident team with engineering, security, legal and support, and our first priority is to stop any further exposure.

**Telling you.** If we confirm that an incident affected your data, we notify your workspace Owners and any security contact you've registered within {sec_incident_notice_hours} hours of confirmation. The notice explains what happened, what data was involved, what we've done and what you may need to do. Our Data Processing Addendum promises notice without undue delay; {sec_incident_notice_hours} hours is the target we hold ourselves to.

**Afterwards.** We complete an internal review of every significant incident and share a written report with affected customers, normally within ten business days. Lessons learned feed into our security roadmap.

**Registering a security contact.** Business and Enterprise Owners can add a dedicated security contact under **Settings → Security → Contacts**, so that notices reach the right team even if Owners change.

To report a suspected incident or vulnerability, email {security_email}.
""")

# ===========================================================================
# PUBLIC -- privacy
# ===========================================================================

doc("privacy-data-retention", "How long we keep your data", "privacy", "2024-07-16", """
# How long we keep your data

We keep customer data only as long as it's needed to provide {product}, or as long as you tell us to. Here are the periods that apply by default.

| Data | How long we keep it |
|---|---|
| Forms, submissions and files | Until you delete them, or until the workspace is deleted |
| Deleted items in the trash | {trash_days} days, then permanently removed |
| A deleted workspace | Recoverable for {workspace_recovery_days} days, then erased from primary storage within {purge_primary_days} days |
| Backups | {backup_retention_days} days from the date each backup is taken |
| Application logs | {app_log_days} days |
| Audit logs | Per plan: see *Audit logs* |
| Inactive Free workspaces | Deleted after {free_inactive_months} months without sign-ins, with {free_inactive_notice_days} days' notice |

### Your own retention rules
On Business and Enterprise, admins can set a retention rule per form: for example, delete submissions automatically two years after they're completed. Deleted submissions go to the trash and follow the trash period above.

### Legal holds
Enterprise customers can place a legal hold on a form or workspace, which pauses automatic deletion until the hold is lifted.

### Billing and account records
We keep invoices and payment records for seven years to meet tax and accounting obligations, even after your workspace is deleted. These contain billing contact details but no form content.
""", old=[(1, "2024-03-04", ["trash_days"], {})])

doc("privacy-regions", "Data regions", "privacy", "2024-12-10", """
# Data regions

When you create a workspace on a paid plan, you choose the region where its data is stored. {product} is currently available in {region_count} regions:

{region_bullets}

### What stays in the region
Forms, submissions, uploaded files, backups and search indexes for your workspace are stored and processed only in your region. This also applies to the subprocessors that handle file scanning and storage.

### What may leave the region
A small amount of account data — names and email addresses of members, billing details and support tickets — is processed in the United States so that we can run billing and support. Our Data Processing Addendum covers those transfers.

### API addresses
Each region has its own API host, such as `{eu_central_host}` for EU Central. The global address `api.quaywise.example` redirects to the right region automatically, but calling your regional host directly saves a round trip.

### Free and Starter
Free and Starter workspaces don't offer a choice. They're created in US East, unless you sign up from the European Economic Area, the UK or Switzerland, in which case they're created in EU Central.

Moving an existing workspace to another region is possible on Enterprise; see *Data residency and moving regions*.
""", old=[(1, "2023-10-02", ["region_count"], {})])

doc("privacy-gdpr", "GDPR and requests from data subjects", "privacy", "2024-09-23", """
# GDPR and requests from data subjects

For the data you collect with {product} — your forms and the submissions people send — you are the **controller** and {company} is your **processor**. For the account data of people who sign in to {product}, we act as controller ourselves.

### Our commitments as a processor
- We process submission data only on your instructions, as set out in our Data Processing Addendum (DPA), which is part of our terms for every customer.
- International transfers are covered by the EU Standard Contractual Clauses and the UK Addendum.
- We help you meet your obligations, including data protection impact assessments and breach notifications.

### When a respondent asks you for their data
Because you're the controller, requests from your respondents should come to you. {product} makes it straightforward to respond: search submissions by email address across the workspace, export what you find, or delete it.

If a respondent writes to us instead, we pass the request to you and don't answer it ourselves.

### When someone asks us
Requests about account data that we control — for example, from a member of your workspace — go to {privacy_email}. We answer within {dsar_days} days, and tell you if we need longer for a complex request.

### Data protection officer
Our data protection officer can be reached at {dpo_email}. EU and UK representatives are listed in the DPA.
""")

doc("privacy-backups", "Backups and disaster recovery", "privacy", "2024-10-21", """
# Backups and disaster recovery

### Backups
Every region takes a full, encrypted backup of its databases and file metadata every {backup_interval_hours} hours, and files themselves are stored with versioning. Backups are kept for {backup_retention_days} days and are stored in the same region as the data they protect, in a separate location from the primary copy.

Backups exist to recover from a disaster on our side. We don't restore individual forms or submissions from backup — use the trash for that, which keeps deleted items for {trash_days} days.

### Replication
Within each region, databases are replicated continuously across separate data centres. The loss of a single data centre leads to an automatic failover, usually within a few minutes and without data loss.

### Recovery objectives
For the loss of an entire region, our objectives are:

- **Recovery point objective (RPO):** {rpo_hours} hour — the most data we would expect to lose.
- **Recovery time objective (RTO):** {rto_hours} hours — the longest we would expect to need to restore service.

Enterprise contracts can include different objectives.

### Testing
We test restoring from backup every month in every region and run a full regional failover exercise twice a year. Results are covered in our SOC 2 report.
""")

doc("privacy-account-deletion", "Deleting your personal account", "privacy", "2024-11-04", """
# Deleting your personal account

Your personal {product} account is separate from the workspaces you belong to. You can delete the account when you no longer need it.

### Before you can delete
If you're the only Owner of a workspace, you need to transfer ownership or delete that workspace first. We'll list any workspace that blocks deletion.

### What's deleted
- Your profile: name, email address, photo, preferences and notification settings
- Your sign-in methods, sessions and API tokens

### What isn't
Submissions you made, forms you built and comments you left belong to the workspace, not to you, so they stay. They're shown as made by *Deleted user*, unless the workspace admin has a reason to keep your name — for example, on an approval record required for audit. If you want that content removed, ask the workspace's admin; they control it.

### How to do it
Go to **Account → Privacy → Delete my account**. We send a confirmation email; the link is valid for 24 hours. Your account is deactivated at once and erased within {purge_primary_days} days. Backups containing it expire after {backup_retention_days} days.

If you're a member of a workspace that uses SSO or SCIM, your admin may manage your account centrally; in that case, ask them to remove you instead.

Questions about your personal data can go to {privacy_email}.
""")

doc("privacy-cookies", "Cookies and similar technologies", "privacy", "2024-04-22", """
# Cookies and similar technologies

We try to use as few cookies as we can.

### In the {product} app
We use only **strictly necessary** cookies: one to keep you signed in, one to protect against cross-site request forgery, and one that remembers which region your workspace is in. These can't be switched off, because the app doesn't work without them. They don't track you across other sites.

### On published forms
Forms set no cookies at all unless a respondent saves a draft, in which case a cookie remembers the draft for 30 days. Form builders can't add tracking scripts to forms.

### On our marketing site
quaywise.example uses privacy-friendly, cookieless analytics to count visits. If you accept optional cookies in the banner, we also measure which campaigns bring visitors in. You can change your choice at any time from the *Cookie settings* link in the footer.

### Local storage in the apps
The mobile and desktop apps store recently opened forms and queued submissions on your device so that offline mode works. Signing out clears them.

We don't sell data collected through cookies, and we don't use advertising cookies in the product.
""")

doc("privacy-ai", "How Quaywise Assist handles your data", "privacy", "2025-01-27", """
# How Quaywise Assist handles your data

Quaywise Assist uses a large language model to draft forms and summarise submissions. Here's exactly what happens to your data when you use it.

**What is sent.** Only the content needed for the task you asked for: your description when drafting a form, or the submissions you asked Assist to summarise. Assist never browses your workspace on its own.

**Who processes it.** Requests go to our model provider, Vellum AI, listed on our subprocessor page. Requests from workspaces in EU regions are processed in the EU; all others in the US.

**No training.** Neither we nor Vellum AI use your content to train or improve models. This is in our contract with them and in our terms with you.

**No retention by the provider.** Vellum AI processes requests under a zero-retention agreement: prompts and outputs are not stored once the response is returned, apart from abuse-monitoring metadata that contains no content.

**What we keep.** The output becomes part of your workspace like anything else you create, so it follows your normal retention. We keep a log of Assist requests — who, when, which feature — for {app_log_days} days, without the content.

**Control.** Admins can switch Assist off for the workspace or mark forms as sensitive so their content is never sent. Enterprise customers under a HIPAA Business Associate Agreement have Assist disabled on forms that collect health information.
""")

doc("privacy-data-residency", "Data residency and moving regions", "privacy", "2025-03-17", """
# Data residency and moving regions

Some organisations must keep data in a particular country or jurisdiction. {product} supports that by letting you pick a hosting region and keeping your workspace content there.

### Picking a region
On Team, Business and Enterprise, the Owner picks the region when creating a workspace. Different workspaces in the same organisation can live in different regions — a common set-up is one workspace in EU Central for European staff and one in US East for the rest.

### Moving a workspace
A workspace can't be moved by itself after creation. On Enterprise, we can migrate it for you:

1. Your account team schedules a migration window with you, normally at a weekend.
2. During the window the workspace is read-only. Most migrations finish within 2 hours; very large workspaces take longer, and we'll estimate before starting.
3. We copy everything, verify it, switch traffic to the new region and then delete the data from the old region, including its backups after their normal expiry.

On other plans, the alternative is to create a new workspace in the right region and move forms across with **Move form**, which carries submissions and files with it.

### Dedicated cells
Enterprise customers with strict isolation needs can ask for a dedicated cell — a separate set of application servers and databases in their region, used only by them. Pricing depends on size.
""")

# ===========================================================================
# PUBLIC -- contracts and policies
# ===========================================================================

doc("contract-sla", "Uptime commitment (SLA)", "contract", "2025-06-02", """
# Uptime commitment (SLA)

On Team, Business and Enterprise, we commit to a minimum monthly availability for {product}. If we miss it, you get service credits.

| Plan | Monthly uptime commitment |
|---|---|
| Team | {team_sla}% |
| Business | {business_sla}% |
| Enterprise | {enterprise_sla}% (or as stated in your order form) |
| Free and Starter | no commitment |

### How availability is measured
We probe the web app and the API from several locations outside our network every minute. A minute counts as unavailable when most probes fail for your region. Monthly uptime is the share of available minutes in the calendar month.

### What doesn't count
- Planned maintenance announced at least {sla_maintenance_notice_hours} hours ahead, up to {sla_maintenance_max_hours_month} hours a month
- Problems caused by your own systems, network or identity provider
- Features labelled beta
- Suspensions under our terms, for example for non-payment

### Credits
If we miss the commitment, see *Service credits* for how much you get back and how to claim. Credits are the sole remedy for missed availability, except where your order form says otherwise.{sla_note}
""", old=[(1, "2024-06-03", ["business_sla"], {"sla_note": ""})],
    extra={"sla_note": "\n\n> The Business commitment rose from 99.9% to 99.95% for all Business subscriptions on 1 June 2025."})

doc("contract-service-credits", "Service credits", "contract", "2025-06-02", """
# Service credits

If monthly uptime falls below the commitment for your plan, you're entitled to a credit against future invoices, calculated as a percentage of that month's subscription fee.

| Monthly uptime | Credit |
|---|---|
| Below your plan's commitment, but at least 99.0% | 10% |
| Below 99.0%, but at least 95.0% | 25% |
| Below 95.0% | 50% |

Credits never exceed {sla_max_credit_pct}% of the monthly fee for the affected month, and they're calculated on the fee for the plan alone, not on add-ons.

**A worked example.** A Business workspace pays $3,400 a month. In a month with 99.7% uptime — below the {business_sla}% commitment but above 99.0% — it would receive a 10% credit, $340.

### How to claim
Email {billing_email} within {sla_claim_window_days} days after the end of the month in which the problem happened. Include your workspace ID and the dates and times you were affected. We compare the claim with our monitoring and reply within ten business days.

### Good to know
- Credits are applied to your next invoice. They aren't paid out in cash, and they expire if you leave.
- If you pay annually, the monthly fee is one twelfth of the annual fee.
- Enterprise order forms may set different credit levels; those override this page.
""")

doc("contract-terms-summary", "Our Terms of Service in plain language", "contract", "2024-05-13", """
# Our Terms of Service in plain language

This summary helps you understand the main points of our Terms of Service. It isn't a replacement for them: if the two disagree, the Terms win.

**Who the agreement is with.** Your organisation and {legal_name}, a Delaware corporation based in {hq}.

**Your data is yours.** You own everything you put into {product}. We use it only to provide and support the service, and as described in our Data Processing Addendum.

**Your responsibilities.** Keep sign-in details safe, make sure people in your workspace follow our acceptable use policy, and have the right to collect the information your forms ask for.

**Payment.** Subscriptions renew automatically for the same term unless cancelled. We can change prices with at least 30 days' notice, and changes apply from your next renewal, never in the middle of a paid term.

**Changes to the service.** We improve {product} all the time. If we remove a feature you rely on in a way that materially reduces the service, you can cancel and get a pro-rata refund.

**Suspension.** We may suspend a workspace for serious breaches — for example, phishing forms — or after non-payment, normally with notice first.

**Liability.** Each side's liability is capped at the fees paid in the twelve months before the claim, with the usual exceptions.

**Law.** The Terms are governed by the laws of the State of New York, unless an Enterprise order form says otherwise.
""")

doc("contract-dpa", "Data Processing Addendum", "contract", "2024-09-23", """
# Data Processing Addendum

Our Data Processing Addendum (DPA) sets out how {company} processes personal data on your behalf. It forms part of our Terms of Service automatically, so you don't need to sign anything for it to apply. If your organisation needs a countersigned copy for its records, download it from {trust_url}, sign it, and send it to {legal_email}.

### What it covers
- The roles: you are controller, we are processor.
- The categories of data and data subjects, which depend on the forms you build.
- Our security measures, described in an annex and kept up to date.
- Our use of subprocessors, with at least {subprocessor_notice_days} days' notice of changes and a right to object.
- International transfers, under the EU Standard Contractual Clauses (module two and three) and the UK International Data Transfer Addendum.
- Assistance with data subject requests, security, impact assessments and consultations with supervisory authorities.
- Breach notification without undue delay (our internal target is {sec_incident_notice_hours} hours from confirmation).
- Return and deletion of data at the end of the contract.
- Audits: primarily through our third-party reports, with on-site audits for Enterprise customers where reports aren't sufficient.

### Negotiated versions
Enterprise customers can negotiate changes to the DPA. Business customers can't, but may attach their own DPA questionnaire for our answers.
""")

doc("contract-acceptable-use", "Acceptable use policy", "contract", "2024-02-12", """
# Acceptable use policy

{product} is used by many organisations, and we have to make sure that nobody uses it in a way that harms others. This policy applies to everyone with access to a workspace, including guests.

### You must not use {product} to
- **collect credentials** — forms that ask for passwords, one-time codes or full payment card numbers are removed without notice, because they are almost always phishing;
- send spam or unsolicited bulk email through form notifications;
- distribute malware, or upload files designed to exploit other people's systems;
- collect health information outside an Enterprise workspace covered by a Business Associate Agreement;
- harass, threaten or discriminate against people, or collect data in order to do so;
- break the law, including export controls and sanctions.

### Technical limits
Don't try to get around plan limits — for example, by creating extra tokens or workspaces to multiply API capacity — and don't load-test or scan {product} without written permission. Security research is welcome under our vulnerability disclosure programme.

### What happens if the policy is broken
Depending on how serious it is, we may remove content, disable a form, suspend a member or suspend the whole workspace. We'll normally tell the Owner first and give them a chance to fix things, but we act immediately on phishing and malware.

Report abuse of a {product} form to {security_email} with the form's address.
""")

doc("contract-support-policy", "Support policy and response targets", "contract", "2025-06-02", """
# Support policy and response targets

This policy sets out the support we give on Business and Enterprise. Support on other plans is described on *Support hours and channels by plan*.

### Severity levels
| Severity | Meaning |
|---|---|
| 1 | {product} is down or unusable for your workspace; no workaround. |
| 2 | A major feature is broken for many users, or performance is badly degraded. |
| 3 | A minor feature is broken, or a workaround exists. |
| 4 | A question, how-to request or feature suggestion. |

### First-response targets
| Severity | Business | Enterprise |
|---|---|---|
| 1 | {business_s1} | {enterprise_s1} |
| 2 | {business_s2} | {enterprise_s2} |
| 3 | {business_s3} | {enterprise_s3} |
| 4 | {business_s4} | {enterprise_s4} |

Business support is staffed {business_support_hours}. Enterprise adds 24/7 coverage for Severity 1 and a phone line, {support_phone}.

Targets measure the time to a first human reply, not to resolution. For Severity 1 and 2 we keep you updated at least every two hours until the problem is resolved or downgraded.

### What we need from you
A named contact who can reproduce the problem, access to logs or screenshots, and — for Severity 1 — someone reachable while we work on it. If we can't reach anyone, we may lower the severity.

### Exclusions
Building forms or workflows for you, debugging your own code beyond our API, and problems in third-party services are outside support, though we'll always help where we can.
""")

# ===========================================================================
# PUBLIC -- changelog (one page per release)
# ===========================================================================
RELEASE_DATES = dict(F.RELEASES)


def release(version, title, body):
    date = RELEASE_DATES[version]
    doc(f"changelog-{version.replace('.', '-')}", f"Quaywise {version} release notes: {title}",
        "changelog", date, body, extra={"rel_date": long_date(date), "ver": version})


release("4.0", "new workflow builder and API v2", """
# {product} {ver} — {rel_date}

{product} {ver} is the biggest release we've shipped in two years. It rebuilds the way forms connect to what happens after someone presses *Submit*.

## The new workflow builder
Workflows used to be a list of rules attached to each form. They're now a visual canvas: triggers on the left, steps flowing to the right, branches where conditions split. Existing rules were converted automatically; nothing needs to be rebuilt. Each triggered workflow now counts as one **run**, and plans include a monthly number of runs.

## API v2 is generally available
Version 2 of the REST API ({api_base_url}) leaves beta. It brings cursor-based pagination, consistent error codes, idempotency keys for creating submissions, and per-plan rate limits published in the help centre. API v1 keeps working; we'll announce a retirement date well in advance.

## Also in this release
- Folders can now be nested up to five levels deep.
- Submission tables remember column widths and sort order per person.
- The form preview shows a phone-sized view side by side with the desktop view.

## Fixed
- Date fields no longer shift by a day for respondents west of UTC when the form uses a date-only format.
- Exported CSV files open correctly in spreadsheet software that expects a byte-order mark.
""")

release("4.1", "conditional logic, rebuilt", """
# Release {ver} ({rel_date})

The conditional logic editor has been rewritten from scratch.

**Multiple conditions per rule.** Combine conditions with *all of* or *any of*, instead of stacking separate one-condition rules. A field can now have up to 50 rules.

**New actions.** As well as showing and hiding fields, rules can now skip to a page, make a field required, or set the value of a hidden field.

**Logic debugger.** In preview, a side panel shows which rules fired as you fill in the form, and why. It's the fastest way to find out why a question doesn't appear.

**Slack integration.** Approvers on Team and above can approve or reject straight from a Slack message. Connect it under **Settings → Integrations**. (Microsoft Teams support is planned for a later release.)

Smaller changes:
- Form owners can duplicate a page within a multi-page form.
- The character counter on long-text fields now counts emoji as one character.
- Screen readers announce page changes in multi-page forms.

Fixed: reordering choices in a dropdown no longer breaks rules that refer to them.
""")

release("4.2", "bigger attachments on Team and Business", """
# {product} {ver}

*Released {rel_date}*

### Larger file uploads
We've raised the per-file size limit on two plans, effective today for every workspace:

- **Team:** from {old_team_attachment} to {team_attachment} per file
- **Business:** from {old_business_attachment} to {business_attachment} per file

Free, Starter and Enterprise limits are unchanged. Uploads resume automatically if the connection drops, so large files from phones on patchy networks arrive more reliably than before.

### Microsoft Teams integration
Approvals can now be handled from Microsoft Teams as well as Slack, with the same approve and reject buttons and a link to the full submission.

### File request improvements
- File requests can be limited to specific file types.
- Uploaders can add a note to each file.

### Fixes
- Thumbnails for HEIC photos from iPhones now render in submission views.
- Fixed a rare case where a file request closed a day early for owners in time zones ahead of UTC.
""")

release("4.3", "offline mode and stronger passwords", """
# {product} {ver} — {rel_date}

## Offline mode in the mobile apps
The iOS and Android apps can now be used without a connection. Forms you've opened recently are cached on the device; submissions you complete offline are queued and sent when you're back online, up to {offline_queue} at a time. This has been our most requested feature from inspection and field-service teams.

## Password requirements
The minimum password length rises from {old_password_min_length} to {password_min_length} characters. Existing passwords keep working; people with shorter passwords are asked to choose a new one the next time they change it or reset it. We also now check new passwords against lists of credentials exposed in breaches.

Workspaces that use single sign-on aren't affected.

## Other changes
- The mobile apps support dark mode.
- Approvers can add an attachment when rejecting a request, such as a marked-up quote.

## Fixes
- Resolved an issue where the Android app could show yesterday's tasks after waking from sleep.
""")

release("4.4", "pricing update and reporting", """
# {product} {ver} ({rel_date})

## New prices from {price_change_effective_long}
We're updating the prices of two plans for the first time since 2021:

| Plan | Monthly billing | Annual billing |
|---|---|---|
| Starter | ${old_starter_monthly} → ${starter_monthly} per user | ${old_starter_annual} → ${starter_annual} per user per month |
| Team | ${old_team_monthly} → ${team_monthly} per user | ${old_team_annual} → ${team_annual} per user per month |

Business prices don't change. Customers subscribed before {price_change_effective_long} keep their current price until {price_change_grandfathered_long}; the new price applies from the first renewal after that. Owners received an email with the details for their workspace.

The new prices pay for larger file limits (release 4.2), offline mode (4.3) and the reporting features below.

## Reports
A new **Reports** tab on each form charts submissions over time, approval turnaround and the answers to choice fields. Reports can be shared with Viewers without giving them access to individual submissions.

## Fixed
- Calculated fields now round half-up consistently in the form and in exports.
""")

release("4.5", "higher API limits on Business", """
# Release {ver} — {rel_date}

This release is mostly for developers and integration builders.

**Business API limit raised.** Business workspaces can now make {business_api_rpm} API requests per minute per token, up from {old_business_api_rpm}. Limits for other plans are unchanged.

**Rate-limit headers.** Every API response now includes `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`, so clients can slow down before they hit a 429 instead of after.

**Request IDs.** Responses carry an `X-Request-Id` header. Quote it when you contact support about a failing call and we can find the request in seconds.

**Idempotent submission creation.** `POST /forms/{{form_id}}/submissions` now honours an `Idempotency-Key` header for {api_idempotency_hours} hours, so a retried request after a timeout won't create a duplicate.

**Webhook test button.** In **Settings → Webhooks**, *Send test event* delivers a sample payload to your endpoint and shows the response we got back.

Also: the API reference in the help centre now has one page per endpoint with parameters, error codes and examples.
""")

release("4.6", "Sydney region", """
# {product} {ver}: a new home in Australia

*{rel_date}*

{product} is now available in **Asia Pacific ({ap_southeast_city})**, our fifth region, with the code `{ap_southeast_code}`. New Team, Business and Enterprise workspaces can choose it at creation, and its API is served from `{ap_southeast_host}`.

Customers in Australia and New Zealand have asked for local hosting for a long time, mostly for public-sector and health work where data must stay in the country. Everything stored for an {ap_southeast_city} workspace — submissions, files, backups and search indexes — stays in Australia.

Enterprise customers who want to move an existing workspace to {ap_southeast_city} can ask their account team to schedule a migration.

### Also in {ver}
- Time-zone aware reminders: approval reminders are sent during the approver's working hours rather than at a fixed UTC time.
- New templates for site induction, hazard reporting and vehicle pre-start checks.
- Submission search now matches partial words.

### Fixes
- The status page now lists each region as a separate set of components.
""")

release("4.7", "a longer trash", """
# {product} {ver} release notes

Released on {rel_date}.

### Trash keeps items for {trash_days} days
Deleted forms, submissions, folders and files now stay in the trash for **{trash_days} days** before they're permanently removed. Until now the period was {old_trash_days} days, which was too short for anyone returning from a long holiday to notice that something had gone. Items already in the trash when the release went out got the longer period too.

### Bulk actions on submissions
Select up to 500 submissions at once to reassign, tag, export or delete them.

### Tags
Submissions can carry tags — free text, colour-coded — which you can filter by in tables, reports and exports.

### Quality-of-life
- Keyboard shortcut **?** shows every shortcut available on the current screen.
- Comments support bulleted lists and links.
- The form builder warns before you delete a field that a workflow depends on.

### Fixed
- An export started right before midnight UTC could include submissions from the next day.
- Guests no longer see the names of other guests in a shared file request.
""")

release("4.8", "audit logs kept for a year on Business", """
# Release {ver} ({rel_date})

## Audit log retention
Business workspaces now keep audit events for **{business_audit_log_days} days**, up from {old_business_audit_log_days}. The change applies to events already in the log: nothing older than {old_business_audit_log_days} days had been deleted when the release went out, so history simply keeps growing until it reaches a year. Enterprise retention (up to {enterprise_audit_log_years} years) is unchanged.

## Audit events API
`GET /audit-events` gains an `actor` filter and now returns events oldest first, which makes it simpler to feed a SIEM: poll with the `since` parameter and store events for as long as your policies require.

## Support access is now opt-in per ticket
When you contact support, our team no longer has standing read access to your workspace. Instead, you grant access from the ticket for a fixed period, and every action they take is recorded in the audit log.

## Other improvements
- Admins can see the last sign-in date of every member.
- Removing a member now offers to transfer their forms in the same dialog.
""")

release("4.9", "more reliable webhooks", """
# {product} {ver} — {rel_date}

This release is about webhooks, which more and more of you use to connect {product} to internal systems.

**More retries, over a longer period.** When your endpoint is down or returns an error, we now retry a delivery up to **{webhook_retries} times over about {webhook_retry_window}**, with exponential backoff. Previously we tried {old_webhook_retries} times over {old_webhook_retry_window}, which wasn't enough to survive a typical maintenance window on the receiving side.

**Automatic disabling.** If every delivery to an endpoint has failed for {webhook_disable_hours} hours, the webhook is disabled and the workspace admins get an email. Re-enable it once the endpoint is healthy; undelivered events from the last 7 days can be replayed from the delivery log.

**Delivery log.** Each webhook now shows its last 1,000 deliveries, with status code, response time and the payload we sent.

**Signature version 2.** The `Quaywise-Signature` header now includes a timestamp, and the signature covers the timestamp and the body together, which prevents replay attacks. Version 1 signatures are still sent alongside for six months.

Other changes: the `export.completed` event is new, and webhook payloads include the workspace region.
""")

release("5.0", "a new editor, Quaywise Assist and expiring tokens", """
# {product} {ver}

**Released {rel_date}.**

{product} {ver} opens a new major version. Your forms, data and integrations carry over without changes.

## A new form editor
The editor now works like a document: type `/` to add a field, drag blocks to reorder, and see the published form as you build it. The old editor stays available from the **…** menu until the end of March 2025.

## Quaywise Assist
Our AI helper can draft a form from a description, summarise long submissions and suggest who should approve a request. Assist is an add-on for Team and Business at ${addon_assist_price_user_month} per user per month, and is included with Enterprise. Content processed by Assist is never used to train models.

## API tokens now expire
Personal access tokens created from today must have an expiry date, up to a maximum of {api_token_max_lifetime_days} days. The default is {api_token_default_lifetime_days} days. Until now tokens never expired. Existing tokens without an expiry date will stop working on 12 November 2025, one year after this release; we'll email token owners a month before.

## Other changes
- Dark mode for the web app.
- Forms can close automatically after a given number of submissions.
- New role: Viewer, for people who only need to read submissions and reports.
""")

release("5.1", "Montreal region and longer-lived export links", """
# Release {ver}: {rel_date}

### A Canadian region
Canadian customers can now host their data in **{ca_central_name} ({ca_central_city})**, code `{ca_central_code}`, bringing {product} to {region_count} regions. The API for the region lives at `{ca_central_host}`. As with every region, submissions, files, backups and indexes stay in the country.

### Export links last {export_link_expiry}
Links to download a finished export now stay valid for **{export_link_expiry}**, instead of {old_export_link_expiry}. Large exports are often started on a Friday afternoon and collected on Monday, and the old expiry meant running them twice.

### Also new
- Exports can include a manifest file listing every attachment with its checksum.
- Approvers can request changes instead of rejecting outright; the submitter edits and resubmits, and the approval restarts at the same step.
- French (Canada) spelling is used for the French interface when your browser is set to fr-CA.

### Fixes
- Fixed an issue where XLSX exports with more than 65,000 rows could be truncated.
""")

release("5.2", "twice the storage on Starter", """
# {product} {ver} — {rel_date}

## Starter storage doubles
Starter plans now include **{starter_storage_gb_per_seat} GB of storage per seat**, up from {old_starter_storage_gb_per_seat} GB, at no extra cost. The new allowance is already live for every Starter workspace; you don't need to do anything.

We made this change because Starter workspaces were running out of space far more often than any other plan, mostly from photos taken in the mobile app. Storage is pooled, so a five-seat Starter workspace now has 50 GB to share.

## Image compression (optional)
Form builders can ask the mobile and web apps to shrink photos before upload, to a maximum of 2,048 pixels on the long edge. It's off by default and can be turned on per upload field.

## Other improvements
- Storage usage under **Settings → Usage** is now broken down by form and by file type.
- Admins now get a warning email at 90% of the storage allowance, as well as when it's full.

## Fixes
- Deleted files in the trash now show how much space they're using.
""")

release("5.3", "shorter sessions and SCIM on Business", """
# Release {ver} ({rel_date})

## Idle sessions end sooner
To reduce the risk from forgotten, signed-in devices, sessions now end after **{session_idle_days} days** of inactivity, down from {old_session_idle_days} days. Anyone who uses {product} at least once every {session_idle_days} days won't notice a difference.

On Business and Enterprise, admins can still set a shorter timeout for the workspace, from 15 minutes upwards.

## SCIM provisioning comes to Business
SCIM 2.0, previously an Enterprise feature, is now included on the Business plan. Connect your identity provider to create, update and suspend members automatically, and map groups to roles.

## Other changes
- The active-sessions list shows the app version for desktop and mobile sessions.
- Admins can sign out every member at once from **Settings → Security**, for example after a suspected compromise.
- New audit events: session revoked, SCIM token created and SCIM token rotated.

## Fixes
- Fixed a problem where a member removed by SCIM could still receive digest emails for up to a day.
""")

release("5.4", "bigger pages in the submissions API", """
# {product} {ver} — {rel_date}

**Larger pages for submissions.** `GET /forms/{{form_id}}/submissions` now accepts `limit` values up to **{submissions_page_max}**, up from {old_submissions_page_max}. Fetching a large form's history needs half as many requests, which matters when you're close to your rate limit. Other list endpoints still allow up to {api_page_max} items per page; the default page size remains {api_page_default} everywhere.

**Filtering by status.** The same endpoint now accepts `status` to return only pending, approved, rejected or withdrawn submissions.

**Faster search.** Searching submissions in the web app is around three times faster on workspaces with more than a million submissions, thanks to a new index.

**Form versions.** Each published change to a form creates a version you can compare with earlier ones, showing added, removed and changed fields side by side.

**Fixes**
- A workflow could run twice if a submission was edited within a second of being created.
- Calculated fields that divide by zero now show an empty value instead of *NaN*.
""")

release("5.5", "changes to the Free plan", """
# Release {ver} — {rel_date}

### Free plan: three members
New Free workspaces now allow up to **{free_max_seats} members**, instead of {old_free_max_seats}. The Free plan was always meant for trying {product} out or for very small groups, and most growing teams will get more from Starter.

Existing Free workspaces aren't cut down: if one already has more than {free_max_seats} members, they keep their access, but nobody new can be invited until the workspace is below the limit.

### Starter trial from Free
Free workspaces can now try Starter for seven days from the billing page, in addition to the existing one-off Business trial for new organisations.

### Improvements
- Recurring forms: schedule a form to open on a repeating pattern, such as every Monday for weekly timesheets.
- Submitters can download a PDF copy of their own submission.
- Approval emails show the three most important answers in the email body.

### Fixes
- Copying a form between workspaces now keeps the translations.
""")

release("5.6", "Business SLA and 24/5 support", """
# {product} {ver} ({rel_date})

## A stronger commitment for Business
From 1 June 2025 the Business plan comes with a **{business_sla}%** monthly uptime commitment, up from {old_business_sla}%. The change applies to every Business subscription, including those in the middle of a term, and service credits are calculated against the new level.

Business support hours are now **24/5**, from Sunday 20:00 to Friday 20:00 Eastern Time, instead of {old_business_support_hours}. European and Asia-Pacific customers on Business can now reach a person during their own working day.

## Scheduled reports
Reports can be emailed automatically every day, week or month, as a PDF or CSV, to members and to outside addresses you approve.

## Other changes
- Approval chains can include a *Majority* rule.
- The workflow builder can call an external HTTPS endpoint and use the response in later steps.

## Fixes
- Resolved an issue where SLA reports requested from support listed times in the viewer's time zone instead of UTC.
""")

release("5.7", "larger IP allowlists", """
# {product} {ver}

{rel_date}

**IP allowlists.** Business workspaces can now list up to **{business_ip_ranges}** IP ranges, up from {old_business_ip_ranges}. Enterprise workspaces can list up to {enterprise_ip_ranges}. Larger organisations with many offices and VPN exits had been running out of room.

**Bulk entry of ranges.** Paste a list of CIDR ranges, or upload a CSV file, instead of adding them one at a time.

**Security keys for guests.** Guests can register a passkey or security key for two-step verification, not just an authenticator app.

**Calendar field.** A new date-range field lets respondents choose start and end dates in one control, with optional blocked-out days.

**Fixed**
- The allowlist page now sorts ranges by description instead of the order they were added.
- Fixed a crash in the iOS app when attaching more than 20 photos at once.
""")

release("5.8", "e-signatures", """
# {product} {ver}: sign on the dotted line

*Released {rel_date}*

### Electronic signatures
Forms and approval steps can now collect electronic signatures on Team, Business and Enterprise. Signers type or draw their signature; once everyone has signed, {product} produces a PDF with a certificate of completion and a tamper-evident fingerprint. Until now, many of you were exporting submissions to a separate signature tool just for this step.

### Spreadsheet import
Imports now accept Excel files as well as CSV, and a single file can hold up to {csv_import_rows} rows. Validation problems are shown row by row before you commit.

### Smaller changes
- Approvers can attach files to their decision.
- Choice fields can show images next to each option.
- The Zapier integration gains a *Submission approved* trigger.

### Fixes
- Signature fields render correctly on high-resolution Android tablets.
- Fixed an issue where long-text answers with right-to-left text were cut off in PDF exports.
""")

release("5.9", "more workflow runs on Team", """
# Release {ver} — {rel_date}

## Team gets {team_workflow_runs_month} workflow runs a month
The monthly workflow allowance on the Team plan rises from {old_team_workflow_runs_month} to **{team_workflow_runs_month} runs**. Workflows have become the heart of how most Team customers use {product}, and the old allowance was too tight for anyone with more than a couple of automated forms.

Runs that go over the allowance are now queued for up to 7 days instead of being dropped, and start automatically when the allowance resets.

## Workflow usage
A new **Usage** view in the workflow area shows runs by workflow and by day, with a projection for the rest of the month.

## HTTP step improvements
- Custom headers and bearer tokens are stored encrypted and masked in the editor.
- Responses up to 1 MB can be parsed and used by later steps.

## Fixes
- Fixed a bug where a workflow paused by an admin resumed after the next deployment.
""")

release("5.10", "desktop app 2.0 and accessibility", """
# {product} {ver}

**{rel_date}**

## Desktop app {desktop_version}
The desktop app for macOS and Windows has been rebuilt. It starts about twice as fast, uses less memory, and lets you drag files from your computer straight onto upload fields. A menu-bar or tray icon shows how many approvals are waiting. It needs macOS {macos_min} or later, or Windows {windows_min} or 11. Version 1.x receives security fixes until 31 March 2026.

## Accessibility
Following an external audit against {wcag}:
- error messages on forms are announced by screen readers and linked to their fields;
- focus order in the form builder follows the visual layout;
- every approval action can be completed by keyboard alone.

Our updated conformance report is on the trust portal.

## Other changes
- Reports can be pinned to a workspace home page.
- Form builders can set a custom message for the *form closed* page.

## Fixes
- Fixed slow loading of the submissions table for forms with more than 200 fields.
""")

release("5.11", "API v1 retirement date and guest improvements", """
# Release {ver} ({rel_date})

## API v1 will be retired on {api_v1_sunset_long}
API v2 has been generally available since {product} 4.0, and nearly all traffic now uses it. API v1 will stop answering on **{api_v1_sunset_long}**. From today, v1 responses include a `Sunset` header with that date and a `Deprecation` header, and workspace admins whose tokens still call v1 get a monthly email listing the endpoints they use. The API overview page has a table mapping each v1 endpoint to its v2 equivalent.

## Guests
- Guests can be given an expiry date, after which their access ends automatically.
- Admins can see every guest in the workspace in one list, with the forms and file requests each one can reach.
- Guest limits per plan are unchanged.

## Other changes
- Approval comments support @mentions of other approvers.
- The submissions table can be grouped by any choice field.

## Fixes
- Fixed an issue where the `X-RateLimit-Reset` header could be negative for a few milliseconds at the end of a window.
""")

# ===========================================================================
# PUBLIC -- API guides
# ===========================================================================

doc("api-overview", "API overview", "api", "2025-10-14", """
# API overview

The {product} REST API lets you build forms, read and create submissions, manage members and react to events from your own code. Everything you can do in the app, you can do through the API.

**Base URL.** `{api_base_url}`. Each region also has its own host — for example `https://{us_east_host}/v2` for US East or `https://{ca_central_host}/v2` for Canada — and calling it directly saves a redirect.

**Format.** Requests and responses are JSON encoded as UTF-8, except file uploads, which use multipart form data. Timestamps are ISO 8601 in UTC. IDs are opaque strings with a type prefix (`frm_`, `sub_`, `usr_`…); don't parse them.

**Authentication.** Send a personal access token or an OAuth access token in the `Authorization: Bearer` header. See *API authentication*.

**Limits.** Requests are limited per token per minute according to your plan, and some endpoints have their own limits. A request body can be up to {api_max_request_mb} MB (file uploads excepted), and a request that takes longer than {api_request_timeout_s} seconds is cancelled with a 503.

**Versions.** The current version is **{api_current_version}**. Additive changes — new endpoints, new optional parameters, new fields in responses — happen without a version change, so your client should ignore fields it doesn't recognise. API v1 is deprecated and will be switched off on **{api_v1_sunset_long}**.

**Support.** Include the `X-Request-Id` response header when you report a problem; it identifies the call in our logs.
""")

doc("api-authentication", "API authentication and tokens", "api", "2024-11-12", """
# API authentication and tokens

Every API call must carry a token in the `Authorization` header:

```
Authorization: Bearer qw_pat_2hT9...
```

### Personal access tokens
Create one under **Account → Developer → Tokens**. A token acts as you: it can do what your role allows, limited further by the scopes you pick when creating it. Tokens start with `{api_token_prefix}` and are shown once; we store only a hash.

Personal access tokens {token_max_lifetime}. You can revoke a token at any time, and tokens are revoked automatically when their owner is removed from the workspace.

### OAuth 2.0 apps
If you're building an integration other people will install, register an OAuth app under **Settings → Developer → OAuth apps** and use the authorization-code flow with PKCE. Access tokens last one hour; refresh tokens last 60 days and rotate on each use.

### Scopes
Request only what you need. Available scopes: {oauth_scopes}. A call that needs a scope your token doesn't have fails with **403** `forbidden`.

### Service accounts
On Business and Enterprise, admins can create a service account — a non-human member that owns tokens for integrations — so that integrations don't break when the person who set them up leaves.

### Common mistakes
- Sending the token as a query parameter: we reject it, because URLs end up in logs.
- Using a token from one region's workspace against another region's host: you'll get **401** `unauthorized`.
""", old=[(1, "2024-02-19", ["token_max_lifetime"], {})],
    extra={"oauth_scopes": ", ".join(f"`{s}`" for s in F.API["oauth_scopes"])})

doc("api-errors", "API errors and error codes", "api", "2025-03-25", """
# API errors and error codes

When a request fails, the API returns an HTTP status code and a JSON body like this:

```
{{"error": {{"code": "validation_failed", "message": "Field 'amount' must be a number.", "field": "amount", "request_id": "req_8Kd02..."}}}}
```

`code` is stable and safe to branch on; `message` is for humans and may change.

### Codes shared by all endpoints
{common_error_table}

### Endpoint-specific codes
Some endpoints add their own codes, such as `quota_exceeded` (HTTP 402) when the monthly submission allowance is used up, `form_locked` (423) while a form is being published, or `file_quarantined` (410) when a download is blocked by the malware scan. Each endpoint's page lists the codes it can return.

### Retrying
Retry **429**, **500** and **503** with exponential backoff starting at one second, and honour `Retry-After` when it's present. Don't retry **4xx** errors other than 429 without changing the request — they will fail again.

For `POST` requests that create things, send an `Idempotency-Key` header so that a retry after a timeout can't create a duplicate. Keys are remembered for {api_idempotency_hours} hours.
""", extra={"common_error_table": "| HTTP status | Code | Meaning |\n|---|---|---|\n" +
            "\n".join(f"| {s} | `{c}` | {m} |" for s, c, m in F.COMMON_ERRORS)})

doc("api-pagination", "Paginating list endpoints", "api", "2025-03-25", """
# Paginating list endpoints

Endpoints that return lists — forms, submissions, users, webhooks, audit events — return results in pages, using cursors rather than page numbers. Cursors stay correct even when items are added while you're reading, so you won't skip or repeat anything.

### Request
- `limit` — how many items you want in this page. The default is {api_page_default}. Most endpoints accept up to {api_page_max}; the submissions list accepts up to {submissions_page_max}.
- `cursor` — leave it out for the first page; afterwards, pass the `next_cursor` value from the previous response.

### Response
```
{{"data": [ ... ], "next_cursor": "c_MjAyNS0w...", "has_more": true}}
```

Keep requesting with the new cursor until `has_more` is `false`. A cursor is valid for 24 hours.

### Tips
- Ask for the largest page you can handle. Fewer pages means fewer requests counted against your rate limit.
- If you're syncing regularly, combine pagination with a filter such as `updated_since` or `submitted_after`, and store the time you started the sync rather than the time you finished.
- Results are ordered by creation time, newest first, unless the endpoint's page says otherwise. The order can't be changed.

A cursor is tied to the filters used for the first request. Changing filters mid-way returns **400** `invalid_request`.
""")

doc("api-webhooks", "Webhooks: events, signatures and retries", "api", "2024-10-08", """
# Webhooks: events, signatures and retries

Webhooks push events to your server as they happen, so you don't have to poll. Create them in **Settings → Webhooks** or with `POST /webhooks`. A workspace can have up to {webhooks_per_workspace} webhooks.

### Events
There are {webhook_event_count} event types: {webhook_events}. Each webhook subscribes to the events you choose.

### Delivery
We send a `POST` with a JSON body to your HTTPS URL. Your endpoint must answer with any 2xx status within {webhook_timeout_s} seconds; anything else, or a timeout, counts as a failure. Deliveries are usually made within a few seconds, but ordering isn't guaranteed — use the `occurred_at` field if order matters.

### Retries
A failed delivery is retried up to {webhook_retries} times over about {webhook_retry_window}, with increasing gaps between attempts.{disable_note}

### Verifying signatures
{signature_text}

### Being idempotent
A retry can deliver an event you've already processed. Every event has a unique `id`; store the IDs you've handled and ignore repeats.
""", old=[(1, "2024-04-30", ["webhook_retries", "webhook_retry_window"], {
        "disable_note": "",
        "signature_text": "Each request has a `Quaywise-Signature` header containing an HMAC-SHA256 of the raw body, computed with the webhook's secret. Recompute it on your side and compare the two values in constant time.",
        "webhook_events": ", ".join(f"`{e}`" for e in F.WEBHOOK_EVENTS if e != "export.completed"),
        "webhook_event_count": num(len(F.WEBHOOK_EVENTS) - 1)})],
    extra={
        "disable_note": f" If every delivery to a URL fails for {F.PRODUCT['webhook_disable_hours']} hours, the webhook is disabled and admins are emailed.",
        "signature_text": "Each request has a `Quaywise-Signature` header containing a timestamp and an HMAC-SHA256 of the timestamp and raw body, computed with the webhook's secret. Recompute it on your side, compare in constant time, and reject requests whose timestamp is more than five minutes old."})

# ===========================================================================
# PUBLIC -- API reference, one page per endpoint
# ===========================================================================
# (title, introduction, closing notes). Structured parts come from facts.ENDPOINTS.
ENDPOINT_PROSE = {
    "list-workspaces": (
        "List workspaces",
        "Returns the workspaces in your organisation that the token's owner belongs to. Most integrations call this once at start-up to find the `workspace_id` they need for everything else.",
        "Workspaces in other regions are included in the list, each with a `region` field and the `api_host` to use for it. Calls about a workspace must go to its own region's host."),
    "get-workspace": (
        "Retrieve a workspace",
        "Fetches one workspace: its name, plan, region, seat count and the usage figures shown under **Settings → Usage**.",
        "The `usage` object reports storage in bytes and this month's submissions and workflow runs, so you can warn people before they reach a limit. Figures are refreshed every five minutes."),
    "list-forms": (
        "List forms",
        "Lists the forms in a workspace, newest first. Use the filters to fetch only published forms, or only forms changed since your last sync.",
        "Forms in the trash are never returned. Archived forms are returned only when you ask for `status=archived`. The response contains form metadata only; request a single form to get its fields."),
    "create-form": (
        "Create a form",
        "Creates a new form in draft state. You can define the fields in the request or copy them from a template, then publish the form later with `PATCH /forms/{{form_id}}`.",
        "On Free and Starter, creating a form beyond the plan's form limit fails with **402** `plan_limit_reached`. Field keys must be unique within the form and are used as the answer keys when creating submissions."),
    "get-form": (
        "Retrieve a form",
        "Returns a single form. Add `include=fields` to get the full field definitions, `workflow` for the approval chain and automations, or `stats` for submission counts.",
        "The response carries an `ETag` header. Send it back in `If-Match` when you update the form so that you don't overwrite someone else's changes."),
    "update-form": (
        "Update a form",
        "Changes a form's title, fields or status. To publish a draft, send `status: published`; to stop accepting responses, archive it.",
        "Sending `fields` replaces the whole list, so fetch the form first and send back the complete set. A stale `If-Match` value returns **409** `conflict`; fetch again and reapply your change. Removing a field doesn't delete answers already submitted to it."),
    "delete-form": (
        "Delete a form",
        "Moves a form, together with its submissions and files, to the workspace trash.",
        "Deleted forms can be restored from the trash in the app for {trash_days} days; after that they're gone for good. There's no API call to empty the trash, by design. A form that's being published or migrated returns **423** `form_locked` — wait a few seconds and try again."),
    "list-submissions": (
        "List submissions",
        "Returns the submissions to one form, newest first. This is the endpoint to use for syncing responses into another system.",
        "{page_note} Combine `submitted_after` with the cursor to pick up only what's new since your last run."),
    "create-submission": (
        "Create a submission",
        "Submits a response to a published form on someone's behalf — for example from a kiosk, a legacy system or an import job.",
        "Answers are validated exactly as in the web form, including required fields and conditional logic. A form that is closed or archived returns **409** `submission_closed`; a workspace that has used its monthly allowance returns **402** `quota_exceeded`. Use an `Idempotency-Key` so that retries can't create duplicates."),
    "get-submission": (
        "Retrieve a submission",
        "Returns one submission with its answers, status and submitter. Ask for `include=approvals` to get the decision history of each approval step, or `history` for every edit.",
        "File answers contain file IDs, not the files themselves; download them with `GET /files/{{file_id}}/download`. A submission in the trash returns **404**."),
    "upload-file": (
        "Upload a file",
        "Uploads a file so that it can be attached to a submission or placed in a folder. Send the request as `multipart/form-data`.",
        "The largest file you can upload is your plan's per-file limit: {free_attachment} on Free, {starter_attachment} on Starter, {team_attachment} on Team, {business_attachment} on Business and {enterprise_attachment} on Enterprise. Larger files are refused with **413** `payload_too_large`. Executables and scripts are refused with **415** `file_type_blocked`. The file is scanned for malware before it can be downloaded."),
    "download-file": (
        "Download a file",
        "Redirects to a short-lived URL from which the file can be downloaded. Follow the redirect with any HTTP client; the URL is valid for five minutes.",
        "Files that failed the malware scan return **410** `file_quarantined` and can't be downloaded by anyone. Downloads don't count toward the per-minute API limit once you've followed the redirect."),
    "decide-approval": (
        "Approve or reject a step",
        "Records a decision on an approval step, exactly as if the approver had pressed the button in the app. The token's owner must be an approver on that step.",
        "A comment is required when rejecting. If the step uses the *Any one* rule and someone else decided first, you'll get **409** `approval_already_decided`; fetch the submission to see the outcome. Decisions made through the API are labelled as such in the audit log."),
    "list-users": (
        "List members",
        "Lists the members of a workspace with their role, status and last sign-in. Guests are included, with `role: guest`.",
        "Requires an admin token with the `users:admin` scope. Suspended members (for example, deprovisioned by SCIM) are included with `status: suspended`; removed members are not."),
    "invite-user": (
        "Invite a member",
        "Sends an invitation email to join a workspace with the given role.",
        "If all paid seats are taken the call fails with **402** `seat_limit_reached` — add seats first, or remove someone. Inviting an address that's already a member returns **409** `conflict`. Invitations are limited to {api_invites_per_hour} per hour per workspace, separately from the per-minute limit."),
    "remove-user": (
        "Remove a member",
        "Removes a member from a workspace, freeing their seat. Their submissions and comments stay; forms they owned can be handed to another member with `transfer_to`.",
        "You can't remove the last Owner (**409** `last_owner`). The member's API tokens are revoked and their sessions in the workspace end immediately. If you use SCIM, deprovision through your identity provider instead, or the member may be re-created at the next sync."),
    "create-webhook": (
        "Create a webhook",
        "Subscribes an HTTPS endpoint to events in a workspace. Before saving, we send a test ping to the URL to make sure it answers.",
        "A workspace can have up to {webhooks_per_workspace} webhooks; the next one fails with **402** `plan_limit_reached`. If the URL doesn't answer the ping with a 2xx status within {webhook_timeout_s} seconds, the call fails with **422** `webhook_url_unreachable`. The signing secret is returned only in this response. Delivery, signatures and retries are described on *Webhooks: events, signatures and retries*."),
    "list-webhooks": (
        "List webhooks",
        "Lists the webhooks in a workspace with their URL, subscribed events, state and the time of the last successful delivery.",
        "Use `state=disabled` to find webhooks that were switched off after repeated failures. Secrets are never included in the response; rotate a secret from the app if it's lost."),
    "create-export": (
        "Start an export",
        "Starts an export of a form's submissions in the background and returns an export ID to poll.",
        "A workspace can run {export_concurrent} exports at the same time and start {export_per_hour} per hour. Starting an identical export while one is running returns **409** `export_in_progress` with the existing export's ID. Subscribe to the `export.completed` webhook event instead of polling if you export often."),
    "get-export": (
        "Check an export",
        "Returns the state of an export — `queued`, `running`, `completed` or `failed` — and, when it has completed, the download URL.",
        "Download URLs stay valid for {export_link_expiry} after the export completes. After that the endpoint returns **410** `export_expired` and you need to start a new export. Archives larger than {export_max_gb} GB are split into parts, each with its own URL."),
    "list-audit-events": (
        "List audit events",
        "Returns audit-log events for the workspace, oldest first, so you can copy them into a SIEM or archive.",
        "Available on Business and Enterprise only; other plans get **403** `plan_feature_unavailable`. Events are kept for {business_audit_log_days} days on Business and up to {enterprise_audit_log_years} years on Enterprise. This endpoint has its own limit of {api_audit_per_minute} requests per minute."),
    "start-workflow-run": (
        "Start a workflow run",
        "Runs a workflow against an existing submission — useful for re-running a failed automation or triggering one from an external event.",
        "Each run counts toward the workspace's monthly workflow runs. When they're used up the call returns **402** `quota_exceeded`. Set `dry_run` to `true` to check the steps without running them; dry runs don't count. Starting runs is limited to {api_runs_per_minute} per minute."),
}

RATE_TEXT = {
    None: "Counts toward the token's per-minute limit for your plan (from {free_api_rpm} on Free to {enterprise_api_rpm} on Enterprise).",
    "upload": "Counts toward the plan limit, and uploads are also capped at {api_upload_per_minute} per minute.",
    "invites": "Counts toward the plan limit, and invitations are also capped at {api_invites_per_hour} per hour per workspace.",
    "exports": "Counts toward the plan limit; in addition, {export_concurrent} concurrent exports and {export_per_hour} per hour per workspace.",
    "audit": "Has its own limit of {api_audit_per_minute} requests per minute.",
    "runs": "Counts toward the plan limit, and runs started through the API are also capped at {api_runs_per_minute} per minute.",
}

ERROR_MEANINGS = {c: m for _, c, m in F.COMMON_ERRORS}
ERROR_MEANINGS.update(F.EXTRA_ERROR_MEANINGS)

ENDPOINT_DATES = {"list-submissions": "2025-03-25", "create-submission": "2024-04-30",
                  "list-audit-events": "2024-08-27", "create-webhook": "2024-10-08",
                  "create-export": "2024-12-10", "get-export": "2024-12-10",
                  "upload-file": "2024-01-23", "start-workflow-run": "2025-08-26"}


def esc(text):
    return text.replace("{", "{{").replace("}", "}}")


for ep in F.ENDPOINTS:
    title, intro, notes = ENDPOINT_PROSE[ep["slug"]]
    extra = {}
    rows = ""
    for n, where, typ, req, desc in ep["params"]:
        row = f"| `{n}` | {where} | {typ} | {'yes' if req else 'no'} | {desc} |"
        if ep["slug"] == "list-submissions" and n == "status":
            # the status filter arrived in 5.4, together with the larger page size
            extra["status_row"] = "\n" + row
            rows += "{status_row}"
        else:
            rows += ("\n" if rows else "") + row
    errs = "\n".join(f"| {st} | `{code}` | {ERROR_MEANINGS[code]} |" for st, code in ep["errors"])
    body = (f"# {title}\n\n{intro}\n\n```\n{ep['method']} {F.API['base_url']}{esc(ep['path'])}\n```\n\n"
            f"**Scope:** `{ep['scope']}`  \n**Rate limit:** {RATE_TEXT[ep['rate']]}\n\n"
            f"### Parameters\n| Name | In | Type | Required | Description |\n|---|---|---|---|---|\n{rows}\n\n"
            f"### Errors\n| Status | Code | Meaning |\n|---|---|---|\n{errs}\n\n"
            "Any endpoint can also return `unauthorized`, `rate_limited` and server errors; see *API errors and error codes*.\n\n"
            f"{notes}")
    old = []
    if ep["slug"] == "list-submissions":
        extra["page_note"] = ("Because this endpoint is used for bulk syncs, it accepts larger pages than other "
                              f"list endpoints: up to {F.API['submissions_page_max']} submissions per request.")
        old = [(1, "2024-11-12", ["submissions_page_max"], {
            "status_row": "",
            "page_note": f"Pages hold up to {F.OLD['submissions_page_max']} submissions, like every other list endpoint."})]
    doc(f"api-{ep['slug']}", f"API reference: {ep['method']} {ep['path']}", "api",
        ENDPOINT_DATES.get(ep["slug"], "2025-03-25"), body, old=old, extra=extra)

# ===========================================================================
# COMPANY-INTERNAL (tenant "shared", not public)
# ===========================================================================

doc("internal-postmortem-inc-2024-0917", "Postmortem: INC-2024-0917, EU Central outage", "runbook", "2024-09-24", """
# Postmortem — INC-2024-0917: EU Central unavailable for 47 minutes

**Status:** final · **Severity:** 1 · **Author:** Platform Reliability · **Blameless review held:** 2024-09-23

## Summary
On 17 September 2024, from 09:12 to 09:59 UTC, the web app and API in EU Central (`eu1`) returned TLS handshake errors to most clients. Published forms in the region were also unreachable. Other regions were unaffected. Total customer-facing impact: **47 minutes**.

## What happened
An automated rotation of the wildcard certificate for `*.eu1.quaywise.example` completed on the load balancers but the new intermediate certificate was missing from the bundle. Modern browsers with a cached intermediate kept working, which delayed detection: our synthetic probes use a clean trust store and alerted at 09:19, but the alert was routed to the US on-call queue because of a stale routing rule.

## Timeline (UTC)
- 09:12 rotation job completes
- 09:19 probe alert fires, routed to wrong queue
- 09:41 EU support escalates after 30+ tickets
- 09:52 previous certificate bundle restored
- 09:59 error rates back to normal

## Follow-ups
1. Rotation job validates the full chain against a clean trust store before switching (done).
2. Alert routing rules tested weekly (done).
3. Status page updated automatically by probe alerts for Severity 1 (in progress).

Service credits were issued to Business and Enterprise workspaces in `eu1` whose monthly uptime fell below their commitment.
""", data_class="internal")

doc("internal-postmortem-inc-2025-0211", "Postmortem: INC-2025-0211, delayed webhook deliveries", "runbook", "2025-02-18", """
# Postmortem — INC-2025-0211: webhook deliveries delayed up to 3 h 12 min

**Severity:** 2 · **Regions:** all · **Owner:** Integrations team

## Customer impact
Between 14:05 and 17:17 UTC on 11 February 2025, webhook events were delivered late — by up to **3 hours 12 minutes** at the peak. No events were lost; all were delivered in order of creation once the backlog cleared. The app and API were otherwise unaffected.

## Root cause
A customer endpoint began responding very slowly (about 9.8 seconds, just under our 10-second timeout) rather than failing. Delivery workers were shared across all tenants, so slow-but-successful deliveries to one endpoint tied up most of the worker pool. The retry logic introduced in 4.9 worked as designed; the problem was concurrency, not retries.

## Why it took three hours
Our alerting watched delivery *failure* rate, which stayed low. The backlog was noticed by a support engineer after customers asked why Slack notifications were late.

## Actions
- Per-endpoint concurrency cap of 20 in-flight deliveries (shipped 2025-02-14).
- Alert on queue age above 5 minutes, not just failure rate (shipped).
- Endpoints averaging above 5 seconds are flagged to the workspace admin (planned for 5.4).

Support macro `webhook-delay-2025-02` explains the incident to customers. Do not share this document externally; use the public incident summary on the status page instead.
""", data_class="internal")

doc("internal-postmortem-inc-2024-0522", "Postmortem: INC-2024-0522, stale search results in US East", "runbook", "2024-05-29", """
# Postmortem — INC-2024-0522: search lag in US East

**Severity:** 3 · **Duration:** 96 minutes · **Region:** `us1`

## What customers saw
New submissions took up to 40 minutes to appear in search and in filtered submission tables, although they were saved correctly and visible when opened directly. Approvals, notifications and exports were not affected.

## Cause
A reindexing job, started to add partial-word matching ahead of release 4.6, was run against the live cluster instead of the shadow cluster because both shared a configuration file. The job consumed most of the cluster's write capacity, and incremental indexing of new submissions fell behind.

## Resolution
The job was paused at 15:46 UTC; the lag drained within 22 minutes. The reindex was completed over the following weekend on the shadow cluster and switched over with no impact.

## Lessons
- Shadow and live search clusters now use separate credentials, so a job pointed at the wrong one fails instead of running.
- We added a dashboard panel and alert for indexing lag above 2 minutes.
- Support learned that "my submission is missing" tickets during this kind of event can be answered with a direct link — the data is there.

No service credits were due: the app remained available throughout, and search lag is not counted as downtime under the SLA.
""", data_class="internal")

doc("internal-pricing-rollout-2024", "Rollout notes: April 2024 price change", "pricing", "2024-03-12", """
# Rollout notes — April 2024 price change (internal)

**Owner:** Revenue Operations · **Announce:** {price_change_announced} with release 4.4 · **Effective for new subscriptions:** {price_change_effective}

## The change
- Starter: ${old_starter_monthly} → ${starter_monthly} monthly; ${old_starter_annual} → ${starter_annual} per month billed annually
- Team: ${old_team_monthly} → ${team_monthly} monthly; ${old_team_annual} → ${team_annual} per month billed annually
- Business and Enterprise list prices unchanged

## Existing customers
All existing Starter and Team subscriptions keep the old price until **{price_change_grandfathered_until}**. The first renewal on or after that date bills at the new price. Annual customers who renew in the window get one more year at the old price — this is deliberate; do not "correct" those invoices.

## Communication
- Owners emailed on announcement day, again 30 days before their first renewal at the new price.
- Help-centre pricing page updated on the effective date, not before. Changelog 4.4 carries the announcement.
- Sales may not offer the old price to new customers after {price_change_effective}. Exceptions need VP Sales approval and go through the discount approval matrix.

## Support guidance
If a customer asks why prices changed, point to the larger file limits (4.2), offline mode (4.3) and reporting (4.4). If they threaten to churn over the increase, offer annual billing first: on Team annual the new price is still below the old monthly price.
""", data_class="internal")

doc("internal-runbook-region-failover", "Runbook: regional database failover", "runbook", "2025-05-19", """
# Runbook — regional database failover

**Audience:** Platform on-call · **Last drill:** April 2025 (`au1`) · **Classification:** internal

Use this runbook when the primary database in a region is unhealthy and automatic failover has not completed within 5 minutes.

## 1. Confirm
- Check the `db-primary-health` dashboard for the region. Automatic failover normally completes in under 3 minutes; do not intervene before 5.
- Confirm replication lag on the standby is below 60 seconds. If it is higher, page the database lead before continuing: promoting a lagging standby loses data and breaks our RPO of {rpo_hours} hour only in the worst case, but it is still data loss.

## 2. Declare
- Open a Severity 1 incident in the incident channel and post to the status page: *"Investigating degraded service in [region]"*.
- Assign incident commander, communications lead and scribe.

## 3. Promote
- Run `qwops db promote --region <code> --confirm` from the bastion. The command fences the old primary before promoting.
- Application pods pick up the new primary through service discovery within about 60 seconds.

## 4. Verify
- Synthetic probes green for 10 consecutive minutes.
- Error rate below 0.5% and webhook queue age below 5 minutes.

## 5. Afterwards
Rebuild a new standby, update the status page, and schedule the postmortem within five business days. Our public RTO for a full regional loss is {rto_hours} hours; a single-database failover should take well under one.
""", data_class="internal")

doc("internal-runbook-rate-limit-overrides", "Runbook: granting temporary API rate-limit overrides", "runbook", "2025-01-15", """
# Runbook — temporary API rate-limit overrides

Support and Solutions Engineering occasionally need to lift a customer's API limit for a migration or a one-off backfill. This page is the only approved way to do it.

## Who can approve
- Up to 2× the plan limit for up to 72 hours: any Support team lead.
- Above 2×, or longer than 72 hours: Platform on-call **and** the customer's account owner.
- Permanent increases are not overrides. They are sold as API capacity packs (+{addon_api_pack_rpm} rpm for ${addon_api_pack_price_month}/month) or written into an Enterprise order form.

## How
1. Open a ticket in the `RATE-OVERRIDE` queue with workspace ID, requested limit, start and end times, and the reason.
2. Approver comments "approved" on the ticket.
3. On-call runs `qwops ratelimit set --workspace ws_... --rpm N --expires <ISO time>`. The expiry is mandatory; the tool refuses overrides without one.
4. Tell the customer the exact end time in UTC.

## Guard rails
- Never exceed 10,000 rpm for a single workspace without checking regional capacity on the `api-gateway` dashboard.
- Overrides do not apply to endpoint-specific limits (uploads, invites, audit events, exports).
- Free-plan workspaces are not eligible.

Contractual overrides for named Enterprise customers are recorded in their account notes, not here.
""", data_class="internal")

doc("internal-support-escalation", "Support escalation guide", "runbook", "2025-06-09", """
# Support escalation guide (internal)

This guide tells frontline support when and how to escalate beyond the queue.

## Escalate to engineering on-call immediately when
- a customer reports Severity 1 impact and the status page shows nothing;
- anyone reports seeing another customer's data (treat as a potential security incident — also page Security);
- a workspace's data appears to be missing rather than filtered.

## Escalate to the Security on-call when
- a report mentions phishing forms hosted on our domain;
- a customer suspects a compromised account with admin rights;
- a vulnerability report arrives through support instead of {security_email}.

## Escalate to Billing when
- a customer disputes a charge above $1,000;
- an invoice-paying customer is about to hit the read-only step of the dunning schedule ({read_only_after_days} days) — Billing will usually extend.

## Enterprise specifics
Enterprise tickets go to the named CSM in parallel with the queue. For Severity 1, call the customer's listed on-call contact by phone within 15 minutes of acknowledging, and update them at least every hour.

## What not to do
- Don't grant credits on your own; credits follow the SLA process.
- Don't access a workspace without the customer's grant from the ticket, even if it would be faster.
- Don't share internal postmortems. Use the public summaries.
""", data_class="internal")

doc("internal-discount-approval", "Sales discount approval matrix", "pricing", "2025-01-06", """
# Sales discount approval matrix

**Classification:** confidential — do not forward outside Sales, Finance and Revenue Operations.

Discounts are measured against the current list price for the plan and billing cycle, before nonprofit or education discounts (which are not combined with sales discounts).

| Discount off list | Who can approve |
|---|---|
| Up to {rep_pct}% | Account executive, on their own authority |
| Up to {manager_pct}% | Sales manager |
| Up to {vp_pct}% | VP Sales |
| Above {vp_pct}% | CFO, with a written business case |

## Rules
- Multi-year terms may add up to 5 points on top of the tier, with the same approver.
- Discounts apply to seats only, never to add-ons, which are sold at list.
- A renewal can't be discounted more deeply than the original deal without the next approver up.
- Enterprise seats below {enterprise_min_seats} need VP Sales approval regardless of discount.

## Record keeping
Every approved discount is recorded on the opportunity with the approver's name and the date. Finance audits a sample every quarter. Deals closed with an unapproved discount are re-papered at list price on renewal.

## Reminder
Customers sometimes compare notes. Consistency matters more than winning one deal: if you wouldn't be comfortable explaining a discount to another customer of the same size, escalate it.
""", data_class="confidential", extra={"rep_pct": num(F.SALES_DISCOUNT_MATRIX["rep"]),
                                        "manager_pct": num(F.SALES_DISCOUNT_MATRIX["manager"]),
                                        "vp_pct": num(F.SALES_DISCOUNT_MATRIX["vp"])})

doc("internal-v1-api-sunset-plan", "Plan: retiring API v1", "api", "2025-10-06", """
# Plan — retiring API v1 (internal)

**Sunset date:** {api_v1_sunset} · **To be announced:** release 5.11, 14 October 2025 · **Owner:** Developer Platform

## Where we are
About 3% of API traffic still uses v1, from roughly 140 workspaces. Two thirds of that comes from three integrations built by customers years ago and never updated.

## Milestones
1. **5.11** — `Sunset` and `Deprecation` headers on every v1 response; monthly email to admins of workspaces still calling v1.
2. **1 December 2025** — brownout: v1 returns **410** for one hour, 15:00–16:00 UTC, to flush out forgotten integrations.
3. **12 January 2026** — second brownout, four hours.
4. **{api_v1_sunset}** — v1 returns **410** permanently.

## Exceptions
Extensions past the sunset date require Developer Platform and the VP Engineering to sign off, last at most 90 days, and are only for Enterprise customers with a committed migration plan. Any extension granted is recorded in the customer's account notes.

## Support
The public API overview has the v1-to-v2 endpoint map. Support macro `api-v1-sunset` covers the common questions. Solutions Engineering will pair with any Enterprise customer who asks for migration help.

## Risks
The brownouts may trigger Severity 1 tickets from customers who ignored the emails. Support should answer them as Severity 2, link to the announcement and restore nothing — the brownout ends on its own.
""", data_class="internal")

doc("internal-free-seat-change-rollout", "Rollout notes: Free plan member limit (5.5)", "pricing", "2025-04-22", """
# Rollout notes — Free plan member limit, release 5.5 (internal)

**Change:** new Free workspaces allow {free_max_seats} members instead of {old_free_max_seats}. **Ships:** 29 April 2025.

## Why
Analysis of the last twelve months showed that Free workspaces with four or five members almost never upgraded, while those that reached three did so at twice the rate if they hit a limit within their first month. The intention is to make Starter the natural home for small teams, not to push anyone out.

## Existing workspaces
No existing Free workspace loses members. If one has more than {free_max_seats}, everyone keeps access, but new invitations are blocked until the count drops below the limit. Roughly 11,000 workspaces are in this state.

## Comms
- Changelog 5.5 and the Free plan help page, updated on release day.
- No email to existing Free workspaces: they aren't affected, and we don't want to cause alarm.
- Starter 7-day trial, launched in the same release, is mentioned in the invite-blocked dialog.

## Support guidance
Customers asking for an exception: there isn't one on Free. Offer the Starter trial. Nonprofits can be pointed to the nonprofit discount on Team.

## Metrics to watch
Free-to-Starter conversion at 30 and 90 days, and any rise in support tickets tagged `free-limit`. Review at the 5.7 planning meeting.
""", data_class="internal")

# ===========================================================================
# CUSTOMER TENANT: halyard (Halyard Freight Group)
# ===========================================================================
T = "halyard"

doc("halyard-order-form", "Halyard Freight Group: Enterprise order form summary", "contract", "2024-06-21", """
# Order form summary — {halyard_company}

**Contract ID:** {halyard_contract_id} · **Plan:** {product} Enterprise · **Prepared by:** {company} account team

| Item | Agreed |
|---|---|
| Seats | {halyard_seats} |
| Price per seat | ${halyard_price} per user per month, billed annually in advance |
| Annual subscription fee | ${halyard_annual_value} |
| Term | {halyard_term_months} months, {halyard_term_start_long} to {halyard_term_end_long} |
| Hosting | {halyard_region_label}, dedicated cell `{halyard_cell}` |
| Uptime commitment | {halyard_sla}% monthly (see SLA addendum) |
| Payment | Invoice, {net_terms_days} days net, billed in EUR at the rate fixed on signature |

**Price protection.** The per-seat price is fixed for the whole term. Seats added during the term are charged at the same ${halyard_price} rate, pro rata, through the quarterly true-up.

**Renewal.** The order renews for 12 months unless either party gives written notice at least {halyard_renewal_notice_days} days before the end of the term. The renewal price may rise by no more than 5% over the current rate.

**Included.** Customer-managed keys, 24/7 Severity 1 support, a named technical account manager ({halyard_tam_name}), and any AI features {company} adds to Enterprise during the term at no extra charge.

**Governing law.** Laws of Germany; courts of Hamburg. This overrides the default in the public Terms of Service.

The signed PDF is held by Halyard Procurement and by {company} Legal. This summary is for internal reference by both account teams.
""", tenant=T, data_class="confidential")

doc("halyard-sla-addendum", "Halyard Freight Group: SLA addendum", "contract", "2024-06-21", """
# SLA addendum — {halyard_contract_id}

This addendum replaces the standard Enterprise uptime commitment for {halyard_company}.

## Commitment
{company} commits to **{halyard_sla}% monthly availability** for the workspaces hosted in cell `{halyard_cell}`. Availability is measured by external probes, run by {company}, against Halyard's workspace URLs and the regional API host `{eu_central_host}`, not against the region as a whole.

## Service credits
| Monthly availability | Credit (% of monthly fee) |
|---|---|
| Below {halyard_sla}% but at least 99.9% | {halyard_sla_credit_pct}% |
| Below 99.9% but at least 99.0% | 30% |
| Below 99.0% | 50% |

Credits are claimed by Halyard's IT Service Manager within 30 days of month end and applied to the next annual invoice.

## Maintenance
Planned maintenance affecting the dedicated cell is scheduled only between 01:00 and 04:00 Central European Time on Sundays, with at least 7 days' notice — longer than the standard notice in the public SLA — and is excluded from the calculation.

## Chronic failure
If availability falls below 99.9% in any three months of a rolling twelve-month period, Halyard may terminate the agreement without penalty and receive a pro-rata refund of prepaid fees.

## Recovery objectives
RPO 15 minutes and RTO 2 hours for the dedicated cell, tested jointly once a year.
""", tenant=T, data_class="confidential")

doc("halyard-data-residency", "Halyard Freight Group: hosting and data residency", "security", "2025-01-13", """
# Hosting and data residency — Halyard

Halyard's workspaces are hosted in {product}'s **{halyard_region_label}** region (`{halyard_region_code}`), on a dedicated cell, `{halyard_cell}`. A dedicated cell means Halyard's application servers, databases and search indexes serve no other customer. File storage is logically separated per workspace and encrypted with Halyard's own key.

## Where data lives
- Forms, submissions, files, backups and indexes: Frankfurt only.
- Backups: replicated to a second Frankfurt facility, never outside Germany.
- Support tickets: Halyard has opted into EU-only support handling; tickets are worked by the Dublin support team.
- Quaywise Assist: enabled, processed by the EU endpoint of the model provider.

## Retention
Customs declarations and freight documents are kept for **{halyard_retention_years} years** to satisfy German commercial and tax record-keeping rules. Retention rules on the forms `customs-declaration`, `freight-audit` and `proof-of-delivery` are locked by {company} at Halyard's request and can only be changed through a signed change request.

## Encryption keys
Halyard supplies the key-encryption key from its own AWS KMS account in Frankfurt. Revoking it makes the cell unreadable within 15 minutes. The key policy is owned by Halyard Platform Engineering.

## Changes
Any change to hosting location requires 90 days' written notice from {company} and Halyard's written consent.
""", tenant=T, data_class="confidential")

doc("halyard-oncall-contacts", "Halyard Freight Group: on-call and escalation contacts", "runbook", "2025-08-04", """
# On-call and escalation contacts — Halyard

**Restricted:** personal contact details. Share only with people on the escalation path.

## Halyard side
| Name | Role | Email | Phone |
|---|---|---|---|
| {halyard_c1_name} | {halyard_c1_role} | {halyard_c1_email} | {halyard_c1_phone} |
| {halyard_c2_name} | {halyard_c2_role} | {halyard_c2_email} | {halyard_c2_phone} |
| {halyard_c3_name} | {halyard_c3_role} | {halyard_c3_email} | {halyard_c3_phone} |

For Severity 1 incidents outside German business hours, call the **{halyard_c3_name}** first; they will wake the right engineer. {halyard_c1_name} is the technical decision-maker for failovers and key revocation.

## {company} side
- Technical account manager: {halyard_tam_name}, {halyard_tam_email}
- Enterprise support line: {support_phone} (quote contract {halyard_contract_id})
- Escalation beyond the TAM: {company} Director of Customer Success, via the TAM or the support line.

## Order of escalation
1. Ticket at Severity 1 and phone call to the support line.
2. If no human response within 30 minutes, call the TAM.
3. Halyard's NOC informs {halyard_c2_name}, who owns communication to Halyard's depots.

Contact details are reviewed every quarter by both sides; the last review was in August 2025.
""", tenant=T, data_class="restricted")

doc("halyard-runbook-tms-sync", "Halyard runbook: Bollard TMS customs-declaration sync failures", "runbook", "2025-04-07", """
# Runbook — customs-declaration sync to {halyard_tms} fails

Halyard's depots submit customs declarations in {product}. A webhook on `submission.created` and `approval.decided` sends each declaration to `https://{halyard_webhook_host}/quaywise`, where a small service writes it into {halyard_tms}. Brokers see declarations in the TMS within a minute of approval.

## Symptoms
- Brokers report approved declarations missing in {halyard_tms}.
- The webhook's delivery log in {product} shows non-2xx responses or timeouts.

## Steps
1. In {product}, open **Settings → Webhooks → tms-customs** and look at the last deliveries. Timeouts usually mean the hooks service is down; 4xx responses usually mean a schema change in the TMS.
2. Check the `quaywise-hooks` service in Halyard's cluster. Restart it if it's unhealthy.
3. {product} retries failed deliveries {webhook_retries} times over about {webhook_retry_window}, so short outages heal themselves. If the webhook was disabled after {webhook_disable_hours} hours of failures, re-enable it and use **Replay** for the affected period (up to 7 days back).
4. For anything older, run the backfill job `tms-backfill --since <date>`, which reads approved declarations through `GET /forms/{{form_id}}/submissions` with `status=approved`.

## Don't
- Don't re-submit declarations by hand in the TMS; the backfill de-duplicates by submission ID, manual entries don't.
- Don't raise the rate of the backfill above 4,000 requests per minute — it shares Halyard's contractual API limit with the depots' scanners.
""", tenant=T, data_class="internal")

doc("halyard-runbook-freight-audit", "Halyard runbook: month-end freight audit export", "runbook", "2025-05-05", """
# Runbook — month-end freight audit export

Finance needs every approved freight invoice of the month as one archive by the third working day of the next month. This is produced from the `freight-audit` form.

## Schedule
An automated job starts the export at 02:00 CET on the first day of each month. It calls `POST /exports` with `format: pdf_bundle` and `include_files: true`, then polls until the export completes.

## Typical size
The archive is usually 35–60 GB, so it arrives in several parts: {product} splits archives above {export_max_gb} GB. The job downloads each part and writes them to the finance share `hal-fin01/audit/<yyyy-mm>`.

## If the job fails
- **409 export_in_progress:** someone started the same export manually. Let it finish; the job will pick up its ID.
- **410 export_expired:** the links were not collected in time. Download links last {export_link_expiry}; start a new export.
- **Rate limited (429):** exports are limited to {export_per_hour} per hour per workspace. Wait and retry.

## Sign-off
{halyard_c2_name} confirms the archive with Finance and closes the month in the service calendar. If the archive is not complete by the second working day, raise a Severity 3 ticket with {company} quoting contract {halyard_contract_id}.

The 10-year retention on `freight-audit` means the source submissions remain available for any re-export.
""", tenant=T, data_class="internal")

doc("halyard-integration-notes", "Halyard integration notes: API usage and tokens", "api", "2025-01-20", """
# Integration notes — Halyard API usage

## Contractual API limit
Halyard's order form sets the API limit at **{halyard_api_rpm} requests per minute** per token, double the standard Enterprise limit of {enterprise_api_rpm}. The higher limit is configured on cell `{halyard_cell}` and does not need API capacity packs. Endpoint-specific limits (uploads, invites, exports, audit events) are the standard ones.

## Host
Always call `https://{eu_central_host}/v2`. The global host would redirect, adding latency for the depots' handheld scanners.

## Service accounts
All integrations use service accounts, not personal tokens:
- `svc-tms-sync` — webhooks and backfill for {halyard_tms} (scopes: `submissions:read`, `webhooks:manage`)
- `svc-scanner-gw` — depot scanner gateway that creates proof-of-delivery submissions (`submissions:write`, `files:write`)
- `svc-siem` — audit-event export to Halyard's SIEM (`audit:read`)

Tokens are rotated every 180 days by Platform Engineering; the current rotation calendar is in Halyard's internal wiki. The {product} maximum token lifetime of {api_token_max_lifetime_days} days is a hard ceiling, so rotation must not slip.

## Known quirks
- The scanner gateway sends photos as large as 40 MB; well inside the Enterprise per-file limit of {enterprise_attachment}, but slow over depot Wi-Fi. Compression is enabled on the upload field.
- Idempotency keys are the scanner's event IDs, so duplicate scans don't create duplicate submissions.
""", tenant=T, data_class="internal")

doc("halyard-security-review", "Halyard security review: findings and agreed controls", "security", "2024-06-14", """
# Security review — Halyard Freight Group

Completed by Halyard Information Security before signature of {halyard_contract_id}. This document records the findings and the controls {company} agreed to.

## Scope
SOC 2 Type II report, ISO/IEC 27001 certificate, penetration-test summary, DPA, and a two-hour architecture session with {company} security engineering.

## Findings
1. **Shared infrastructure.** Halyard required that its data not share databases with other customers. *Resolved* by hosting on dedicated cell `{halyard_cell}`.
2. **Key control.** Halyard required control of encryption keys. *Resolved* with customer-managed keys in Halyard's own AWS KMS account.
3. **Support access.** Halyard required that support staff outside the EU never access its workspaces. *Resolved:* EU-only support handling; access only by per-ticket grant.
4. **Audit logs.** Halyard wanted events streamed to its SIEM. *Resolved* through `GET /audit-events` with the `svc-siem` service account; Enterprise retention of {enterprise_audit_log_years} years applies in {product} as well.

## Agreed controls
- SSO required for all Halyard staff through Microsoft Entra ID; two-step verification enforced for the two break-glass Owner accounts.
- IP allowlist enforced for members (Halyard offices and VPN exits); not applied to guests such as external hauliers.
- Annual penetration test of the Halyard cell by Halyard's own provider, with 10 business days' notice.

Risk rating after controls: **low**. Review to be repeated before renewal.
""", tenant=T, data_class="confidential")

doc("halyard-account-plan", "Halyard account plan 2025", "contract", "2025-02-03", """
# Account plan 2025 — Halyard Freight Group

**Owner:** {halyard_tam_name} (TAM) · **Contract:** {halyard_contract_id}, running to {halyard_term_end_long}

## Where the account stands
{halyard_seats} seats are licensed; at the last quarterly true-up 612 were active. Most use is at the 41 depots: customs declarations, proof of delivery and damage reports. The finance team's freight audit moved to {product} in January 2025.

## Goals for 2025
1. Roll out proof-of-delivery on the handheld scanners to the remaining 9 depots by Q3.
2. Replace the email-based driver onboarding process with a guest-based file request flow.
3. Reach 640 active seats, which keeps the true-up near zero.

## Commercial notes
The negotiated rate of ${halyard_price} per seat is well below Enterprise list (${enterprise_annual}). Halyard's procurement team has asked informally whether the rate would hold for a second term; the order form caps any renewal increase at 5%. The renewal conversation should start no later than the notice deadline, {halyard_renewal_notice_days} days before the term ends.

## Risks
- Halyard's parent group is evaluating a group-wide forms platform in 2026.
- The {halyard_tms} integration depends on one engineer at Halyard ({halyard_c1_name}'s team).

## Next review
Quarterly business review in May 2025 in Hamburg.
""", tenant=T, data_class="confidential")

doc("halyard-custom-limits", "Halyard: limits that differ from the standard Enterprise plan", "limits", "2024-07-08", """
# Limits that differ from standard Enterprise — Halyard

Most of Halyard's limits are the standard Enterprise ones. This page lists only what the contract changes, so that support engineers don't have to read the order form.

| Limit | Standard Enterprise | Halyard |
|---|---|---|
| API requests per minute per token | {enterprise_api_rpm} | {halyard_api_rpm} |
| Monthly uptime commitment | {enterprise_sla}% | {halyard_sla}% |
| Retention on customs and freight forms | set by customer | {halyard_retention_years} years, locked |
| Planned-maintenance notice | {sla_maintenance_notice_hours} hours | 7 days |
| Support region | global | EU-only |
| Hosting | shared cells in region | dedicated cell `{halyard_cell}` |

## Everything else is standard
- Per-file upload limit: {enterprise_attachment}
- Storage: {enterprise_storage} per seat, pooled
- Workflow runs: {enterprise_workflow_runs_month} per month
- Audit-log retention: {enterprise_audit_log_years} years

## Changing a limit
Limit changes are contract changes. The TAM raises a change request; Legal and Platform both approve; the new value is written here and in the cell configuration on the same day.

If a Halyard user reports hitting a limit that this page says is higher, assume a configuration drift on the cell and page Platform on-call.
""", tenant=T, data_class="internal")

# ===========================================================================
# CUSTOMER TENANT: verbena (Verbena Health Partners)
# ===========================================================================
T = "verbena"

doc("verbena-order-form", "Verbena Health Partners: Enterprise order form summary", "contract", "2024-11-18", """
# Order form summary — {verbena_company}

**Contract ID:** {verbena_contract_id} · **Plan:** {product} Enterprise · **Signed:** February 2024

| Item | Agreed |
|---|---|
| Seats | {verbena_seats} |
| Price per seat | ${verbena_price} per user per month, billed annually |
| Annual subscription fee | ${verbena_annual_value} |
| Term | {verbena_term_months} months, {verbena_term_start_long} to {verbena_term_end_long} |
| Region | {verbena_region_label} |
| Business Associate Agreement | Signed {verbena_baa_signed}, effective for the whole term |
| Payment | Invoice, annual in advance, net {net_terms_days} |

**Scope of use.** Patient intake, consent, referral and incident-reporting forms across Verbena's {verbena_clinics} clinics, plus internal HR and facilities requests.

**Special terms**
- Quaywise Assist is **disabled** on every form tagged as containing protected health information (PHI), per the BAA. Assist remains available for non-clinical forms.
- Audit-log retention is set to {verbena_audit_years} years, rather than the Enterprise default of {enterprise_audit_log_years}, to match Verbena's HIPAA documentation policy.
- Recovery time objective for the workspace: {verbena_rto_hours} hours (standard is {rto_hours}).

**Renewal.** Automatic renewal for 12 months unless notice is given 60 days before {verbena_term_end_long}.

Signed copies are held by Verbena's Contracts Office and {company} Legal. This summary was last updated in November 2024 to record the Quaywise Assist exclusion agreed when Assist launched.
""", tenant=T, data_class="confidential")

doc("verbena-baa-summary", "Verbena Health Partners: Business Associate Agreement summary", "contract", "2024-11-18", """
# Business Associate Agreement — summary for operations staff

{company} and {verbena_company} signed a HIPAA Business Associate Agreement on **{verbena_baa_signed}**. The BAA lets Verbena collect protected health information (PHI) in {product}. This summary explains what it means in day-to-day operation; the signed agreement governs.

## What {company} must do
- Use PHI only to provide {product} to Verbena.
- Report any breach of unsecured PHI to Verbena's Privacy Officer without unreasonable delay and no later than 10 calendar days after discovery — stricter than the 60 days HIPAA allows.
- Make sure subprocessors that touch PHI have signed equivalent agreements. Vellum AI (Quaywise Assist) is **excluded**: Assist is disabled on PHI forms.
- Return or destroy PHI at the end of the agreement, at Verbena's choice.

## What Verbena must do
- Collect PHI only in the Verbena Enterprise workspace, never in trial or sandbox workspaces.
- Tag every form that collects PHI with the *PHI* label, which enforces the Assist block and the stricter session timeout.
- Limit access to the minimum necessary, using form-level permissions.

## Contacts
Breach and privacy matters: {verbena_c2_name}, {verbena_c2_email}. {company} privacy team: {privacy_email}.
""", tenant=T, data_class="restricted")

doc("verbena-sla-addendum", "Verbena Health Partners: availability and recovery terms", "contract", "2024-10-28", """
# Availability and recovery terms — {verbena_contract_id}

Verbena keeps the standard Enterprise uptime commitment of **{enterprise_sla}%** per month, measured as described in the public SLA. What differs is recovery.

## Recovery objectives
- **RTO:** {verbena_rto_hours} hours for the Verbena workspace in {verbena_region_label}, instead of the standard {rto_hours}.
- **RPO:** {rpo_hours} hour (standard).

To meet the shorter RTO, {company} keeps a warm standby of the Verbena workspace in US East that can be promoted if the Oregon region is lost. The standby is covered by the BAA and is the only place Verbena data exists outside Oregon.

## Service credits
Standard Enterprise credit tiers apply. In addition, if a regional recovery takes longer than {verbena_rto_hours} hours, Verbena receives a one-off credit of 25% of the monthly fee, whatever the month's availability.

## Maintenance
Because clinics open at 07:00 Pacific Time, maintenance on Verbena's infrastructure must finish by 05:00 Pacific Time. The public window, {sla_maintenance_window}, satisfies this.

## Testing
The standby promotion is rehearsed jointly once a year. The last rehearsal, in October 2024, completed in 1 hour 26 minutes.
""", tenant=T, data_class="confidential")

doc("verbena-oncall-contacts", "Verbena Health Partners: escalation contacts", "runbook", "2025-07-14", """
# Escalation contacts — Verbena

**Restricted.** Contains personal phone numbers. Do not paste into tickets.

## Verbena
| Name | Role | Email | Phone |
|---|---|---|---|
| {verbena_c1_name} | {verbena_c1_role} | {verbena_c1_email} | {verbena_c1_phone} |
| {verbena_c2_name} | {verbena_c2_role} | {verbena_c2_email} | {verbena_c2_phone} |
| {verbena_c3_name} | {verbena_c3_role} | {verbena_c3_email} | {verbena_c3_phone} |

- Outages affecting patient intake: call {verbena_c1_name} first. She decides when clinics switch to paper.
- Anything that might involve PHI exposure: {verbena_c2_name}, in addition to the normal incident process. The BAA clock starts at discovery.
- Password resets and access requests from clinic staff: the {verbena_c3_name}, not {company} support.

## {company}
- Technical account manager: {verbena_tam_name}, {verbena_tam_email}
- Enterprise support, 24/7 for Severity 1: {support_phone}

## Hours
Clinics operate 07:00–19:00 Pacific Time, Monday to Saturday. A Severity 1 incident during those hours affects patients directly; {company} on-call should assume maximum urgency.

Reviewed every six months. Next review: January 2026.
""", tenant=T, data_class="restricted")

doc("verbena-runbook-intake-fallback", "Verbena runbook: patient intake outage and paper fallback", "runbook", "2025-04-28", """
# Runbook — patient intake outage and paper fallback

Patient intake at all {verbena_clinics} clinics runs on {product} tablets at reception. If intake is unavailable, patients still need to be seen.

## Decision rule
If the intake form has been unusable for **{verbena_fallback_minutes} minutes** at more than one clinic, {verbena_c1_name} (or the on-duty clinical applications lead) declares a fallback. Single-clinic problems are usually local Wi-Fi; call the IT Service Desk first.

## During fallback
1. Reception staff use the printed intake packet (form VHP-INT-07), kept in the red folder at each front desk.
2. Tablets stay on; the {product} app queues any intake already started offline, up to {offline_queue} submissions per device.
3. The IT Service Desk posts updates to the clinic managers' channel every 30 minutes.

## Recovery
1. When {product} is confirmed healthy, clinics keep using paper until the current patient is finished, then switch back.
2. Paper packets are entered through the *Paper backlog* form within 2 business days, by the clinic's medical assistants.
3. Scanned paper packets are uploaded as attachments to the matching submission, then shredded per policy.

## Afterwards
Log the fallback duration in the clinical incident register. If the outage was on {company}'s side, the TAM ({verbena_tam_name}) provides the incident report; compare recovery time against the contractual RTO of {verbena_rto_hours} hours.
""", tenant=T, data_class="internal")

doc("verbena-runbook-records-request", "Verbena runbook: handling a patient records request", "runbook", "2025-01-13", """
# Runbook — patient requests a copy of their forms

Under HIPAA, patients can request copies of their records. Intake, consent and referral forms held in {product} are part of the designated record set.

## Steps
1. Requests arrive through the Privacy Office. {verbena_c2_name}'s team verifies identity and logs the request in the privacy register.
2. A member of the Health Information team with the *Records Export* permission searches submissions by the patient's medical record number (the `mrn` field), across the intake, consent and referral forms.
3. Select the matching submissions and export as **PDF bundle**. Exports containing PHI are only permitted for that permission group; others receive a permission error.
4. The download link is valid for {export_link_expiry}. Download promptly and store the file in the Privacy Office's secure folder, never on a laptop.
5. Send the records to the patient through the patient portal, not by email.

## Deadline
Verbena's policy is to respond within 15 days, half of the 30-day HIPAA limit.

## Audit trail
Every export is recorded in the {product} audit log, which Verbena retains for {verbena_audit_years} years under its contract. Note the export's audit event ID in the privacy register.

## Corrections
If the patient asks for a correction, don't edit the original submission. Submit an amendment form that references it, so the original stays intact.
""", tenant=T, data_class="internal")

doc("verbena-integration-notes", "Verbena integration notes: Meridian Bridge to the EHR", "api", "2025-06-16", """
# Integration notes — {verbena_ehr_bridge}

Completed intake forms flow from {product} into Verbena's electronic health record through {verbena_ehr_bridge}, an interface engine operated by Verbena IT.

## Flow
1. A patient completes intake on a reception tablet.
2. {product} sends a `submission.created` webhook to the bridge's HTTPS listener in Verbena's Oregon data centre.
3. The bridge fetches the full submission with `GET /submissions/{{submission_id}}?include=files`, maps it to the EHR's intake message format and posts it to the EHR.
4. The bridge writes the EHR encounter ID back into the submission's hidden `ehr_encounter` field by starting the *Record encounter* workflow with `POST /workflows/{{workflow_id}}/runs`.

## Network
Calls go to `https://{us_west_host}/v2`. The bridge's outbound addresses are on the workspace IP allowlist, which has {verbena_ip_ranges} ranges in total (Enterprise allows up to {enterprise_ip_ranges}).

## Tokens
The bridge uses the service account `svc-meridian` with `submissions:read` and `submissions:write`. Its token expires every 90 days; Verbena IT rotates it two weeks early.

## Failure handling
Webhook retries cover brief bridge outages. If the bridge is down for longer, the bridge replays from the delivery log on restart. Reception staff never need to re-enter data; the only symptom is that encounters appear late in the EHR.

Owner at Verbena: {verbena_c1_name}'s Clinical Applications team.
""", tenant=T, data_class="internal")

doc("verbena-security-config", "Verbena security configuration record", "security", "2024-12-02", """
# Security configuration record — Verbena workspace

This record lists the security settings agreed between Verbena Information Security and {company}. Any change needs a ticket approved by both sides.

| Setting | Value | Reason |
|---|---|---|
| Single sign-on | Required, via Verbena's identity provider | Central joiner/leaver control |
| SCIM provisioning | On | Same-day removal of leavers |
| Idle session timeout | {verbena_session_idle_minutes} minutes | Shared reception tablets |
| IP allowlist | {verbena_ip_ranges} ranges, members only | Clinics, offices, VPN |
| Audit-log retention | {verbena_audit_years} years | HIPAA documentation policy |
| Quaywise Assist | Off for PHI-tagged forms | BAA exclusion |
| Exports of PHI forms | Records Export group only | Minimum necessary |
| Guest access | Off for PHI-tagged forms | No external access to PHI |

## Tablets
Reception tablets are managed devices in kiosk mode. They sign in as named reception staff, and the {verbena_session_idle_minutes}-minute timeout is deliberately short so that a tablet left unattended at the front desk signs itself out.

## Reviews
Settings are checked quarterly against this record by Verbena's security analyst, using the audit-log filter *Security settings changed*. The November 2024 review found no drift.

## Encryption
Verbena uses {product}'s managed keys, not customer-managed keys. This was reconsidered in 2024 and rejected because key revocation would stop clinic operations.
""", tenant=T, data_class="confidential")

doc("verbena-renewal-notes", "Verbena renewal preparation notes", "contract", "2025-09-15", """
# Renewal preparation — Verbena Health Partners

**Current term ends:** {verbena_term_end_long} · **Notice deadline:** 60 days before · **TAM:** {verbena_tam_name}

## Usage
{verbena_seats} seats licensed, about 1,150 active in the last quarter. Three new clinics are expected to open in spring 2026, adding roughly 90 seats.

## What Verbena has asked for
1. Keep the ${verbena_price} per-seat rate for a further 24 months.
2. Add the new clinics' seats at the same rate.
3. Extend the warm standby arrangement, which is working well.
4. Clarify whether Quaywise Assist could be used on PHI forms if the model provider signs a BAA in future. Our answer for now: not within this term.

## Our position (draft, not shared with the customer)
A rate held flat for a second term would mean no increase since 2024. Enterprise list remains ${enterprise_annual}. Suggest holding the rate in exchange for a 36-month term, with the new seats added at the same rate.

## Timeline
- October 2025: usage review with {verbena_c1_name}.
- November 2025: proposal.
- Before the notice deadline: signature, or a short extension agreed in writing.

Risks: budget freeze announced by Verbena's board in August 2025; competing platform bundled with the EHR vendor.
""", tenant=T, data_class="confidential")

doc("verbena-clinic-rollout-notes", "Verbena notes: onboarding a new clinic", "help", "2025-03-03", """
# Onboarding a new clinic onto {product}

Each new Verbena clinic follows the same checklist, owned by Clinical Applications. It normally takes two weeks from network go-live to first patient.

## Two weeks before opening
- Add the clinic's network range to the workspace IP allowlist ({verbena_ip_ranges} ranges are in use; plenty of room remains).
- Create the clinic's folder from the *Clinic template* folder, which copies intake, consent, referral and incident forms with the PHI label already applied.
- Order reception tablets from Verbena IT; they arrive pre-enrolled in kiosk mode.

## One week before
- Staff are added through the identity provider. SCIM creates them in {product} within minutes; clinic managers get the Editor role on their folder, reception staff Contributor.
- Train reception staff on the intake flow and the paper fallback (see the intake fallback runbook).

## Opening day
- Clinical Applications is on site. The first ten intakes are checked in the EHR to confirm that {verbena_ehr_bridge} is posting encounters correctly.

## After opening
- Add the clinic's manager to the escalation list if they are on the on-call rota.
- Seats: each clinic uses 25–35. Tell the TAM when a clinic opens so the quarterly true-up is no surprise.

Verbena has opened {verbena_clinics} clinics on {product} so far; the checklist was last revised after the Eugene opening in February 2025.
""", tenant=T, data_class="internal")

# ===========================================================================
# CUSTOMER TENANT: foxglove (Foxglove Credit Union)
# ===========================================================================
T = "foxglove"

doc("foxglove-order-form", "Foxglove Credit Union: Business subscription order", "contract", "2024-12-16", """
# Subscription order — {foxglove_company}

**Order:** {foxglove_contract_id} · **Plan:** {product} Business, annual · **Account manager:** {foxglove_tam_name}

| Item | Agreed |
|---|---|
| Seats | {foxglove_seats} |
| Seat price | ${foxglove_price} per user per month, billed annually (list ${foxglove_list_price}) |
| Annual seat fee | ${foxglove_annual_value} (CAD equivalent invoiced) |
| Term | {foxglove_term_start_long} to {foxglove_term_end_long} |
| Region | {foxglove_region_label} |
| Add-ons | 1 API capacity pack (${addon_api_pack_price_month}/month); 1 sandbox workspace (${addon_sandbox_price_month}/month) |
| Extended support | {foxglove_support_extra} |

**Why Business and not Enterprise.** Foxglove's {foxglove_seats} seats sit below the Enterprise minimum, and its requirements — SSO, audit logs, IP allowlisting and Canadian hosting — are all met by Business.

**Discount.** The seat price reflects a 7% discount off the Business annual list price, in recognition of Foxglove's three-branch pilot in 2024. Add-ons are at list price.

**Renewal.** Renews for 12 months unless either party gives notice {foxglove_renewal_notice_days} days before {foxglove_term_end_long}.

**Invoicing.** Foxglove is invoiced in Canadian dollars, payable within {net_terms_days} days.
""", tenant=T, data_class="confidential")

doc("foxglove-support-addendum", "Foxglove Credit Union: extended support hours", "contract", "2025-06-09", """
# Extended support addendum — {foxglove_contract_id}

Standard Business support is available {business_support_hours}. Foxglove's branches open at 8:00 Atlantic Time and its contact centre runs until 21:00, so the parties agreed an extension.

## What Foxglove gets
- **Phone support**, which standard Business does not include: {foxglove_support_extra}. Number: {support_phone}, quoting order {foxglove_contract_id}.
- Severity 1 first response within **1 hour** during those phone hours, instead of the standard Business target of {business_s1}.
- A monthly 30-minute service review with {foxglove_tam_name}.

## What stays standard
- Email and chat support at Business levels outside the phone hours.
- The Business uptime commitment of {business_sla}% and standard service credits.
- No weekend phone coverage. Weekend Severity 1 issues use the standard Business process.

## Price
The extension is included in the seat price for this term. At renewal it will be priced separately if Foxglove moves to a multi-year term.

*Amended June 2025, when standard Business support became 24/5. The phone hours and the Severity 1 target above did not change.*

## Contacts
Foxglove's named callers are listed in the escalation contacts document. Only named callers may open phone tickets; others are asked to email.
""", tenant=T, data_class="confidential")

doc("foxglove-data-residency", "Foxglove Credit Union: Canadian hosting requirements", "security", "2025-01-06", """
# Canadian hosting requirements — Foxglove

Foxglove's board policy requires member data to be stored in Canada. {product} meets this through the **{foxglove_region_label}** region (`{foxglove_region_code}`), launched in release 5.1 on {ca_central_launched}.

## What stays in Canada
All workspace content — loan applications, member document uploads, account-change requests and their attachments — plus backups and search indexes. The sandbox workspace is also in `{foxglove_region_code}`, and Foxglove has agreed to use only synthetic data there.

## What does not
Member (staff) names and emails used for sign-in, billing records and support tickets are processed in the United States, as described in {product}'s public data-region documentation. Foxglove's privacy officer accepted this in writing in December 2024, because no credit-union member data is involved.

## Assist
Quaywise Assist is **not** enabled. Foxglove would need Canadian processing before considering it, which {company} does not currently offer.

## API host
All integrations call `https://{ca_central_host}/v2`. The Tidemark connector was reconfigured from the US host in January 2025 after a brief period in a US East pilot workspace, which has since been deleted.

## Evidence for auditors
The workspace's region is shown under **Settings → General**. {company} provides a region attestation letter yearly on request.
""", tenant=T, data_class="confidential")

doc("foxglove-oncall-contacts", "Foxglove Credit Union: escalation contacts", "runbook", "2025-06-30", """
# Escalation contacts — Foxglove

**Restricted.** Named callers for extended phone support and incident escalation.

## Foxglove named callers
| Name | Role | Email | Phone |
|---|---|---|---|
| {foxglove_c1_name} | {foxglove_c1_role} | {foxglove_c1_email} | {foxglove_c1_phone} |
| {foxglove_c2_name} | {foxglove_c2_role} | {foxglove_c2_email} | {foxglove_c2_phone} |
| {foxglove_c3_name} | {foxglove_c3_role} | {foxglove_c3_email} | {foxglove_c3_phone} |

- Loan application form problems during branch hours: {foxglove_c1_name}.
- Anything suspicious — unexpected sign-ins, phishing reports, a member reporting a look-alike form: {foxglove_c2_name}, immediately.
- Evenings after 22:00 and weekends: the {foxglove_c3_name}.

## {company}
- Account manager: {foxglove_tam_name}, {foxglove_tam_email}
- Phone support (extended hours): {support_phone}

## Notes
Foxglove's operations desk can approve an emergency change to the IP allowlist when a branch's internet provider changes its address, but must tell {foxglove_c2_name} the next business day.

Last verified: June 2025.
""", tenant=T, data_class="restricted")

doc("foxglove-runbook-loan-form", "Foxglove runbook: loan application form unavailable", "runbook", "2025-04-07", """
# Runbook — online loan application unavailable

Members apply for personal loans through the {product} form `{foxglove_loan_form}`, embedded on foxglove.example. About 60% of applications arrive outside branch hours.

## Check first
1. Open {status_url} and look at the Canada components. If there's an incident, skip to *Member messaging*.
2. Open the form's public link directly. If it works but the embed doesn't, the problem is on our website, not {product} — call the web team.
3. Check whether the monthly submission allowance is exhausted: the form would show *not accepting responses*. Business includes {business_submissions_month} submissions a month; Foxglove normally uses about 14,000, so this would indicate abuse (for example, a bot). Tell {foxglove_c2_name}.

## Member messaging
Replace the embed with the maintenance banner (CMS snippet `loan-maint`) offering the phone line and branch appointments.

## Escalate
- Branch hours: {foxglove_c1_name} calls {company} phone support.
- Out of hours: the Operations Desk emails support at Severity 1 if the form has been down for more than 30 minutes.

## After recovery
Remove the banner, and ask the lending team to call any member who left contact details on the banner's callback form. Record the outage in the operational risk log with start and end times from the status page.
""", tenant=T, data_class="internal")

doc("foxglove-runbook-upload-holds", "Foxglove runbook: member document uploads held for scanning", "runbook", "2025-05-12", """
# Runbook — member uploads stuck "awaiting scan"

Members upload ID and income documents to loan applications and account-change requests. Every file is malware-scanned by {product} before staff can open it. Usually this takes seconds.

## Normal vs. abnormal
- A file awaiting scan for under **{foxglove_scan_hold_minutes} minutes** is normal at busy times, such as month end. Staff should wait.
- Longer than {foxglove_scan_hold_minutes} minutes for many files: check the *File uploads* component for Canada on the status page, then open a Severity 2 ticket.
- A file shown as **quarantined** failed the scan. It can't be downloaded by anyone, including admins (the API returns `file_quarantined`).

## Quarantined files
1. Do **not** ask the member to email the file instead — that bypasses scanning.
2. Lending staff ask the member to upload a fresh copy, ideally a new scan or photo.
3. Forward the submission ID to {foxglove_c2_name}, who reviews quarantined files weekly for patterns (a run of them can mean a member's device is infected).

## Large files
Members sometimes upload phone videos by mistake. Business allows files up to {business_attachment}, but the loan form limits uploads to 20 MB and PDF or image types only, which prevents most of this.

## Records
Quarantine events are in the audit log, retained for {business_audit_log_days} days on Business. Foxglove exports them monthly to its own archive.
""", tenant=T, data_class="internal")

doc("foxglove-integration-notes", "Foxglove integration notes: Tidemark Core connector", "api", "2025-04-14", """
# Integration notes — {foxglove_core} connector

Approved account-change requests and loan decisions are written into {foxglove_core}, Foxglove's core banking system, by a connector that Foxglove IT runs.

## How it works
- A webhook on `approval.decided` notifies the connector when a request is fully approved.
- The connector reads the submission (`GET /submissions/{{submission_id}}`), validates the member number against {foxglove_core}, and posts the change.
- Nightly, it lists the day's submissions (`GET /forms/{{form_id}}/submissions` with `submitted_after`) to catch anything a webhook missed, using page size 200.

## Rate limits
Business allows {business_api_rpm} requests per minute per token. Foxglove bought one API capacity pack (+{addon_api_pack_rpm}), so the connector's token can make **{foxglove_api_rpm} requests per minute**. The nightly reconciliation peaks at about 900.

## Testing
Changes to the connector are tested in the sandbox workspace first, which points at {foxglove_core}'s test environment. The sandbox has the same limits as production, including the capacity pack.

## Credentials
The connector uses a service account token with `submissions:read` and `webhooks:manage`, rotated every 90 days. Tokens can't live longer than {api_token_max_lifetime_days} days anyway.

## Ownership
Foxglove IT Integration team; escalation through {foxglove_c1_name}.
""", tenant=T, data_class="internal", extra={"foxglove_api_rpm": num(F.PLANS["business"]["api_rpm"] + F.ADD_ONS["api_pack"]["rpm"])})

doc("foxglove-security-review", "Foxglove security review summary", "security", "2025-07-07", """
# Security review summary — Foxglove Credit Union

Performed by Foxglove's Information Security Officer, {foxglove_c2_name}, before the 2025 subscription, and updated in July 2025. This summary is shared with {company} so that both sides know what was agreed.

## Evidence reviewed
SOC 2 Type II report, ISO/IEC 27001:2022 certificate, penetration-test summary letter, DPA and subprocessor list, and {product}'s data-region documentation.

## Controls Foxglove requires
1. **Single sign-on** through Microsoft Entra ID, required for all staff. One break-glass Owner account held by IT with a hardware security key.
2. **IP allowlist** for members: branches, head office and VPN — **{foxglove_ip_ranges} ranges** in use today, out of the {business_ip_ranges} Business has allowed since release 5.7. At signature the limit was {old_business_ip_ranges}, so Foxglove started with head office and VPN only and added the branches in July 2025. Guests are excluded.
3. **Session timeout** of 8 hours for the workspace.
4. **Audit logs** exported monthly, because Business retention ({business_audit_log_days} days) is shorter than Foxglove's seven-year records policy.
5. **Canadian hosting**, confirmed yearly.

## Residual risks accepted
- Account data (staff names and emails) processed in the US.
- No customer-managed keys on Business; Foxglove accepted {product}-managed {sec_encryption_at_rest} encryption.

## Follow-up
Re-review before each renewal. If branch count grows past about 40 sites, the allowlist may approach the Business ceiling; Enterprise allows {enterprise_ip_ranges} ranges.
""", tenant=T, data_class="confidential")

doc("foxglove-renewal-notes", "Foxglove renewal notes for 2026", "contract", "2025-09-22", """
# Renewal notes for 2026 — Foxglove

**Current order:** {foxglove_contract_id}, ends {foxglove_term_end_long} · **Notice deadline:** {foxglove_renewal_notice_days} days before · **Owner:** {foxglove_tam_name}

## Proposal sent 15 September 2025
- Seats: 195 (up from {foxglove_seats}), for the two branches opening in 2026.
- Seat price: **${foxglove_renewal_price}** per user per month, billed annually — still below the Business list price of ${foxglove_list_price}, but a dollar more than the current ${foxglove_price}.
- Extended phone support: kept, priced at $3,000 a year if the term stays at one year, included if Foxglove signs for three years.
- API capacity pack and sandbox: unchanged, at list price.

## Foxglove's response so far
{foxglove_c1_name} supports renewal. Finance has asked for the price to stay at ${foxglove_price}. The Information Security Officer wants a written statement that hosting will stay in Canada for the whole term, which we can give.

## Options if they push back on price
1. Hold ${foxglove_price} for a two-year term (within the account executive's own discount authority).
2. Hold ${foxglove_price} on the existing {foxglove_seats} seats, new seats at ${foxglove_renewal_price}.

## Timeline
Signature needed by the notice deadline, {foxglove_renewal_notice_days} days before {foxglove_term_end_long}, or the current order renews automatically on its existing terms.
""", tenant=T, data_class="confidential")

doc("foxglove-sandbox-notes", "Foxglove notes: using the sandbox workspace", "help", "2025-03-17", """
# Using the sandbox workspace — Foxglove

Foxglove has one {product} sandbox workspace, bought as an add-on for ${addon_sandbox_price_month} a month. It's a full Business workspace in {foxglove_region_label}, separate from production.

## What it's for
- Testing changes to the loan application form before members see them.
- Testing the {foxglove_core} connector against the core system's test environment.
- Training new lending staff without touching real applications.

## Rules
1. **Synthetic data only.** No real member names, numbers or documents, ever — this is a condition of Foxglove's hosting approval.
2. Forms move from sandbox to production with **Move form** only after {foxglove_c1_name} signs off the change ticket.
3. Sandbox members are the Digital Channels team, IT Integration, and trainers. Lending staff get temporary access during training.

## Differences from production
- The same limits, including the API capacity pack, so load tests are realistic.
- Webhooks point at the test connector, `connector-test.foxglove.example`.
- The sandbox isn't covered by the extended phone support; use email.

## Resetting
IT can reset the sandbox to a known state by deleting test submissions in bulk (up to 500 at a time). Deleted items sit in the trash for {trash_days} days like anywhere else, so empty the trash after a reset if storage matters.
""", tenant=T, data_class="internal")

# ===========================================================================
# Rendering
# ===========================================================================
CATEGORIES = ("help", "pricing", "limits", "security", "privacy", "changelog", "api",
              "runbook", "contract")
DATA_CLASSES = ("public", "internal", "confidential", "restricted")


def word_count(text):
    return len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’.,%$/-]*", text))


def render_docs():
    rows = []
    for spec in DOCS:
        assert spec["category"] in CATEGORIES, spec["doc_id"]
        assert spec["data_class"] in DATA_CLASSES, spec["doc_id"]
        olds = sorted(spec["old"], key=lambda o: o[0])
        entries = []
        for version, updated, keys, ex in olds:
            ctx = context(keys, {**spec["extra"], **ex})
            entries.append((version, updated, "superseded", spec["body"].format(**ctx)))
        current_version = olds[-1][0] + 1 if olds else 1
        ctx = context((), spec["extra"])
        entries.append((current_version, spec["updated"], "current", spec["body"].format(**ctx)))
        for version, updated, status, text in entries:
            rows.append({
                "id": f"kb-{len(rows) + 1:04d}",
                "doc_id": spec["doc_id"],
                "title": spec["title"],
                "category": spec["category"],
                "tenant": spec["tenant"],
                "data_class": spec["data_class"],
                "version": version,
                "status": status,
                "updated": updated,
                "text": text.strip() + "\n",
            })
    return rows


KB_ROWS = render_docs()
CURRENT = {(r["doc_id"]): r for r in KB_ROWS if r["status"] == "current"}

# ===========================================================================
# Golden questions
# ===========================================================================
# Each question cites pages by doc_id; they are resolved to the kb id of the
# current version when the file is written. Answers are built from CTX/RAW so
# they always agree with the documents.
KINDS = ("single_fact", "numeric", "multi_hop", "unanswerable", "ambiguous", "outdated")
QUESTIONS = []
# Patterns that must NOT occur in any document the asker can see, for each
# unanswerable question (checked at build time so "unanswerable" stays true).
UNANSWERABLE_PROBES = {}

c, R = CTX, RAW
IDK = "I don't know"


def q(kind, question, answer, docs=(), aliases=(), tenant="shared", num=None, old=None,
      probes=()):
    assert kind in KINDS
    QUESTIONS.append({"kind": kind, "question": question, "answer": answer,
                      "aliases": list(aliases), "docs": list(docs), "tenant": tenant,
                      "numeric_value": num, "outdated_answer": old})
    if kind == "unanswerable":
        UNANSWERABLE_PROBES[question] = list(probes)


def usd(x):
    return f"${x:,}"


P = {p: F.PLANS[p] for p in F.PLAN_ORDER}

# ---------------------------------------------------------------- single_fact
q("single_fact", "Which identity providers have you actually tested SAML login with?",
  "Okta, Microsoft Entra ID, Google Workspace and OneLogin", ["help-sso"])
q("single_fact", "How is our data encrypted when it's sitting on your servers?",
  "AES-256", ["security-encryption"], ["AES 256"])
q("single_fact", "What's the oldest TLS version your servers will still accept?",
  "TLS 1.2", ["security-encryption"], ["1.2"])
q("single_fact", "I think I found a security hole in Quaywise. Where should I send the details?",
  c["security_email"], ["security-vulnerability-disclosure"])
q("single_fact", "Which plans let us serve public forms from our own domain like forms.ourcompany.com?",
  "Business and Enterprise", ["help-custom-domains"])
q("single_fact", "What DNS record do I have to create to put my forms on a custom subdomain?",
  "A CNAME record pointing to custom.quaywise.example", ["help-custom-domains"],
  ["custom.quaywise.example", "CNAME"])
q("single_fact", "What's the base URL for the REST API?", c["api_base_url"], ["api-overview"])
q("single_fact", "What do Quaywise personal access tokens begin with?", c["api_token_prefix"],
  ["api-authentication"], ["qw_pat"])
q("single_fact", "Which request header stops a retried POST from creating a duplicate submission?",
  "Idempotency-Key", ["api-create-submission", "api-errors"])
q("single_fact", "Which HTTP header carries the signature on webhook requests you send us?",
  "Quaywise-Signature", ["api-webhooks"])
q("single_fact", "What algorithm do you use to sign webhook payloads?", "HMAC-SHA256", ["api-webhooks"],
  ["HMAC SHA-256"])
q("single_fact", "My integration is getting HTTP 402 when it posts submissions near the end of the month. What's the error code called?",
  "quota_exceeded", ["limits-submissions", "api-create-submission"])
q("single_fact", "What status code does the API send back when I've made too many requests?",
  "HTTP 429 with the code rate_limited", ["limits-api-rate", "api-errors"], ["429", "rate_limited"])
q("single_fact", "What accessibility standard are your published forms built to meet?",
  c["wcag"], ["help-accessibility"])
q("single_fact", "Which outside company runs the language model behind Quaywise Assist?",
  "Vellum AI", ["privacy-ai", "security-subprocessors"])
q("single_fact", "Which of your subprocessors sends the transactional emails?", "Letterkite",
  ["security-subprocessors"])
q("single_fact", "What region code does the Sydney region use?", c["ap_southeast_code"], ["privacy-regions"])
q("single_fact", "Which city is the EU West region in?", region_by_id("eu-west")["city"], ["privacy-regions"])
q("single_fact", "I'm signing up for Starter from Berlin. Which region will my workspace be created in?",
  "EU Central", ["privacy-regions"], ["Frankfurt"])
q("single_fact", "In which release could approvers start handling requests from Microsoft Teams?",
  "Quaywise 4.2", ["changelog-4-2"], ["4.2"])
q("single_fact", "Since which version can forms collect electronic signatures?", "release 5.8",
  ["help-e-signatures", "changelog-5-8"], ["5.8"])
q("single_fact", "Do e-signatures work on the Starter plan, or which plans have them?",
  "Team, Business and Enterprise", ["help-e-signatures"])
q("single_fact", "Which jurisdiction's law governs the standard Terms of Service?",
  "the State of New York", ["contract-terms-summary"], ["New York"])
q("single_fact", "When do you usually schedule planned maintenance?", c["sla_maintenance_window"],
  ["help-status-page"])
q("single_fact", "Which certification do you hold for privacy information management?", "ISO/IEC 27701",
  ["security-certifications"], ["ISO 27701"])
q("single_fact", "Since when have you had ISO 27001?", "June 2023", ["security-certifications"])
q("single_fact", "Can we sign a HIPAA BAA with you if we're on the Business plan?",
  "No. A BAA is available on the Enterprise plan only.", ["security-certifications"],
  ["Enterprise plan only"])
q("single_fact", "If a field gets hidden by a logic rule after someone typed in it, is that answer kept?",
  "No, answers to hidden fields are discarded when the form is submitted (unless Keep hidden answers is turned on).",
  ["help-conditional-logic"], ["discarded when the form is submitted"])
q("single_fact", "What role do people get when they're created automatically by SSO just-in-time provisioning?",
  "Contributor", ["help-sso"])
q("single_fact", "Which role can read submissions and reports but can't submit or approve anything?",
  "Viewer", ["help-roles"])
q("single_fact", "Can an Admin delete the workspace, or who is allowed to?", "Only an Owner",
  ["help-delete-workspace"])
q("single_fact", "What values can the format parameter take when starting an export through the API?",
  "csv, xlsx, json or pdf_bundle", ["api-create-export"])
q("single_fact", "Apart from cards, how can customers in the euro area pay?", "SEPA Direct Debit",
  ["pricing-payments-invoices"])
q("single_fact", "Which currencies can you bill us in?", c["currencies"], ["pricing-payments-invoices"])
q("single_fact", "A download keeps failing with file_quarantined. What does that mean?",
  "The malware scan flagged the file; it cannot be downloaded.", ["api-download-file"],
  ["The malware scan flagged the file"])
q("single_fact", "Which webhook event tells me an export has finished?", "export.completed",
  ["api-webhooks", "api-create-export"])
q("single_fact", "How do I contact your data protection officer?", c["dpo_email"], ["privacy-gdpr"])
q("single_fact", "Does anything we send to Quaywise Assist get used to train AI models?",
  "No. Assist content isn't used to train models, ours or anyone else's.",
  ["help-quaywise-assist", "privacy-ai"], ["isn't used to train models"])
q("single_fact", "What prefix do workspace IDs have?", "ws_", ["help-contact-support", "api-get-workspace"])
q("single_fact", "Which OAuth scope is needed to pull audit events?", "audit:read", ["api-list-audit-events"])
q("single_fact", "What's the endpoint path for approving or rejecting an approval step over the API?",
  "POST /approvals/{approval_id}/decision", ["api-decide-approval"], ["/approvals/{approval_id}/decision"])
q("single_fact", "When is API v1 going to be turned off?", c["api_v1_sunset_long"],
  ["api-overview", "changelog-5-11"])
q("single_fact", "Which apps does Quaywise connect to out of the box?", c["integrations"], ["help-integrations"])
q("single_fact", "Support asked for the request ID of a failed API call. Where do I find it?",
  "In the X-Request-Id response header", ["help-contact-support", "api-overview"], ["X-Request-Id"])
q("single_fact", "What time of day do notification digests arrive?", "8:00 in your profile's time zone",
  ["help-notifications"])
q("single_fact", "Our notification emails are landing in spam. Which sender address should IT allow?",
  "notifications@quaywise.example", ["help-notifications"])
q("single_fact", "What number do Enterprise customers call for phone support?", c["support_phone"],
  ["help-contact-support"])
q("single_fact", "Which company does Quaywise use to scan uploaded files for malware?", "Quillscan",
  ["security-subprocessors"])
q("single_fact", "Which version of the desktop app is current?", c["desktop_version"], ["help-desktop-app"])
# tenant-private single facts
q("single_fact", "Which dedicated cell are our workspaces running on?", F.TENANTS["halyard"]["cell"],
  ["halyard-data-residency"], tenant="halyard")
q("single_fact", "Who's our technical account manager on the Skerry side?", F.TENANTS["halyard"]["tam"][0],
  ["halyard-order-form"], tenant="halyard")
q("single_fact", "Which country's law governs our Quaywise contract?", "German law, with the courts of Hamburg",
  ["halyard-order-form"], ["Laws of Germany", "Germany"], tenant="halyard")
q("single_fact", "On what date was our Business Associate Agreement signed?", F.TENANTS["verbena"]["baa_signed"],
  ["verbena-baa-summary"], ["15 February 2024"], tenant="verbena")
q("single_fact", "What's the name of the interface engine that moves intake forms into our EHR?",
  F.TENANTS["verbena"]["ehr_bridge"], ["verbena-integration-notes"], tenant="verbena")
q("single_fact", "Patient intake is down at two clinics. Who do we call first?",
  F.TENANTS["verbena"]["contacts"][0][0], ["verbena-oncall-contacts"], tenant="verbena")
q("single_fact", "Which Quaywise region hosts our workspace?", c["foxglove_region_label"],
  ["foxglove-data-residency"], ["Montreal", "Canada"], tenant="foxglove")
q("single_fact", "What's the form ID of the online loan application?", F.TENANTS["foxglove"]["loan_form"],
  ["foxglove-runbook-loan-form"], tenant="foxglove")
q("single_fact", "Who should be told immediately if a member reports a look-alike phishing form?",
  F.TENANTS["foxglove"]["contacts"][1][0], ["foxglove-oncall-contacts"], tenant="foxglove")

# ---------------------------------------------------------------- numeric
def nq(question, answer, value, docs, aliases=(), tenant="shared"):
    q("numeric", question, answer, docs, aliases, tenant=tenant, num=value)


nq("How much is Business per user if we pay month to month?", f"${R['business_monthly']} per user per month",
   R["business_monthly"], ["pricing-plans", "pricing-billing-cycles"], [f"${R['business_monthly']}"])
nq("What's the per-user monthly price of Business on annual billing?", f"${R['business_annual']} per user per month",
   R["business_annual"], ["pricing-plans", "pricing-billing-cycles"], [f"${R['business_annual']}"])
nq("What's the starting list price for Enterprise?", f"from ${R['enterprise_annual']} per user per month, billed annually",
   R["enterprise_annual"], ["pricing-enterprise", "pricing-plans"], [f"${R['enterprise_annual']}"])
nq("What's the smallest number of seats you'll sell on Enterprise?", f"{R['enterprise_min_seats']} seats",
   R["enterprise_min_seats"], ["pricing-enterprise"], [str(R["enterprise_min_seats"])])
nq("What's the most seats a Team plan can have?", f"{R['team_max_seats']} seats", R["team_max_seats"],
   ["pricing-seat-changes", "pricing-plans"], [str(R["team_max_seats"])])
nq("We're on Starter and keep growing. How many people can we have before we must upgrade?",
   f"{R['starter_max_seats']} seats", R["starter_max_seats"], ["pricing-seat-changes"], [str(R["starter_max_seats"])])
nq("What's the seat ceiling on Business?", f"{c['business_max_seats']} seats", R["business_max_seats"],
   ["pricing-seat-changes"], [c["business_max_seats"]])
nq("How much storage does each Business seat add?", f"{R['business_storage_gb_per_seat']} GB per seat",
   R["business_storage_gb_per_seat"], ["limits-storage"])
nq("How much storage do you give per Team seat?", f"{R['team_storage_gb_per_seat']} GB per seat",
   R["team_storage_gb_per_seat"], ["limits-storage"])
nq("How much space does a Free workspace get in total?", f"{R['free_storage_gb_workspace']} GB",
   R["free_storage_gb_workspace"], ["limits-storage", "pricing-free-plan"])
nq("What's the biggest single file I can upload on Starter?", c["starter_attachment"], R["starter_attachment_mb"],
   ["limits-attachments"])
nq("How large can one uploaded file be on Enterprise?", c["enterprise_attachment"], 5,
   ["limits-attachments"])
nq("How many API calls per minute does a Free workspace get?", f"{R['free_api_rpm']} requests per minute",
   R["free_api_rpm"], ["limits-api-rate"], [str(R["free_api_rpm"])])
nq("What's the API rate limit on Team?", f"{R['team_api_rpm']} requests per minute", R["team_api_rpm"],
   ["limits-api-rate"], [str(R["team_api_rpm"])])
nq("What's the standard per-minute API limit for Enterprise?", f"{c['enterprise_api_rpm']} requests per minute",
   R["enterprise_api_rpm"], ["limits-api-rate"], [c["enterprise_api_rpm"]])
nq("How many files per minute can I push through the upload endpoint?", f"{c['api_upload_per_minute']} per minute",
   F.API["upload_per_minute"], ["limits-api-rate", "api-upload-file"])
nq("Is there a cap on how many invitations the API will send per hour?", f"{c['api_invites_per_hour']} per hour per workspace",
   F.API["invites_per_hour"], ["api-invite-user", "limits-api-rate"], [f"{c['api_invites_per_hour']} per hour"])
nq("How many submissions a month does the Team plan include?", c["team_submissions_month"],
   R["team_submissions_month"], ["limits-submissions"])
nq("What's the monthly submission allowance on Starter?", c["starter_submissions_month"],
   R["starter_submissions_month"], ["limits-submissions"])
nq("How many forms can I have on the Free plan?", f"{R['free_forms']} forms", R["free_forms"],
   ["limits-forms", "pricing-free-plan"])
nq("What's the maximum number of fields in one form?", f"{c['max_fields_per_form']} fields",
   F.PRODUCT["max_fields_per_form"], ["limits-forms"])
nq("How many steps can an approval chain have at most?", f"{c['max_approval_steps']} steps",
   F.PRODUCT["max_approval_steps"], ["help-approvals", "limits-forms"])
nq("How many files will a single file request accept?", f"{c['max_files_per_request']} files",
   F.PRODUCT["max_files_per_request"], ["help-file-requests", "limits-forms"])
nq("How many workflow runs a month come with Business?", c["business_workflow_runs_month"],
   R["business_workflow_runs_month"], ["limits-workflows"])
nq("How many guests can a Team workspace have?", f"{R['team_guests']} guests", R["team_guests"],
   ["limits-guests"], [str(R["team_guests"])])
nq("How many workspaces can a Business organisation create?", f"{R['business_workspaces']} workspaces",
   R["business_workspaces"], ["limits-workspaces"])
nq("How long is the free Business trial?", f"{c['trial_days']} days", F.TRIAL["days"], ["pricing-trials"])
nq("How many people can I invite while on the Business trial?", f"{c['trial_max_members']} members",
   F.TRIAL["max_members"], ["pricing-trials"])
nq("What discount do registered nonprofits get?", f"{c['nonprofit_pct']}% off Team and Business on annual billing",
   F.DISCOUNTS["nonprofit_pct"], ["pricing-discounts"], [f"{c['nonprofit_pct']}%"])
nq("What's the education discount?", f"{c['education_pct']}% off Team and Business", F.DISCOUNTS["education_pct"],
   ["pricing-discounts"], [f"{c['education_pct']}%"])
nq("How much does an extra block of storage cost?", f"${c['addon_storage_pack_price_month']} per month for each {c['addon_storage_pack_gb']} GB",
   F.ADD_ONS["storage_pack"]["price_month"], ["pricing-add-ons", "limits-storage"], [f"${c['addon_storage_pack_price_month']}"])
nq("What does Quaywise Assist cost on Team?", f"${c['addon_assist_price_user_month']} per user per month",
   F.ADD_ONS["assist"]["price_user_month"], ["pricing-add-ons", "help-quaywise-assist"], [f"${c['addon_assist_price_user_month']}"])
nq("How much is a sandbox workspace?", f"${c['addon_sandbox_price_month']} per month", F.ADD_ONS["sandbox"]["price_month"],
   ["pricing-add-ons"], [f"${c['addon_sandbox_price_month']}"])
nq("What's the monthly price of an API capacity pack?", f"${c['addon_api_pack_price_month']} per month",
   F.ADD_ONS["api_pack"]["price_month"], ["pricing-add-ons"], [f"${c['addon_api_pack_price_month']}"])
nq("If I cancel an annual plan, how many days do I have to get my money back?", f"{c['refund_window_days']} days from purchase",
   F.BILLING["refund_window_days"], ["pricing-refunds"], [f"{c['refund_window_days']} days"])
nq("What annual spend do we need before we can pay by invoice?", f"${c['invoice_min_annual']} a year",
   F.BILLING["invoice_min_annual"], ["pricing-payments-invoices"], [f"${c['invoice_min_annual']}"])
nq("Our card was declined. After how many days does the workspace go read-only?", f"{c['read_only_after_days']} days",
   F.BILLING["read_only_after_days"], ["pricing-failed-payments"], [c["read_only_after_days"]])
nq("How many days of non-payment before you drop us to the Free plan?", f"{c['downgrade_after_days']} days",
   F.BILLING["downgrade_after_days"], ["pricing-failed-payments"], [c["downgrade_after_days"]])
nq("How often are backups taken?", f"every {c['backup_interval_hours']} hours", F.RETENTION["backup_interval_hours"],
   ["privacy-backups"])
nq("How long do you hold on to backups?", f"{c['backup_retention_days']} days", F.RETENTION["backup_retention_days"],
   ["privacy-backups", "privacy-data-retention"])
nq("What's your recovery time objective if a whole region is lost?", f"{c['rto_hours']} hours", F.RETENTION["rto_hours"],
   ["privacy-backups"])
nq("What's the recovery point objective for a regional disaster?", f"{c['rpo_hours']} hour", F.RETENTION["rpo_hours"],
   ["privacy-backups"])
nq("What uptime do you commit to on Team?", f"{c['team_sla']}%", R["team_sla"], ["contract-sla"])
nq("What's the Enterprise uptime commitment?", f"{c['enterprise_sla']}%", R["enterprise_sla"], ["contract-sla", "pricing-enterprise"])
nq("What's the most we can get back in service credits for one month?", f"{c['sla_max_credit_pct']}% of the monthly fee",
   F.SLA["max_credit_pct"], ["contract-service-credits"], [f"{c['sla_max_credit_pct']}%"])
nq("How long after the bad month do we have to file an SLA credit claim?", f"{c['sla_claim_window_days']} days after the end of the month",
   F.SLA["claim_window_days"], ["contract-service-credits"], [f"{c['sla_claim_window_days']} days"])
nq("What's the top bug bounty payout?", f"${c['sec_bounty_max']}", F.SECURITY["bounty_max"], ["security-vulnerability-disclosure"])
nq("How quickly will you tell us if a confirmed breach affected our data?", f"within {c['sec_incident_notice_hours']} hours of confirmation",
   F.SECURITY["incident_notice_hours"], ["security-incident-response"], [f"{c['sec_incident_notice_hours']} hours"])
nq("How often are the per-workspace data keys rotated?", f"every {c['sec_key_rotation_days']} days",
   F.SECURITY["key_rotation_days"], ["security-encryption"])
nq("How many IP ranges can an Enterprise workspace put on its allowlist?", f"{R['enterprise_ip_ranges']} ranges",
   R["enterprise_ip_ranges"], ["security-ip-allowlist"], [str(R["enterprise_ip_ranges"])])
nq("On Enterprise, how fast should we hear back on a Severity 1 ticket?", c["enterprise_s1"], 1,
   ["contract-support-policy"])
nq("What's the first-response target for a Severity 1 issue on Business?", c["business_s1"], 4,
   ["contract-support-policy"])
nq("How long does my webhook endpoint have to respond before it counts as a failure?", f"{c['webhook_timeout_s']} seconds",
   F.PRODUCT["webhook_timeout_s"], ["api-webhooks"])
nq("How many webhooks can one workspace have?", f"{c['webhooks_per_workspace']} webhooks", F.PRODUCT["webhooks_per_workspace"],
   ["api-webhooks", "api-create-webhook"], [c["webhooks_per_workspace"]])
nq("What's the row limit for a spreadsheet import?", f"{c['csv_import_rows']} rows per file", F.PRODUCT["csv_import_rows"],
   ["help-importing"], [f"{c['csv_import_rows']} rows"])
nq("How many submissions can the mobile app hold in its offline queue?", f"{c['offline_queue']} submissions",
   F.PRODUCT["offline_queue"], ["help-mobile"], [c["offline_queue"]])
nq("How many languages is the app interface available in?", f"{c['ui_language_count']} languages",
   len(F.PRODUCT["ui_languages"]), ["help-languages"])
nq("What's the oldest iOS version the iPhone app runs on?", f"iOS {c['ios_min']}", int(F.PRODUCT["ios_min"]), ["help-mobile"])
nq("How many recovery codes do I get when I switch on two-step verification?", "10 recovery codes", 10,
   ["help-two-factor"], ["10"])
nq("How long does an email invitation link stay valid?", "10 days", 10, ["help-invite-members"])
nq("How long does a new owner have to accept an ownership transfer?", f"{c['transfer_ownership_hours']} hours",
   F.PRODUCT["transfer_ownership_hours"], ["help-transfer-ownership"])
nq("What's the default lifetime of a new personal access token?", f"{c['api_token_default_lifetime_days']} days",
   F.API["token_default_lifetime_days"], ["changelog-5-0"])
nq("How big can a JSON request body be?", f"{c['api_max_request_mb']} MB", F.API["max_request_mb"], ["api-overview"])
nq("How long can a Free workspace go without anyone signing in before it gets deleted?",
   f"{c['free_inactive_months']} months (after {c['free_inactive_notice_days']} days' notice)",
   F.RETENTION["free_inactive_months"], ["pricing-free-plan", "privacy-data-retention"], [f"{c['free_inactive_months']} months"])
# tenant-private numerics
H, V, X = F.TENANTS["halyard"], F.TENANTS["verbena"], F.TENANTS["foxglove"]
nq("How many seats does our Enterprise contract cover?", f"{H['seats']} seats", H["seats"], ["halyard-order-form"],
   [str(H["seats"])], tenant="halyard")
nq("What per-seat rate did we negotiate?", f"${H['price']} per user per month, billed annually", H["price"],
   ["halyard-order-form"], [f"${H['price']}"], tenant="halyard")
nq("What monthly availability does our SLA addendum commit to?", f"{c['halyard_sla']}%", H["sla"],
   ["halyard-sla-addendum"], tenant="halyard")
nq("How long must we keep customs declarations in Quaywise?", f"{H['retention_years']} years", H["retention_years"],
   ["halyard-data-residency"], tenant="halyard")
nq("What do we pay per seat under our contract?", f"${V['price']} per user per month, billed annually", V["price"],
   ["verbena-order-form"], [f"${V['price']}"], tenant="verbena")
nq("What's the contractual recovery time objective for our workspace?", f"{V['rto_hours']} hours", V["rto_hours"],
   ["verbena-sla-addendum", "verbena-order-form"], tenant="verbena")
nq("After how many idle minutes do the reception tablets sign out?", f"{V['session_idle_minutes']} minutes",
   V["session_idle_minutes"], ["verbena-security-config"], tenant="verbena")
nq("What seat price are we paying this year?", f"${X['price']} per user per month, billed annually", X["price"],
   ["foxglove-order-form"], [f"${X['price']}"], tenant="foxglove")
nq("How long can a member's upload sit in 'awaiting scan' before it's abnormal?", f"{X['scan_hold_minutes']} minutes",
   X["scan_hold_minutes"], ["foxglove-runbook-upload-holds"], tenant="foxglove")

# ---------------------------------------------------------------- multi_hop
def mq(question, answer, docs, value=None, aliases=(), tenant="shared"):
    assert len(docs) >= 2, question
    q("multi_hop", question, answer, docs, aliases, tenant=tenant, num=value)


v = 12 * R["team_annual_year"]
mq("What would 12 people on Team cost us for a year if we pay annually?",
   f"{usd(v)} a year (12 × ${R['team_annual_year']}, i.e. ${R['team_annual']} per user per month billed annually)",
   ["pricing-plans", "pricing-billing-cycles"], v, [usd(v)])
v = round(40 * R["team_annual_year"] * (100 - F.DISCOUNTS["nonprofit_pct"]) / 100)
mq("We're a registered charity with 40 staff and want Team on annual billing. What would the yearly bill be?",
   f"{usd(v)} a year: 40 × ${R['team_annual_year']} = {usd(40 * R['team_annual_year'])}, less the {c['nonprofit_pct']}% nonprofit discount",
   ["pricing-plans", "pricing-discounts"], v, [usd(v)])
v = round(20 * R["business_monthly"] * (100 - F.DISCOUNTS["education_pct"]) / 100)
mq("A university department wants 20 Business seats on monthly billing. What's the monthly cost after the education discount?",
   f"{usd(v)} per month (20 × ${R['business_monthly']} = {usd(20 * R['business_monthly'])}, minus {c['education_pct']}%)",
   ["pricing-plans", "pricing-discounts"], v, [usd(v)])
v = 25 * (R["business_annual_year"] + 12 * F.ADD_ONS["assist"]["price_user_month"])
mq("What's the yearly total for 25 Business seats on annual billing if we add Quaywise Assist for everyone?",
   f"{usd(v)}: 25 × (${R['business_annual_year']} for the seat + ${12 * F.ADD_ONS['assist']['price_user_month']} for a year of Assist)",
   ["pricing-plans", "pricing-add-ons"], v, [usd(v)])
v = 30 * R["business_storage_gb_per_seat"] + 2 * F.ADD_ONS["storage_pack"]["gb"]
mq("We have 30 Business seats and bought two extra storage blocks. How much storage does the workspace have in total?",
   f"{v:,} GB (30 × {R['business_storage_gb_per_seat']} GB pooled, plus 2 × {F.ADD_ONS['storage_pack']['gb']} GB)",
   ["limits-storage", "pricing-add-ons"], v, [f"{v:,} GB"])
v = R["business_api_rpm"] + 2 * F.ADD_ONS["api_pack"]["rpm"]
mq("If a Business workspace buys two API capacity packs, what does its per-minute limit become?",
   f"{v:,} requests per minute ({R['business_api_rpm']} + 2 × {F.ADD_ONS['api_pack']['rpm']})",
   ["limits-api-rate", "pricing-add-ons"], v, [f"{v:,}"])
mq("I'm uploading a 300 MB video through the API into our Team workspace. What will happen?",
   f"It is refused with HTTP 413 payload_too_large, because Team's per-file limit is {c['team_attachment']}.",
   ["limits-attachments", "api-upload-file"], None, ["413 payload_too_large"])
v = 5000 * 25 // 100
mq("We're on Business, pay $5,000 a month, and uptime last month was 98.2%. What credit are we owed?",
   f"{usd(v)}: 98.2% is below the {c['business_sla']}% commitment and below 99.0% but above 95.0%, so the credit is 25% of the monthly fee.",
   ["contract-sla", "contract-service-credits"], v, [usd(v), "25%"])
mq("Our Team workspace had 99.85% uptime in a month. Do we get a service credit, and how much?",
   f"Yes, 10% of that month's fee: 99.85% is below Team's {c['team_sla']}% commitment but above 99.0%.",
   ["contract-sla", "contract-service-credits"], 10, ["10%"])
mq("If I delete a workspace by mistake, how long do I have to get it back, and how long do backups containing it survive?",
   f"It can be restored for {c['workspace_recovery_days']} days; backups expire {c['backup_retention_days']} days after they were taken.",
   ["help-delete-workspace", "privacy-backups"])
mq("Which release brought SCIM to Business, and what has to be set up before SCIM works?",
   "Release 5.3; SAML single sign-on must be set up first.", ["changelog-5-3", "help-scim"])
mq("When does API v1 stop answering, and in which release was that date announced?",
   f"{c['api_v1_sunset_long']}, announced in release 5.11.", ["api-overview", "changelog-5-11"])
v = R["starter_max_seats"] * R["starter_storage_gb_per_seat"]
mq("We're on Starter with as many seats as the plan allows. How much pooled storage do we have?",
   f"{v} GB ({R['starter_max_seats']} seats × {R['starter_storage_gb_per_seat']} GB)", ["pricing-seat-changes", "limits-storage"],
   v, [f"{v} GB"])
v = -(-10000 // F.API["submissions_page_max"])
mq("What's the biggest page I can ask for when listing submissions, and how many calls would it take to read 10,000 of them?",
   f"{R['submissions_page_max']} per page, so {v} requests.", ["api-list-submissions", "api-pagination"], v)
mq("Which subprocessor scans uploads for malware, and what happens to a file that fails the scan?",
   "Quillscan; a file that fails is quarantined and can't be downloaded (the API returns 410 file_quarantined).",
   ["security-subprocessors", "api-download-file", "limits-attachments"])
mq("How long does Business keep audit events, and how fast can I pull them through the API?",
   f"{c['business_audit_log_days']} days; the audit-events endpoint allows {c['api_audit_per_minute']} requests per minute.",
   ["security-audit-logs", "api-list-audit-events"])
mq("What's the cheapest plan with SAML single sign-on, and what does it cost per user on monthly billing?",
   f"Business, at ${R['business_monthly']} per user per month (${R['business_annual']} on annual billing).",
   ["help-sso", "pricing-plans"], R["business_monthly"])
mq("What's the cheapest plan that comes with an uptime commitment, and what is that commitment?",
   f"Team, with {c['team_sla']}% monthly uptime.", ["contract-sla", "pricing-plans"], R["team_sla"])
mq("Which is the cheapest plan that can remove the 'Powered by Quaywise' footer, and what does it cost annually per user per month?",
   f"Team, at ${R['team_annual']} per user per month billed annually.", ["help-branding", "pricing-plans"], R["team_annual"])
mq("If our Business trial runs out and we don't choose a plan, how many members can keep using the workspace?",
   f"It drops to Free, which allows {R['free_max_seats']} members; anything beyond Free's limits is locked, not deleted.",
   ["pricing-trials", "pricing-free-plan"], R["free_max_seats"])
mq("Which is your newest region, and what API host should we call for it?",
   f"{c['ca_central_label']}, at {c['ca_central_host']}.", ["privacy-regions", "changelog-5-1"])
mq("How long do export download links last now, and which release changed that?",
   f"{c['export_link_expiry']}, since release 5.1 (it was {F.OLD['export_link_expiry']} before).",
   ["help-exporting", "changelog-5-1"])
mq("How long do deleted items stay in the trash, and when was that period last lengthened?",
   f"{c['trash_days']} days, since release 4.7 on {long_date(RELEASE_DATES['4.7'])} (previously {F.OLD['trash_days']} days).",
   ["help-trash", "changelog-4-7"], R["trash_days"])
mq("How many workflow runs does Team include, and what was the allowance before the last increase?",
   f"{c['team_workflow_runs_month']} a month since release 5.9; it was {F.OLD['team_workflow_runs_month']:,} before.",
   ["limits-workflows", "changelog-5-9"], R["team_workflow_runs_month"])
mq("What's the minimum password length, and which version raised it?",
   f"{R['password_min_length']} characters, raised from {F.OLD['password_min_length']} in release 4.3.",
   ["help-password-policy", "changelog-4-3"], R["password_min_length"])
v = 60 * R["enterprise_annual"] * 12
mq("Roughly what's the minimum yearly spend for 60 users on Enterprise at list price?",
   f"{usd(v)} a year (60 × ${R['enterprise_annual']} × 12), before any negotiated discount.",
   ["pricing-enterprise", "pricing-plans"], v, [usd(v)])
mq("Can a Starter workspace buy an API capacity pack, and what's Starter's rate limit?",
   f"No, capacity packs are for Business and Enterprise only; Starter is limited to {R['starter_api_rpm']} requests per minute.",
   ["pricing-add-ons", "limits-api-rate"], R["starter_api_rpm"])
mq("How many times do you retry a failed webhook delivery, and when does a failing webhook get switched off?",
   f"Up to {R['webhook_retries']} retries over about {R['webhook_retry_window']}; after {c['webhook_disable_hours']} hours of continuous failures the webhook is disabled.",
   ["api-webhooks", "changelog-4-9"])
mq("Which plans have audit logs, and how long does Enterprise keep them?",
   f"Business and Enterprise; Enterprise keeps them for {c['enterprise_audit_log_years']} years by default.",
   ["security-audit-logs", "pricing-plans"], R["enterprise_audit_log_years"])
mq("For a file request in a Business workspace, how big can each file be and how many files can it take?",
   f"Up to {c['business_attachment']} per file and {c['max_files_per_request']} files per request.",
   ["help-file-requests", "limits-attachments"])
v = (R["starter_monthly"] - R["starter_annual"]) * 12 * 10
mq("How much would a 10-person Starter team save in a year by switching from monthly to annual billing?",
   f"{usd(v)} a year (${R['starter_monthly'] - R['starter_annual']} per user per month × 12 × 10).",
   ["pricing-plans", "pricing-billing-cycles"], v, [usd(v)])
v = 50 * R["business_annual_year"] + 12 * F.ADD_ONS["sandbox"]["price_month"]
mq("What's the annual total for 50 Business seats billed yearly plus a sandbox workspace?",
   f"{usd(v)}: {usd(50 * R['business_annual_year'])} for seats and {usd(12 * F.ADD_ONS['sandbox']['price_month'])} for a year of sandbox.",
   ["pricing-plans", "pricing-add-ons"], v, [usd(v)])
v = 100 * (R["business_annual_year"] - R["team_annual_year"])
mq("We have a full 100-seat Team plan on annual billing. How much more a year would Business annual cost?",
   f"{usd(v)} more a year (100 × (${R['business_annual_year']} − ${R['team_annual_year']})).",
   ["pricing-plans", "pricing-seat-changes"], v, [usd(v)])
# tenant-private multi-hop
v = R["enterprise_annual"] - H["price"]
mq("How far below the Enterprise list price is our per-seat rate?",
   f"${v} per user per month (${H['price']} against a list price of ${R['enterprise_annual']}).",
   ["halyard-order-form", "pricing-enterprise"], v, [f"${v}"], tenant="halyard")
mq("How does our API limit compare with a normal Enterprise customer's?",
   f"Ours is {c['halyard_api_rpm']} requests per minute, double the standard Enterprise {c['enterprise_api_rpm']}.",
   ["halyard-custom-limits", "limits-api-rate"], H["api_rpm"], tenant="halyard")
mq("How much shorter is our recovery time objective than the standard one?",
   f"{F.RETENTION['rto_hours'] - V['rto_hours']} hours shorter: {V['rto_hours']} hours instead of {c['rto_hours']}.",
   ["verbena-sla-addendum", "privacy-backups"], F.RETENTION["rto_hours"] - V["rto_hours"], tenant="verbena")
v = 90 * V["price"] * 12
mq("If the new clinics add the expected seats at our current rate, how much would that add per year?",
   f"{usd(v)} a year (90 seats × ${V['price']} × 12).", ["verbena-renewal-notes", "verbena-order-form"], v, [usd(v)],
   tenant="verbena")
v = R["business_api_rpm"] + F.ADD_ONS["api_pack"]["rpm"]
mq("What API rate limit does our Tidemark connector token have, and where does that number come from?",
   f"{v:,} requests per minute: the Business limit of {R['business_api_rpm']} plus one API capacity pack of {F.ADD_ONS['api_pack']['rpm']}.",
   ["foxglove-integration-notes", "pricing-add-ons"], v, tenant="foxglove")
v = 195 * X["renewal_price"] * 12 - X["seats"] * X["price"] * 12
mq("How much more per year would the proposed 2026 renewal cost for seats compared with what we pay now?",
   f"{usd(v)} more: 195 × ${X['renewal_price']} × 12 = {usd(195 * X['renewal_price'] * 12)} against {usd(X['seats'] * X['price'] * 12)} today.",
   ["foxglove-renewal-notes", "foxglove-order-form"], v, [usd(v)], tenant="foxglove")
v = R["business_ip_ranges"] - X["ip_ranges"]
mq("How many more IP ranges can we add before we hit the Business plan's allowlist limit?",
   f"{v} more ({X['ip_ranges']} in use out of {R['business_ip_ranges']}).",
   ["foxglove-security-review", "security-ip-allowlist"], v, tenant="foxglove")

# ---------------------------------------------------------------- unanswerable
def uq(question, probes, tenant="shared"):
    q("unanswerable", question, IDK, [], [], tenant=tenant, probes=probes)


uq("Who founded Skerry Labs?", [r"\bfound(ed|er|ers)\b", r"co-?founder"])
uq("How many people work at Skerry Labs?", [r"\d[\d,]* (employees|staff|people work)", r"headcount"])
uq("What was Skerry Labs' revenue last year?", [r"annual revenue", r"\bARR\b", r"revenue (of|was)"])
uq("Is Skerry Labs listed on a stock exchange? What's the ticker?", [r"ticker", r"stock exchange", r"NASDAQ", r"NYSE"])
uq("Which database engine does Quaywise run on?", [r"postgres", r"mysql", r"mongodb", r"aurora", r"dynamodb"])
uq("Which audit firm performs your SOC 2 examination?", [r"\bLLP\b", r"audited by", r"audit firm"])
uq("What's the name of your data protection officer?", [r"data protection officer (is|,)", r"DPO (is|,)"])
uq("How many customers use Quaywise today?", [r"\d[\d,]* customers", r"number of customers"])
uq("What's the p99 latency of the submissions API?", [r"p99", r"percentile", r"latency target"])
uq("Is there a limit on how many tags one submission can have?", [r"tags? per", r"\d+ tags"])
uq("What's the maximum number of pages a multi-page form can have?", [r"pages per form", r"\d+ pages"])
uq("What font do published forms use by default?", [r"default font", r"typeface"])
uq("When is Quaywise 6.0 coming out?", [r"\b6\.0\b"])
uq("Do you have a reseller programme, and what commission do resellers get?", [r"resell", r"commission (rate|for|on|of)\b", r"partner program"])
uq("What is Skerry Labs' VAT registration number?", [r"VAT (registration|number|ID)\b"])
uq("How many support agents work overnight?", [r"night shift", r"\d+ (support )?(agents|engineers)", r"agents? (work|on duty) overnight"])
uq("Does Quaywise have a mascot?", [r"mascot"])
uq("How long can a video recorded inside a form be?", [r"video length", r"recording length", r"minutes of video"])
uq("How much do SMS notifications to respondents cost?", [r"SMS notification", r"per SMS", r"SMS credit"])
uq("Does Skerry Labs sponsor any open-source projects?", [r"open[- ]source"])
uq("What uptime did Quaywise actually achieve over 2024?", [r"uptime (in|for|during|over) 2024", r"achieved"])
uq("What's Quaywise's Net Promoter Score?", [r"net promoter", r"\bNPS\b"])
uq("How many GitHub stars does the official Quaywise SDK have?", [r"github", r"\bSDK\b"])
uq("What's the carbon footprint of Quaywise's hosting?", [r"carbon", r"emission"])
uq("Who is the CEO of Skerry Labs?", [r"\bCEO\b", r"chief executive"])
uq("When is the next price increase planned?", [r"next price (increase|change)", r"planned price"])
uq("What programming language is Quaywise written in?", [r"\b(TypeScript|Golang|Python|Ruby|Java|Rust|Elixir|Kotlin)\b", r"codebase"])
uq("Do you charge interest on overdue invoices?", [r"interest", r"late fee"])
uq("Which IP addresses do your webhook requests come from?", [r"static IP", r"outbound IP", r"webhook IP", r"source IP addresses? (of|for) webhooks?"])
uq("How long is an OAuth authorization code valid?", [r"authori[sz]ation codes? (is|are|last|expire|valid)"])
uq("How many OAuth apps can one workspace register?", [r"OAuth apps? per", r"\d+ OAuth apps"])
uq("How many Slack workspaces can be connected to one Quaywise workspace?", [r"Slack workspaces"])
uq("Do you have a ready-made connector for Splunk or Microsoft Sentinel?", [r"splunk", r"sentinel", r"qradar", r"datadog"])
# cross-tenant probes: the asker has no access to the other tenant's documents
uq("What seat price did Foxglove Credit Union negotiate with you?", [r"foxglove"], tenant="halyard")
uq("When did Verbena Health Partners sign their BAA?", [r"verbena"], tenant="foxglove")
uq("Which dedicated cell is Halyard Freight Group hosted on?", [r"halyard", r"eu1-cell"], tenant="verbena")

# ---------------------------------------------------------------- ambiguous
def aq(question, answer, docs):
    q("ambiguous", question, answer, docs)


aq("How much does Quaywise cost?",
   f"It depends on the plan and billing cycle. Per user per month: Free $0; Starter ${R['starter_monthly']} monthly or ${R['starter_annual']} billed annually; "
   f"Team ${R['team_monthly']} or ${R['team_annual']}; Business ${R['business_monthly']} or ${R['business_annual']}; Enterprise from ${R['enterprise_annual']}, annual contracts only.",
   ["pricing-plans"])
aq("How much is the Team plan?",
   f"${R['team_monthly']} per user per month on monthly billing, or ${R['team_annual']} per user per month on annual billing (${R['team_annual_year']} per user per year).",
   ["pricing-plans", "pricing-billing-cycles"])
aq("What's the per-seat price of Business?",
   f"${R['business_monthly']} per user per month billed monthly, or ${R['business_annual']} per user per month billed annually (${R['business_annual_year']} a year).",
   ["pricing-plans", "pricing-billing-cycles"])
aq("What's the file size limit?",
   f"It depends on the plan receiving the file: {c['free_attachment']} on Free, {c['starter_attachment']} on Starter, {c['team_attachment']} on Team, "
   f"{c['business_attachment']} on Business and {c['enterprise_attachment']} on Enterprise, per file. Spreadsheet imports have a separate {c['csv_import_mb']} MB limit.",
   ["limits-attachments", "help-importing"])
aq("What's the API rate limit?",
   f"Per token per minute, by plan: {R['free_api_rpm']} (Free), {R['starter_api_rpm']} (Starter), {R['team_api_rpm']} (Team), {R['business_api_rpm']} (Business), "
   f"{c['enterprise_api_rpm']} (Enterprise). Some endpoints have their own limits, e.g. {c['api_upload_per_minute']} uploads per minute and {c['api_invites_per_hour']} invitations per hour.",
   ["limits-api-rate"])
aq("How long do you keep things after they're deleted?",
   f"Deleted items stay in the trash for {c['trash_days']} days; a deleted workspace can be restored for {c['workspace_recovery_days']} days and is then erased from primary storage within {c['purge_primary_days']} days; "
   f"backups expire after {c['backup_retention_days']} days.",
   ["help-trash", "privacy-data-retention", "help-delete-workspace"])
aq("How quickly will support get back to me?",
   f"It depends on plan and severity: Starter within {c['starter_first_response']}, Team within {c['team_first_response']}; "
   f"Business {c['business_s1']} for Severity 1 up to {c['business_s4']} for Severity 4; Enterprise {c['enterprise_s1']} for Severity 1. Free has community support only.",
   ["help-support-hours", "contract-support-policy"])
aq("What uptime do you guarantee?",
   f"Team {c['team_sla']}%, Business {c['business_sla']}%, Enterprise {c['enterprise_sla']}% (or as in the order form); Free and Starter have no commitment.",
   ["contract-sla"])
aq("How many users can I add?",
   f"Depends on the plan: Free {R['free_max_seats']}, Starter {R['starter_max_seats']}, Team {R['team_max_seats']}, Business {c['business_max_seats']}, "
   f"Enterprise no maximum ({R['enterprise_min_seats']} minimum). Guests don't count as users.",
   ["limits-overview", "pricing-seat-changes"])
aq("Where is my data stored?",
   f"In the region chosen when the workspace was created, one of {R['region_count']} ({c['region_names']}). "
   "Free and Starter workspaces go to US East, or EU Central for sign-ups from the EEA, UK or Switzerland. Some account and billing data is processed in the US.",
   ["privacy-regions", "privacy-data-residency"])
aq("How long are audit logs kept?",
   f"Business keeps them {c['business_audit_log_days']} days; Enterprise {c['enterprise_audit_log_years']} years by default (shorter if chosen). Lower plans have no audit log.",
   ["security-audit-logs"])
aq("How much storage do I get?",
   f"Free has {R['free_storage_gb_workspace']} GB in total; paid plans get a pooled allowance per seat: {R['starter_storage_gb_per_seat']} GB (Starter), "
   f"{R['team_storage_gb_per_seat']} GB (Team), {R['business_storage_gb_per_seat']} GB (Business), {R['enterprise_storage']} (Enterprise). Extra {c['addon_storage_pack_gb']} GB blocks cost ${c['addon_storage_pack_price_month']} a month.",
   ["limits-storage", "pricing-add-ons"])
aq("What's the latest version?",
   f"The latest Quaywise release is 5.11 ({long_date(RELEASE_DATES['5.11'])}); the desktop app is at version {c['desktop_version']}; the current API version is {c['api_current_version']}.",
   ["changelog-5-11", "help-desktop-app", "api-overview"])
aq("Can I get a discount?",
   f"Registered nonprofits get {c['nonprofit_pct']}% off Team and Business on annual billing, education customers {c['education_pct']}%; "
   f"anyone saves by paying annually instead of monthly ({c['annual_saving_note']} on Team). Enterprise is priced individually.",
   ["pricing-discounts", "pricing-billing-cycles"])
aq("How many submissions can I collect?",
   f"Per month, by plan: {R['free_submissions_month']} (Free), {c['starter_submissions_month']} (Starter), {c['team_submissions_month']} (Team), "
   f"{c['business_submissions_month']} (Business), unlimited on Enterprise.",
   ["limits-submissions"])
aq("How many workflow runs do I get?",
   f"Per month: {R['free_workflow_runs_month']} on Free, {c['starter_workflow_runs_month']} on Starter, {c['team_workflow_runs_month']} on Team, "
   f"{c['business_workflow_runs_month']} on Business and {c['enterprise_workflow_runs_month']} on Enterprise.",
   ["limits-workflows"])
aq("How many guests can I invite?",
   f"None on Free, {R['starter_guests']} on Starter, {R['team_guests']} on Team, {R['business_guests']} on Business and unlimited on Enterprise.",
   ["limits-guests"])
aq("What's the maximum page size?",
   f"{R['submissions_page_max']} for the submissions list, {c['api_page_max']} for other list endpoints; the default is {c['api_page_default']}.",
   ["api-pagination"])
aq("What's the timeout?",
   f"Several exist: sessions end after {R['session_idle_days']} idle days (shorter if an admin sets it), webhook endpoints must respond within {c['webhook_timeout_s']} seconds, "
   f"and API requests are cancelled after {c['api_request_timeout_s']} seconds.",
   ["help-sessions", "api-webhooks", "api-overview"])
aq("How many workspaces can I have?",
   f"{R['free_workspaces']} on Free and Starter, {R['team_workspaces']} on Team, {R['business_workspaces']} on Business, unlimited on Enterprise.",
   ["limits-workspaces"])
aq("What are your support hours?",
   f"Depends on plan: Starter {c['starter_support_hours']}; Team {c['team_support_hours']}; Business {R['business_support_hours']}; "
   "Enterprise 24/7 for Severity 1. Free is community-only.",
   ["help-support-hours"])
aq("How long is the link valid for?",
   f"Depends on the link: export downloads {c['export_link_expiry']}, email invitations 10 days, password resets one hour, guest sign-in links one hour.",
   ["help-exporting", "help-invite-members", "help-account-recovery", "limits-guests"])
aq("How many IP ranges can we allowlist?",
   f"{R['business_ip_ranges']} on Business and {R['enterprise_ip_ranges']} on Enterprise; other plans don't have IP allowlisting.",
   ["security-ip-allowlist"])

# ---------------------------------------------------------------- outdated
def oq(question, answer, old_answer, docs, value=None, aliases=()):
    q("outdated", question, answer, docs, aliases, num=value, old=old_answer)


oq("What does Team cost per user on monthly billing these days?", f"${R['team_monthly']} per user per month",
   f"${F.OLD['team_monthly']}", ["pricing-plans"], R["team_monthly"], [f"${R['team_monthly']}"])
oq("What's the annual-billing price of Team, per user per month?", f"${R['team_annual']} per user per month",
   f"${F.OLD['team_annual']}", ["pricing-plans"], R["team_annual"], [f"${R['team_annual']}"])
oq("How much is Starter per user per month if I pay monthly?", f"${R['starter_monthly']} per user per month",
   f"${F.OLD['starter_monthly']}", ["pricing-plans"], R["starter_monthly"], [f"${R['starter_monthly']}"])
oq("What's the per-file upload limit on Team?", c["team_attachment"], c["old_team_attachment"],
   ["limits-attachments"], R["team_attachment_mb"])
oq("How big can a single file be in a Business workspace?", c["business_attachment"], c["old_business_attachment"],
   ["limits-attachments"], 1)
oq("What's the Business plan's API rate limit?", f"{R['business_api_rpm']} requests per minute",
   f"{F.OLD['business_api_rpm']}", ["limits-api-rate"], R["business_api_rpm"], [str(R["business_api_rpm"])])
oq("How long does a password need to be?", f"{R['password_min_length']} characters",
   f"{F.OLD['password_min_length']} characters", ["help-password-policy"], R["password_min_length"])
oq("How many data regions can I choose from?", f"{R['region_count']} regions", f"{F.OLD['region_count']} regions",
   ["privacy-regions"], R["region_count"])
oq("How long do deleted items sit in the trash before they're gone?", f"{R['trash_days']} days",
   f"{F.OLD['trash_days']} days", ["privacy-data-retention", "help-trash"], R["trash_days"])
oq("How far back does the audit log go on Business?", f"{R['business_audit_log_days']} days",
   f"{F.OLD['business_audit_log_days']} days", ["security-audit-logs"], R["business_audit_log_days"])
oq("If my endpoint is down, how many times will you retry a webhook?",
   f"up to {R['webhook_retries']} times over about {R['webhook_retry_window']}",
   f"{F.OLD['webhook_retries']} times over about {F.OLD['webhook_retry_window']}", ["api-webhooks"], R["webhook_retries"],
   [f"{R['webhook_retries']} times"])
oq("Do personal access tokens expire?", f"Yes, after at most {F.API['token_max_lifetime_days']} days",
   F.OLD["token_max_lifetime"], ["api-authentication"], F.API["token_max_lifetime_days"],
   [f"at most {F.API['token_max_lifetime_days']} days"])
oq("How long is an export download link good for?", c["export_link_expiry"], F.OLD["export_link_expiry"],
   ["help-exporting"], 7)
oq("How much storage does each Starter seat come with?", f"{R['starter_storage_gb_per_seat']} GB per seat",
   f"{F.OLD['starter_storage_gb_per_seat']} GB per seat", ["limits-storage"], R["starter_storage_gb_per_seat"])
oq("How long can I stay idle before Quaywise signs me out?", f"{R['session_idle_days']} days",
   f"{F.OLD['session_idle_days']} days", ["help-sessions"], R["session_idle_days"])
oq("What's the largest limit value I can pass when listing submissions?", str(R["submissions_page_max"]),
   str(F.OLD["submissions_page_max"]), ["api-list-submissions"], R["submissions_page_max"])
oq("How many members can a Free workspace have?", f"{R['free_max_seats']} members",
   f"{F.OLD['free_max_seats']} members", ["pricing-free-plan"], R["free_max_seats"])
oq("What's the uptime commitment on Business?", f"{c['business_sla']}%", f"{F.OLD['business_sla']}%",
   ["contract-sla"], R["business_sla"])
oq("When can Business customers reach support?", "24/5, from Sunday 20:00 to Friday 20:00 Eastern Time",
   F.OLD["business_support_hours"], ["help-support-hours"], None, ["24/5"])
oq("How many IP ranges can a Business workspace allowlist?", f"{R['business_ip_ranges']} ranges",
   f"{F.OLD['business_ip_ranges']}", ["security-ip-allowlist"], R["business_ip_ranges"], [str(R["business_ip_ranges"])])
oq("How many workflow runs per month does Team include?", c["team_workflow_runs_month"],
   f"{F.OLD['team_workflow_runs_month']:,}", ["limits-workflows"], R["team_workflow_runs_month"])


# ===========================================================================
# Assembling the question file
# ===========================================================================
def visible(row, tenant):
    return row["tenant"] in ("shared", tenant)


def check_unanswerable():
    for question, probes in UNANSWERABLE_PROBES.items():
        qrow = next(x for x in QUESTIONS if x["question"] == question)
        for r in KB_ROWS:
            if qrow["tenant"] != "shared" and not visible(r, qrow["tenant"]):
                continue
            for pat in probes:
                if re.search(pat, r["text"] + " " + r["title"], re.I):
                    raise SystemExit(f"unanswerable question is answerable? {question!r}: /{pat}/ in {r['id']} {r['doc_id']}")


def build_questions():
    ordered = sorted(QUESTIONS, key=lambda x: hashlib.sha256(x["question"].encode()).hexdigest())
    seen = set()
    rows = []
    for i, x in enumerate(ordered, start=1):
        assert x["question"] not in seen, x["question"]
        seen.add(x["question"])
        ids = []
        for d in x["docs"]:
            row = CURRENT[d]
            assert x["tenant"] == "shared" and row["tenant"] == "shared" and row["data_class"] == "public" \
                or x["tenant"] != "shared" and visible(row, x["tenant"]), (x["question"], d)
            ids.append(row["id"])
        nv = x["numeric_value"]
        rows.append({
            "id": f"q-{i:04d}",
            "question": x["question"],
            "answer": x["answer"],
            "aliases": x["aliases"],
            "kind": x["kind"],
            "doc_ids": ids,
            "tenant": x["tenant"],
            "numeric_value": nv,
            "outdated_answer": x["outdated_answer"],
            "split": None,
        })
    # stratified, deterministic ~30% dev split: positions 0, 3 and 6 of every ten within a kind
    for kind in KINDS:
        for j, r in enumerate(x for x in rows if x["kind"] == kind):
            r["split"] = "dev" if j % 10 in (0, 3, 6) else "test"
    return rows


def dump_jsonl(rows, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n")


def summary(kb, qs):
    lines = [f"documents: {len(kb)} rows ({sum(r['status'] == 'current' for r in kb)} current, "
             f"{sum(r['status'] == 'superseded' for r in kb)} superseded)"]
    for field in ("category", "tenant", "data_class", "status"):
        cnt = Counter(r[field] for r in kb)
        lines.append(f"  by {field}: " + ", ".join(f"{k}={v}" for k, v in sorted(cnt.items())))
    words = sorted(word_count(r["text"]) for r in kb)
    lines.append(f"  words per document: min {words[0]}, median {words[len(words) // 2]}, max {words[-1]}")
    lines.append(f"questions: {len(qs)} rows")
    for field in ("kind", "tenant", "split"):
        cnt = Counter(r[field] for r in qs)
        lines.append(f"  by {field}: " + ", ".join(f"{k}={v}" for k, v in sorted(cnt.items())))
    ks = Counter((r["kind"], r["split"]) for r in qs)
    lines.append("  kind x split: " + ", ".join(f"{k}={ks[(k, 'dev')]}/{ks[(k, 'test')]}" for k in KINDS) + " (dev/test)")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO_DATASETS,
                    help="output folder (default: the repository's datasets/)")
    ap.add_argument("--quiet", action="store_true", help="don't print the summary")
    args = ap.parse_args(argv)
    check_unanswerable()
    qs = build_questions()
    dump_jsonl(KB_ROWS, args.out / "kb" / "documents.jsonl")
    dump_jsonl(qs, args.out / "golden" / "questions.jsonl")
    if not args.quiet:
        print(summary(KB_ROWS, qs))


if __name__ == "__main__":
    main()
