"""Pages of the public warnings pack.

Operations centre (signed in): ``/warnings`` (list), ``/warnings/new`` (from scratch, or
``?alert=<id>`` / ``?incident=<id>``), ``/warnings/{id}`` (detail: approve, discard, update,
cancel), ``/warnings/{id}/edit``.

Public (no sign-in, no personal data): ``/public/warnings?xa=<code>`` (phone-first list of the
warnings in force for a commune, and the e-mail subscription form), ``/public/warnings.atom``,
``/public/warnings/{identifier}.xml`` (CAP 1.2), the subscription confirm/unsubscribe links.

Modules: ``context`` (form field types, the warning form, shared conversions), ``staff`` (the
operations centre's pages), ``public`` (the public pages and feeds).
"""

from __future__ import annotations

from fastapi import APIRouter

from ioc.packs.warnings.pages import public, staff

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
for _part in (staff, public):
    router.include_router(_part.router)
