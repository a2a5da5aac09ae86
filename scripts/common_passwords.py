"""Build ``src/ioc/data/common_passwords.txt``: about 10,000 common passwords, lower-case, one a
line. ``ioc.core.auth`` refuses any of them as a password (compared without case and without
Vietnamese diacritics).

Sources:

* Django's list of 20,000 common passwords (``django/contrib/auth/common-passwords.txt.gz``, BSD
  licence; compiled by Royce Williams from breach corpora): its 5,000 most frequent entries and
  every entry of 10 characters or more.
* Patterns people use to pass a length rule: a common word — English, or Vietnamese written
  without diacritics (``matkhau``, ``anhyeuem``, ``daklak`` …) — followed by a digit run, a year
  or a symbol; long digit runs and keyboard walks.

Run: ``.venv/bin/python scripts/common_passwords.py path/to/django-5.2-py3-none-any.whl``
"""

from __future__ import annotations

import gzip
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "ioc" / "data" / "common_passwords.txt"
TOP = 5000

# Common words (English, and Vietnamese without diacritics), split on whitespace.
WORDS_TEXT = """
password passw0rd p@ssword p@ssw0rd pass admin administrator root user guest test demo
qwerty qwertyuiop asdfgh asdfghjkl zxcvbnm qazwsx 1qaz2wsx abc abcd abcde abcdef abc123
iloveyou letmein welcome dragon monkey football baseball superman batman trustno1 sunshine
princess master shadow michael jennifer hello secret login changeme default matkhau
matkhaumoi matkhau1 mk anhyeuem emyeuanh yeuem yeuanh toiyeuem iloveu vietnam hanoi saigon
hochiminh danang daklak daklak1 buonmathuot bmt tayen caphe cafe quantri quantrivien
nguoidung taikhoan dangnhap hethong congty coquan ubnd ioc iocdaklak trungtam sotnmt
soxaydung congan khongbiet khongco nguyen tran le pham hoang huynh phan vu
"""

SUFFIXES = (
    ["1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789"]
    + ["1234567890", "01", "11", "69", "88", "99", "000", "111", "999", "!", "!!", "@", "#"]
    + ["!@#", "@123", "@1234", "@12345", "@123456", "#123", "123!", "123@", "123456@"]
    + [str(year) for year in range(1970, 2031)]
    + [f"@{year}" for year in range(2015, 2031)]
)

DIGITS = "1234567890"
WALKS = [
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc",
    "1q2w3e4r5t6y",
    "q1w2e3r4t5y6",
    "qazwsxedcrfv",
    "qwertyuiopasdfghjkl",
    "1qaz2wsx3edc4rfv",
    "zaq12wsxcde3",
    "!qaz2wsx",
    "qweasdzxc",
    "qweasdzxc123",
]


def generated() -> list[str]:
    """Patterns of at least 12 characters (shorter ones fail the length rule anyway)."""
    out: list[str] = []
    for word in WORDS_TEXT.split():
        out.extend(word + suffix for suffix in SUFFIXES)
        out.append(word * 2)
        out.append(word.capitalize() + "123456")
    for n in range(10, 21):
        out.append((DIGITS * 3)[:n])  # 1234567890123…
        out.append((DIGITS[::-1] * 3)[:n])  # 0987654321…
        out.extend(d * n for d in "0123456789")
        out.append(("123" * 7)[:n])
        out.append(("12" * 10)[:n])
    for walk in WALKS:
        out.extend(walk + suffix for suffix in ("", "1", "12", "123", "1234", "123456", "!"))
    return [p for p in out if len(p) >= 12]


def main(wheel: str) -> None:
    """Write the list from Django's wheel and the patterns."""
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read("django/contrib/auth/common-passwords.txt.gz")
    django = gzip.decompress(raw).decode().splitlines()
    chosen = django[:TOP] + [p for p in django[TOP:] if len(p) >= 10] + generated()
    seen: set[str] = set()
    lines = []
    for password in chosen:
        word = password.strip().lower()
        # Django's list keeps a few mojibake entries (U+FFFD read as cp1251): left out.
        if word and word not in seen and "\x00" not in word and "пїѕ" not in word:
            seen.add(word)
            lines.append(word)
    header = [
        "# Common passwords, refused by ioc.core.auth (compared lower-case, without diacritics).",
        "# Built by scripts/common_passwords.py from Django's list (BSD) and generated patterns.",
    ]
    OUT.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} passwords -> {OUT}")  # noqa: T201 - a build script


if __name__ == "__main__":
    main(sys.argv[1])
