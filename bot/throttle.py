"""Who is asking, and how often: the client's address (X-Forwarded-For only from trusted proxies), a sliding
window limit per key (questions per minute, failed logins) and a count per key per day (questions logged).

Any route can use them: `client_address(peer, headers, proxies)` names the client, `RateLimit.take(keys)`
counts one more and says how long to wait when over the limit. Everything is held in memory only, for at
most `capacity` keys, so a flood of addresses cannot grow the server without bound.
"""

from __future__ import annotations

import ipaddress
import math
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"  # a client whose address the server was not given (a test client, a Unix socket)


@dataclass(frozen=True)
class TrustedProxies:
    """The reverse proxies whose X-Forwarded-For header is believed (none unless configured)."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """From BOT_TRUSTED_PROXIES: addresses or networks, separated by commas ("127.0.0.1, 10.0.0.0/8")."""
        networks = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(
                    f"BOT_TRUSTED_PROXIES must list addresses or networks such as 127.0.0.1 or 10.0.0.0/8; got {item!r}"
                ) from None
        return cls(tuple(networks))

    def trust(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


def client_address(peer: str | None, headers: Mapping[str, str], proxies: TrustedProxies) -> str:
    """The address of the client: the connection's, or, when that is a trusted proxy, the nearest address in
    X-Forwarded-For that is not one (read from the right: only the proxies' own entries can be believed)."""
    address = peer or UNKNOWN
    if not proxies.networks or not proxies.trust(address):
        return address
    forwarded = [hop.strip() for hop in headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        if not proxies.trust(hop):
            return hop
    return forwarded[0] if forwarded else address


def trust_no_proxy_headers() -> None:
    """Stop uvicorn from rewriting the client address from X-Forwarded-For itself.

    Uvicorn, which Gradio starts, believes that header from 127.0.0.1 by default, so anyone on the machine (or
    an unconfigured proxy) could claim any address; client_address decides instead, from BOT_TRUSTED_PROXIES.
    Call before launching: uvicorn reads FORWARDED_ALLOW_IPS when Gradio creates its server.
    """
    os.environ["FORWARDED_ALLOW_IPS"] = ""


class RateLimit:
    """At most `limit` events per key in any `window` seconds; limit 0 allows everything.

    Thread-safe; take() checks and counts at once, so requests sent in parallel are counted one by one.
    """

    def __init__(self, limit: int, window: float, capacity: int, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.capacity = limit, window, capacity
        self._clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds until every key may have one more event (0: now), without counting one."""
        with self._lock:
            return max((self._wait(key, self._clock()) for key in keys), default=0.0)

    def take(self, keys: Iterable[str]) -> float:
        """Count one event for each key and return 0; or, when a key is at its limit, count nothing and return
        the seconds to wait."""
        keys = list(keys)
        with self._lock:
            now = self._clock()
            wait = max((self._wait(key, now) for key in keys), default=0.0)
            if wait == 0 and self.limit:
                for key in keys:
                    self._events.setdefault(key, deque()).append(now)
                    self._events.move_to_end(key)
                while len(self._events) > self.capacity:  # the least recently active key is forgotten
                    self._events.popitem(last=False)
            return wait

    def forget(self, keys: Iterable[str]) -> None:
        """Drop the keys' events (a successful login clears its failures)."""
        with self._lock:
            for key in keys:
                self._events.pop(key, None)

    def _wait(self, key: str, now: float) -> float:
        if not self.limit:
            return 0.0
        events = self._events.get(key)
        if events is None:
            return 0.0
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self._events[key]
            return 0.0
        return 0.0 if len(events) < self.limit else max(events[0] + self.window - now, 0.001)

    def __len__(self) -> int:
        return len(self._events)


class DailyCount:
    """At most `limit` events per key per UTC day (limit 0: no limit), for at most `capacity` keys."""

    def __init__(self, limit: int, capacity: int, today: Callable[[], str] | None = None):
        self.limit, self.capacity = limit, capacity
        self._today = today or (lambda: datetime.now(UTC).date().isoformat())
        self._day = ""
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> bool:
        """Count one event for the key if it is under today's limit; whether it was."""
        if not self.limit:
            return True
        with self._lock:
            day = self._today()
            if day != self._day:
                self._day, self._counts = day, OrderedDict()
            count = self._counts.get(key, 0)
            if count >= self.limit:
                return False
            self._counts[key] = count + 1
            self._counts.move_to_end(key)
            while len(self._counts) > self.capacity:
                self._counts.popitem(last=False)
            return True


def retry_after(seconds: float) -> str:
    """The Retry-After header's value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
