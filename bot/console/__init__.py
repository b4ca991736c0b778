"""The staff console: inspect answers, run the test suites, see what visitors asked, rebuild the index.

A Gradio app of its own, on its own port (Settings.console_port), behind Gradio's login: every page,
API and queue route of it needs a staff account's name and password, and it refuses to start without one. The visitor
app (bot/ui.py) contains none of this. Start it with `python -m bot console`.

Modules: staff (what every tab shares, and the Tab base class), one module per tab (inspector,
test_suites, visitor_questions, index), login (the accounts' check and the throttle of failed sign-ins), sessions
(sessions ending: their hours over, their account removed or its password changed), and app (the page and
serving). A new tab is a new module with a Tab subclass, added to app.TABS.
"""

from bot.console.app import TABS, build_console_app, serve
from bot.console.login import check_login, require_accounts
from bot.console.staff import StaffConsole, Tab

__all__ = [
    "TABS",
    "StaffConsole",
    "Tab",
    "build_console_app",
    "check_login",
    "require_accounts",
    "serve",
]
