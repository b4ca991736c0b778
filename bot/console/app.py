"""The console's page (a header, then one tab per Tab class in TABS), its login, and serving it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import gradio as gr

from bot.config import Settings
from bot.console.activity import ActivityTab
from bot.console.documents import DocumentsTab
from bot.console.index import IndexTab
from bot.console.inspector import InspectorTab
from bot.console.login import check_login, login_throttle, require_accounts
from bot.console.sessions import session_ends
from bot.console.staff import HIDDEN, StaffConsole, Tab
from bot.console.suites import SuitesTab
from bot.console.visitor_questions import VisitorQuestionsTab
from bot.embedding import limit_threads
from bot.errors import BotError
from bot.limits import request_limits
from bot.memory import bound_malloc_arenas
from bot.render import escape_markdown
from bot.throttle import trust_no_proxy_headers
from bot.ui import CSS, cannot_listen, no_queue_analytics
from bot.visits import VisitLog

log = logging.getLogger(__name__)

# sends staff whose session ended to the login page, where Gradio alone would show "Error" on their next click
CONSOLE_JS = (Path(__file__).parent / "console.js").read_text(encoding="utf-8")
CONSOLE_LIVE_EVENTS = 100  # staff clicks in progress or waiting at once: a few staff, two at a time each

# in the page's order
TABS: tuple[type[Tab], ...] = (InspectorTab, SuitesTab, VisitorQuestionsTab, DocumentsTab, IndexTab, ActivityTab)


def build_console_app(console: StaffConsole, tabs: Sequence[type[Tab]] = TABS) -> gr.Blocks:
    with gr.Blocks(title="Staff console", delete_cache=(3600, 3600), analytics_enabled=False) as app:  # no telemetry
        with gr.Row():
            header = gr.Markdown("# Staff console")
            gr.Button("Log out", link="/logout", size="sm", scale=0)
        app.load(signed_in, None, [header], api_name="signed_in", api_visibility=HIDDEN)
        with gr.Tabs():
            for kind in tabs:
                tab = kind(console)
                with gr.Tab(tab.title):
                    tab.render(app)
    return app


def signed_in(request: gr.Request | None = None) -> str:
    """The page's header, with who is signed in: each staff member has an account of their own."""
    name = getattr(request, "username", None)
    return "# Staff console" + (f"\n\nSigned in as **{escape_markdown(name)}**." if name else "")


def serve(settings: Settings) -> None:
    """Start the console (blocking); refuses to without a staff account."""
    accounts = require_accounts(settings.console)
    ends = session_ends(settings.console, accounts)
    bound_malloc_arenas(settings.malloc_arenas)
    limit_threads(settings.serve, torch_too=settings.model_runtime == "torch")
    trust_no_proxy_headers()
    console = StaffConsole(settings, visits=VisitLog.open(settings))
    try:
        console.assistant().warm_up()
    except BotError as err:  # no index yet: the console is where it gets built
        log.warning("%s", err)
    no_queue_analytics(CONSOLE_LIVE_EVENTS)
    try:
        build_console_app(console).queue(default_concurrency_limit=2).launch(
            server_name=settings.console.console_host,
            server_port=settings.console.console_port,
            auth=check_login(accounts),
            auth_message="Staff console of the FAQ assistant. Sign in with your staff name and password.",
            css=CSS,
            js=CONSOLE_JS,
            footer_links=[],
            enable_monitoring=False,
            run_history=False,
            max_file_size=settings.console_max_request_bytes,
            # the body limit first, so the throttle never reads more than it allows; the sessions' ends last, to see
            # the sign-ins the throttle let through
            app_kwargs={
                "middleware": [
                    request_limits(settings.console_max_request_bytes),
                    login_throttle(settings.console),
                    ends,
                ]
            },
        )
    except (OSError, OverflowError) as err:
        raise cannot_listen(settings.console.console_host, settings.console.console_port, err, "BOT_CONSOLE") from None
