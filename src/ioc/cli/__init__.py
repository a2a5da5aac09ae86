"""Command line ``ioc``: serve, demo, db upgrade, users, tokens, import, alerts, ingest, geo,
settings, backup/restore/check and planning.

Each command lives in the module of its topic; this module puts them together in the order
``ioc --help`` lists them. The console script is ``ioc = "ioc.cli:main"``.
"""

from __future__ import annotations

import typer

from ioc.cli import (
    accounts,
    alerting,
    boundaries,
    demo,
    observations,
    ops,
    planning,
    server,
    settings_list,
    streams,
)
from ioc.cli.common import console, demo_database, prepare_database
from ioc.cli.demo import start_demo_mail
from ioc.cli.settings_list import mask_url_passwords, shown_setting

__all__ = [
    "app",
    "console",
    "demo_database",
    "main",
    "mask_url_passwords",
    "prepare_database",
    "shown_setting",
    "start_demo_mail",
]

app = typer.Typer(
    help="IOC Đắk Lắk — Trung tâm giám sát, điều hành đô thị thông minh",
    no_args_is_help=True,
    # A real bug still shows its traceback, but never the local variables (URLs, passwords).
    pretty_exceptions_show_locals=False,
)
app.add_typer(accounts.db_app, name="db")
app.add_typer(accounts.users_app, name="users")
app.add_typer(accounts.tokens_app, name="tokens")
app.command("import")(observations.import_file)
app.command("serve")(server.serve)
app.command("demo")(demo.demo)
app.command("worker")(server.worker)
app.add_typer(alerting.alerts_app, name="alerts")
app.command("derive")(observations.derive)
app.add_typer(streams.ingest_app, name="ingest")
app.add_typer(boundaries.geo_app, name="geo")
app.command("settings")(settings_list.show_settings)
ops.register(app)  # ioc backup, ioc restore, ioc check (issue 19)
planning.register(app)  # ioc planning zones|assets FILE (issue 21)


def main() -> None:
    """Entry point of the ``ioc`` command."""
    app()
