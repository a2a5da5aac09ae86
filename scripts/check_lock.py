"""Check that requirements.lock has every version pyproject.toml pins (runtime and dev extras).

Run by ``make install`` before installing from the lock and by ``make lock`` after writing it:
a dependency added to pyproject.toml without ``make lock`` stops the install with one line
saying so, instead of an IOC that misses a package at run time.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;,#]+)")


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def pins(pyproject: Path) -> dict[str, str]:
    """``{name: version}`` of every exact pin in ``dependencies`` and the ``dev`` extra."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data.get("project", {})
    specs = list(project.get("dependencies", []))
    specs += list(project.get("optional-dependencies", {}).get("dev", []))
    found: dict[str, str] = {}
    for spec in specs:
        match = _PIN.match(spec)
        if match:
            found[_name(match.group(1))] = match.group(3)
    return found


def locked(lock: Path) -> dict[str, str]:
    """``{name: version}`` of the lock file."""
    found: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match and not line.startswith((" ", "#")):
            found[_name(match.group(1))] = match.group(3)
    return found


def main(argv: list[str]) -> int:
    pyproject, lock = Path(argv[1]), Path(argv[2])
    if not lock.exists():
        print(f"{lock} is missing: run `make lock`", file=sys.stderr)  # noqa: T201
        return 1
    have = locked(lock)
    stale = sorted(
        f"{name}=={version}"
        for name, version in pins(pyproject).items()
        if have.get(name) != version
    )
    if stale:
        print(  # noqa: T201
            f"{lock} is older than pyproject.toml ({', '.join(stale)}): run `make lock`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
