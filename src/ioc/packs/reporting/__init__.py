"""Chế độ báo cáo — reporting pack (Đề án 950 / NĐ 269/2025): periodic reporting campaigns,
agency submissions reviewed by Sở Xây dựng, the consolidated provincial report (DOCX in the
NĐ 30/2020 layout with an XLSX annex) and the yearly maturity self-assessment.

Modules:

* ``models`` — the ``rp_`` tables;
* ``templates_data`` — report templates and maturity criteria loaded from YAML data;
* ``service`` — campaigns and the submission workflow (one action per state change);
* ``reminders`` — deadline reminders (scheduler job ``reporting.remind``);
* ``consolidate`` — the DOCX report and the XLSX annex;
* ``maturity`` — maturity scoring; ``pages`` — web pages; ``demo`` — demo data.
"""

from __future__ import annotations

from ioc.core.registry import NavEntry, PackManifest, lazy, pack_manifest

__all__ = ["manifest"]


def manifest() -> PackManifest:
    """The reporting pack's contributions."""
    return pack_manifest(
        __name__,
        "rp.title",
        tile=lazy(f"{__name__}.pages", "tile"),
        on_startup=lazy(f"{__name__}.service", "configure"),
        jobs=(("reporting.remind", 3600.0, lazy(f"{__name__}.reminders", "remind_job")),),
        nav=(NavEntry("/reporting", "rp.nav", "view"),),
    )
