"""What other packs and the application may import from the guides pack (small, stable):

* :func:`adoption_summary` — adoption figures of a year as plain data (the yearly report);
* :func:`record_view` — count one page view (the manifest's ``page_view``, called by the
  app's request middleware).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

__all__ = ["adoption_summary", "record_view"]


def adoption_summary(session: Session, year: int, *, deadline_days: int = 5) -> dict[str, Any]:
    """Adoption figures of calendar ``year`` (see ``service.adoption_summary``)."""
    from ioc.packs.guides.service import adoption_summary as summary

    return summary(session, year, deadline_days=deadline_days)


def record_view(session: Session, path: str, role: str | None) -> bool:
    """Count one page view (see :func:`ioc.packs.guides.service.record_view`); no commit."""
    from ioc.packs.guides.service import record_view as record

    return record(session, path, role)
