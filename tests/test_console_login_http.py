"""Signing in to the running console with accounts made by `python -m bot staff add`: each staff member by
name, failed sign-ins throttled per user and per address even when sent at once, the name shown in the page
and written to the audit log, open sessions ended by `staff add` (a new password) and `staff remove`, and huge bodies
refused. (tests/test_staff.py ends sessions whose hours are over, on a clock it moves.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bot.audit import AuditLog
from bot.config import Settings

from conftest import ROOT
from console_server import SIGNED_IN, SIGNED_OUT, launch_console, wait_for_login_page, what_it_gets
from http_client import call

pytestmark = pytest.mark.integration

PASSWORDS = {"alice": "alice's long secret", "bob": "bob's long secret"}


@pytest.fixture(scope="module")
def console(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    """A console with two accounts and no BOT_STAFF_PASSWORD, behind a trusted proxy (so a test can come from
    several addresses), locking a user or address out after 3 failures."""
    root = tmp_path_factory.mktemp("login")
    shutil.copytree(real_settings.index_dir, root / "index")
    env = {k: v for k, v in os.environ.items() if k != "BOT_STAFF_PASSWORD"}
    env |= {
        "BOT_DATA_DIR": str(root / "data"),
        "BOT_INDEX_DIR": str(root / "index"),
        "BOT_KNOWLEDGE_DIR": str(real_settings.knowledge_dir),
        "BOT_LOGIN_ATTEMPTS": "3",
        "BOT_LOGIN_LOCKOUT_SECONDS": "600",
        "BOT_TRUSTED_PROXIES": "127.0.0.1",
    }
    for name, password in PASSWORDS.items():
        staff(env, "add", name, password)
    app = launch_console(env)
    try:
        wait_for_login_page(app)
        yield app.base, root / "data", env
    finally:
        app.stop()


def staff(env: dict[str, str], action: str, name: str, password: str = "") -> None:
    """`python -m bot staff add|remove NAME`, in a process of its own as staff run it."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "staff", action, name, *(["--password-stdin"] if action == "add" else [])],
        input=password + "\n",
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def sign_in(base: str, user: str, password: str, address: str) -> requests.Response:
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address
    response = session.post(f"{base}/login", data={"username": user, "password": password}, timeout=60)
    response.session = session
    return response


def test_fifty_wrong_passwords_at_once_get_three_tries_then_429(console):
    base, _, _ = console
    with ThreadPoolExecutor(50) as pool:
        burst = list(pool.map(lambda n: sign_in(base, "alice", f"guess number {n}", "198.51.100.1"), range(50)))
    assert sorted(r.status_code for r in burst) == [400] * 3 + [429] * 47
    assert all(int(r.headers["Retry-After"]) > 500 for r in burst if r.status_code == 429)
    assert sign_in(base, "alice", PASSWORDS["alice"], "198.51.100.1").status_code == 429  # locked out
    assert sign_in(base, "alice", PASSWORDS["alice"], "198.51.100.2").status_code == 429  # the user, anywhere
    # another account from that address signs in: staff behind one proxy share it (BOT_LOGIN_ATTEMPTS_PER_ADDRESS)
    assert sign_in(base, "bob", PASSWORDS["bob"], "198.51.100.1").status_code == 200
    assert sign_in(base, "bob", PASSWORDS["bob"], "198.51.100.3").status_code == 200


def test_each_staff_member_signs_in_by_name_and_the_audit_log_says_who_built(console):
    base, data, _ = console
    signed = sign_in(base, "bob", PASSWORDS["bob"], "198.51.100.4")
    assert signed.status_code == 200
    bob = signed.session
    assert sign_in(base, "bob", "        ", "198.51.100.5").status_code == 400  # spaces are no password
    event, (header,) = call(base, "signed_in", session=bob)
    assert event == "complete" and header == "# Staff console\n\nSigned in as **bob**."
    event, (summary, _) = call(base, "rebuild", session=bob, timeout=600)
    assert event == "complete" and summary.startswith("**Built ")
    latest = AuditLog.in_folder(data).entries()[0]
    assert (latest.user, latest.action) == ("bob", "build")


def test_a_new_password_or_a_removed_account_ends_its_open_sessions_at_once(console):
    """Both kept the account's open sessions until the console restarted."""
    base, _, env = console
    for name in ("carol", "dave"):
        staff(env, "add", name, f"{name}'s long secret")
    carol = sign_in(base, "carol", "carol's long secret", "198.51.100.6").session
    dave = sign_in(base, "dave", "dave's long secret", "198.51.100.6").session
    assert what_it_gets(base, carol) == what_it_gets(base, dave) == SIGNED_IN
    staff(env, "add", "carol", "carol's new secret")
    assert what_it_gets(base, carol) == SIGNED_OUT and what_it_gets(base, dave) == SIGNED_IN
    again = sign_in(base, "carol", "carol's new secret", "198.51.100.6")
    assert again.status_code == 200 and what_it_gets(base, again.session) == SIGNED_IN
    staff(env, "remove", "dave")
    assert what_it_gets(base, dave) == SIGNED_OUT and what_it_gets(base, again.session) == SIGNED_IN
    assert call(base, "signed_in", session=again.session).data == ["# Staff console\n\nSigned in as **carol**."]


def test_a_huge_body_is_refused_by_the_console_too(console):
    base, _, _ = console
    posted = requests.post(f"{base}/login", data=b"x" * 6_000_000, timeout=60)
    assert posted.status_code == 413 and "larger than the 5,000,000 bytes" in posted.json()["detail"]
