"""Staff accounts for the console: data_dir/staff.json holds each name with a slow hash of its password
(scrypt, from the standard library), never the password itself, readable by its owner only.

`python -m bot staff add NAME` adds one (or changes its password), `staff remove NAME` and `staff list` the rest.
BOT_STAFF_PASSWORD, when set, is one more account, named BOT_STAFF_USER: a shortcut for a single user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.config import ConsoleSettings
from bot.errors import BotError
from bot.private import FILE_MODE, private_folder

log = logging.getLogger(__name__)

ACCOUNTS_FILE = "staff.json"
MIN_PASSWORD_CHARS = 8
# scrypt's cost: about 50 ms and 16 MB a check on one core, so a stolen file is slow to guess, a sign-in quick.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
SHORTCUT_CREDENTIAL = "BOT_STAFF_PASSWORD"  # the shortcut's password cannot change while a process runs
# A file changed this recently is read again even if its inode, size and mtime look the same: a second write within
# one tick of the file system's clock (a few ms on ext4) can keep all three.
SETTLED_SECONDS = 2.0


class AccountError(BotError):
    """A name or password that cannot be used, or an accounts file that cannot be read or written."""


def password_problem(password: str) -> str | None:
    """Why a password cannot be used (blank, only spaces, too short), or None."""
    if len(password.strip()) < MIN_PASSWORD_CHARS:
        return f"a password needs at least {MIN_PASSWORD_CHARS} characters besides spaces"
    return None


def hash_password(password: str, salt: bytes | None = None) -> str:
    """'scrypt$n$r$p$salt$hash', base64: everything needed to check the password again, and not the password."""
    salt = salt or secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)])


def password_matches(password: str, stored: str) -> bool:
    """Whether the password is the one hashed in `stored`, compared in constant time."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        given = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(given, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


@cache
def _no_account() -> str:
    """Checked against when a name has no account, so a wrong name takes as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Shortcut:
    """The one account of BOT_STAFF_USER and BOT_STAFF_PASSWORD."""

    name: str
    password: str


class StaffAccounts:
    """The accounts of one data folder, read from the file at each check, so additions count at once."""

    def __init__(self, path: Path, shortcut: Shortcut | None = None):
        self.path = Path(path)
        self.shortcut = shortcut
        self._seen: tuple[tuple[int, int, int] | None, dict[str, str]] = (None, {})  # (file version, its accounts)

    @classmethod
    def from_settings(cls, settings: ConsoleSettings) -> StaffAccounts:
        shortcut = Shortcut(settings.staff_user, settings.staff_password) if settings.staff_password else None
        return cls(Path(settings.data_dir) / ACCOUNTS_FILE, shortcut)

    def names(self) -> list[str]:
        """Every account's name, sorted; the shortcut's too."""
        return sorted({*self.stored_names(), *([self.shortcut.name] if self.shortcut else [])})

    def stored_names(self) -> list[str]:
        """The names of the accounts in the file."""
        return sorted(self._read())

    def add(self, name: str, password: str) -> bool:
        """Store the account (a new password for an existing one); whether it is new."""
        if not NAME.fullmatch(name):
            raise AccountError(
                f"{name!r} cannot be a staff name: use up to 64 letters, digits, '.', '_', '@' or '-', starting "
                "with a letter or digit."
            )
        problem = password_problem(password)
        if problem:
            raise AccountError(f"{problem}; choose another.")
        accounts = self._read()
        new = name not in accounts
        accounts[name] = hash_password(password)
        self._write(accounts)
        return new

    def remove(self, name: str) -> None:
        accounts = self._read()
        if name not in accounts:
            known = ", ".join(sorted(accounts)) or "none"
            raise AccountError(f"There is no staff account {name!r} in {self.path} (accounts: {known}).")
        del accounts[name]
        self._write(accounts)

    def check(self, name: str, password: str) -> bool:
        """Whether the name and password are an account's; as slow for an unknown name as for a wrong password,
        and never an error (a damaged file lets no one in)."""
        try:
            stored = self._read().get(name)
        except AccountError:
            stored = None
        right = password_matches(password, stored or _no_account()) and stored is not None
        if stored is None and self.shortcut and name == self.shortcut.name:
            right = hmac.compare_digest(_bytes(password), _bytes(self.shortcut.password))
            right = right and password_problem(password) is None
        return right

    def credentials(self) -> dict[str, str]:
        """Each name with what its sign-in is checked against (its stored hash, or the shortcut's marker): a
        session ends when its name's changes or goes. The file is read again only once it has changed, and a damaged
        one counts as empty (as in check()), never an error."""
        shortcut = {self.shortcut.name: SHORTCUT_CREDENTIAL} if self.shortcut else {}
        return shortcut | self._read_if_changed()

    def _read_if_changed(self) -> dict[str, str]:
        version = _settled_version(self.path)  # before reading: a change in between is read again next time
        seen, accounts = self._seen
        if version is None or version != seen:
            try:
                accounts = self._read()
            except AccountError as err:
                log.warning("%s Until then, no one signs in or stays signed in with an account of that file.", err)
                accounts = {}
            self._seen = (version, accounts)
        return accounts

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise AccountError(
                f"Cannot read the staff accounts in {self.path} ({err}); restore it, or delete it and add the "
                "accounts again with `python -m bot staff add NAME`."
            ) from None
        accounts = data.get("accounts") if isinstance(data, dict) else None
        if not isinstance(accounts, dict) or not all(isinstance(v, str) for v in accounts.values()):
            raise AccountError(
                f"{self.path} is not a staff accounts file; delete it and add the accounts again with "
                "`python -m bot staff add NAME`."
            )
        return accounts

    def _write(self, accounts: dict[str, str]) -> None:
        """Replace the file atomically, readable by its owner only."""
        try:
            private_folder(self.path.parent)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"accounts": dict(sorted(accounts.items()))}, out, indent=2)
                out.write("\n")
            os.replace(temporary, self.path)
        except OSError as err:
            raise AccountError(f"Cannot write {self.path} ({err}); set BOT_DATA_DIR to a writable folder.") from None


def _settled_version(path: Path) -> tuple[int, int, int] | None:
    """The file's inode, size and mtime, which its next atomic replacement changes; None when there is no file, or
    it changed too recently to tell a second change by them."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if time.time() - stat.st_mtime < SETTLED_SECONDS:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a form may carry a lone surrogate: it is still just wrong


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(_bytes(password), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
