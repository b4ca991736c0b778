"""The console's page (a header, then one tab per Tab class in TABS), its login, and serving it."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence

import gradio as gr

from bot.config import ConsoleSettings, Settings
from bot.console.activity import ActivityTab
from bot.console.documents import DocumentsTab
from bot.console.index import IndexTab
from bot.console.inspector import InspectorTab
from bot.console.staff import StaffConsole, Tab
from bot.console.suites import SuitesTab
from bot.console.visitor_questions import VisitorQuestionsTab
from bot.embedding import limit_threads
from bot.errors import BotError
from bot.ui import CSS, cannot_listen
from bot.visits import VisitLog

log = logging.getLogger(__name__)

# in the page's order
TABS: tuple[type[Tab], ...] = (InspectorTab, SuitesTab, VisitorQuestionsTab, DocumentsTab, IndexTab, ActivityTab)
MIN_PASSWORD_CHARS = 8
FAILED_LOGIN_DELAY = 1.0  # seconds before a wrong password is refused: slows guessing
UPLOAD_LIMIT = "5mb"
NO_PASSWORD = (
    "The staff console needs a password: set BOT_STAFF_PASSWORD (at least {n} characters; user name "
    "BOT_STAFF_USER, default 'staff') and start it again."
)


def build_console_app(console: StaffConsole, tabs: Sequence[type[Tab]] = TABS) -> gr.Blocks:
    with gr.Blocks(title="Staff console", delete_cache=(3600, 3600)) as app:
        with gr.Row():
            gr.Markdown(f"# Staff console\n\nSigned in as **{console.settings.staff_user}**.")
            gr.Button("Log out", link="/logout", size="sm", scale=0)
        with gr.Tabs():
            for kind in tabs:
                tab = kind(console)
                with gr.Tab(tab.title):
                    tab.render(app)
    return app


def check_login(settings: ConsoleSettings) -> Callable[[str, str], Awaitable[bool]]:
    """Gradio's auth function: the configured user and password, compared in constant time; a wrong
    guess waits FAILED_LOGIN_DELAY seconds."""
    user, password = settings.staff_user.encode(), settings.staff_password.encode()

    async def check(username: str, given: str) -> bool:
        right = hmac.compare_digest(username.encode(), user) & hmac.compare_digest(given.encode(), password)
        if not right:
            log.warning("staff console: a failed login")
            await asyncio.sleep(FAILED_LOGIN_DELAY)
        return bool(right)

    return check


def require_password(settings: ConsoleSettings) -> None:
    if len(settings.staff_password) < MIN_PASSWORD_CHARS:
        raise BotError(NO_PASSWORD.format(n=MIN_PASSWORD_CHARS))


def serve(settings: Settings) -> None:
    """Start the console (blocking); refuses to without a staff password."""
    require_password(settings.console)
    limit_threads(settings.serve)
    console = StaffConsole(settings, visits=VisitLog.open(settings))
    try:
        console.assistant().warm_up()
    except BotError as err:  # no index yet: the console is where it gets built
        log.warning("%s", err)
    try:
        build_console_app(console).queue(default_concurrency_limit=2).launch(
            server_name=settings.console.console_host,
            server_port=settings.console.console_port,
            auth=check_login(settings.console),
            auth_message="Staff console of the FAQ assistant. Sign in with the staff user name and password.",
            css=CSS,
            footer_links=[],
            run_history=False,
            max_file_size=UPLOAD_LIMIT,
        )
    except (OSError, OverflowError) as err:
        raise cannot_listen(settings.console.console_host, settings.console.console_port, err, "BOT_CONSOLE") from None
