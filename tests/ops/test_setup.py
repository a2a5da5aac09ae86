"""A fresh machine: ``make test`` installs the Debian packages the tests need (as root) or says
what to install; dependencies install from a lock file with hashes; SQLite's durability is a
setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from ioc.core.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "system_deps.sh"
BASH = "/bin/bash"


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


def _run(bin_dir: Path, fonts: Path) -> subprocess.CompletedProcess[str]:
    # PATH holds only the stubs: what the script finds there is all the machine "has".
    env = {
        "PATH": str(bin_dir),
        "IOC_DEJAVU_FONT": str(fonts),
        # Where the script parks its "start no service" policy during apt-get (not the real one).
        "IOC_POLICY_RC_D": str(bin_dir / "policy-rc.d"),
    }
    return subprocess.run([BASH, str(SCRIPT)], env=env, capture_output=True, text=True, check=False)


def test_without_root_it_stops_with_one_line_naming_the_packages(tmp_path: Path) -> None:
    _stub(tmp_path, "id", "echo 1000")
    done = _run(tmp_path, tmp_path / "no-font.ttf")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(
        "apt-get install chromium fonts-dejavu-core libreoffice-writer-nogui poppler-utils"
        " nginx-light openssl"
    )


def test_as_root_it_installs_only_what_is_missing_with_apt(tmp_path: Path) -> None:
    log = tmp_path / "apt.log"
    _stub(tmp_path, "id", "echo 0")
    policy = tmp_path / "policy-rc.d"
    # apt-get logs its arguments and whether services were barred from starting meanwhile.
    _stub(
        tmp_path,
        "apt-get",
        f'echo "$@" >> {log}; if [ -e {policy} ]; then echo policy >> {log}; fi',
    )
    for name in ("chromium", "pdftotext", "nginx", "openssl", "chmod", "rm"):
        _stub(tmp_path, name, "true")
    font = tmp_path / "DejaVuSans.ttf"
    font.write_bytes(b"")
    done = _run(tmp_path, font)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert calls[0] == "update -qq"
    assert calls[1:] == ["install -y -qq libreoffice-writer-nogui", "policy"]
    assert "exit 101" in policy.read_text()  # the stub rm leaves it for this check


def test_nothing_to_do_when_everything_is_there(tmp_path: Path) -> None:
    _stub(tmp_path, "id", "echo 1000")
    for name in ("chromium", "soffice", "pdftotext", "nginx", "openssl"):
        _stub(tmp_path, name, "true")
    font = tmp_path / "DejaVuSans.ttf"
    font.write_bytes(b"")
    done = _run(tmp_path, font)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_ci_is_a_thin_wrapper_around_make_test() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "exec make test" in ci and "apt-get" not in ci
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (test_line,) = [line for line in makefile.splitlines() if line.startswith("test:")]
    assert "system-deps" in test_line and "services" in test_line


def test_install_uses_the_lock_file_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r $(LOCK)" in makefile
    assert "--no-deps -e ." in makefile
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins = [line for line in lock.splitlines() if "==" in line and not line.startswith((" ", "#"))]
    assert len(pins) > 50
    assert all("\\" in line for line in pins)  # every pin is followed by its hashes
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_lock.py"), str(ROOT / "pyproject.toml"),
         str(ROOT / "requirements.lock")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_check_lock_names_a_pin_the_lock_lacks(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = ["rich==15.0.0", "psycopg[binary]==3.3.9"]\n'
    )
    lock = tmp_path / "requirements.lock"
    lock.write_text("rich==15.0.0 \\\n    --hash=sha256:00\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_lock.py"), str(pyproject), str(lock)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "psycopg==3.3.9" in done.stderr and "make lock" in done.stderr


def test_sqlite_synchronous_is_a_setting(tmp_path: Path) -> None:
    for mode, expected in (("NORMAL", 1), ("FULL", 2)):
        engine = make_engine(f"sqlite:///{tmp_path / f'{mode}.db'}", synchronous=mode)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA synchronous")).scalar() == expected
        finally:
            engine.dispose()
