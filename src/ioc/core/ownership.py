"""Who may write what: every write names an owner (agency, commune, entity) and the caller must
hold it. A role says *which kind* of change a caller may make; the owner scope says *whose data*.

* Province-wide callers (``admin``, ``operator`` of the operations centre, the system itself)
  may write for every owner.
* Agency staff act for their own agency; staff of a commune's People's Committee (an agency
  with an ``area_code``) act for their commune too, and only for it.
* An API token acts for its user's scope narrowed by the owners it was bound to at creation
  (``ioc tokens create --agency … --entity …``); a token cannot widen its user's scope.

Every refusal raises :class:`NotYourData`; the web layer answers 403 and writes an audit row
(:func:`record_denied`), so attempts to change another owner's data are visible to admins.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.models import Agency, Entity

PROVINCE_WIDE_ROLES = frozenset({"admin", "operator"})
COMMUNE_COMMITTEE = "commune_committee"  # Agency.kind of a commune's People's Committee


class NotYourData(Exception):
    """A write for an owner outside the caller's scope; the message is safe to show."""

    def __init__(self, message: str, message_en: str, *, owners: Iterable[str] = ()) -> None:
        super().__init__(f"{message} / {message_en}")
        self.message = message
        self.message_en = message_en
        self.owners = tuple(sorted(set(owners)))

    @property
    def text(self) -> str:
        """Vietnamese and English in one line."""
        return f"{self.message} / {self.message_en}"


@dataclass(frozen=True)
class WriteScope:
    """The owners a caller may write for.

    ``everything`` admits every owner. Otherwise ``agencies`` lists agency codes, ``communes``
    (commune staff only) the commune codes the caller is bound to, and ``entities`` (tokens bound
    to devices) the entity codes; ``None`` for ``entities`` means "any entity of my agencies".
    """

    everything: bool
    agencies: frozenset[str] = frozenset()
    communes: frozenset[str] = frozenset()
    entities: frozenset[str] | None = None

    @classmethod
    def province(cls) -> WriteScope:
        """Every owner: admins, operators and the system actor (jobs, CLI)."""
        return cls(everything=True)

    @classmethod
    def nothing(cls) -> WriteScope:
        """No owner at all (anonymous callers, read-only roles)."""
        return cls(everything=False)

    # ------------------------------------------------------------------ checks

    def may_agency(self, agency_code: str | None) -> bool:
        """Whether the caller acts for ``agency_code``."""
        if self.everything:
            return True
        return agency_code is not None and agency_code in self.agencies

    def may_area(self, area_code: str | None) -> bool:
        """Whether an object placed in ``area_code`` is within a commune-bound caller's reach
        (callers bound to no commune are not limited by area)."""
        if self.everything or not self.communes:
            return True
        return area_code is not None and area_code in self.communes

    def may_owner(self, agency_code: str | None, area_code: str | None = None) -> bool:
        """An object owned by ``agency_code`` and placed in ``area_code``: the agency must be
        the caller's; a commune-bound caller must also stay in their commune. An object with no
        agency belongs to the caller only through its commune."""
        if self.everything:
            return True
        if agency_code is None:
            return bool(self.communes) and area_code is not None and area_code in self.communes
        return self.may_agency(agency_code) and self.may_area(area_code)

    def may_entity(self, code: str, agency_code: str | None, area_code: str | None) -> bool:
        """A device or place (station, camera, road segment…) with its owner and commune."""
        if self.everything:
            return True
        if self.entities is not None:
            return code in self.entities
        return self.may_owner(agency_code, area_code)

    def check_owner(
        self, agency_code: str | None, area_code: str | None = None, *, what: str = ""
    ) -> None:
        """Raise :class:`NotYourData` unless :meth:`may_owner`."""
        if not self.may_owner(agency_code, area_code):
            label = agency_code or area_code or "(không rõ)"
            raise NotYourData(
                f"Không được ghi dữ liệu của đơn vị khác{f' ({what})' if what else ''}: {label}",
                f"you may not write data owned by another agency{f' ({what})' if what else ''}:"
                f" {label}",
                owners=[label],
            )


# ---------------------------------------------------------------------- building a scope


def user_scope(session: Session, role: str | None, agency_id: int | None) -> WriteScope:
    """The scope of a signed-in user of ``role`` belonging to ``agency_id``."""
    if role in PROVINCE_WIDE_ROLES:
        return WriteScope.province()
    if role is None or agency_id is None:
        return WriteScope.nothing()
    agency = session.get(Agency, agency_id)
    if agency is None:
        return WriteScope.nothing()
    # Only a commune's People's Committee is bound to its commune; a department's area is the
    # whole province.
    communes = (
        frozenset({agency.area_code})
        if agency.kind == COMMUNE_COMMITTEE and agency.area_code
        else frozenset()
    )
    return WriteScope(everything=False, agencies=frozenset({agency.code}), communes=communes)


def narrow_to_token(
    base: WriteScope, agency_codes: Iterable[str], entity_codes: Iterable[str]
) -> WriteScope:
    """``base`` narrowed by a token's bound owners (never widened)."""
    agencies = frozenset(agency_codes)
    entities = frozenset(entity_codes)
    if not agencies and not entities:
        return base
    if base.everything:
        allowed_agencies = agencies
    else:
        allowed_agencies = agencies & base.agencies if agencies else base.agencies
    return WriteScope(
        everything=False,
        agencies=allowed_agencies,
        communes=base.communes,
        entities=entities or None,
    )


# ---------------------------------------------------------------------- entities


def _refuse(refused: list[str], vi: str, en: str) -> None:
    """Raise :class:`NotYourData` ``"<vi>: <codes>"`` / ``"<en>: <codes>"`` (the first 20
    codes) when ``refused`` holds any code."""
    if refused:
        shown = ", ".join(refused[:20]) + (" …" if len(refused) > 20 else "")
        raise NotYourData(f"{vi}: {shown}", f"{en}: {shown}", owners=refused)


def check_entities(session: Session, scope: WriteScope, codes: Iterable[str]) -> None:
    """Raise :class:`NotYourData` when any existing entity among ``codes`` is not the
    caller's (unknown codes are left to the caller's own validation)."""
    if scope.everything:
        return
    wanted = set(codes)
    if not wanted:
        return
    rows = session.execute(
        select(Entity.code, Entity.agency_code, Entity.area_code).where(Entity.code.in_(wanted))
    ).all()
    refused = sorted(
        code for code, agency, area in rows if not scope.may_entity(code, agency, area)
    )
    _refuse(
        refused,
        "Không được ghi dữ liệu của trạm/đối tượng thuộc đơn vị khác",
        "you may not write data of stations/entities owned by another agency",
    )


def check_areas(scope: WriteScope, codes: Iterable[str]) -> None:
    """Raise :class:`NotYourData` when a caller writes figures of an administrative unit it
    does not act for. Only province-wide callers and a commune's own staff write area series;
    agencies report per-commune figures through the submissions engine."""
    if scope.everything:
        return
    refused = sorted({c for c in codes if c not in scope.communes})
    _refuse(
        refused,
        "Không được ghi số liệu của đơn vị hành chính khác",
        "you may not write figures of another administrative unit",
    )


# Doors refused during the current request (see :func:`track_denials`).
_DENIALS: ContextVar[list[str] | None] = ContextVar("ioc_denials", default=None)


def track_denials() -> list[str]:
    """Start collecting the doors refused by :func:`record_denied` in this request's context;
    the returned list is filled in place (also from worker threads, which copy the context but
    share the list), so a generic 403 audit knows a detailed row already exists."""
    found: list[str] = []
    _DENIALS.set(found)
    return found


def record_denied(
    session: Session, actor: audit.Actor, door: str, error: NotYourData, **detail: object
) -> None:
    """Audit row for a refused write (committed by the caller even though the write is not)."""
    tracked = _DENIALS.get()
    if tracked is not None:
        tracked.append(door)
    audit.record(
        session,
        actor,
        "access.denied",
        door,
        None,
        owners=list(error.owners[:50]),
        reason=error.message_en,
        **detail,
    )
