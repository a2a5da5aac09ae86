"""RFC 6587 framing of syslog over TCP: octet counting or newline, decided per frame."""

from __future__ import annotations


class Framer:
    """RFC 6587 framing of one TCP stream: octet counting or newline, decided per frame."""

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self._buf = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Frames completed by ``data``."""
        buf = self._buf + data if self._buf else data
        frames: list[bytes] = []
        pos = 0
        n = len(buf)
        while pos < n:
            first = buf[pos]
            if 48 <= first <= 57:  # a digit: MSG-LEN SP SYSLOG-MSG
                space = buf.find(b" ", pos, pos + 11)
                if space < 0:
                    if n - pos < 11:
                        break  # the length is still arriving
                else:
                    digits = buf[pos:space]
                    if digits.isdigit():
                        length = int(digits)
                        end = space + 1 + length
                        if end <= n:
                            frames.append(buf[space + 1 : end])
                            pos = end
                            continue
                        if length <= self.max_line:
                            break  # the rest of the frame is still arriving
                        # A length beyond the limit is not waited for: read up to the newline.
            newline = buf.find(b"\n", pos)
            if newline < 0:
                if n - pos > self.max_line:
                    frames.append(buf[pos:n])  # too long: handed over (and refused) as it is
                    pos = n
                break
            frames.append(buf[pos:newline])
            pos = newline + 1
        self._buf = buf[pos:]
        return frames

    def flush(self) -> list[bytes]:
        """What remains when the connection closes (a last line without LF)."""
        rest, self._buf = self._buf, b""
        return [rest] if rest.strip() else []
