"""Field-report workflow (phản ánh hiện trường): one action function per transition.

The actions live in ``transitions`` (status changes), ``submission`` (a new report) and
``moderation`` (notes, hiding, editing, photos); ``catalog`` holds categories and answer
templates, ``steps`` what every action shares, ``policy`` the settings. Everything other
modules use is re-exported here: ``from ioc.packs.field_reports import service``.

Every action checks that the transition is allowed from the report's current status (a
:class:`FieldReportError` with a Vietnamese message otherwise), changes the report, sets the
deadline of the next step from the working-day calendar and the category's settings, and
writes a timeline event (``fr_events``) and an audit row, in the caller's transaction (actions
never commit). Routes, jobs, the CLI and the demo all call these functions.

States
======

==================  ===============================  ==============================================
status              Vietnamese                       meaning
==================  ===============================  ==============================================
``received``        Đã tiếp nhận                     at the IOC, waiting for the intake decision
``info_requested``  Chờ bổ sung thông tin            the reporter was asked for more information
``rejected``        Từ chối                          refused at intake, with a reason (closed)
``assigned``        Đã chuyển đơn vị xử lý           with the responsible agency
``in_progress``     Đang xử lý                       the agency has started handling it
``answered``        Đã trả lời, chờ công khai        the agency answered (closed); IOC to publish
``published``       Đã công khai                     the answer is public; the reporter may rate
``rated``           Đã đánh giá                      the reporter rated the answer
``merged``          Đã gộp                           a duplicate, merged into another report
==================  ===============================  ==============================================

Transitions
===========

==================  ==========================================  ================================
action              from                                        to
==================  ==========================================  ================================
submit_report       —                                           received
reject              received, info_requested                    rejected
assign              received                                    assigned
request_info        received, assigned, in_progress             info_requested
provide_info        info_requested                              the status it was asked from
transfer            assigned, in_progress                       assigned (another agency)
start_progress      assigned                                    in_progress
answer              assigned, in_progress                       answered
publish             answered                                    published
rate                published                                   rated
reopen              answered, published, rated, rejected        assigned (received if no agency)
merge_duplicate     received, info_requested, assigned,         merged
                    in_progress
add_note, hide,     any                                         unchanged
unhide, edit_text,
add_photo,
publish_photo,
redact_photo
==================  ==========================================  ================================

Facts kept apart: ``closed`` (handling finished: answered, rejected or merged; cleared by a
reopen) and ``fixed`` (the agency's answer says the problem is gone: resolution ``fixed``);
the reporter's own verdict is ``rating_satisfied`` and ``rating_fixed``.

Deadlines (normal track in working days, urgent track in calendar hours, per category):

* receipt -> intake decision (reject or assign): ``reject_days`` / ``urgent_intake_hours``;
* receipt -> latest request for information: ``info_days`` (``info_request_due_at``);
* receipt, transfer or supplied information -> answer: ``handle_days`` / ``urgent_hours``
  (``due_at``, published as Open311 ``expected_datetime``);
* request for information -> reporter's reply: ``reply_days``;
* answer -> publication: ``publish_days`` / ``urgent_intake_hours``.

``stage_due_at`` is the deadline of the current step; events completing a step carry
``{"due_at": …, "late": bool}`` in ``data`` for statistics.

Citizen actions (``provide_info``, ``rate``, and ``reopen`` by the reporter) by the
:func:`citizen_actor` need the secret returned once by :func:`submit_report`; staff may act
for the reporter (e.g. a call to the 1022 hotline) with ``secret=None``. Whether an actor may
act at all (role, agency) is the calling route's check; actions check transitions and data.
"""

from __future__ import annotations

from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.service.catalog import (
    default_categories,
    get_category,
    render_template,
    save_template,
    sync_categories,
    update_category,
)
from ioc.packs.field_reports.service.configuration import (
    Policy,
    configure,
    policy,
    policy_from_settings,
    with_policy,
)
from ioc.packs.field_reports.service.moderation import (
    add_note,
    add_photo,
    edit_text,
    hide,
    publish_photo,
    redact_photo,
    unhide,
)
from ioc.packs.field_reports.service.photo_intake import check_photo_count, process_photos
from ioc.packs.field_reports.service.reporter import (
    CITIZEN_LABEL,
    SECRET_ALPHABET,
    SECRET_LENGTH,
    citizen_actor,
    is_citizen,
    new_secret,
    normalize_secret,
    verify_secret,
)
from ioc.packs.field_reports.service.states import (
    ACTIONS,
    ANSWERED,
    ASSIGNED,
    CLOSED_STATUSES,
    IN_PROGRESS,
    INFO_REQUESTED,
    MAX_DESCRIPTION,
    MAX_TEXT,
    MERGED,
    NORMAL,
    OPEN_STATUSES,
    PUBLISHED,
    RATED,
    RECEIVED,
    REJECTED,
    RESOLUTIONS,
    STATUSES,
    TRACKS,
    URGENT,
)
from ioc.packs.field_reports.service.steps import get_report
from ioc.packs.field_reports.service.submission import Submission, submit_report
from ioc.packs.field_reports.service.transitions import (
    answer,
    assign,
    merge_duplicate,
    provide_info,
    publish,
    rate,
    reject,
    reopen,
    request_info,
    start_progress,
    transfer,
)

# The photo checks under their former private name (the photo-bomb tests call them directly).
_process_photos = process_photos

__all__ = [
    "ACTIONS",
    "ANSWERED",
    "ASSIGNED",
    "CITIZEN_LABEL",
    "CLOSED_STATUSES",
    "INFO_REQUESTED",
    "IN_PROGRESS",
    "MAX_DESCRIPTION",
    "MAX_TEXT",
    "MERGED",
    "NORMAL",
    "OPEN_STATUSES",
    "PUBLISHED",
    "RATED",
    "RECEIVED",
    "REJECTED",
    "RESOLUTIONS",
    "SECRET_ALPHABET",
    "SECRET_LENGTH",
    "STATUSES",
    "TRACKS",
    "URGENT",
    "FieldReportError",
    "Policy",
    "Submission",
    "add_note",
    "add_photo",
    "answer",
    "assign",
    "check_photo_count",
    "citizen_actor",
    "configure",
    "default_categories",
    "edit_text",
    "get_category",
    "get_report",
    "hide",
    "is_citizen",
    "merge_duplicate",
    "new_secret",
    "normalize_secret",
    "policy",
    "policy_from_settings",
    "process_photos",
    "provide_info",
    "publish",
    "publish_photo",
    "rate",
    "redact_photo",
    "reject",
    "render_template",
    "reopen",
    "request_info",
    "save_template",
    "start_progress",
    "submit_report",
    "sync_categories",
    "transfer",
    "unhide",
    "update_category",
    "verify_secret",
    "with_policy",
]
