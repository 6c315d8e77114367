"""Pseudonymous IDs: names and ID-card numbers become stable keyed hashes and are never stored.

A person's ID is HMAC-SHA256 over the normalised name and the normalised ID-card number, keyed by
a secret that lives only in the local configuration (`hehu_home()/pseudonym.key`, created on first
use with 0600 permissions). The same person imported twice gets the same ID; without the key
nobody can test a guessed name and ID number against the database. The database keeps only a
fingerprint of the key (an HMAC of a fixed text), so an import with a different key is refused
instead of silently creating a second ID for everyone.
"""

from __future__ import annotations

import hashlib
import hmac
import operator
import os
import re
import secrets
import unicodedata
from pathlib import Path

from hehu.errors import HehuError
from hehu.records.store import hehu_home

KEY_FILE_NAME = "pseudonym.key"
KEY_BYTES = 32
# The meta-table entry holding the key's fingerprint (never the key itself).
KEY_CHECK_META = "pseudonym_key_check"
ID_HEX_CHARS = 16  # 64 bits: collisions stay negligible for a county's millions of people

# Middle dots written between the parts of a minority or foreign name, in all their variants.
_MIDDLE_DOTS = re.compile("[\u00b7\u2022\u2027\u2219\u22c5\u30fb\uff65\u0387\u16eb\u2e31]")
_SPACES = re.compile(r"\s+")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


class KeyMismatch(HehuError):
    """The local key is not the one the database's pseudonyms were made with."""

    def __init__(self):
        super().__init__(
            "本机的假名化密钥与数据库中已有数据所用的密钥不一致，导入会产生重复对象，已停止。"
            "请从首次导入的电脑复制 pseudonym.key 到本机的呵护配置目录。",
            "this machine's pseudonymisation key differs from the one the database was built with; "
            "copy pseudonym.key from the machine that made the first import",
        )


def key_path() -> Path:
    """Where the pseudonymisation key lives: hehu_home()/pseudonym.key."""
    return hehu_home() / KEY_FILE_NAME


def load_key(create: bool = True) -> bytes | None:
    """The local key; created (0600) on first use when `create`, else None if there is none yet."""
    path = key_path()
    if not path.exists():
        if not create:
            return None
        try:
            # O_EXCL: two kernels importing at once must not each write a different key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(KEY_BYTES) + "\n")
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a key readable by others would make the pseudonyms guessable
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise HehuError(
            f"假名化密钥文件已损坏：{path}", f"the pseudonymisation key file is damaged: {path}"
        ) from exc
    if len(key) < 16:
        raise HehuError(
            f"假名化密钥文件过短：{path}", f"the pseudonymisation key file is too short: {path}"
        )
    return key


def new_ephemeral_key() -> bytes:
    """A throwaway key for a dry run on a machine that has none yet (so a dry run writes nothing)."""
    return secrets.token_bytes(KEY_BYTES)


def key_check(key: bytes) -> str:
    """A fingerprint of the key, safe to store: it reveals nothing about the key."""
    return hmac.new(key, b"hehu pseudonym key check", hashlib.sha256).hexdigest()[:ID_HEX_CHARS]


def normalise_name(name: str) -> str:
    """A name as compared: compatibility forms folded, spaces removed, one kind of middle dot."""
    text = unicodedata.normalize("NFKC", str(name))
    text = _SPACES.sub("", text)
    return _MIDDLE_DOTS.sub("·", text).casefold()


def id_check_char(first17: str) -> str:
    """The check character of an 18-character ID-card number (GB 11643) from its first 17 digits."""
    if len(first17) != len(_ID_WEIGHTS):
        raise ValueError("身份证号前17位应为数字")
    total = sum(map(operator.mul, map(int, first17), _ID_WEIGHTS))
    return _ID_CHECK_CHARS[total % 11]


def normalise_id_number(text: str) -> str:
    """An ID-card number in its 18-character form; raises ValueError (reason in Chinese) if invalid.

    Full-width digits and spaces are folded, a lower-case x is raised, and an old 15-digit number
    is extended to 18 characters, so the same person gets the same ID whichever form was written.
    """
    raw = _SPACES.sub("", unicodedata.normalize("NFKC", str(text))).upper()
    raw = raw.replace("-", "")
    if re.fullmatch(r"\d{15}", raw):
        first17 = raw[:6] + "19" + raw[6:]
        return first17 + id_check_char(first17)
    if not re.fullmatch(r"\d{17}[\dX]", raw):
        raise ValueError("身份证号应为18位（最后一位可为X）或15位数字")
    if id_check_char(raw[:17]) != raw[17]:
        raise ValueError("身份证号校验位不正确，请核对")
    return raw


def id_birth_year(id_number: str) -> int:
    """The year of birth written in a normalised 18-character ID-card number."""
    return int(id_number[6:10])


def id_sex(id_number: str) -> str:
    """'M' or 'F' from the 17th character of a normalised ID-card number (odd: male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def pseudonym(prefix: str, name: str, id_number: str, key: bytes, *, checked: bool = False) -> str:
    """A stable pseudonymous ID such as 'P-3f9a…' from a name and an ID-card number.

    `checked=True` says the number already went through `normalise_id_number`.
    """
    number = id_number if checked else normalise_id_number(id_number)
    material = f"{normalise_name(name)}\x1f{number}".encode()
    digest = hmac.new(key, material, hashlib.sha256).hexdigest()
    return f"{prefix}-{digest[:ID_HEX_CHARS]}"
