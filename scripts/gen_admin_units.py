"""Generate ``src/ioc/data/admin_units_66.json`` from the ``vietnam-provinces`` wheels.

Development-time tool only. ``vietnam-provinces`` is GPL-3.0-or-later, so the project never
imports it: this script reads the *unzipped* wheels as plain files (JSON, plus the Python data
tables parsed with :mod:`ast`, never executed or imported) and writes public-law facts
(codes, names, legal succession) into a JSON file that ships with the package.

Inputs (both are unzipped wheels, i.e. directories containing ``vietnam_provinces/``):

* ``NEW``: vietnam-provinces 2026.9.0 (post-2025 two-level data). Read:
  ``data/nested-divisions.json`` (34 provinces and their wards), ``_ward_conversion_2025.py``
  (old ward -> new ward table, from the government's conversion CSV) and
  ``legacy/_lookup.py`` (pre-2025 three-level data, used as a cross-check).
* ``OLD``: vietnam-provinces 0.6.0 (data of 2025-01-04, pre-2025 three-level data). Read:
  ``data/nested-divisions.json`` for the former provinces 54 (Phú Yên) and 66 (Đắk Lắk):
  codes, names and tree. Its ward ``division_type`` is "xã" for every ward (a bug), so the
  ward type is taken from 2026.9.0's ``legacy/_lookup.py``, which agrees on every code/name.

Reproduce::

    pip download --no-deps --python-version 3.12 --only-binary=:all: \\
        -d /tmp/vnp vietnam-provinces==2026.9.0
    pip download --no-deps -d /tmp/vnp-old vietnam-provinces==0.6.0
    (cd /tmp/vnp && unzip -q vietnam_provinces-2026.9.0-py3-none-any.whl -d x)
    (cd /tmp/vnp-old && unzip -q vietnam_provinces-0.6.0-py3-none-any.whl -d x)
    python scripts/gen_admin_units.py /tmp/vnp/x /tmp/vnp-old/x --generated-on 2025-11-28

Output shape (see ``ioc.core.admin_data`` for the reader)::

    {"header": {...}, "province": {...}, "units": [...102 current...], "legacy": [...]}

Legacy-code decision: codes are kept verbatim. Every current unit kept the code of one of its
predecessors, so a 5-digit code can appear twice: once as a legacy record
(``valid_to`` = 2025-06-30) and once as a current record (``valid_from`` = 2025-07-01).
``(code, level family, validity)`` is unique; resolve a code *as of a date*. The pre-merger
province Đắk Lắk is likewise a legacy record with code "66" ending 2025-06-30, replaced by the
current province "66" (valid from 2025-07-01).

Normalisation: whitespace collapsed; typographic apostrophes (U+2019, U+02BC) folded to "'"
(2026.9.0 writes "Xã Ea H’Leo", the legacy data writes "Huyện Ea H'leo"). Nothing else is
changed; no coordinates are emitted (the package has none).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

PROVINCE = 66
FORMER_PROVINCES = (54, 66)
VALID_FROM = "2025-07-01"
VALID_TO = "2025-06-30"
OUT_DEFAULT = Path(__file__).resolve().parents[1] / "src" / "ioc" / "data" / "admin_units_66.json"

_WARD_LEVEL = {"phường": "ward", "xã": "commune", "thị trấn": "town"}
_LEGACY_WARD_TYPE = {"PHUONG": "phường", "XA": "xã", "THI_TRAN": "thị trấn"}
_PREFIXES = ("Thành phố ", "Thị trấn ", "Thị xã ", "Phường ", "Huyện ", "Tỉnh ", "Xã ")


def clean(name: str) -> str:
    """Collapse whitespace and fold typographic apostrophes to ASCII."""
    name = name.replace("\u2019", "'").replace("\u02bc", "'")
    return re.sub(r"\s+", " ", name).strip()


def short(name: str) -> str:
    """Drop the administrative-type prefix: "Phường Buôn Ma Thuột" -> "Buôn Ma Thuột"."""
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            # Numbered wards ("Phường 2") keep their prefix: "2" alone names nothing.
            return name if rest.isdigit() else rest
    return name


def _pkg(root: Path) -> Path:
    pkg = root / "vietnam_provinces"
    if not pkg.is_dir():
        raise SystemExit(f"{root}: no vietnam_provinces/ directory (unzip the wheel there)")
    return pkg


def _module_constants(path: Path) -> dict[str, Any]:
    """Top-level ``NAME = literal`` / ``NAME: T = {...}`` of a data module, without executing it.

    Constructor calls such as ``Ward('Xã A', WardCode.W_1, ...)`` become tuples of their
    arguments; attribute references such as ``WardCode.W_1`` become the string ``"W_1"``.
    """

    def ev(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Attribute):
            return node.attr
        if isinstance(node, ast.Call):
            return tuple(ev(a) for a in node.args)
        if isinstance(node, ast.Tuple):
            return tuple(ev(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            return {ev(k): ev(v) for k, v in zip(node.keys, node.values, strict=True) if k}
        raise ValueError(f"{path}: unsupported node {ast.dump(node)[:80]}")

    out: dict[str, Any] = {}
    for stmt in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
            out[stmt.target.id] = ev(stmt.value)
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            try:
                out[stmt.targets[0].id] = ev(stmt.value)
            except ValueError:
                continue
    return out


def _versions(pkg: Path) -> tuple[str, str]:
    consts = _module_constants(pkg / "__init__.py")
    return str(consts["__version__"]), str(consts["__data_version__"])


def build(new_root: Path, old_root: Path, generated_on: date) -> dict[str, Any]:
    new_pkg, old_pkg = _pkg(new_root), _pkg(old_root)
    new_version, new_data_version = _versions(new_pkg)
    old_version, old_data_version = _versions(old_pkg)

    # -- current (post 2025-07-01) units --------------------------------------------------------
    nested = json.loads((new_pkg / "data" / "nested-divisions.json").read_text(encoding="utf-8"))
    (prov,) = [p for p in nested if p["code"] == PROVINCE]
    conv = _module_constants(new_pkg / "_ward_conversion_2025.py")
    # OLD_TO_NEW: {old: ((old, district, province, partly), ((new, province), ...))}
    old_to_new: dict[int, list[int]] = {
        old: [n[0] for n in entry[1]]
        for old, entry in conv["OLD_TO_NEW"].items()
        if entry[0][2] in FORMER_PROVINCES
    }
    new_to_old: dict[int, list[int]] = defaultdict(list)
    for old, news in old_to_new.items():
        for new in news:
            new_to_old[new].append(old)
    for new, entry in conv["NEW_TO_OLD"].items():
        if entry[0][1] == PROVINCE and sorted(o[0] for o in entry[1]) != sorted(new_to_old[new]):
            raise SystemExit(f"conversion table not symmetric for new ward {new}")

    units = []
    for w in sorted(prov["wards"], key=lambda w: w["code"]):
        name = clean(w["name"])
        units.append(
            {
                "code": f"{w['code']:05d}",
                "name": name,
                "short_name": short(name),
                "level": _WARD_LEVEL[w["division_type"]],
                "parent": str(PROVINCE),
                "valid_from": VALID_FROM,
                "valid_to": None,
                "legacy_sources": [f"{o:05d}" for o in sorted(new_to_old[w["code"]])],
            }
        )
    current_codes = {u["code"] for u in units}

    # -- legacy (until 2025-06-30) three-level structure ----------------------------------------
    old_nested = json.loads((old_pkg / "data" / "nested-divisions.json").read_text("utf-8"))
    lookup = _module_constants(new_pkg / "legacy" / "_lookup.py")
    legacy: list[dict[str, Any]] = []
    seen_wards: set[int] = set()
    for p in sorted(
        (p for p in old_nested if p["code"] in FORMER_PROVINCES), key=lambda p: p["code"]
    ):
        pname = clean(p["name"])
        if clean(lookup["PROVINCE_MAPPING"][p["code"]][0]) != pname:
            raise SystemExit(f"province {p['code']}: 0.6.0 and 2026.9.0 legacy names differ")
        legacy.append(
            {
                "code": f"{p['code']:02d}",
                "name": pname,
                "short_name": short(pname),
                "level": "province",
                "parent": None,
                "valid_from": None,
                "valid_to": VALID_TO,
                "replaced_by": str(PROVINCE),
                "successors": [str(PROVINCE)],
            }
        )
        for d in sorted(p["districts"], key=lambda d: d["code"]):
            dname = clean(d["name"])
            if clean(lookup["DISTRICT_MAPPING"][d["code"]][0]) != dname:
                raise SystemExit(f"district {d['code']}: 0.6.0 and 2026.9.0 legacy names differ")
            d_successors = sorted({f"{n:05d}" for w in d["wards"] for n in old_to_new[w["code"]]})
            legacy.append(
                {
                    "code": f"{d['code']:03d}",
                    "name": dname,
                    "short_name": short(dname),
                    "level": "district",
                    "parent": f"{p['code']:02d}",
                    "valid_from": None,
                    "valid_to": VALID_TO,
                    # The district level was abolished, not merged into one unit.
                    "replaced_by": None,
                    "successors": d_successors,
                }
            )
            for w in sorted(d["wards"], key=lambda w: w["code"]):
                wname = clean(w["name"])
                ref = lookup["WARD_MAPPING"][w["code"]]
                # 0.6.0's JSON says "xã" for every ward (a bug); the type comes from 2026.9.0's
                # legacy table, checked against the name prefix.
                wtype = _LEGACY_WARD_TYPE[ref[2]]
                if clean(ref[0]) != wname or not wname.lower().startswith(wtype + " "):
                    raise SystemExit(f"ward {w['code']}: 0.6.0 and 2026.9.0 legacy data differ")
                successors = sorted(f"{n:05d}" for n in old_to_new[w["code"]])
                own = f"{w['code']:05d}"
                # Split units: the unit that kept this code if any, else the lowest code.
                primary = own if own in successors else successors[0]
                seen_wards.add(w["code"])
                legacy.append(
                    {
                        "code": own,
                        "name": wname,
                        "short_name": short(wname),
                        "level": _WARD_LEVEL[wtype],
                        "parent": f"{d['code']:03d}",
                        "valid_from": None,
                        "valid_to": VALID_TO,
                        "replaced_by": primary,
                        "successors": successors,
                    }
                )
    if seen_wards != set(old_to_new):
        raise SystemExit("legacy wards and conversion table disagree")
    if not all(
        s in current_codes for r in legacy if r["level"] != "province" for s in r["successors"]
    ):
        raise SystemExit("a legacy unit points at a non-current unit")

    pname = clean(prov["name"])
    return {
        "header": {
            "title": "Administrative units of Đắk Lắk province (code 66), current and legacy",
            "source": {
                "legal_acts": [
                    "NQ 202/2025/QH15 (12/6/2025): merges Phú Yên (54) into Đắk Lắk (66)",
                    "NQ 1660/NQ-UBTVQH15 (16/6/2025): commune-level units of Đắk Lắk",
                    "Luật 72/2025/QH15: two-level local government, districts abolished",
                ],
                "packages": [
                    {
                        "name": "vietnam-provinces",
                        "version": new_version,
                        "data_version": new_data_version,
                        "used_for": "current units; old->new conversion; legacy cross-check",
                    },
                    {
                        "name": "vietnam-provinces",
                        "version": old_version,
                        "data_version": old_data_version,
                        "used_for": "pre-2025 provinces, districts, communes (54, 66)",
                    },
                ],
                "generator": "scripts/gen_admin_units.py",
            },
            "generated": generated_on.isoformat(),
            "licence": (
                "Codes, names and legal succession of administrative units are facts of public "
                "law (Vietnamese legal acts above). The GPL package was used only as a "
                "development-time source of those facts; none of its code is shipped."
            ),
            "notes": [
                "Codes are kept verbatim; a code may appear as a legacy record (valid_to "
                "2025-06-30) and a current record (valid_from 2025-07-01). Resolve by date.",
                "valid_from null = start of validity not recorded in the source.",
                "successors = every current unit that received part of a legacy unit; "
                "replaced_by = the unit that kept the legacy code if any, else the lowest "
                "successor code (conventional choice for split units); null for districts.",
                "Whitespace collapsed; typographic apostrophes folded to ASCII.",
                "Legacy ward types (phường/xã/thị trấn) come from the 2026.9.0 legacy table: "
                "0.6.0's JSON labels every ward 'xã'; codes and names agree in both.",
                "No coordinates: the source data has none.",
            ],
        },
        "province": {
            "code": str(PROVINCE),
            "name": pname,
            "short_name": short(pname),
            "level": "province",
            "valid_from": VALID_FROM,
            "valid_to": None,
            "legacy_sources": [f"{c:02d}" for c in FORMER_PROVINCES],
        },
        "units": units,
        "legacy": legacy,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("new", type=Path, help="unzipped vietnam-provinces 2026.9.0 wheel")
    parser.add_argument("old", type=Path, help="unzipped vietnam-provinces 0.6.0 wheel")
    parser.add_argument("-o", "--output", type=Path, default=OUT_DEFAULT)
    parser.add_argument(
        "--generated-on",
        type=date.fromisoformat,
        required=True,
        help="YYYY-MM-DD written in the header; an argument so output is byte-identical",
    )
    args = parser.parse_args(argv)
    data = build(args.new, args.old, args.generated_on)
    args.output.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts = {
        "units": len(data["units"]),
        "legacy": len(data["legacy"]),
    }
    sys.stdout.write(f"wrote {args.output} {counts}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
