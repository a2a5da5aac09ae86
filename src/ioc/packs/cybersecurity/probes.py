"""Website monitoring of government portals: availability, response time, HTTP status, TLS
certificate expiry and defacement. Standard library only (``http.client``, ``ssl``).

One probe (:func:`probe_url`) = a GET of the page (up to 5 redirects), timed from the start of
the connection to the end of the body; the certificate is read from the TLS peer even when it
does not verify (the verification error is kept), its ``notAfter`` decoded from DER here.

Every target and every redirect goes through ``ioc.core.netguard``: http(s) only, no internal
address (loopback, private, link-local, CGNAT …) unless on ``IOC_OUTBOUND_ALLOW``, and the
connection is made to the address that was checked. Targets are checked when saved
(:func:`add_site`) and on every probe. The error text of a failed probe is for
administrators (the pages show others a generic "could not connect").

Verdict (:func:`verdict`), in this order:

* ``down`` — no answer (DNS, refused, timeout, TLS handshake) or an HTTP status ≥ 400;
* ``defaced`` — a forbidden keyword (``IOC_CY_DEFACE_KEYWORDS``) that the baseline does not
  contain, or text similarity to the baseline below ``IOC_CY_DEFACE_MIN_SIMILARITY``:
  Jaccard similarity of the sets of word 3-shingles of the normalised visible text (tags,
  scripts and styles removed, lower case, whitespace collapsed) — insensitive to markup and
  to small news updates, sensitive to a replaced page;
* ``slow`` — answered, but slower than ``IOC_CY_PROBE_SLOW_MS``;
* ``up`` otherwise.

The baseline is the normalised text of the first good probe (or of the page when an operator
accepts it again after a legitimate redesign: :func:`accept_baseline`).
"""

from __future__ import annotations

import html
import http.client
import re
import socket
import ssl
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, clock, netguard
from ioc.packs.cybersecurity.models import CySite, CySiteCheck

MAX_BODY = 2 << 20
MAX_REDIRECTS = netguard.MAX_REDIRECTS
USER_AGENT = "IOC-DakLak-Monitor/1.0 (+giam sat cong thong tin)"
STATES: tuple[str, ...] = ("up", "slow", "defaced", "down", "unknown")


@dataclass(frozen=True)
class ProbeConfig:
    """How sites are probed and judged (from the ``IOC_CY_*`` settings)."""

    timeout_s: float = 10.0
    slow_ms: int = 3000
    ca_file: str = ""
    min_similarity: float = 0.6
    keywords: tuple[str, ...] = ("hacked by", "defaced")
    cert_warn_days: int = 14
    workers: int = 8
    allow: tuple[str, ...] = ()  # IOC_OUTBOUND_ALLOW: internal targets that may be probed

    @classmethod
    def from_settings(cls, settings: Any) -> ProbeConfig:
        """The configuration of ``settings``."""
        return cls(
            timeout_s=settings.cy_probe_timeout_s,
            slow_ms=settings.cy_probe_slow_ms,
            ca_file=settings.cy_probe_ca_file,
            min_similarity=settings.cy_deface_min_similarity,
            keywords=tuple(k.lower() for k in settings.cy_deface_keywords if k.strip()),
            cert_warn_days=settings.cy_cert_warn_days,
            allow=tuple(settings.outbound_allow),
        )


_config = ProbeConfig()


def configure(config: ProbeConfig) -> None:
    """Set the probe configuration of this process (the pack's start-up hook)."""
    global _config
    _config = config


def current_config() -> ProbeConfig:
    """The probe configuration of this process."""
    return _config


@dataclass
class ProbeResult:
    """What one probe saw."""

    url: str
    ok: bool = False  # an HTTP answer was received
    http_status: int | None = None
    response_ms: float | None = None
    cert_not_after: datetime | None = None
    cert_error: str | None = None
    text: str = ""  # normalised visible text
    error: str | None = None
    redirects: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------ DER


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at ``pos``."""
    tag = data[pos]
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, s, e = _tlv(data, pos)
        out.append((tag, s, e))
        pos = e
    return out


def _asn1_time(tag: int, raw: bytes) -> datetime:
    text = raw.decode("ascii").rstrip("Z")
    if tag == 0x17:  # UTCTime YYMMDDHHMMSS: 50–99 → 19xx (RFC 5280 §4.1.2.5.1)
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    return datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def cert_not_after(der: bytes) -> datetime:
    """``notAfter`` of an X.509 certificate in DER (RFC 5280: Certificate → tbsCertificate →
    [version] serial signature issuer validity)."""
    _, cs, ce = _tlv(der, 0)
    _, ts, te = _children(der, cs, ce)[0]
    fields = _children(der, ts, te)
    if fields and fields[0][0] == 0xA0:  # explicit [0] version
        fields = fields[1:]
    _, vs, ve = fields[3]
    times = _children(der, vs, ve)
    tag, s, e = times[1]
    return _asn1_time(tag, der[s:e])


# ------------------------------------------------------------------------------ text

_SCRIPT = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def normalise_text(page: str) -> str:
    """Visible text of an HTML page: no scripts, styles, comments or tags; entities decoded;
    lower case; single spaces."""
    text = _COMMENT.sub(" ", _SCRIPT.sub(" ", page))
    text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip().lower()


def shingles(text: str, k: int = 3) -> set[int]:
    """Hashes of the word k-grams of ``text``."""
    words = text.split()
    if len(words) < k:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    return {zlib.crc32(" ".join(words[i : i + k]).encode()) for i in range(len(words) - k + 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the word 3-shingles of two normalised texts (1.0 = same)."""
    sa, sb = shingles(a), shingles(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def forbidden_found(text: str, baseline: str | None, keywords: tuple[str, ...]) -> list[str]:
    """Forbidden keywords present in ``text`` but not in the baseline."""
    base = baseline or ""
    return [k for k in keywords if k and k in text and k not in base]


# ------------------------------------------------------------------------------ probe


def _context(ca_file: str, verify: bool) -> ssl.SSLContext:
    if not verify:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return ssl.create_default_context(cafile=ca_file or None)


def _charset(content_type: str | None) -> str:
    m = re.search(r"charset=([\w-]+)", content_type or "", re.IGNORECASE)
    return m.group(1) if m else "utf-8"


class ProbeTargetError(ValueError):
    """A probe target that may not be saved; ``field`` names the form/record field."""

    def __init__(self, message: str, field: str = "url") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def check_target(url: str, allow: tuple[str, ...] | None = None) -> None:
    """Refuse a probe target that is not http(s) or reaches an internal address (allow-list:
    ``allow``, by default the configured ``IOC_OUTBOUND_ALLOW``). Raises
    :class:`ProbeTargetError` naming the ``url`` field."""
    try:
        netguard.validate_url(url, _config.allow if allow is None else allow)
    except netguard.BlockedTarget as exc:
        raise ProbeTargetError(str(exc)) from exc


def add_site(
    session: Session,
    actor: audit.Actor,
    *,
    code: str,
    name: str,
    url: str,
    agency_code: str | None = None,
    allow: tuple[str, ...] | None = None,
) -> CySite:
    """Add a monitored site after :func:`check_target` (audited); the caller commits."""
    check_target(url, allow)
    site = CySite(code=code, name=name, url=url, agency_code=agency_code)
    session.add(site)
    session.flush()
    audit.record(session, actor, "cy.site.add", "cy_site", site.id, url=url)
    return site


def _get(
    url: str, config: ProbeConfig, verify: bool
) -> tuple[int, dict[str, str], bytes, bytes | None]:
    # Checked on every request (also each redirect): scheme, and every address of the host;
    # the connection is pinned to the checked address (no second DNS answer is used).
    target = netguard.check_url(url, config.allow)
    conn = netguard.connection(
        target,
        timeout=config.timeout_s,
        context=_context(config.ca_file, verify) if target.scheme == "https" else None,
    )
    path = target.path
    try:
        conn.connect()
        der = None
        if isinstance(conn.sock, ssl.SSLSocket):
            der = conn.sock.getpeercert(binary_form=True)
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "text/html"})
        resp = conn.getresponse()
        body = resp.read(MAX_BODY)
        headers = {k.lower(): v for k, v in resp.getheaders()}
        return resp.status, headers, body, der
    finally:
        conn.close()


def probe_url(url: str, config: ProbeConfig | None = None) -> ProbeResult:
    """GET ``url`` (following up to 5 redirects, each checked by ``netguard``); never
    raises."""
    config = config or _config
    result = ProbeResult(url=url)
    started = time.perf_counter()
    current = url
    try:
        for hop in range(MAX_REDIRECTS + 2):
            if hop > MAX_REDIRECTS:
                raise ValueError(f"quá {MAX_REDIRECTS} lần chuyển hướng / too many redirects")
            try:
                status, headers, body, der = _get(current, config, verify=True)
            except ssl.SSLCertVerificationError as exc:
                # Keep what is wrong with the certificate, then look at the site anyway.
                result.cert_error = (exc.verify_message or str(exc))[:300]
                status, headers, body, der = _get(current, config, verify=False)
            if der and result.cert_not_after is None:
                try:
                    result.cert_not_after = cert_not_after(der)
                except (ValueError, IndexError) as exc:
                    result.cert_error = f"không đọc được chứng thư / unreadable certificate: {exc}"
            location = headers.get("location")
            if status in (301, 302, 303, 307, 308) and location:
                current = urljoin(current, location)
                result.redirects.append(current)
                continue
            break
        result.ok = True
        result.http_status = status
        encoding = _charset(headers.get("content-type"))
        try:
            page = body.decode(encoding, "replace")
        except LookupError:
            page = body.decode("utf-8", "replace")
        result.text = normalise_text(page)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        kind = "timeout" if isinstance(exc, socket.timeout | TimeoutError) else type(exc).__name__
        result.error = f"{kind}: {exc}"[:500]
    result.response_ms = round((time.perf_counter() - started) * 1000, 1)
    return result


@dataclass(frozen=True)
class Verdict:
    """The state of a site after a probe and why."""

    state: str
    similarity: float | None
    keywords: list[str]


def verdict(result: ProbeResult, baseline: str | None, config: ProbeConfig) -> Verdict:
    """Judge one probe against the site's baseline (see the module docstring)."""
    if not result.ok or result.http_status is None or result.http_status >= 400:
        return Verdict("down", None, [])
    found = forbidden_found(result.text, baseline, config.keywords)
    sim = similarity(result.text, baseline) if baseline is not None else None
    if found or (sim is not None and sim < config.min_similarity):
        return Verdict("defaced", sim, found)
    if result.response_ms is not None and result.response_ms > config.slow_ms:
        return Verdict("slow", sim, [])
    return Verdict("up", sim, [])


def apply_probe(session: Session, site: CySite, result: ProbeResult, now: datetime) -> str:
    """Record a probe on the site (state, figures, history row); the first good probe sets
    the baseline. Returns the new state. One audit row when the state changes."""
    config = _config
    judged = verdict(result, site.baseline_text, config)
    previous = site.state
    site.state = judged.state
    site.http_status = result.http_status
    site.response_ms = result.response_ms
    site.error = result.error
    site.cert_error = result.cert_error
    if result.cert_not_after is not None:
        site.cert_not_after = result.cert_not_after
    site.similarity = judged.similarity
    site.keywords_found = judged.keywords
    site.last_probe_at = now
    if judged.state == "down":
        site.down_since = site.down_since or now
    else:
        site.down_since = None
    if site.baseline_text is None and judged.state in ("up", "slow"):
        site.baseline_text = result.text
        site.baseline_at = now
    session.add(
        CySiteCheck(
            site_id=site.id,
            at=now,
            state=judged.state,
            http_status=result.http_status,
            response_ms=result.response_ms,
        )
    )
    if previous != judged.state:
        audit.record(
            session,
            audit.Actor.system("cy.probe"),
            "cy.site.state",
            "cy_site",
            site.id,
            before=previous,
            after=judged.state,
            similarity=judged.similarity,
            keywords=judged.keywords,
            error=result.error,
        )
    return judged.state


def accept_baseline(session: Session, site: CySite, actor: audit.Actor) -> None:
    """Take the page as it is now as the site's baseline (after a legitimate redesign): the
    next probe judges against a fresh copy. Audited."""
    site.baseline_text = None
    site.baseline_at = None
    if site.state == "defaced":
        site.state = "unknown"
    audit.record(session, actor, "cy.site.rebaseline", "cy_site", site.id)


def probe_sites(factory: sessionmaker[Session], now: datetime) -> str | None:
    """Scheduler job: probe every active site (in parallel, network-bound), then record all
    results in one transaction. Returns a summary for the job log."""
    with factory() as session:
        targets = [(s.id, s.url) for s in session.execute(select(CySite).where(CySite.active))
                   .scalars()]  # fmt: skip
    if not targets:
        return None
    config = _config
    with ThreadPoolExecutor(max_workers=min(config.workers, len(targets))) as pool:
        results = list(pool.map(lambda t: probe_url(t[1], config), targets))
    counts: dict[str, int] = {}
    at = clock.now() if now is None else now
    with factory() as session, session.begin():
        for (site_id, _), result in zip(targets, results, strict=True):
            site = session.get(CySite, site_id)
            if site is None:
                continue
            state = apply_probe(session, site, result, at)
            counts[state] = counts.get(state, 0) + 1
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
