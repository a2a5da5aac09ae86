"""The workflow's vocabulary: statuses, tracks, resolutions and which action may start from
which status (the table in the package docstring)."""

from __future__ import annotations

RECEIVED = "received"
INFO_REQUESTED = "info_requested"
REJECTED = "rejected"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
ANSWERED = "answered"
PUBLISHED = "published"
RATED = "rated"
MERGED = "merged"
STATUSES = (
    RECEIVED,
    INFO_REQUESTED,
    REJECTED,
    ASSIGNED,
    IN_PROGRESS,
    ANSWERED,
    PUBLISHED,
    RATED,
    MERGED,
)
OPEN_STATUSES = frozenset({RECEIVED, INFO_REQUESTED, ASSIGNED, IN_PROGRESS})
CLOSED_STATUSES = frozenset({REJECTED, ANSWERED, PUBLISHED, RATED, MERGED})

NORMAL = "normal"
URGENT = "urgent"
TRACKS = (NORMAL, URGENT)

# Resolutions given with an answer (plus "rejected" and "duplicate" set by reject and merge).
# Only "fixed" sets the fixed flag; "scheduled" closes the report without it being fixed.
RESOLUTIONS = ("fixed", "scheduled", "explained", "referred")

# action -> statuses it may start from.
ACTIONS: dict[str, frozenset[str]] = {
    "reject": frozenset({RECEIVED, INFO_REQUESTED}),
    "assign": frozenset({RECEIVED}),
    "request_info": frozenset({RECEIVED, ASSIGNED, IN_PROGRESS}),
    "provide_info": frozenset({INFO_REQUESTED}),
    "transfer": frozenset({ASSIGNED, IN_PROGRESS}),
    "start_progress": frozenset({ASSIGNED}),
    "answer": frozenset({ASSIGNED, IN_PROGRESS}),
    "publish": frozenset({ANSWERED}),
    "rate": frozenset({PUBLISHED}),
    "reopen": frozenset({ANSWERED, PUBLISHED, RATED, REJECTED}),
    "merge_duplicate": frozenset({RECEIVED, INFO_REQUESTED, ASSIGNED, IN_PROGRESS}),
}

STATUS_VI = {
    RECEIVED: "đã tiếp nhận",
    INFO_REQUESTED: "chờ bổ sung thông tin",
    REJECTED: "đã từ chối",
    ASSIGNED: "đã chuyển đơn vị xử lý",
    IN_PROGRESS: "đang xử lý",
    ANSWERED: "đã trả lời",
    PUBLISHED: "đã công khai",
    RATED: "đã đánh giá",
    MERGED: "đã gộp vào phản ánh khác",
}
ACTION_VI = {
    "reject": "từ chối",
    "assign": "chuyển đơn vị xử lý",
    "request_info": "yêu cầu bổ sung thông tin",
    "provide_info": "bổ sung thông tin",
    "transfer": "chuyển đơn vị khác",
    "start_progress": "bắt đầu xử lý",
    "answer": "trả lời",
    "publish": "công khai",
    "rate": "đánh giá",
    "reopen": "mở lại",
    "merge_duplicate": "gộp trùng",
}

MAX_DESCRIPTION = 4000  # Open311 description limit
MAX_TEXT = 4000
