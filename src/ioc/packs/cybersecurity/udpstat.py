"""The kernel's count of UDP datagrams it dropped for a socket (``/proc/net/udp``, ``udp6``).

When the syslog listener cannot keep up, datagrams are dropped by the kernel before the
listener ever sees them (receive buffer full): the only trace is the ``drops`` column of the
socket's line in ``/proc/net/udp``. :func:`udp_drops` reads it, for our socket (by inode) or
for whatever socket is bound to a local port (a listener in another process of this machine),
so that the loss is shown and counted, never silent.

A line of ``/proc/net/udp`` (header, then one line per socket)::

    sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout
       inode ref pointer drops
    12: 0100007F:15AA 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0
       41376 2 0000000000000000 17

(one line in the file; ``local_address`` is the address and port in hexadecimal).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROC_FILES = (Path("/proc/net/udp"), Path("/proc/net/udp6"))


@dataclass(frozen=True)
class UdpSocket:
    """One socket line: local port, inode, bytes waiting in its receive queue, drops."""

    port: int
    inode: int
    rx_queue: int
    drops: int


def parse_proc_net_udp(text: str) -> list[UdpSocket]:
    """The sockets of a ``/proc/net/udp`` (or ``udp6``) text; lines that do not parse are
    skipped (the header, or a kernel with other columns)."""
    sockets = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) < 13 or not cols[0].endswith(":"):
            continue
        try:
            port = int(cols[1].rsplit(":", 1)[1], 16)
            rx_queue = int(cols[4].split(":", 1)[1], 16)
            inode = int(cols[9])
            drops = int(cols[12])
        except (IndexError, ValueError):
            continue
        sockets.append(UdpSocket(port=port, inode=inode, rx_queue=rx_queue, drops=drops))
    return sockets


def read_sockets(files: tuple[Path, ...] = PROC_FILES) -> list[UdpSocket] | None:
    """Every UDP socket of this machine's network namespace; None where ``/proc/net`` is not
    available (not Linux)."""
    found: list[UdpSocket] = []
    readable = False
    for path in files:
        try:
            text = path.read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        readable = True
        found.extend(parse_proc_net_udp(text))
    return found if readable else None


def udp_drops(
    *, port: int | None = None, inode: int | None = None, sockets: list[UdpSocket] | None = None
) -> int | None:
    """Datagrams the kernel dropped for the socket with ``inode``, or for the sockets bound to
    local ``port`` (summed: IPv4 and IPv6, or several with ``SO_REUSEPORT``). None when no
    such socket exists (nothing listening) or ``/proc`` cannot be read."""
    if sockets is None:
        sockets = read_sockets()
        if sockets is None:
            return None
    if inode is not None:
        matched = [s for s in sockets if s.inode == inode]
    elif port is not None:
        matched = [s for s in sockets if s.port == port]
    else:
        raise ValueError("port or inode is needed")
    if not matched:
        return None
    return sum(s.drops for s in matched)
