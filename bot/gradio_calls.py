"""What a call to the chat's Gradio API must look like: GradioCalls, an ASGI middleware, refuses one that names an
event or endpoint the chat lacks (404) or sends another number of inputs (422), saying what to send.

Gradio answers those with a 500 and a traceback of some 5 KB in the server's log, and they are no question, so no
question limit applies: anyone could fill the disk (2,000 such calls wrote 11 MB in 9 s). The page's own calls, and
the JSON API's, always have the right shape.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
from fastapi.responses import JSONResponse
from starlette.middleware import Middleware

from bot.limits import Receive, Scope, Send, read_body, replay

App = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/gradio_api/"
TOO_DEEP = "The request's data is nested too deeply for a question; ask with POST /api/ask."


@dataclass(frozen=True)
class Shapes:
    """The app's events by how many inputs each takes, its public endpoints by their parameters' names, and the
    data model Gradio checks each input against (None where it checks none)."""

    events: dict[int, int]
    endpoints: dict[str, tuple[str, ...]]
    models: dict[int, tuple[Any, ...]]  # event → its inputs' data models
    endpoint_events: dict[str, int]
    # events whose function reads what was clicked (gr.LikeData, gr.SelectData), by their names too (the page's own,
    # not public, and callable all the same): Gradio reads event_data's "index" and "value" without a check
    clicked: frozenset[int] = frozenset()
    named: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, app: gr.Blocks) -> Shapes:
        public = {
            index: fn for index, fn in app.fns.items() if fn.api_name and getattr(fn, "api_visibility", "") == "public"
        }
        return cls(
            {index: len(fn.inputs) for index, fn in app.fns.items()},
            # Gradio gives the inputs to the function's first parameters, in order; the request comes after them
            {fn.api_name: tuple(inspect.signature(fn.fn).parameters)[: len(fn.inputs)] for fn in public.values()},
            {index: _input_models(fn) for index, fn in app.fns.items()},
            {fn.api_name: index for index, fn in public.items()},
            frozenset(index for index, fn in app.fns.items() if _reads_event_data(fn.fn)),
            {fn.api_name: index for index, fn in app.fns.items() if fn.api_name},
        )

    def problem(self, call: str, body: bytes) -> tuple[int, str] | None:
        """What is wrong with a POST to PREFIX + call (queue/join, run/NAME, call/NAME, call/v2/NAME): status and
        message, or None for a call of the right shape or one this does not judge."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None  # Gradio's own 422 says so, without a traceback
        except RecursionError:  # which Gradio's own reading raises too, with a traceback
            return 422, TOO_DEEP
        if not isinstance(data, dict):
            return None
        parts = call.strip("/").split("/")
        event = data.get("fn_index") if parts == ["queue", "join"] else self.named.get(parts[-1])
        if isinstance(event, int) and event in self.clicked and not _is_click(data.get("event_data")):
            return 422, "That event is the page's own: it needs what was clicked. Ask with POST /api/ask."
        if parts == ["queue", "join"]:
            return self._event(data)
        if parts[:2] == ["call", "v2"] and len(parts) == 3:
            return self._named(parts[2], data)
        if parts[0] in ("run", "call", "api") and len(parts) == 2 and parts[1] in self.endpoints:
            return self._listed(parts[1], data.get("data"))
        if parts[0] in ("run", "call", "api") and len(parts) == 2 and parts[1] in self.named:
            return self._own(parts[1], data.get("data"))
        return None  # a name the chat lacks: FnIndexInferError's clean 404 (bot/ui.py)

    def _event(self, data: dict) -> tuple[int, str] | None:
        index = data.get("fn_index")
        if not isinstance(index, int) or index not in self.events:
            return 404, f"This chat has no event {index!r}; ask with POST /api/ask."
        inputs = data.get("data")
        if not isinstance(inputs, list) or len(inputs) != self.events[index]:
            return 422, f"Event {index} takes a data list of {self.events[index]} inputs; ask with POST /api/ask."
        return self._values(index, inputs, f"event {index}")

    def _named(self, name: str, data: dict) -> tuple[int, str] | None:
        if name not in self.endpoints:
            return 404, f"This chat has no API endpoint {name!r}; ask with POST /api/ask."
        wanted = self.endpoints[name]
        if set(data) - {"oauth_token"} != set(wanted):
            return 422, f"/{name} takes {', '.join(wanted)}, each by name; got {', '.join(sorted(data)) or 'none'}."
        return self._values(self.endpoint_events[name], [data[each] for each in wanted], f"/{name}")

    def _listed(self, name: str, inputs: object) -> tuple[int, str] | None:
        wanted = self.endpoints[name]
        if isinstance(inputs, list) and len(inputs) == len(wanted):
            return self._values(self.endpoint_events[name], inputs, f"/{name}")
        return 422, f'/{name} takes {{"data": [{", ".join(wanted)}]}}, {len(wanted)} of them.'

    def _own(self, name: str, inputs: object) -> tuple[int, str] | None:
        """A call by name to one of the page's own events (send, example_N), callable all the same."""
        index = self.named[name]
        if isinstance(inputs, list) and len(inputs) == self.events[index]:
            return self._values(index, inputs, f"/{name}")
        return 422, f"/{name} is the page's own and takes a data list of {self.events[index]}; ask with POST /api/ask."

    def _values(self, event: int, inputs: list, call: str) -> tuple[int, str] | None:
        """An input its data model refuses: Gradio's own check, which it answers with {"error": null} and a
        traceback in the log; or one holding a file, which Gradio's path check refuses the same way (and a URL
        it would fetch)."""
        for position, (model, value) in enumerate(zip(self.models[event], inputs, strict=True), start=1):
            try:
                if _holds_file(value):
                    return 422, f"Input {position} of {call} holds a file; this chat takes no files."
            except RecursionError:
                return 422, TOO_DEEP
            if model is None or value is None:
                continue
            try:
                model.model_validate(value, context={"validate_meta": True})
            except (ValueError, TypeError):  # pydantic's ValidationError is a ValueError
                return 422, f"Input {position} of {call} is not in the form the page sends; ask with POST /api/ask."
        return None


def _holds_file(value: object) -> bool:
    """Whether a value sent holds a file as Gradio describes one (a "path", at any depth)."""
    if isinstance(value, dict):
        return "path" in value or any(_holds_file(each) for each in value.values())
    return isinstance(value, list) and any(_holds_file(each) for each in value)


class GradioCalls:
    """The ASGI middleware: POSTs under /gradio_api/ of a shape the chat cannot answer are refused, saying why."""

    def __init__(self, app: App, shapes: Shapes):
        self.app = app
        self.shapes = shapes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope.get("method") != "POST" or PREFIX not in path:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive) or b""  # within the size limit: bot/limits.py refused a larger one already
        problem = self.shapes.problem(path.split(PREFIX, 1)[1], body)
        if problem:
            status, message = problem
            await JSONResponse({"detail": message}, status)(scope, receive, send)
            return
        await self.app(scope, replay(body, receive), send)


def _reads_event_data(fn: Any) -> bool:
    """Whether a function takes what was clicked (a gr.EventData), which Gradio builds from the call's event_data."""
    try:
        hints = typing.get_type_hints(fn)
    except (NameError, TypeError):
        return False
    kinds = (kind for hint in hints.values() for kind in (hint, *typing.get_args(hint)))  # gr.LikeData | None too
    return any(isinstance(kind, type) and issubclass(kind, gr.EventData) for kind in kinds)


def _is_click(event_data: object) -> bool:
    return isinstance(event_data, dict) and "index" in event_data and "value" in event_data


def _input_models(fn: Any) -> tuple[Any, ...]:
    """The data model Gradio validates each input of an event against; None for an input it checks no model for
    (a plain value, or a component property sent as {"value": ...})."""
    props = getattr(fn, "component_prop_inputs", ())
    return tuple(None if i in props else getattr(block, "data_model", None) for i, block in enumerate(fn.inputs))


def gradio_calls(app: gr.Blocks) -> Middleware:
    return Middleware(GradioCalls, shapes=Shapes.of(app))
