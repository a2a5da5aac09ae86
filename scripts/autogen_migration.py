"""Write the tables of some model modules into a (placeholder) migration file.

Usage::

    python scripts/autogen_migration.py FILE MODULE [MODULE ...]

e.g. ``python scripts/autogen_migration.py src/ioc/migrations/versions/0003_alerting.py
ioc.engines.alerting.models``. The file's ``revision``/``down_revision`` header is kept; its
``upgrade()`` and ``downgrade()`` are replaced by what Alembic's autogenerate finds between the
database at ``down_revision`` and the tables those modules define. A development aid: the
suite's ``tests/test_migrations.py`` checks the result.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext

from ioc.core.db import Base, make_engine
from ioc.core.migrate import upgrade
from ioc.models_all import import_all_models


def main(path: Path, modules: list[str]) -> None:
    """Fill ``path`` with the operations creating the tables of ``modules``."""
    import_all_models()
    wanted: set[str] = set()
    for module in modules:
        mod = importlib.import_module(module)
        for table in Base.metadata.tables.values():
            for mapper in Base.registry.mappers:
                if mapper.local_table is table and mapper.class_.__module__ == mod.__name__:
                    wanted.add(table.name)
    text = path.read_text(encoding="utf-8")
    down = re.search(r'^down_revision: str \| None = "(\w+)"', text, re.M)
    if not down:
        raise SystemExit(f"{path}: no down_revision")

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or table.name in wanted

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/scratch.db")
        upgrade(engine, down.group(1))
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"include_object": include, "render_as_batch": True}
            )
            script = produce_migrations(ctx, Base.metadata)
            up = render_python_code(script.upgrade_ops)  # type: ignore[arg-type]
            downgrade_code = render_python_code(script.downgrade_ops)  # type: ignore[arg-type]
        engine.dispose()
    up = up.replace("ioc.core.models.UTCDateTime(timezone=True)", "sa.DateTime(timezone=True)")
    head = text.split("\ndef upgrade()", 1)[0]
    head = head.replace("  # noqa: F401 - filled in as the tables land", "")
    head = head.replace("  # noqa: F401", "")
    body = f"\ndef upgrade() -> None:\n{up}\n\n\ndef downgrade() -> None:\n{downgrade_code}\n"
    path.write_text(head + body, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(path)], check=False)  # noqa: S603


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
