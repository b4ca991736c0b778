"""The visitor chat: a Gradio page over an Assistant. Staff functions never live here."""

from __future__ import annotations

from typing import Any

import gradio as gr

from bot.answer import Assistant, escape_markdown, render_markdown

SHOWN_QUESTION_CHARS = 500  # a huge message is echoed cut short; the reply says why

CSS = """
#disclaimer-banner { border-left: 6px solid #7a4100; background: #fff4e0; color: #2b1a00;
  padding: 10px 14px; border-radius: 6px; }
#disclaimer-banner p { color: #2b1a00; margin: 0; }
"""


class VisitorChat:
    """The chat functions, plain enough for tests to call without a server."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant

    def respond(self, message: str, history: list[dict] | None) -> tuple[list[dict], str]:
        """Add the visitor's question and the reply to the chat; clear the input box."""
        message = message or ""
        reply = self.assistant.ask(message)
        shown = message if len(message) <= SHOWN_QUESTION_CHARS else message[:SHOWN_QUESTION_CHARS] + "…"
        turn = [
            {"role": "user", "content": escape_markdown(shown)},
            {"role": "assistant", "content": render_markdown(reply)},
        ]
        return [*(history or []), *turn], ""

    def ask(self, question: str) -> dict[str, Any]:
        """The reply as data: for embedding the assistant in another page."""
        return self.assistant.ask(question or "").to_dict()


def build_visitor_app(assistant: Assistant) -> gr.Blocks:
    site = assistant.site
    chat = VisitorChat(assistant)
    with gr.Blocks(title=site.title, fill_height=True) as app:
        gr.Markdown(f"# {escape_markdown(site.title)}\n\n{escape_markdown(site.description)}")
        gr.Markdown(f"**Please note:** {escape_markdown(site.banner or site.disclaimer)}", elem_id="disclaimer-banner")
        chatbot = gr.Chatbot(label="Answers", height=480, feedback_options=None, buttons=["copy"])
        with gr.Row():
            box = gr.Textbox(
                label="Your question",
                placeholder="Type your question and press Enter",
                scale=5,
                max_lines=4,
                autofocus=True,
            )
            send = gr.Button("Ask", variant="primary", scale=1)
        if site.examples:
            gr.Markdown("**Try one of these:**")
            with gr.Row():
                for number, example in enumerate(site.examples):
                    button = gr.Button(example, size="sm", variant="secondary")
                    button.click(
                        chat.respond,
                        [button, chatbot],
                        [chatbot, box],
                        api_name=f"example_{number}",
                        api_visibility="private",
                    )
        box.submit(chat.respond, [box, chatbot], [chatbot, box], api_name="respond")
        send.click(chat.respond, [box, chatbot], [chatbot, box], api_name="send", api_visibility="private")
        gr.api(chat.ask, api_name="ask")
    return app


def launch(app: gr.Blocks, host: str, port: int, **kwargs: Any) -> None:
    app.queue(default_concurrency_limit=2)
    app.launch(server_name=host, server_port=port, css=CSS, footer_links=["api"], **kwargs)
