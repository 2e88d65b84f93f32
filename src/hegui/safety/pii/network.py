"""Recognizers for network identifiers: e-mail addresses and IP addresses."""

from __future__ import annotations

import ipaddress
import re

from hegui.safety.pii.base import Pattern, PiiEntity, Recognizer, bounded

__all__ = ["EmailRecognizer", "IpRecognizer"]

# Common top-level domains: an address under one of these is taken as certain (1.0). Kept short
# on purpose; anything else still matches at the pattern score (no tldextract, no downloads).
_COMMON_TLDS = frozenset(
    (
        "com",
        "cn",
        "net",
        "org",
        "edu",
        "gov",
        "mil",
        "int",
        "info",
        "biz",
        "io",
        "co",
        "me",
        "cc",
        "tv",
        "ai",
        "app",
        "dev",
        "top",
        "xyz",
        "site",
        "online",
        "tech",
        "hk",
        "tw",
        "mo",
        "jp",
        "kr",
        "sg",
        "uk",
        "us",
        "de",
        "fr",
        "ru",
        "in",
        "au",
        "ca",
        "it",
        "es",
        "nl",
        "br",
        "ch",
        "se",
        "no",
        "fi",
        "dk",
        "pl",
        "eu",
    )
)


class EmailRecognizer(Recognizer):
    """E-mail address, RFC 5321 / 5322 ``local@domain`` in its everyday (dot-atom) form.

    Found by scanning from each ``@``: the domain by an anchored regex, the local part backwards
    over ASCII letters, digits and ``._%+-'``, so ``邮箱a@b.cn`` yields ``a@b.cn`` and a trailing
    full stop is not taken. A known top-level domain validates to 1.0; any other alphabetic TLD of
    2–24 letters keeps 0.7. Quoted local parts and IP-literal domains are not matched.
    """

    NAME = "email"
    ENTITY = "EMAIL"
    PATTERNS = (
        Pattern(
            "EMAIL",
            bounded(
                "[0-9A-Za-z]",
                r"(?:[0-9A-Za-z._%+-]{0,63}[0-9A-Za-z_-])?"
                r"@(?:[0-9A-Za-z](?:[0-9A-Za-z-]{0,61}[0-9A-Za-z])?\.)+[A-Za-z]{2,24}",
                not_before="0-9A-Za-z._%+-",
                after="(?![0-9A-Za-z-])",
            ),
            0.7,
        ),
    )
    CONTEXT = ("邮箱", "邮件", "email", "e-mail", "mail")
    CONTEXT_BOOST = 0.2
    REQUIRES_ANY = ("@",)
    # RFC 5322 atext that people actually use, apostrophe included (o'donnell@example.com).
    _LOCAL_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._%+-'")
    _DOMAIN = re.compile(
        r"(?:[0-9A-Za-z](?:[0-9A-Za-z-]{0,61}[0-9A-Za-z])?\.)+[A-Za-z]{2,24}(?![0-9A-Za-z-])"
    )

    def analyze(self, text: str, digits: int | None = None) -> list[PiiEntity]:
        """Scan from each ``@``: the domain by regex, the local part backwards (fast on any text)."""
        found: list[PiiEntity] = []
        at = text.find("@")
        while at >= 0:
            start = at
            while start > 0 and at - start < 64 and text[start - 1] in self._LOCAL_CHARS:
                start -= 1
            while start < at and not text[start].isalnum():  # a local part starts alphanumeric
                start += 1
            m = self._DOMAIN.match(text, at + 1)
            if m and start < at and (start == 0 or text[start - 1] not in self._LOCAL_CHARS):
                self._consider(text, (start, m.end()), self.PATTERNS[0], found)
            at = text.find("@", at + 1)
        return found

    def validate(self, value: str) -> bool | None:
        local, _, domain = value.partition("@")
        if ".." in local or local.endswith("."):
            return False
        return True if domain.rsplit(".", 1)[-1].lower() in _COMMON_TLDS else None


class IpRecognizer(Recognizer):
    """IP address: IPv4 dotted quad (RFC 791, octets 0–255) and IPv6 (RFC 4291 / RFC 5952 text).

    IPv4 has no checksum; each octet is range-checked by the pattern and leading zeros are not
    accepted (``01.2.3.4`` is not an address). A quad after ``version``, ``版本`` or ``v`` is a
    version number, not an address, and is dropped. Score 0.6, with context 0.9. IPv6 candidates
    must parse with :mod:`ipaddress` (0.8, with context 1.0).
    """

    NAME = "ip"
    ENTITY = "IP_ADDRESS"
    _OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    PATTERNS = (
        Pattern(
            "IPV4",
            bounded(
                r"\d",
                rf"\d{{0,2}}(?:\.{_OCTET}){{3}}",
                not_before="0-9A-Za-z.",
                after=r"(?![0-9A-Za-z]|\.\d)",
            ),
            0.6,
            needs=".",
            needs_count=3,
        ),
        Pattern(
            "IPV6",
            bounded(
                "[0-9A-Fa-f]",
                r"[0-9A-Fa-f]{0,3}:(?:[0-9A-Fa-f]{0,4}:){1,6}(?:[0-9A-Fa-f]{1,4})?",
                not_before="0-9A-Za-z:.",
                after="(?![0-9A-Za-z:])",
            ),
            0.8,
            needs=":",
            needs_count=2,
        ),
    )
    CONTEXT = ("ip", "地址", "address", "服务器", "server", "host", "登录", "login")
    NEGATIVE_CONTEXT = ("version", "版本", "ver.", "release")

    def validate(self, value: str) -> bool | None:
        if ":" not in value:
            first = value.split(".", 1)[0]
            return None if int(first) <= 255 and (first == "0" or first[0] != "0") else False
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return False
        return None if any(c.isalnum() for c in value) else False
