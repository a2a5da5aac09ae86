"""Chỉ tiêu kinh tế – xã hội — socio-economic pack: GRDP growth, state budget revenue, public
investment disbursement against plan, CPI, exports, retail sales, industrial production, FDI,
new enterprises, jobs, poverty … submitted monthly/quarterly/yearly by departments and communes
through the submission engine (``ioc.engines.submissions``), compared with the yearly targets of
the provincial resolution.

Public module of the pack: other packs import only what is listed in ``__all__``.
"""

from __future__ import annotations

from ioc.core.indicators import IndicatorSpec, load_catalog
from ioc.core.registry import NavEntry, PackManifest
from ioc.engines.sector.manifest import attribute, lazy

__all__ = ["manifest"]

PACK = "socio_economic"


def _indicators() -> list[IndicatorSpec]:
    return load_catalog("ioc.packs.socio_economic", PACK)


def manifest() -> PackManifest:
    """The socio-economic pack's contributions."""
    return PackManifest(
        name=PACK,
        title_key="se.title",
        indicators=_indicators,
        page_router=attribute(f"{__name__}.pages", "router"),
        tile=lazy(f"{__name__}.pages", "overview_tile"),
        demo=lazy(f"{__name__}.demo", "load_demo"),
        # The submission pages serve every pack; their menu entry rides on this pack until the
        # shell lists engine pages of its own (CORE_NAV).
        nav=(
            NavEntry("/socio-economic", "se.nav", "view"),
            NavEntry("/submissions", "sub.nav", "view"),
        ),
    )
