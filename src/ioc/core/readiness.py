"""``ioc check``: is this installation ready for production? One line per check, Vietnamese
first with English, ``ok`` / ``warn`` / ``fail``; the command exits non-zero when any fails."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from ioc.core import clock
from ioc.core.backup import newest_backup
from ioc.core.reachable import tcp_reachable
from ioc.settings import Settings, weak_secret

OK, WARN, FAIL = "ok", "warn", "fail"
MIN_FREE_BYTES = 2 * 1024**3  # 2 GB
MIN_FREE_SHARE = 0.10  # 10 % of the disk
MAX_CLOCK_SKEW_S = 30.0
EARLIEST_SANE = datetime(2025, 7, 1, tzinfo=UTC)  # the merged province's first day


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    status: str
    vi: str
    en: str


def backup_folder(settings: Settings) -> Path:
    """Where ``ioc backup`` writes by default and ``ioc check`` looks."""
    return settings.backup_dir or Path(settings.data_dir) / "backups"


def check_secret(settings: Settings) -> Check:
    problem = weak_secret(settings.secret_key)
    if problem is None:
        return Check("secret_key", OK, "Khóa bí mật đủ mạnh", "secret key is strong")
    return Check(
        "secret_key",
        FAIL,
        "IOC_SECRET_KEY yếu: tạo bằng secrets.token_urlsafe(48)",
        f"IOC_SECRET_KEY {problem}",
    )


def check_env(settings: Settings) -> Check:
    if settings.env == "production":
        return Check("env", OK, "IOC_ENV=production", "IOC_ENV=production")
    return Check(
        "env",
        FAIL,
        f"IOC_ENV={settings.env}: đặt IOC_ENV=production",
        f"IOC_ENV={settings.env}: set IOC_ENV=production",
    )


def check_https(settings: Settings) -> Check:
    problems_vi, problems_en = [], []
    if not settings.public_url.startswith("https://"):
        problems_vi.append(f"IOC_PUBLIC_URL không phải https ({settings.public_url})")
        problems_en.append(f"IOC_PUBLIC_URL is not https ({settings.public_url})")
    if not settings.trusted_proxies:
        problems_vi.append("IOC_TRUSTED_PROXIES trống (proxy nginx chưa khai báo)")
        problems_en.append("IOC_TRUSTED_PROXIES is empty (the nginx proxy is not declared)")
    if not settings.cookie_secure:
        problems_vi.append("cookie không bắt buộc HTTPS")
        problems_en.append("cookies are not HTTPS-only")
    if not problems_vi:
        return Check(
            "https",
            OK,
            "HTTPS qua proxy tin cậy, cookie chỉ gửi qua HTTPS",
            "HTTPS behind a trusted proxy, secure cookies",
        )
    return Check("https", FAIL, "; ".join(problems_vi), "; ".join(problems_en))


def check_database(settings: Settings) -> Check:
    from ioc.core import migrate
    from ioc.core.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        current = migrate.current_revision(engine)
        head = migrate.head_revision()
    except Exception as exc:
        return Check(
            "database",
            FAIL,
            f"Không kết nối được cơ sở dữ liệu ({type(exc).__name__})",
            f"database unreachable ({type(exc).__name__})",
        )
    finally:
        engine.dispose()
    if current != head:
        return Check(
            "database",
            FAIL,
            f"Lược đồ ở {current}, mới nhất {head}: chạy ioc db upgrade",
            f"schema at {current}, newest {head}: run ioc db upgrade",
        )
    if settings.is_sqlite:
        return Check(
            "database",
            WARN,
            "SQLite: chỉ hợp một tiến trình; sản xuất dùng PostgreSQL",
            "SQLite: one process only; production runs PostgreSQL",
        )
    return Check("database", OK, "PostgreSQL, lược đồ mới nhất", "PostgreSQL, schema current")


def _service_check(
    name: str, host: str, port: int, service_vi: str, service_en: str, down: str
) -> Check:
    """``ok`` when ``host:port`` accepts a TCP connection, else ``down`` (fail or warn);
    ``service_vi``/``service_en`` name the service, capitalised."""
    failure = tcp_reachable(host, port)
    where = f"{host}:{port}"
    if failure is None:
        return Check(name, OK, f"{service_vi} {where} trả lời", f"{service_en} {where} answers")
    return Check(
        name,
        down,
        f"Không kết nối được {service_vi[:1].lower()}{service_vi[1:]} {where}",
        f"{service_en} {where} unreachable: {failure}",
    )


def check_smtp(settings: Settings) -> Check:
    return _service_check(
        "smtp", settings.smtp_host, settings.smtp_port, "Máy chủ thư", "SMTP server", FAIL
    )


def check_broker(settings: Settings) -> Check:
    down = FAIL if settings.mqtt_enabled else WARN
    return _service_check(
        "broker", settings.mqtt_host, settings.mqtt_port, "Broker MQTT", "MQTT broker", down
    )


def _ntp_synchronised() -> bool | None:
    tool = shutil.which("timedatectl")
    if tool is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - fixed tool and arguments
            [tool, "show", "--property=NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip().lower()
    return {"yes": True, "no": False}.get(value)


def check_clock(settings: Settings, ntp: Callable[[], bool | None] = _ntp_synchronised) -> Check:
    now = clock.now()
    if now < EARLIEST_SANE:
        return Check(
            "clock",
            FAIL,
            f"Đồng hồ máy sai ({now.isoformat()})",
            f"the system clock is wrong ({now.isoformat()})",
        )
    if not settings.is_sqlite:
        from ioc.core.db import make_engine

        engine = make_engine(settings.database_url)
        try:
            with engine.connect() as conn:
                server = conn.execute(text("SELECT now()")).scalar_one()
            skew = abs((server - clock.now()).total_seconds())
        except Exception:
            skew = 0.0  # reported by the database check
        finally:
            engine.dispose()
        if skew > MAX_CLOCK_SKEW_S:
            return Check(
                "clock",
                FAIL,
                f"Đồng hồ lệch máy chủ CSDL {skew:.0f} giây",
                f"clock differs from the database server by {skew:.0f} s",
            )
    if ntp() is False:
        return Check(
            "clock",
            WARN,
            "Đồng hồ chưa đồng bộ NTP (timedatectl)",
            "the clock is not NTP-synchronised (timedatectl)",
        )
    return Check("clock", OK, "Đồng hồ hợp lý", "the clock is sane")


def check_disk(
    settings: Settings, usage: Callable[[Path], tuple[int, int, int]] | None = None
) -> Check:
    folder = Path(settings.data_dir)
    probe = folder if folder.exists() else Path.cwd()
    total, _used, free = (usage or shutil.disk_usage)(probe)
    share = free / total if total else 0.0
    gb = free / 1024**3
    if free < MIN_FREE_BYTES or share < MIN_FREE_SHARE:
        return Check(
            "disk",
            FAIL,
            f"Ổ đĩa {probe} còn {gb:.1f} GB ({share:.0%})",
            f"disk of {probe} has {gb:.1f} GB free ({share:.0%})",
        )
    return Check(
        "disk", OK, f"Ổ đĩa còn {gb:.1f} GB ({share:.0%})", f"{gb:.1f} GB free ({share:.0%})"
    )


def check_backups(settings: Settings) -> Check:
    folder = backup_folder(settings)
    found = newest_backup(folder)
    if found is None:
        return Check(
            "backups",
            FAIL,
            f"Chưa có bản sao lưu trong {folder} (ioc backup)",
            f"no backup in {folder} (run ioc backup, see the timer in docs/deploy.md)",
        )
    path, at = found
    age = clock.now() - at
    hours = age.total_seconds() / 3600
    if age > timedelta(hours=settings.backup_max_age_hours):
        return Check(
            "backups",
            FAIL,
            f"Bản sao lưu mới nhất đã {hours:.0f} giờ ({path.name})",
            f"the newest backup is {hours:.0f} h old ({path.name})",
        )
    return Check(
        "backups",
        OK,
        f"Bản sao lưu mới nhất {hours:.1f} giờ trước ({path.name})",
        f"newest backup {hours:.1f} h ago ({path.name})",
    )


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_secret,
    check_env,
    check_https,
    check_database,
    check_smtp,
    check_broker,
    check_clock,
    check_disk,
    check_backups,
)


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in order (a check that raises is a failure naming the error)."""
    results = []
    for check in CHECKS:
        try:
            results.append(check(settings))
        except Exception as exc:
            name = check.__name__.removeprefix("check_")
            results.append(
                Check(name, FAIL, f"Lỗi khi kiểm tra ({type(exc).__name__})", f"error: {exc}")
            )
    return results


def failed(results: list[Check]) -> bool:
    """Whether any check failed."""
    return any(r.status == FAIL for r in results)
