"""Roles of the IOC's users and the permissions each grants (every route declares the
permission it requires)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Vai trò người dùng."""

    ADMIN = "admin"
    LEADER = "leader"
    OPERATOR = "operator"
    AGENCY_STAFF = "agency_staff"


class Permission(StrEnum):
    """What an endpoint requires; every route declares one (or ``PUBLIC``)."""

    PUBLIC = "public"
    VIEW = "view"  # dashboards and station pages
    INGEST = "ingest"  # push observations
    MANAGE_USERS = "manage_users"
    ADMIN = "admin"
    # Handle alerts and incidents (acknowledge, assign, escalate, close). Agency staff hold it
    # too, but the alerting actions let them act only on what is assigned to their agency.
    HANDLE_ALERTS = "handle_alerts"
    # Change an entity's metadata (name, location, commune, agency) through the data doors.
    # Roles that write data hold it (still only for their own entities); a token needs it
    # granted explicitly: a station's ``ingest`` token writes readings, never the station.
    MANAGE = "manage"
    # Read how the IOC itself runs: alert rules, notification settings (contact points,
    # policies, silences, outbox) and scheduled jobs. The IOC's own roles hold it; agency staff
    # do not (they see their work, not the centre's configuration). Changes need ``ADMIN``.
    OPERATIONS = "operations"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.LEADER: frozenset({Permission.PUBLIC, Permission.VIEW, Permission.OPERATIONS}),
    Role.OPERATOR: frozenset(
        {
            Permission.PUBLIC,
            Permission.VIEW,
            Permission.INGEST,
            Permission.HANDLE_ALERTS,
            Permission.MANAGE,
            Permission.OPERATIONS,
        }
    ),
    Role.AGENCY_STAFF: frozenset(
        {
            Permission.PUBLIC,
            Permission.VIEW,
            Permission.INGEST,
            Permission.HANDLE_ALERTS,
            Permission.MANAGE,
        }
    ),
}

TOKEN_SCOPES = frozenset({Permission.INGEST.value, Permission.VIEW.value, Permission.MANAGE.value})


def has_permission(role: str, permission: Permission) -> bool:
    """Whether ``role`` grants ``permission``."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
