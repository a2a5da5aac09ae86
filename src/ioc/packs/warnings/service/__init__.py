"""Actions of the public warnings pack: draft, edit, discard, approve (two-person rule),
update and cancel, and the e-mail subscriptions per commune.

Each state change is one function that checks the transition, changes the rows and writes the
audit row; routes, jobs and the demo call the same functions.

Two-person rule: a message is published only by :func:`approve`, called by a signed-in user
who wrote none of it (neither its drafter nor anyone who edited it). A refusal raises
:class:`Refused` (a :class:`~ioc.core.ownership.NotYourData`, so the web layer answers 403 and
keeps an ``access.denied`` audit row); nothing is published.

Modules: ``validation`` (roles, limits, errors, form values → :class:`WarningInput`), ``actions``
(the state changes), ``subscriptions`` (e-mail subscriptions and the mails);
:mod:`ioc.packs.warnings.queries` holds the reads.
"""

from ioc.packs.warnings.queries import (
    areas_of,
    by_identifier,
    current,
    recent_cancels,
    reference_chain,
)
from ioc.packs.warnings.service.actions import (
    approve,
    check_drafter,
    create_draft,
    discard,
    edit_draft,
    follow_up,
    new_identifier,
)
from ioc.packs.warnings.service.subscriptions import (
    confirm,
    notify_subscribers,
    subscribe,
    unsubscribe,
)
from ioc.packs.warnings.service.validation import (
    APPROVE_ROLES,
    CONTENT_FIELDS,
    DRAFT_ROLES,
    EMAIL_RE,
    MAX_DAYS,
    MAX_HEADLINE,
    MAX_TEXT,
    Refused,
    WarningConflict,
    WarningInput,
    WarningInputError,
    as_values,
    parse_local,
    prefill_values,
    validate,
)

__all__ = [
    "APPROVE_ROLES",
    "CONTENT_FIELDS",
    "DRAFT_ROLES",
    "EMAIL_RE",
    "MAX_DAYS",
    "MAX_HEADLINE",
    "MAX_TEXT",
    "Refused",
    "WarningConflict",
    "WarningInput",
    "WarningInputError",
    "approve",
    "areas_of",
    "as_values",
    "by_identifier",
    "check_drafter",
    "confirm",
    "create_draft",
    "current",
    "discard",
    "edit_draft",
    "follow_up",
    "new_identifier",
    "notify_subscribers",
    "parse_local",
    "prefill_values",
    "recent_cancels",
    "reference_chain",
    "subscribe",
    "unsubscribe",
    "validate",
]
