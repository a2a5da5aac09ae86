"""Take the screenshots that illustrate the in-app guides (src/ioc/packs/guides/static/).

    .venv/bin/python scripts/guide_screenshots.py            # own demo server, temp database
    .venv/bin/python scripts/guide_screenshots.py --days 7   # less demo data, faster

Builds a throw-away SQLite demo database (every pack's demo hook over ``--days`` days), serves
it on a free local port, signs in as an administrator in Debian's /usr/bin/chromium through
Playwright and saves one 1280×800 viewport per guide (the guide's ``shot`` path), reduced to a
256-colour PNG so each file stays small. Requests leaving the server's host are blocked, so the
pictures show what an offline deployment shows. Never touches a real database.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
OUT = Path(__file__).resolve().parents[1] / "src/ioc/packs/guides/static"
USER = ("huong-dan", "mật-khẩu-chụp-màn-hình-2026")


def _prepare(data_dir: Path, days: int) -> tuple[object, object]:
    os.environ["IOC_DATABASE_URL"] = f"sqlite:///{data_dir / 'guides.db'}"
    os.environ.setdefault("IOC_ENV", "development")
    os.environ["IOC_SCHEDULER"] = "off"  # no periodic jobs in a throw-away server
    from ioc.app import create_app, load_registry
    from ioc.cli import prepare_database
    from ioc.core import audit, auth, clock
    from ioc.engines.alerting.evaluate import evaluate_due
    from ioc.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    factory = prepare_database(settings)
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    offset = clock.fixed_offset_seconds(settings.timezone)
    registry = load_registry()
    for pack in registry.packs:
        if pack.demo is not None:
            sys.stderr.write(f"demo data: {pack.name}" + "\n")
            try:
                pack.demo(factory, end=end, hours=days * 24, offset=offset)
            except Exception as exc:  # a pack without demo data only makes emptier pictures
                sys.stderr.write(f"  skipped ({exc})" + "\n")
    with factory() as session, session.begin():
        evaluate_due(session, clock.now(), registry, force=True)
        auth.create_user(
            session,
            audit.Actor.system("guide-screenshots"),
            username=USER[0],
            password=USER[1],
            full_name="Quản trị viên (ảnh hướng dẫn)",
            role="admin",
            agency_code="trung-tam-ioc",
        )
    engine = factory.kw["bind"]
    return create_app(settings, engine), engine


def _serve(app: object) -> tuple[str, object, threading.Thread]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the demo server did not start")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def _small_png(raw: bytes) -> bytes:
    """A 256-colour PNG of ``raw`` (screens are flat colours: little visible loss)."""
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    reduced = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    reduced.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Build the demo, take one screenshot per guide, print each file's size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--days", type=int, default=14, help="days of demo data")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    parser.add_argument("--only", default="", help="comma-separated guide slugs")
    args = parser.parse_args(argv)
    from ioc.packs.guides.content import guides

    wanted = {s for s in args.only.split(",") if s}
    chosen = [g for g in guides() if not wanted or g.slug in wanted]
    with tempfile.TemporaryDirectory(prefix="ioc-guides-") as tmp:
        app, engine = _prepare(Path(tmp), args.days)
        base, server, thread = _serve(app)
        host = urlsplit(base).hostname
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="vi-VN")

                def offline(route: Route) -> None:
                    if urlsplit(route.request.url).hostname == host:
                        route.continue_()
                    else:
                        route.abort()

                page.route("**/*", offline)
                page.goto(f"{base}/login?next=/guides")
                page.fill("#username", USER[0])
                page.fill("#password", USER[1])
                page.click("form.login-card button[type=submit]")
                page.wait_for_url(f"{base}/guides")
                args.out.mkdir(parents=True, exist_ok=True)
                total = 0
                for guide in chosen:
                    page.goto(base + guide.shot, wait_until="networkidle")
                    page.wait_for_timeout(600)  # charts and maps finish drawing
                    data = _small_png(page.screenshot(type="png"))
                    (args.out / guide.image).write_bytes(data)
                    total += len(data)
                    sys.stderr.write(f"{guide.image}: {len(data) // 1024} KB" + "\n")
                sys.stderr.write(f"total: {total // 1024} KB" + "\n")
                browser.close()
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(timeout=10)
            engine.dispose()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
