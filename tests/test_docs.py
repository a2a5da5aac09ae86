"""Documentation that must not drift: settings documented, README names the two commands."""

from __future__ import annotations

from pathlib import Path

from ioc.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"`IOC_{n.upper()}`" not in text]
    assert missing == []


def test_every_setting_has_a_docstring_meaning() -> None:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    empty = [
        line for line in text.splitlines() if line.startswith("| `IOC_") and line.endswith("|  |")
    ]
    assert empty == []


def test_readme_names_the_two_commands_and_shows_a_screenshot() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "docs/screenshot.png" in readme
    assert (ROOT / "docs" / "screenshot.png").stat().st_size > 20_000
