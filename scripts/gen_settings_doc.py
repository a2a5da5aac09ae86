"""Write docs/settings.md from the Settings class (field docstrings are the documentation).

Run after adding a setting: ``.venv/bin/python scripts/gen_settings_doc.py``. tests/test_docs.py
fails when a setting is missing from the page.
"""

from __future__ import annotations

from pathlib import Path

from ioc.settings import Settings

HEADER = """# Cài đặt / Settings

Mọi cài đặt đọc từ biến môi trường `IOC_*` (every setting is an `IOC_*` environment variable).
`ioc settings` prints the current values. Defaults suit a local demo; production needs at least
`IOC_ENV=production`, `IOC_SECRET_KEY` and `IOC_DATABASE_URL`.

| Variable | Default | Meaning |
|---|---|---|
"""


def main() -> None:
    """Regenerate the page."""
    lines = [HEADER.rstrip("\n")]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "(empty)" if default in ("", None) else f"`{default}`"
        if name == "secret_key":
            shown = "(development only)"
        meaning = " ".join((field.description or "").split())
        lines.append(f"| `IOC_{name.upper()}` | {shown} | {meaning} |")
    out = Path(__file__).resolve().parent.parent / "docs" / "settings.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
