"""Plan vs actual of the tourism figures Sở VHTTDL submits monthly (the indicators listed in
``sector.yaml``; the table and chart of the sector kit)."""

from __future__ import annotations

from ioc.packs.tourism.places import SECTOR

rows = SECTOR.plan_rows
figures = SECTOR.plan_figures
plan_vs_actual = SECTOR.plan_vs_actual
