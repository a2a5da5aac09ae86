"""Photo serving: ``/field-reports/photos/{id}``.

Who gets what:

* **everyone**: the served version (redacted when redacted) of a photo that
  ``public.public_photo`` allows — published, report not hidden — cached publicly;
* **staff who may open the report** (``privacy.can_view``: IOC staff and oversight every
  report, an agency its own): the served version of any photo of it, also before moderation
  (they handle the report), with ``Cache-Control: private, no-store``;
* **IOC staff** (``privacy`` viewer kind ``ioc``: administrators, operators and the intake
  agency's users) may ask for the unredacted original with ``?original=1``, never cached.

Anything else is 404, whether the photo exists or not: the answer never reveals existence.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ioc.core.auth import Permission
from ioc.core.models import User
from ioc.packs.field_reports import photos as photo_files
from ioc.packs.field_reports import privacy, public, service
from ioc.packs.field_reports.models import Photo, Report
from ioc.web.deps import DbSession, Principal, Public

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

NOT_FOUND = "Không tìm thấy ảnh / photo not found"
# Short: a photo redacted or unpublished after publication must disappear quickly.
PUBLIC_CACHE = "public, max-age=60"
PRIVATE_CACHE = "private, no-store"


def _viewer(session: Session, principal: Principal) -> privacy.Viewer | None:
    """The staff viewer behind the caller, or None for the public (and machine tokens)."""
    if principal.user is None or principal.token is not None:
        return None
    if not principal.can(Permission.VIEW):
        return None
    user = session.get(User, principal.user.id)
    if user is None or not user.is_active:
        return None
    return privacy.viewer_for_user(session, user, service.policy().intake_agency)


def _not_found() -> HTTPException:
    return HTTPException(status_code=404, detail=NOT_FOUND)


def photo_response(
    session: Session, principal: Principal, photo_id: int, original: bool
) -> Response:
    """The photo bytes the caller may see, with type and caching headers; 404 otherwise."""
    viewer = _viewer(session, principal)
    allowed: Photo | None = None
    cache = PRIVATE_CACHE
    if not original:
        allowed = public.public_photo(session, photo_id)
        if allowed is not None:
            cache = PUBLIC_CACHE
    if allowed is None and viewer is not None:
        photo = session.get(Photo, photo_id)
        report = session.get(Report, photo.report_id) if photo is not None else None
        if (
            photo is not None
            and report is not None
            and privacy.can_view(viewer, report)
            and (not original or viewer.kind == "ioc")
        ):
            allowed = photo
    if allowed is None:
        raise _not_found()
    relative = allowed.original_path if original else allowed.path
    try:
        data = photo_files.read(service.policy().data_dir, relative)
    except (OSError, photo_files.PhotoError) as exc:
        raise _not_found() from exc
    return Response(
        data,
        media_type=allowed.content_type,
        headers={
            "Cache-Control": cache,
            "Content-Disposition": f'inline; filename="anh-{allowed.id}"',
            # Not just "nosniff" (set for every response): bytes are served as an image only.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.get("/field-reports/photos/{photo_id}")
def serve_photo(
    photo_id: str,
    request: Request,
    db: DbSession,
    principal: Public,
    original: str = "",
) -> Response:
    """Ảnh của phản ánh: a published photo for everyone; staff see more (module docstring)."""
    if not photo_id.isdigit() or len(photo_id) > 18:
        raise _not_found()
    return photo_response(db, principal, int(photo_id), original.strip() in ("1", "true", "yes"))
