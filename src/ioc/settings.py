"""Settings from ``IOC_*`` environment variables.

Every field has a docstring: ``ioc settings`` prints them, and ``tests/test_docs.py`` fails when a
setting is missing from ``docs/settings.md``.
"""

from __future__ import annotations

import ipaddress
import json
import math
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_DEV_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused in production


class Settings(BaseSettings):
    """All IOC settings; read once per process from the environment (prefix ``IOC_``)."""

    model_config = SettingsConfigDict(
        env_prefix="IOC_", env_file=None, extra="ignore", use_attribute_docstrings=True
    )

    env: Literal["development", "production", "test"] = "development"
    """Deployment kind. ``production`` refuses the default secret and forces secure cookies."""

    database_url: str = "sqlite:///var/ioc.db"
    """SQLAlchemy URL: a SQLite file by default, or ``postgresql+psycopg://user@host/db``."""

    secret_key: str = _DEV_SECRET
    """Secret for signing; when ``IOC_ENV=production`` at least 32 random characters (not the
    default, not a placeholder), e.g. from
    ``python -c "import secrets; print(secrets.token_urlsafe(48))"``."""

    host: str = "127.0.0.1"
    """Address ``ioc serve`` listens on."""

    port: int = 8000
    """Port ``ioc serve`` and ``ioc demo`` listen on."""

    timezone: str = "Asia/Ho_Chi_Minh"
    """Local time zone for display, day/month rollups and deadlines (UTC+07:00, no DST)."""

    log_level: str = "INFO"
    """Log level (DEBUG, INFO, WARNING, ERROR)."""

    log_json: bool = False
    """Write logs as JSON lines (for a log collector) instead of console text."""

    cookie_secure: bool = False
    """Send the session cookie only over HTTPS. Always on when ``IOC_ENV=production``."""

    session_hours: int = 12
    """How long a login session lasts without activity, in hours (one operator shift)."""

    login_max_failures: int = Field(default=10, ge=1)
    """Failed logins of one account within ``IOC_LOGIN_FAILURE_WINDOW_MINUTES`` that lock it
    (even the right password is refused until the lock ends or ``ioc users unlock``)."""

    login_max_failures_per_address: int = Field(default=30, ge=1)
    """Failed logins from one client address (any account) within the window that lock that
    address: password guessing across many accounts. Higher than the per-account limit, since an
    office may share one address."""

    login_failure_window_minutes: int = Field(default=15, ge=1, le=1440)
    """Window in which failed logins are counted, in minutes."""

    login_lock_minutes: int = Field(default=15, ge=1, le=1440)
    """How long a lock lasts, in minutes (recorded in the audit log when set and lifted)."""

    default_language: Literal["vi", "en"] = "vi"
    """Language of pages when the visitor has not chosen one."""

    map_tile_url: str = ""
    """Leaflet tile URL template, e.g. ``https://tile.openstreetmap.org/{z}/{x}/{y}.png`` or a
    provincial tile server. Empty (the default) draws maps without tiles, for closed networks."""

    map_tile_attribution: str = ""
    """Attribution text shown with the map tiles."""

    ingest_max_rows: int = 50_000
    """Largest batch ``POST /api/v1/observations`` accepts in one request."""

    import_xlsx_max_unzipped_mb: int = Field(default=50, ge=1, le=2048)
    """Largest uploaded XLSX accepted, in megabytes once unzipped (the sum of its parts' sizes,
    checked before the file is parsed: refuses "zip bombs" such as a small file of millions of
    blank rows)."""

    air_nowcast_form: Literal["normalised", "literal"] = "normalised"
    """NowCast when w = 1/2: QĐ 1459 prints a sum without division; ``normalised`` divides by
    the weights (as the reference implementation does). See docs/air-quality.md."""

    air_aqi_cap: int | None = 500
    """Cap on VN_AQI above level 8 (the decision is silent); empty for no cap."""

    air_min_daily_hours: int = 0
    """Minimum hourly values for a daily mean/maximum (the decision sets none; 0 = no rule)."""

    air_min_8h_values: int = 6
    """Minimum hourly values in an O3 8-hour window for its mean to count."""

    water_wqi_formula: Literal["3", "5"] = "3"
    """VN_WQI (QĐ 1460) final formula when microbiology (group V) is measured: ``3`` = square
    root of WQI_IV·WQI_V, ``5`` = weighted cube root of WQI_IV²·WQI_V. Without group V Formula 4
    applies regardless. Unconfirmed against the decision's text; see water-quality.md §8."""

    water_repeated_breakpoint_edge: Literal["100", "75"] = "75"
    """VN_WQI sub-index of a value exactly at the repeated first breakpoint of N-NH4, Cd, Pb, Hg
    (e.g. N-NH4 = 0.3 mg/L): ``75`` as the source tables read, or ``100``."""

    derive_worker: Literal["thread", "off"] = "thread"
    """Who computes derived indicators (VN_AQI) after ingestion: ``thread`` = a background thread
    of the web process; ``off`` = a separate ``ioc derive`` process does it."""

    derive_delay_ms: int = 500
    """How long the derive worker waits after new data to gather a burst of batches."""

    noise_day_start_hour: int = 6
    """Start of the daytime noise period, local hour (QCVN 26:2010/BTNMT: 6 h; unverified)."""

    noise_night_start_hour: int = 21
    """Start of the night-time noise period, local hour (QCVN 26:2010/BTNMT: 21 h; unverified)."""

    noise_limit_day_db: float = 70.0
    """Daytime LAeq limit in dB(A) (QCVN 26:2010 ordinary areas: 70; unverified)."""

    noise_limit_night_db: float = 55.0
    """Night-time LAeq limit in dB(A) (QCVN 26:2010 ordinary areas: 55; unverified)."""

    weather_hot_c: float = 35.0
    """Air temperature (°C) from which a weather station is flagged "nắng nóng" (heat)."""

    weather_rain_24h_mm: float = 50.0
    """Rain over the last 24 hours (mm) from which a station is flagged "mưa lớn" (heavy rain)."""

    weather_wind_ms: float = 10.8
    """Wind speed (m/s) from which a station is flagged "gió mạnh" (Beaufort 6, 10.8 m/s)."""

    overview_refresh_seconds: int = 60
    """How often the overview page refreshes its tiles."""

    tile_cache_seconds: float = Field(default=30.0, ge=0)
    """How long a service's overview tile is reused before its figures are read again (the
    overview and the wall ask every pack; 0 reads them on every request)."""

    freshness_grace: float = Field(default=1.5, ge=1.0, le=10.0)
    """Grace factor of the data-intake tile: a series is late once its newest value is older
    than its indicator's expected interval (catalog ``frequency``) times this factor."""

    freshness_sampled_days: int = Field(default=35, ge=1, le=400)
    """Expected days between two values of a ``sampled`` series (laboratory water samples on
    a monthly programme), before the grace factor."""

    data_dir: Path = Path("var")
    """Folder for the SQLite file, backups and uploads."""

    mqtt_enabled: bool = False
    """Run the MQTT connector inside ``ioc serve`` (one web worker only; or run
    ``ioc ingest mqtt`` as its own process instead)."""

    mqtt_host: str = "127.0.0.1"
    """MQTT broker host name or address."""

    mqtt_port: int = 1883
    """MQTT broker port (8883 is the usual port with TLS)."""

    mqtt_username: str = ""
    """User name for the broker; empty for anonymous access."""

    mqtt_password: str = ""
    """Password for the broker."""

    mqtt_tls: bool = False
    """Connect to the broker over TLS."""

    mqtt_ca_file: str = ""
    """CA certificate file (PEM) to verify the broker with; empty uses the system store."""

    mqtt_client_id: str = "ioc-dak-lak"
    """Fixed MQTT client id: the broker keeps this session's subscriptions and unacknowledged
    messages while the connector is away. Each connector process needs its own."""

    mqtt_topics: str = "ioc/+/readings,ioc/+/sdm"
    """Comma-separated topic patterns to subscribe to (QoS 1). A topic ending in ``readings``
    carries plain JSON readings, ``sdm`` Smart Data Models entities, or a pack decoder's name."""

    mqtt_batch_size: int = 1000
    """Most messages stored in one transaction (a micro-batch)."""

    mqtt_batch_ms: int = 200
    """Longest wait, in milliseconds, to fill a micro-batch before it is stored."""

    scheduler: Literal["thread", "off"] = "thread"
    """Periodic jobs (alert evaluation, notifications): ``thread`` runs the scheduler inside the
    web process; several processes elect one runner through a database lease. ``off`` leaves
    them to another process (``ioc worker``)."""

    scheduler_lease_seconds: float = Field(default=30.0, ge=5)
    """Scheduler lease: a runner that stops renewing it is replaced after this many seconds."""

    alert_tick_seconds: float = Field(default=10.0, ge=0.5)
    """How often the scheduler looks for alert rules due for evaluation (each rule also has its
    own interval, 60 s by default)."""

    mqtt_session_expiry_s: int = 7 * 86400
    """How long the broker keeps the connector's session (and its undelivered messages) while
    the connector is disconnected, in seconds."""

    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    """MQTT version. ``5`` (default) tells the broker how many unacknowledged messages it may
    send (Receive Maximum 65535), so bursts wait in flight instead of overflowing the broker's
    queue; ``3.1.1`` is about 25 % faster but needs ``max_inflight_messages 0`` and
    ``max_queued_messages 0`` on the broker (see engines/mqtt/README.md)."""

    mqtt_share_group: str = ""
    """MQTT 5 shared subscription group (e.g. ``ioc``): every topic is subscribed as
    ``$share/<group>/<topic>`` and the broker hands each message to one connector of the
    group, so ``ioc ingest mqtt`` can run as several processes, each with its own client id
    (``ioc ingest mqtt --instance N``). Empty: one connector receives every message."""

    smtp_host: str = "127.0.0.1"
    """SMTP server that alert e-mails are handed to."""

    smtp_port: int = 25
    """SMTP server port (25 plain or STARTTLS, 587 submission with STARTTLS)."""

    smtp_from: str = "ioc@localhost"
    """Sender address of alert e-mails, e.g. ``"IOC Đắk Lắk <ioc@daklak.gov.vn>"``."""

    smtp_username: str = ""
    """User name for SMTP authentication; empty sends without logging in."""

    smtp_password: str = ""
    """Password for SMTP authentication."""

    smtp_starttls: bool = False
    """Upgrade the SMTP connection with STARTTLS before sending (and before logging in)."""

    public_url: str = ""
    """Address of the IOC as users reach it (``https://ioc.daklak.gov.vn``); links in e-mails,
    webhooks and Open311 discovery start with it. Empty: ``http://<host>:<port>`` of this
    process (127.0.0.1 when listening on every address)."""

    outbound_allow: Annotated[list[str], NoDecode] = []
    """Hosts, addresses and CIDR networks that webhooks and website probes may reach although
    they are internal (loopback, private, link-local, CGNAT …, refused otherwise against
    request forgery), comma-separated or a JSON list, e.g. ``portal.daklak.local,10.20.0.0/16``.
    Empty by default: only public addresses."""

    trusted_proxies: Annotated[list[str], NoDecode] = []
    """Addresses and CIDR networks of the reverse proxies in front of the IOC (nginx …),
    comma-separated or a JSON list, e.g. ``127.0.0.1`` or ``10.20.0.0/24``. Only a connection from
    one of them may name the client in ``X-Forwarded-For`` (the right-most address that is not a
    trusted proxy is the client; ``X-Forwarded-Proto`` is honoured too); rate limits and the
    login lock count per client address. Empty (the default): the header is ignored and the
    connecting address is the client — behind a proxy, every client would share one address."""

    notify_max_attempts: int = Field(default=0, ge=0)
    """Optional cap on delivery attempts of one notification (0, the default: no cap, the
    retry window ``IOC_NOTIFY_RETRY_HOURS`` decides). Retries back off exponentially: 30 s,
    1 min, 2 min, 4 min … at most 1 h apart."""

    notify_retry_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    """How long a notification that cannot be delivered is retried, in hours from its first
    failed attempt (about 30 attempts in a day), before it is marked dead. Any dead
    notification raises the alert ``ops.notify_dead`` for the administrators."""

    notify_timeout_s: float = 10.0
    """Timeout in seconds of one webhook call or SMTP conversation."""

    notify_lease_s: int = Field(default=30, ge=5, le=3600)
    """Lease of a claimed notification, in seconds: a delivery worker renews it every third of
    this while it sends, so a worker that crashes holds its messages at most this long before
    another worker delivers them (at-least-once)."""

    notify_config_file: str = ""
    """YAML file of contact points, policies and mute timings loaded at start-up; empty loads
    the packaged default (``ioc/data/notifications.yaml``) only into an empty configuration."""

    wall_rotate_seconds: int = Field(default=20, ge=5, le=3600)
    """Big-screen mode (``/wall``): seconds each view (tiles, map, alert list) stays on the
    video wall before the next one; ``?rotate=N`` overrides it per screen."""

    alerts_refresh_seconds: int = Field(default=5, ge=2, le=600)
    """How often the alerts console and the big screen fetch fresh data, in seconds."""

    fr_photo_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    """Field reports: largest photo accepted, in bytes (8 MB by default)."""

    fr_photo_max_count: int = Field(default=5, ge=1, le=20)
    """Field reports: most photos on one report (sent at once or added later)."""

    fr_photo_max_side: int = Field(default=2560, ge=320)
    """Field reports: photos larger than this many pixels on their long side are scaled down
    when re-encoded (which also strips EXIF/GPS metadata)."""

    fr_photo_max_pixels: int = Field(default=50_000_000, ge=10_000, le=178_000_000)
    """Field reports: largest photo accepted in pixels (width × height, read from the file
    header before decoding, so a small "decompression bomb" file is refused with a clear
    message). 50 megapixels by default."""

    fr_rate_limit_per_hour: int = Field(default=5, ge=0)
    """Field reports: most reports one client (IP address, see ``IOC_TRUSTED_PROXIES``) may send
    in an hour through the public form; 0 = no limit. Over it: 429 with Retry-After."""

    fr_open311_rate_per_key: int = Field(default=60, ge=0)
    """Field reports: most Open311 POSTs (``/open311/v2/requests``) one ``api_key`` may make in a
    minute, refused or not; 0 = no limit. Over it: 429 with Retry-After. Counted in the database
    (shared by every web process)."""

    fr_open311_rate_per_address: int = Field(default=30, ge=0)
    """Field reports: most Open311 POSTs one client address may make in a minute, whatever the
    key; 0 = no limit."""

    fr_open311_allow_anonymous: bool = True
    """Field reports: accept Open311 requests with neither ``email`` nor ``phone`` (GeoReport v2
    allows them; the report is tracked by its code, and the agency cannot call back)."""

    fr_open311_allow_address_only: bool = True
    """Field reports: accept Open311 requests with an ``address_string`` and no ``lat``/``long``.
    An address that names a commune/ward is filed there; any other goes to the IOC's intake for
    triage (filed under the province until the IOC places it)."""

    fr_duplicate_radius_m: int = Field(default=50, ge=1)
    """Field reports: radius of the "is this yours?" search for open reports of the same
    category, in metres, when the category sets none (FixMyStreet starts at 50 m)."""

    fr_duplicate_days: int = Field(default=30, ge=1)
    """Field reports: how many days back the "is this yours?" search looks."""

    fr_due_soon_hours: int = Field(default=24, ge=1)
    """Field reports: a step is "due soon" when its deadline is this many hours away or less."""

    fr_intake_agency: str = "trung-tam-ioc"
    """Field reports: code of the agency that receives reports before routing (the IOC); it
    answers for the intake and publishing steps in overdue lists and alerts."""

    ps_due_soon_wd: int = Field(default=2, ge=0, le=30)
    """Public services: an unfinished dossier is "due soon" (sắp đến hạn) when its deadline,
    after the supplement deduction, falls within this many working days."""

    ps_points_file: Path | None = None
    """Public services: an operator copy of the QĐ 766 points table (YAML, same shape as the
    pack's ``points.yaml``); empty = the packaged table (unconfirmed points marked there)."""

    ps_export_max_rows: int = Field(default=200_000, ge=1)
    """Public services: most dossier rows one list export (XLSX/CSV) may contain."""

    doc_due_soon_days: int = Field(default=5, ge=1, le=60)
    """Documents: a directive task is "due soon" when its deadline is fewer than this many
    working days away."""

    doc_evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    """Documents: largest evidence file (minh chứng) attached to a task report, in bytes."""

    sub_deadline_working_days: int = Field(default=5, ge=0, le=60)
    """Submissions: a period's figures are due by the end of this working day after the period
    ends (5 = the 5th working day of the next month for a monthly report)."""

    sub_remind_days_before: int = Field(default=2, ge=0, le=30)
    """Submissions: remind an agency that has not submitted when its deadline is this many
    working days away or less (0 = only after the deadline)."""

    sub_jump_factor: float = Field(default=1.0, gt=0)
    """Submissions: a value that changed against the last period by more than this fraction of
    the last value (1.0 = doubled or fell to zero) is a warning the sender must confirm; an
    indicator's ``jump_factor`` overrides it."""

    sub_warn_ratio: float = Field(default=0.9, gt=0, le=1)
    """Plan vs actual: status is amber when the year-end forecast reaches this share of the
    target but not the target (higher is better; the reverse for lower is better), red below."""

    syslog_enabled: bool = False
    """Cybersecurity: run the syslog listener inside ``ioc serve`` (one web worker only;
    otherwise run ``ioc ingest syslog`` as its own process)."""

    syslog_host: str = "127.0.0.1"
    """Cybersecurity: address the syslog listener binds (``0.0.0.0`` to accept devices of the
    network; keep it behind the firewall, syslog has no authentication)."""

    syslog_protocols: str = "udp,tcp"
    """Cybersecurity: syslog transports to open, comma-separated: ``udp``, ``tcp``."""

    syslog_udp_port: int = Field(default=5514, ge=0, le=65535)
    """Cybersecurity: UDP port of the syslog listener (514 needs root; 0 = any free port)."""

    syslog_tcp_port: int = Field(default=5514, ge=0, le=65535)
    """Cybersecurity: TCP port of the syslog listener (RFC 6587 octet counting or newline
    framing; 0 = any free port)."""

    syslog_batch_size: int = Field(default=2000, ge=1, le=100000)
    """Cybersecurity: most syslog lines written to the database in one transaction."""

    syslog_batch_ms: int = Field(default=200, ge=1, le=60000)
    """Cybersecurity: a syslog batch is written at most this many milliseconds after its first
    line arrived."""

    syslog_max_line: int = Field(default=65536, ge=480, le=1048576)
    """Cybersecurity: longest syslog line accepted, in bytes (longer lines are malformed)."""

    syslog_dead_letters_per_batch: int = Field(default=100, ge=0)
    """Cybersecurity: most malformed syslog lines kept as dead letters per batch (the rest are
    only counted, so a flood of garbage cannot fill the database)."""

    syslog_rcvbuf: int = Field(default=8 << 20, ge=65536)
    """Cybersecurity: UDP receive buffer asked of the kernel, in bytes (``SO_RCVBUFFORCE`` when
    the process has CAP_NET_ADMIN; otherwise Linux caps it at ``net.core.rmem_max``: raise that
    sysctl too). Datagrams the kernel still drops are counted and shown, never silent."""

    syslog_parse_workers: int = Field(default=2, ge=0, le=32)
    """Cybersecurity: processes that parse syslog lines while the listener stores the previous
    batch (0: parse in the listener's writer thread)."""

    cy_probe_timeout_s: float = Field(default=10.0, gt=0, le=120)
    """Cybersecurity: timeout of one website probe (connect + TLS + response), in seconds."""

    cy_probe_slow_ms: int = Field(default=3000, ge=1)
    """Cybersecurity: a portal answering slower than this (milliseconds) is ``slow``."""

    cy_probe_ca_file: str = ""
    """Cybersecurity: extra CA bundle (PEM) trusted by the website probe, e.g. a provincial CA;
    empty = the system's trust store."""

    cy_cert_warn_days: int = Field(default=14, ge=1)
    """Cybersecurity: warn when a portal's TLS certificate expires within this many days."""

    cy_deface_min_similarity: float = Field(default=0.6, ge=0, le=1)
    """Cybersecurity: a page whose text is less similar than this to its baseline (Jaccard
    similarity of word 3-shingles, 0–1) is flagged as possibly defaced."""

    cy_deface_keywords: list[str] = [
        "hacked by",
        "defaced",
        "deface by",
        "owned by",
        "h4ck",
        "bị hack",
        "greetz",
    ]
    """Cybersecurity: words that mark a page as defaced when they appear in it and not in its
    baseline (case-insensitive; JSON list in the environment)."""

    st_los_bands: list[float] = [85, 67, 50, 40, 30]
    """Traffic: level-of-service bands of a road segment, average speed as % of its free-flow
    speed: above the 1st value A, above the 2nd B, … , at or below the last F (HCM 2010
    Exhibit 16-4 for urban streets)."""

    st_flow_max_age_s: int = Field(default=1800, ge=60)
    """Traffic: a segment's congestion level uses speed readings at most this old."""

    st_camera_offline_s: int = Field(default=300, ge=30)
    """Traffic: a camera with no heartbeat for this many seconds is shown offline."""

    rp_deadline_day: int = Field(default=31, ge=1, le=31)
    """Reporting: day of the yearly deadline for agencies' reports to the reviewing agency."""

    rp_deadline_month: int = Field(default=10, ge=1, le=12)
    """Reporting: month of the yearly deadline (31 October by the provincial directive)."""

    rp_recipient_code: str = "so-xay-dung"
    """Reporting: agency code of the body that reviews and consolidates (Sở Xây dựng)."""

    rp_remind_before_wd: str = "5,1"
    """Reporting: remind agencies that have not submitted this many working days before the
    deadline (comma-separated)."""

    rp_remind_after_wd: str = "1,5"
    """Reporting: remind late agencies this many working days after the deadline
    (comma-separated)."""

    rp_signer_name: str = ""
    """Reporting: default signer (Phó Chủ tịch UBND tỉnh) printed under the signature block."""

    rp_max_attachment_mb: int = Field(default=20, ge=1, le=200)
    """Reporting: largest file an agency may attach to its report, in megabytes."""

    cb_board_file: str = ""
    """Commune board: path of a YAML replacing the pack's ``board.yaml`` (indicators, weights,
    green/red thresholds, overall thresholds; empty: the pack's own)."""

    cb_indicators: str = ""
    """Commune board: comma-separated indicator codes kept on the board, in this order
    (empty: every indicator of the board file)."""

    cb_keep_days: int = Field(default=400, ge=90, le=3650)
    """Commune board: days of stored daily boards kept (for comparisons and 90-day colours)."""

    geo_snap_metres: float = Field(default=500.0, ge=0, le=20_000)
    """Maps: a point outside every commune boundary but at most this many metres from the
    nearest one (just offshore, or in a gap between imported boundaries) is placed in that
    commune; farther away it is refused as outside the province."""

    geo_overlap_tolerance: float = Field(default=0.005, ge=0, le=0.5)
    """Maps: ``ioc geo import communes`` refuses two boundaries that overlap by more than this
    fraction of the smaller one's area (0.005 = 0.5 %; digitising slivers below it pass)."""

    ngsi_ld_tenants: str = ""
    """NGSI-LD: tenants (``NGSILD-Tenant`` header) besides the default one, comma-separated,
    e.g. ``thuy-loi,giao-thong``. Each is a separate space of generic entities; a request naming
    any other tenant is answered 404 NonexistentTenant. Empty: only the default tenant."""

    metrics_token: str = ""
    """Bearer token that opens ``/metrics`` from any address (``Authorization: Bearer …``);
    empty: only the networks of ``IOC_METRICS_ALLOW`` may scrape."""

    metrics_allow: Annotated[list[str], NoDecode] = ["127.0.0.1/32", "::1/128"]
    """Addresses and CIDR networks that may read ``/metrics`` without the token,
    comma-separated or a JSON list (the client address as ``IOC_TRUSTED_PROXIES`` resolves
    it). Default: this machine only."""

    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    """SQLite ``PRAGMA synchronous``: ``NORMAL`` (default, with WAL) survives a killed process
    but may lose the last transactions on a power cut or OS crash; ``FULL`` syncs every commit
    (slower writes, safe against power loss). Production runs PostgreSQL."""

    backup_dir: Path | None = None
    """Folder ``ioc backup`` writes to when no file is named; empty = ``IOC_DATA_DIR``/backups.
    ``ioc check`` looks there for a recent backup."""

    backup_max_age_hours: float = Field(default=26.0, gt=0)
    """``ioc check`` fails when the newest backup is older than this (a daily timer plus slack)."""

    @field_validator("metrics_allow", mode="before")
    @classmethod
    def _split_metrics_allow(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("metrics_allow")
    @classmethod
    def _check_metrics_allow(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"IOC_METRICS_ALLOW: {item!r} is not an IP address or CIDR network"
                ) from exc
        return value

    @field_validator("outbound_allow", "trusted_proxies", mode="before")
    @classmethod
    def _split_allow(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("outbound_allow")
    @classmethod
    def _check_allow(cls, value: list[str]) -> list[str]:
        from ioc.core.netguard import parse_allow

        parse_allow(value)  # a bad CIDR network is refused at start-up, with its name
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"IOC_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR network"
                ) from exc
        return value

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.env == "production":
            problem = weak_secret(self.secret_key)
            if problem is not None:
                raise ValueError(
                    f"IOC_SECRET_KEY {problem}: production needs at least 32 random characters, "
                    'e.g. from  python -c "import secrets; print(secrets.token_urlsafe(48))"'
                )
            self.cookie_secure = True
        return self

    @model_validator(mode="after")
    def _default_public_url(self) -> Settings:
        if not self.public_url:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
            self.public_url = f"http://{host}:{self.port}"
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite."""
        return self.database_url.startswith("sqlite")


# Words of secrets copied from examples instead of generated (compared without case).
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "replaceme", "replace-me", "example")


def weak_secret(value: str) -> str | None:
    """Why ``value`` cannot sign production sessions, or ``None`` when it looks random: at
    least 32 characters, not the default or a placeholder, at least 8 distinct characters, no
    8-character run repeated, and ≥ 128 bits estimated as length × log2(alphabet of the
    character classes it uses). ``secrets.token_urlsafe(48)`` and ``token_hex(16)`` pass."""
    lowered = value.lower()
    if value == _DEV_SECRET or any(word in lowered for word in _PLACEHOLDERS):
        return "is the default or a placeholder"
    if len(value) < 32:
        return f"is too short ({len(value)} characters)"
    if len(set(value)) < 8:
        return "uses too few distinct characters"
    runs = [value[i : i + 8] for i in range(len(value) - 7)]
    if len(set(runs)) < len(runs):
        return "repeats itself"
    alphabet = (
        26 * any(c.islower() for c in value)
        + 26 * any(c.isupper() for c in value)
        + 10 * any(c.isdigit() for c in value)
        + 33 * any(not c.isalnum() for c in value)
    )
    if len(value) * math.log2(max(alphabet, 2)) < 128:
        return "has too little entropy"
    return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()


def new_secret() -> str:
    """A random secret suitable for ``IOC_SECRET_KEY``."""
    return secrets.token_urlsafe(48)
