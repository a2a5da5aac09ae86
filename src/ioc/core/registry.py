"""Pack registry: filled once at start-up from each pack's manifest, then frozen.

Engines and the web shell know only this interface, never a concrete pack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import import_module
from importlib.resources import files
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from ioc.core import yaml_text

if TYPE_CHECKING:
    from fastapi import APIRouter
    from sqlalchemy.orm import Session

    from ioc.core.indicators import IndicatorSpec
    from ioc.core.models import User
    from ioc.core.series import WriteResult


PERIODS = ("hour", "day", "week", "month", "year")


@dataclass(frozen=True)
class TileTrend:
    """A tile's figure over its recent periods, oldest first; the last value is the current
    period (today, this week …) and the one before it the previous period. The overview and
    the wall show the change between the two — arrow, difference and percentage — and a
    sparkline of all of them. ``better`` says which way is good news (``up``, ``down``, or
    ``""`` when neither is), which colours the arrow; ``label`` says what the values are."""

    values: tuple[float | None, ...]
    period: str = "day"
    better: str = ""
    decimals: int = 0
    label: str = ""

    @property
    def current(self) -> float | None:
        """The value of the current period."""
        return self.values[-1] if self.values else None

    @property
    def previous(self) -> float | None:
        """The value of the previous period."""
        return self.values[-2] if len(self.values) >= 2 else None

    @property
    def delta(self) -> float | None:
        """Current minus previous (``None`` when either is unknown)."""
        if self.current is None or self.previous is None:
            return None
        return round(self.current - self.previous, self.decimals)

    @property
    def percent(self) -> float | None:
        """The change as a share of the previous value (``None`` from zero)."""
        if self.delta is None or not self.previous:
            return None
        return 100 * self.delta / abs(self.previous)

    @property
    def direction(self) -> str:
        """``up``, ``down``, ``flat`` or ``none`` (no comparison possible)."""
        if self.delta is None:
            return "none"
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "flat"

    @property
    def mood(self) -> str:
        """``good``, ``bad`` or ``neutral``: how to colour the arrow."""
        if self.direction in ("up", "down") and self.better in ("up", "down"):
            return "good" if self.direction == self.better else "bad"
        return "neutral"

    def points(self, width: float = 100, height: float = 24) -> str:
        """SVG polyline points of the known values (scaled to ``width`` × ``height``, the
        highest at the top); empty with fewer than two."""
        known = [(i, v) for i, v in enumerate(self.values) if v is not None]
        if len(known) < 2:
            return ""
        low = min(v for _, v in known)
        high = max(v for _, v in known)
        span = (high - low) or 1.0
        step = width / max(1, len(self.values) - 1)
        pad = 2.0
        return " ".join(
            f"{i * step:.1f},{pad + (height - 2 * pad) * (1 - (v - low) / span):.1f}"
            for i, v in known
        )


@dataclass(frozen=True)
class Tile:
    """One tile of the overview page (one per pack): status colour and a key figure, and,
    for a figure that has a series, its :class:`TileTrend`."""

    pack: str
    title: str
    figure: str
    caption: str
    # "ok" | "warn" | "bad" | "alarm" (coloured as "bad") | "none", or a hex colour from the
    # pack's own scale (AQI …); the page's CSS class is ``status-<status>``.
    status: str
    href: str
    color: str | None = None
    text_color: str | None = None
    lines: tuple[str, ...] = ()
    trend: TileTrend | None = None


@dataclass(frozen=True)
class NavEntry:
    """A menu entry: path, translation key, permission needed (``public`` for everyone) and
    the menu group it sits in: ``main`` (top level), ``domain`` (the "Lĩnh vực" menu, the
    default for packs), ``public`` (pages for citizens) or ``admin`` (administration)."""

    href: str
    label_key: str
    permission: str = "view"
    group: str = "domain"

    @classmethod
    def citizen(cls, href: str, label_key: str) -> NavEntry:
        """A page for citizens: open to everyone, in the ``public`` menu group."""
        return cls(href, label_key, "public", "public")


UnitConverter = Callable[[str, float, str], float]


@dataclass(frozen=True)
class RecordSample:
    """One record a pack reports to the alerting engine (e.g. one overdue field report).

    ``labels`` identify it (they become the alert instance's labels, with the rule's own);
    ``value`` is the figure the rule compares (hours overdue, days late …). A record rule
    breaches for every sample whose value passes the rule's test; a record that is no longer
    returned is no longer breached.
    """

    labels: dict[str, str]
    value: float | None = None


# A pack's record source: (session, now) -> the records currently worth a rule's attention.
RecordSource = Callable[["Session", datetime], list[RecordSample]]


@dataclass(frozen=True)
class NgsiType:
    """How a Smart Data Models / NGSI-LD entity type maps onto the IOC.

    ``entity_type`` is our ``Entity.type`` (e.g. ``AirQualityStation``); ``attributes`` maps an
    SDM attribute name (``pm25``) to an indicator code; ``units`` gives an attribute's default
    unit when the payload carries none (``{"co": "mg/m3"}``), converted by the pack.
    """

    entity_type: str
    attributes: dict[str, str]
    units: dict[str, str] = field(default_factory=dict)
    time_attribute: str = "dateObserved"


@dataclass(frozen=True)
class CommuneFigure:
    """One indicator a pack holds per commune/ward, for the commune scorecards (``/xa``).

    ``values`` maps a commune code to its value; a commune that is absent or ``None`` has no
    figure (shown as missing, never as 0). ``better`` is ``up`` or ``down``; ``period_vi`` /
    ``period_en`` say what the value covers ("30 ngày qua"); ``href`` links to the pack's page
    (``{code}`` is replaced by the commune code)."""

    code: str
    name_vi: str
    name_en: str
    unit: str
    better: str
    values: dict[str, float | None]
    decimals: int = 0
    period_vi: str = ""
    period_en: str = ""
    href: str = ""

    def name(self, lang: str) -> str:
        """The indicator's name in ``lang``."""
        return self.name_en if lang == "en" and self.name_en else self.name_vi

    def period(self, lang: str) -> str:
        """What the value covers, in ``lang``."""
        return self.period_en if lang == "en" and self.period_en else self.period_vi


# A pack's commune figures: (session, day) -> one CommuneFigure per indicator it owns.
CommuneFigures = Callable[["Session", date], list[CommuneFigure]]

# An observation listener: called with the batch's session and ``WriteResult`` inside the
# ingestion transaction, after the batch's rollups are current (``ioc.core.series``).
ObservationListener = Callable[["Session", "WriteResult"], None]

# A derive handler: (session, key, lo, hi) recomputes one kind of derived work for ``key`` over
# the epoch seconds ``[lo, hi]`` (``ioc.engines.derive``).
DeriveHandler = Callable[["Session", str, int, int], None]


@dataclass(frozen=True)
class DatasetRows:
    """The rows of a dataset as a table: column names, rows, and which columns hold a point
    (``lat``/``lon``) or a GeoJSON geometry, for the GeoJSON download. Never personal data."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    lat_column: str | None = None
    lon_column: str | None = None
    geometry_column: str | None = None


@dataclass(frozen=True)
class DatasetQuality:
    """What the quality figures of a dataset are computed from (over the last 30 days):
    ``latest`` the newest record; ``expected``/``present`` records (or filled fields) expected
    and present (``None``: not measured); ``refused`` rows refused or dead-lettered and
    ``accepted`` rows taken; ``checked`` rows checked for range and consistency and ``passed``
    those that passed."""

    latest: datetime | None
    expected: int | None = None
    present: int | None = None
    refused: int = 0
    accepted: int = 0
    checked: int = 0
    passed: int = 0


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of the open-data catalogue, declared by the pack that holds it.

    ``code`` is the CKAN name (lowercase letters, digits, ``-``); ``owner_agency`` an agency
    code; ``frequency`` an ISO 8601 duration (or ``sampled``/``irregular``); ``public``: may be
    downloaded by anyone (a dataset with personal data never is; ``rows`` returns only
    non-personal columns anyway). ``href`` is the page that shows the data (for its badge);
    ``located``: its rows carry a point or a geometry (offered as GeoJSON)."""

    code: str
    pack: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    owner_agency: str
    frequency: str
    public: bool = True
    licence: str = "CC-BY-4.0"
    spatial_vi: str = "Tỉnh Đắk Lắk"
    spatial_en: str = "Đắk Lắk province"
    temporal_start: date | None = None
    tags: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    href: str = ""
    located: bool = False  # rows carry a point or geometry (a GeoJSON download is offered)
    rows: Callable[[Session], DatasetRows] | None = None
    quality: Callable[[Session, datetime], DatasetQuality] | None = None


# A dataset's rows and quality inputs, the code a declaration in YAML cannot hold.
DatasetRowsFn = Callable[["Session"], DatasetRows]
DatasetQualityFn = Callable[["Session", datetime], DatasetQuality]


def dataset_spec(
    pack: str,
    declared: dict[str, Any],
    rows: DatasetRowsFn | None = None,
    quality: DatasetQualityFn | None = None,
) -> DatasetSpec:
    """The :class:`DatasetSpec` of ``pack`` described by ``declared`` (its fields as read from
    YAML: lists become tuples), with the functions that give its ``rows`` and ``quality``."""
    fields: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in declared.items()
    }
    return DatasetSpec(pack=pack, rows=rows, quality=quality, **fields)


# The quality of a dataset of records measured as its declaration's ``records:`` block says
# (which time column, which dead-letter sources: ``ioc.engines.dataset_quality``), by code.
RecordsQualityFn = Callable[[str, dict[str, Any]], DatasetQualityFn]


def load_datasets(
    package: str,
    hooks: dict[str, tuple[DatasetRowsFn | None, DatasetQualityFn | None]],
    filename: str = "datasets.yaml",
    records: RecordsQualityFn | None = None,
) -> list[DatasetSpec]:
    """The datasets the pack ``package`` (``ioc.packs.<name>``) declares in its ``filename``
    (``datasets:``, a list of :class:`DatasetSpec` fields), in order; ``hooks`` gives each
    dataset's ``(rows, quality)`` functions by code (a dataset absent from it has neither).
    A dataset declaring a ``records:`` block has the quality ``records`` makes of it."""
    raw: Any = yaml_text.load((files(package) / filename).read_text(encoding="utf-8"))
    pack = package.rsplit(".", 1)[-1]
    specs = []
    for entry in raw["datasets"]:
        declared = dict(entry)
        block = declared.pop("records", None)
        rows, quality = hooks.get(str(declared["code"]), (None, None))
        if block is not None and records is not None:
            quality = records(str(declared["code"]), block)
        specs.append(dataset_spec(pack, declared, rows, quality))
    return specs


@dataclass
class PackManifest:
    """What a pack contributes. ``name`` is its folder under ``ioc.packs``."""

    name: str
    title_key: str
    indicators: Callable[[], list[IndicatorSpec]]
    # The module of the pack's SQLAlchemy tables (``ioc.packs.<name>.models``), imported by
    # ``ioc.models_all`` so that migrations and ``create_all`` see them; None: no tables.
    models: str | None = None
    api_router: Callable[[], APIRouter] | None = None
    page_router: Callable[[], APIRouter] | None = None
    tile: Callable[[Session, str], Tile | None] | None = None
    nav: tuple[NavEntry, ...] = ()
    unit_converter: UnitConverter | None = None
    entity_types: tuple[str, ...] = ()
    ngsi_types: dict[str, NgsiType] = field(default_factory=dict)
    # MQTT payload decoders by name (the topic's last level): (topic, payload) -> ingestion rows;
    # raise ValueError with the reason for a payload that cannot be read.
    mqtt_decoders: dict[str, Callable[[str, bytes], list[dict[str, Any]]]] = field(
        default_factory=dict
    )
    demo: Callable[..., Any] | None = None
    # Derived indicators: the listeners called for every stored batch of observations (they
    # queue derive work) and the handlers that do that work, by kind. Registered at start-up
    # after ``on_startup`` (so a listener may rely on the pack's configured settings).
    listeners: tuple[ObservationListener, ...] = ()
    derive_handlers: dict[str, DeriveHandler] = field(default_factory=dict)
    on_startup: Callable[[Any], None] | None = None  # called with the Settings
    # Reference data the pack keeps in the database (categories …): called by ``prepare`` in
    # its transaction, idempotent, never overwriting an administrator's edits.
    sync: Callable[[Session], Any] | None = None
    # Periodic jobs for the scheduler: (name, every_s, fn(session_factory, now) -> summary).
    jobs: tuple[tuple[str, float, Callable[..., str | None]], ...] = ()
    # Long-running services of the web process (a syslog listener …):
    # fn(settings, session_factory) -> a handle with ``stop()``, or None when switched off.
    services: tuple[Callable[..., Any], ...] = ()
    # Called for every successful HTML page view: (session, path, role or None); best effort.
    page_view: Callable[[Session, str, str | None], Any] | None = None
    # Alerting: a YAML resource of the pack (``rules:`` and ``sops:``) loaded as default rules
    # and SOP checklists, and the record sources its record rules may name ("pack.source").
    alert_rules_file: str | None = None
    record_sources: dict[str, RecordSource] = field(default_factory=dict)
    # Names the values of the alert labels this pack sets (a field report's ``category``, a
    # disease, a website): (session, label, value, language) -> name, or None when not its own.
    label_names: Callable[[Session, str, str, str], str | None] | None = None
    # Commune scorecards: the per-commune figures of the indicators this pack owns.
    commune_figures: CommuneFigures | None = None
    # Where a user lands after login when nothing else was asked for: (session, user) -> a
    # path, or None to leave it to the next pack / the IOC's default.
    landing: Callable[[Session, User], str | None] | None = None
    # Open-data catalogue: the datasets this pack holds beyond its indicator catalog (records
    # such as field reports or dossiers), with their rows and quality inputs.
    datasets: Callable[[], list[DatasetSpec]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def lazy(module: str, name: str) -> Callable[..., Any]:
    """A callable that imports ``module`` on first call and calls its ``name``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(import_module(module), name)(*args, **kwargs)

    call.__name__ = name
    return call


def attribute(module: str, name: str) -> Callable[[], Any]:
    """A callable that imports ``module`` on first call and returns its ``name``."""

    def get() -> Any:
        return getattr(import_module(module), name)

    return get


def _catalog(package: str, pack: str) -> Callable[[], list[IndicatorSpec]]:
    """The indicators of the ``indicators.yaml`` shipped in ``package``, read when asked for."""

    def load() -> list[IndicatorSpec]:
        from ioc.core.indicators import load_catalog

        return load_catalog(package, pack)

    return load


# The roles of the pack layout (``ioc/packs/README.md``) a manifest wires by file name:
# (manifest field, module of the pack, name in it, called: a function called when needed
# rather than an attribute read when first asked for).
LAYOUT_ROLES: tuple[tuple[str, str, str, bool], ...] = (
    ("api_router", "api", "router", False),
    ("page_router", "pages", "router", False),
    ("tile", "tile", "tile", True),
    ("demo", "demo", "load_demo", True),
    ("datasets", "datasets", "datasets", True),
    ("commune_figures", "commune_figures", "figures", True),
)


def layout_fields(package: str) -> dict[str, Any]:
    """The manifest fields the pack ``package`` (``ioc.packs.<name>``) declares by its layout,
    each found by its file name and imported only when first used: its tables (``models``),
    its indicator catalog (``indicators.yaml``, else none), its alert rules
    (``alert_rules.yaml``) and the :data:`LAYOUT_ROLES` (``api.router``, ``pages.router``,
    ``tile.tile``, ``demo.load_demo``, ``datasets.datasets``, ``commune_figures.figures``)."""
    name = package.rsplit(".", 1)[-1]
    found: dict[str, Any] = {"indicators": list}
    shipped = files(package)
    if shipped.joinpath("indicators.yaml").is_file():
        found["indicators"] = _catalog(package, name)
    if shipped.joinpath("alert_rules.yaml").is_file():
        found["alert_rules_file"] = "alert_rules.yaml"
    if find_spec(f"{package}.models") is not None:
        found["models"] = f"{package}.models"
    for hook, module, member, called in LAYOUT_ROLES:
        if find_spec(f"{package}.{module}") is not None:
            found[hook] = (lazy if called else attribute)(f"{package}.{module}", member)
    return found


def pack_manifest(package: str, title_key: str, **own: Any) -> PackManifest:
    """The manifest of the pack ``package`` (``ioc.packs.<name>``, named for its folder): what
    its layout declares (:func:`layout_fields`), and ``own``, the further fields that are the
    pack's own (its menu, jobs, record sources …), which win over the layout's."""
    fields = layout_fields(package) | own
    return PackManifest(name=package.rsplit(".", 1)[-1], title_key=title_key, **fields)


def page_manifest(
    package: str,
    prefix: str,
    href: str | None = None,
    *,
    also: tuple[NavEntry, ...] = (),
    **own: Any,
) -> PackManifest:
    """The manifest (:func:`pack_manifest`) of a pack titled ``{prefix}.title`` whose ``pages``
    module gives its overview tile (``overview_tile``) and whose menu entry ``{prefix}.nav``
    opens ``href`` (by default ``/<name>``), followed by the entries ``also``; ``own``: its
    further fields."""
    name = package.rsplit(".", 1)[-1]
    return pack_manifest(
        package,
        f"{prefix}.title",
        tile=lazy(f"{package}.pages", "overview_tile"),
        nav=(NavEntry(href or f"/{name}", f"{prefix}.nav"), *also),
        **own,
    )


class Registry:
    """The packs of this process, in load order."""

    def __init__(self) -> None:
        self._packs: dict[str, PackManifest] = {}
        self._frozen = False
        self._sources: dict[str, RecordSource] = {}  # the IOC's own (``ops.notify_dead``)

    def register(self, manifest: PackManifest) -> None:
        """Add a pack; refused after start-up."""
        if self._frozen:
            raise RuntimeError("registry is frozen after start-up")
        if manifest.name in self._packs:
            raise ValueError(f"pack {manifest.name} registered twice")
        self._packs[manifest.name] = manifest

    def freeze(self) -> None:
        """Refuse further registrations; this becomes the process's :func:`active` registry."""
        global _ACTIVE
        self._frozen = True
        _ACTIVE = self

    @property
    def packs(self) -> list[PackManifest]:
        """Registered packs in order."""
        return list(self._packs.values())

    def has(self, name: str) -> bool:
        """Whether the pack ``name`` is installed in this process."""
        return name in self._packs

    def ngsi_type(self, name: str) -> tuple[str, NgsiType] | None:
        """The pack and mapping that handle NGSI-LD/SDM type ``name``, if any."""
        for pack in self._packs.values():
            if name in pack.ngsi_types:
                return pack.name, pack.ngsi_types[name]
        return None

    def register_record_source(self, name: str, source: RecordSource) -> None:
        """Add a record source of the IOC itself (``"ops.notify_dead"``, not a pack's);
        refused after start-up or when a pack has that name."""
        if self._frozen:
            raise RuntimeError("registry is frozen after start-up")
        if name.partition(".")[0] in self._packs:
            raise ValueError(f"record source {name} would shadow a pack")
        self._sources[name] = source

    def record_source(self, name: str) -> RecordSource | None:
        """The record source ``"pack.source"`` registered by a pack (or by the IOC), if any."""
        if name in self._sources:
            return self._sources[name]
        pack, _, source = name.partition(".")
        manifest = self._packs.get(pack)
        return manifest.record_sources.get(source) if manifest else None

    def label_value_name(self, session: Session, label: str, value: str, lang: str) -> str | None:
        """The name a pack gives the value of an alert label, if one does."""
        for pack in self._packs.values():
            if pack.label_names is not None:
                name = pack.label_names(session, label, value, lang)
                if name:
                    return name
        return None

    def unit_converter_for(self, pack: str) -> UnitConverter | None:
        """The unit converter a pack registered, if any."""
        manifest = self._packs.get(pack)
        return manifest.unit_converter if manifest else None


_ACTIVE: Registry | None = None


def active() -> Registry | None:
    """The registry frozen last in this process (for a pack's scheduled job, which is called
    with a session factory only), or None before start-up."""
    return _ACTIVE
