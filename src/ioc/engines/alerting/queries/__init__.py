"""Read models of the alerts console and the big screen (bảng điều hành, màn hình tường).

Plain dataclasses built from the alerting tables with the names an operator reads (commune
and agency names, not codes). Nothing here changes state; see ``actions`` for that.
"""

from __future__ import annotations

from ioc.engines.alerting.queries.choices import (
    agency_options,
    area_options,
    assignee_options,
    packs_with_alerts,
)
from ioc.engines.alerting.queries.console import (
    alert_detail,
    history,
    open_alerts,
    severity_counts,
    status_counts,
)
from ioc.engines.alerting.queries.filters import check_filters, resolve_area
from ioc.engines.alerting.queries.groups import (
    CAUSE_LABEL,
    GROUP_KEY_PATTERN,
    AlertGroup,
    alert_group,
    group_alerts,
    group_key,
    rule_titles,
)
from ioc.engines.alerting.queries.incidents import incident_detail, incidents
from ioc.engines.alerting.queries.names import area_names, localized
from ioc.engines.alerting.queries.rows import (
    AREA_LEVELS,
    OPEN_STATUSES,
    PER_PAGE,
    SEVERITY_RANK,
    AlertDetail,
    AlertFilters,
    AlertRow,
    EventRow,
    FilterError,
    IncidentDetail,
    IncidentRow,
    Marker,
    Option,
    Page,
    StepRow,
)
from ioc.engines.alerting.queries.wall import (
    TILE_DAYS,
    alerts_tile,
    open_alert_counts,
    wall_markers,
)

__all__ = [
    "AREA_LEVELS",
    "CAUSE_LABEL",
    "GROUP_KEY_PATTERN",
    "OPEN_STATUSES",
    "PER_PAGE",
    "SEVERITY_RANK",
    "TILE_DAYS",
    "AlertDetail",
    "AlertFilters",
    "AlertGroup",
    "AlertRow",
    "EventRow",
    "FilterError",
    "IncidentDetail",
    "IncidentRow",
    "Marker",
    "Option",
    "Page",
    "StepRow",
    "agency_options",
    "alert_detail",
    "alert_group",
    "alerts_tile",
    "area_names",
    "area_options",
    "assignee_options",
    "check_filters",
    "group_alerts",
    "group_key",
    "history",
    "incident_detail",
    "incidents",
    "localized",
    "open_alert_counts",
    "open_alerts",
    "packs_with_alerts",
    "resolve_area",
    "rule_titles",
    "severity_counts",
    "status_counts",
    "wall_markers",
]
