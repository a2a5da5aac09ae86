"""Chỉ tiêu kinh tế – xã hội — socio-economic pack: GRDP growth, state budget revenue, public
investment disbursement against plan, CPI, exports, retail sales, industrial production, FDI,
new enterprises, jobs, poverty … submitted monthly/quarterly/yearly by departments and communes
through the submission engine (``ioc.engines.submissions``), compared with the yearly targets of
the provincial resolution.

Public module of the pack: other packs import only what is listed in ``__all__``.
"""

from __future__ import annotations

from ioc.core.indicators import IndicatorSpec, load_catalog
from ioc.core.registry import NavEntry, PackManifest, page_manifest

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    """The pack's catalog (``indicators.yaml``), as its manifest gives it."""
    return load_catalog(__name__, "socio_economic")


def manifest() -> PackManifest:
    """The socio-economic pack's contributions."""
    return page_manifest(
        __name__,
        "se",
        "/socio-economic",
        # The submission pages serve every pack; their menu entry rides on this pack until the
        # shell lists engine pages of its own (CORE_NAV).
        also=(NavEntry("/submissions", "sub.nav"),),
    )
