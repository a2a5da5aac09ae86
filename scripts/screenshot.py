"""Sign in to a running IOC and save a viewport screenshot of one page (the README image).

    ioc demo --no-serve && ioc serve --port 8123 &
    python scripts/screenshot.py --base-url http://127.0.0.1:8123 \\
        --username admin --password "$(sed -n 2p var/demo-admin.txt)" \\
        --path /environment --out docs/screenshot.png

Uses Debian's /usr/bin/chromium through Playwright (never downloads a browser). Blocks every
request that leaves the server's host, so the picture shows what an offline deployment shows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from playwright.sync_api import Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="server address")
    parser.add_argument("--username", required=True, help="account to sign in with")
    parser.add_argument("--password", required=True, help="its password")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshot.png"), help="PNG file")
    parser.add_argument("--path", default="/environment", help="page to capture")
    parser.add_argument("--width", type=int, default=1440, help="viewport width (CSS px)")
    parser.add_argument("--height", type=int, default=900, help="viewport height (CSS px)")
    parser.add_argument("--lang", choices=("vi", "en"), default="vi", help="page language")
    parser.add_argument("--chromium", default=CHROMIUM, help="Chromium executable")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Sign in, open ``--path`` and write the screenshot; returns the exit code."""
    args = parse_args(argv)
    base = args.base_url.rstrip("/")
    host = urlsplit(base).hostname
    target = urlsplit(args.path).path
    if not Path(args.chromium).exists():
        sys.stderr.write(f"{args.chromium} not found (apt-get install chromium)\n")
        return 2

    def local_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in (host, None):
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": args.width, "height": args.height},
                device_scale_factor=1,
                locale="vi-VN" if args.lang == "vi" else "en-GB",
                timezone_id="Asia/Ho_Chi_Minh",
            )
            page = context.new_page()
            page.route("**/*", local_only)
            page.goto(f"{base}/login?{urlencode({'next': args.path, 'lang': args.lang})}")
            page.fill("#username", args.username)
            page.fill("#password", args.password)
            page.click("form.login-card button[type=submit]")
            try:
                page.wait_for_url(lambda url: urlsplit(url).path == target, timeout=10_000)
            except Exception:
                sys.stderr.write("sign-in failed (wrong username or password?)\n")
                return 1
            page.wait_for_load_state("networkidle")
            page.evaluate("document.fonts.ready")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
        finally:
            browser.close()
    size = args.out.stat().st_size
    sys.stdout.write(f"{args.out} ({args.width}×{args.height}, {size:,} bytes)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
