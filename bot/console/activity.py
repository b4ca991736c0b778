"""The Activity tab: the audit log, newest first: who taught, imported, built, published or rolled back what."""

from __future__ import annotations

import gradio as gr

from bot.console.staff import HIDDEN, Tab, table

ACTIVITY_COLUMNS = {"time (UTC)": "18%", "who": "12%", "action": "14%", "what": "56%"}


class ActivityTab(Tab):
    title = "Activity"

    def activity(self) -> list[list[str]]:
        return [[e.time, e.user, e.action, e.detail] for e in self.console.audit.entries()]

    def render(self, app: gr.Blocks) -> None:
        gr.Markdown("Every content change made here or with `python -m bot teach` or `import`, newest first.")
        entries = table(ACTIVITY_COLUMNS, "Activity")
        refresh = gr.Button("Refresh")
        refresh.click(self.activity, None, [entries], api_name="activity", api_visibility=HIDDEN)
        app.load(self.activity, None, [entries], api_name="load_activity", api_visibility=HIDDEN)
