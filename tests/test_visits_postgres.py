"""The visit log in PostgreSQL (BOT_DATABASE_URL), against a real server that the fixture starts: Debian's
`postgresql` package (.ci/run installs it). Skipped, saying why, where its programs are missing (failed in CI)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from bot.config import Settings
from bot.errors import BotError
from bot.visits import DISLIKE, EITHER, LIKE, UNANSWERED, VisitLog

from conftest import serve_app
from http_client import free_port

TODAY = date(2026, 3, 31)


def server_programs() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server of its own on a free port, in a temporary folder; its URL, without a database."""
    programs = server_programs()
    if programs is None:
        missing = "PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get install postgresql"
        if os.environ.get("CI"):  # .ci/run installs them: there, their absence is a failure
            pytest.fail(missing)
        pytest.skip(missing)
    folder = Path(tempfile.mkdtemp(prefix="bot-postgres-"))  # not under pytest's folder, which only root may enter
    data, port = folder / "data", free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: as Debian's postgres user, which the package adds
        if shutil.which("runuser") is None:
            pytest.skip("running as root, and runuser is missing to start PostgreSQL as the postgres user")
        shutil.chown(folder, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [*run_as, str(programs / "pg_ctl"), "-D", str(data)]
    try:
        run([*run_as, str(programs / "initdb"), "-D", str(data), "-U", "faq", "--auth=trust", "-E", "UTF8"])
        run([*pg_ctl, "-o", options, "-l", str(folder / "log"), "-w", "start"])
        yield f"postgresql://faq@127.0.0.1:{port}"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


@pytest.fixture
def database_url(postgres_server: str, request: pytest.FixtureRequest) -> str:
    """A fresh database for one test."""
    import psycopg

    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_server}/{name}"


def test_turns_thumbs_lists_and_retention_work_in_postgres(database_url: str):
    visits = VisitLog(database_url, retention_days=30)
    visits.record("asked long ago", False, [], today=TODAY - timedelta(days=31))
    row = visits.record("Can I email you at a@b.com about the cost?", False, [], today=TODAY)
    answered = visits.record("What are NK cells?", True, ["p1", "p2"], today=TODAY)
    assert isinstance(row, int) and answered == row + 1
    assert visits.feedback(answered, DISLIKE) and visits.feedback(answered, LIKE)
    assert not visits.feedback(answered + 1000, DISLIKE)
    stored = visits.visits()
    assert [v.question for v in stored] == ["Can I email you at [email] about the cost?", "What are NK cells?"]
    assert (stored[1].asked_on, stored[1].answered, stored[1].passages, stored[1].feedback) == (
        "2026-03-31",
        True,
        ("p1", "p2"),
        LIKE,
    )
    assert [q.question for q in visits.questions(UNANSWERED)] == ["Can I email you at [email] about the cost?"]
    assert visits.purge(TODAY + timedelta(days=31)) == 2 and visits.visits() == []
    visits.close()


def test_the_table_holds_no_identifier(database_url: str):
    import psycopg

    VisitLog(database_url).close()
    with psycopg.connect(database_url) as db:
        columns = db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'visits' ORDER BY ordinal_position"
        ).fetchall()
    assert [c for (c,) in columns] == ["id", "asked_on", "question", "answered", "passages", "feedback"]


def test_several_processes_write_one_log_at_once(database_url: str):
    logs = [VisitLog(database_url) for _ in range(3)]  # three app processes' connections, and the console's

    def visitor(number: int) -> list[int | None]:
        """Twenty questions through one connection, a thumbs down on every third answer."""
        asked = [
            logs[number % 3].record(f"visitor {number} question {turn}", turn % 2 == 0, ["p"]) for turn in range(20)
        ]
        for row in asked[::3]:
            logs[(number + 1) % 3].feedback(row, DISLIKE)  # the thumbs may reach another process than the question
        return asked

    with ThreadPoolExecutor(6) as pool:
        rows = [row for asked in pool.map(visitor, range(6)) for row in asked]
    assert None not in rows and len(set(rows)) == 120
    assert len(logs[1].visits()) == 120
    assert sum(q.asked for q in logs[2].questions(EITHER)) == 6 * 14  # unanswered (odd turns) or disliked (every third)
    for log in logs:
        log.close()


def test_a_lost_connection_is_made_again(database_url: str, postgres_server: str):
    import psycopg

    visits = VisitLog(database_url)
    visits.record("before", False, [])
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:  # as a server restart would
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database_url.rsplit("/", 1)[1],),
        )
    assert visits.record("after", False, []) is not None
    assert [v.question for v in visits.visits()] == ["before", "after"]


def test_a_database_that_cannot_be_reached_says_what_to_set_without_the_password():
    url = f"postgresql://faq:s3cret@127.0.0.1:{free_port()}/none"
    with pytest.raises(BotError, match="set BOT_DATABASE_URL to a database") as raised:
        VisitLog.open(Settings(database_url=url))
    assert "s3cret" not in str(raised.value) and "faq:***@127.0.0.1" in str(raised.value)
    assert "s3cret" not in repr(Settings(database_url=url))


@pytest.mark.integration
def test_the_app_logs_questions_in_postgres(database_url: str, real_settings: Settings):
    for base in serve_app(real_settings, database_url=database_url):
        assert requests.post(f"{base}/api/ask", json={"question": "How much does it cost in 2026?"}).ok
    (visit,) = VisitLog(database_url).visits()
    assert (visit.question, visit.answered) == ("How much does it cost in 2026?", False)
