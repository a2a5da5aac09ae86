"""The packs' own settings, a group per pack (the prefix of its ``IOC_*`` names); flat variables
like every other setting."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class FieldReportSettings(BaseModel):
    """Field reports (``fr_``): photos, rate limit, duplicates, deadlines, intake agency."""

    model_config = ConfigDict(use_attribute_docstrings=True)

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


class PublicServiceSettings(BaseModel):
    """Public services (``ps_``): due-soon warning, service points, export size."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    ps_due_soon_wd: int = Field(default=2, ge=0, le=30)
    """Public services: an unfinished dossier is "due soon" (sắp đến hạn) when its deadline,
    after the supplement deduction, falls within this many working days."""

    ps_points_file: Path | None = None
    """Public services: an operator copy of the QĐ 766 points table (YAML, same shape as the
    pack's ``points.yaml``); empty = the packaged table (unconfirmed points marked there)."""

    ps_export_max_rows: int = Field(default=200_000, ge=1)
    """Public services: most dossier rows one list export (XLSX/CSV) may contain."""


class DocumentSettings(BaseModel):
    """Documents and tasks (``doc_``): due-soon warning, evidence size."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    doc_due_soon_days: int = Field(default=5, ge=1, le=60)
    """Documents: a directive task is "due soon" when its deadline is fewer than this many
    working days away."""

    doc_evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    """Documents: largest evidence file (minh chứng) attached to a task report, in bytes."""


class SubmissionSettings(BaseModel):
    """Monthly submissions (``sub_``): deadlines, reminders, plausibility checks."""

    model_config = ConfigDict(use_attribute_docstrings=True)

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


class CybersecuritySettings(BaseModel):
    """Cybersecurity (``syslog_``, ``cy_``): the syslog listener and the website probes."""

    model_config = ConfigDict(use_attribute_docstrings=True)

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


class TrafficSettings(BaseModel):
    """Security and traffic (``st_``): level-of-service bands, flow age, cameras."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    st_los_bands: list[float] = [85, 67, 50, 40, 30]
    """Traffic: level-of-service bands of a road segment, average speed as % of its free-flow
    speed: above the 1st value A, above the 2nd B, … , at or below the last F (HCM 2010
    Exhibit 16-4 for urban streets)."""

    st_flow_max_age_s: int = Field(default=1800, ge=60)
    """Traffic: a segment's congestion level uses speed readings at most this old."""

    st_camera_offline_s: int = Field(default=300, ge=30)
    """Traffic: a camera with no heartbeat for this many seconds is shown offline."""


class ReportingSettings(BaseModel):
    """Periodic reports (``rp_``): deadline, recipient, reminders, signer, attachments."""

    model_config = ConfigDict(use_attribute_docstrings=True)

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


class CommuneBoardSettings(BaseModel):
    """The communes board (``cb_``): board file, indicators, snapshots kept."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    cb_board_file: str = ""
    """Commune board: path of a YAML replacing the pack's ``board.yaml`` (indicators, weights,
    green/red thresholds, overall thresholds; empty: the pack's own)."""

    cb_indicators: str = ""
    """Commune board: comma-separated indicator codes kept on the board, in this order
    (empty: every indicator of the board file)."""

    cb_keep_days: int = Field(default=400, ge=90, le=3650)
    """Commune board: days of stored daily boards kept (for comparisons and 90-day colours)."""


# The groups in the reverse order of their fields (pydantic follows the reversed MRO).
class PackSettings(
    CommuneBoardSettings,
    ReportingSettings,
    TrafficSettings,
    CybersecuritySettings,
    SubmissionSettings,
    DocumentSettings,
    PublicServiceSettings,
    FieldReportSettings,
):
    """The packs' own settings, one group per pack."""
