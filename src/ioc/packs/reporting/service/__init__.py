"""Campaigns and the submission workflow of the reporting pack.

States of a submission and the actions that move it (each action checks the transition,
changes the state, adds a timeline event and an audit row in the caller's transaction; none
commits):

==============  =====================================  ==========================
from            action (who)                           to
==============  =====================================  ==========================
not_started     save_draft (the agency)                draft
draft           save_draft / attach_file (the agency)  draft
returned        save_draft / attach_file (the agency)  returned (until resubmitted)
not_started,    submit (the agency)                    submitted
draft, returned
submitted       return_submission (reviewer, comment)  returned
submitted       accept (reviewer)                      accepted
accepted        reopen (reviewer, comment)             returned
==============  =====================================  ==========================

The reviewer is the campaign's recipient agency (Sở Xây dựng by default) or an administrator.
A submission first submitted after the campaign's deadline (local date) is marked ``late``;
on the status board an unsent submission past the deadline shows as ``late`` too.

Modules: ``rules`` (states, policy, permissions, errors), ``campaigns`` (creation, document,
status board), ``forms`` (pre-fill and form parsing), ``actions`` (the workflow).
"""

from ioc.packs.reporting.service.actions import (
    accept,
    attach_file,
    reopen,
    return_submission,
    save_draft,
    submit,
)
from ioc.packs.reporting.service.campaigns import (
    board,
    board_state,
    counts,
    create_campaign,
    default_agency_codes,
    set_document,
    table_sections,
)
from ioc.packs.reporting.service.forms import is_empty, parse_form, parse_number, prefill
from ioc.packs.reporting.service.rules import (
    ACCEPTED,
    CYCLES,
    DRAFT,
    EDITABLE,
    LATE,
    NOT_STARTED,
    REPORTING_KINDS,
    RETURNED,
    STATES,
    SUBMITTED,
    Doer,
    Policy,
    ReportingError,
    configure,
    content,
    default_deadline,
    is_reviewer,
    local_date,
    may_create,
    may_edit,
    policy,
    recipient_id,
    refuse,
    sections,
    template_meta,
    today,
)

__all__ = [
    "ACCEPTED",
    "CYCLES",
    "DRAFT",
    "EDITABLE",
    "LATE",
    "NOT_STARTED",
    "REPORTING_KINDS",
    "RETURNED",
    "STATES",
    "SUBMITTED",
    "Doer",
    "Policy",
    "ReportingError",
    "accept",
    "attach_file",
    "board",
    "board_state",
    "configure",
    "content",
    "counts",
    "create_campaign",
    "default_agency_codes",
    "default_deadline",
    "is_empty",
    "is_reviewer",
    "local_date",
    "may_create",
    "may_edit",
    "parse_form",
    "parse_number",
    "policy",
    "prefill",
    "recipient_id",
    "refuse",
    "reopen",
    "return_submission",
    "save_draft",
    "sections",
    "set_document",
    "submit",
    "table_sections",
    "template_meta",
    "today",
]
