"""A fake Bot API that enforces Telegram's flood limits on sent messages.

Limits (Telegram's bot FAQ), checked when a message arrives, over accepted messages only:
- per chat: two messages to one chat at least 1 s apart;
- per group or channel (a negative chat id, as python-telegram-bot's AIORateLimiter counts
  them): at most 20 messages in any 60 s;
- overall: at most 30 messages in any 1 s.
A message over a limit is refused like Telegram does: HTTP 429, `Too Many Requests: retry after
N` with `parameters.retry_after = N` (whole seconds, at least 1, the time until it would have been
accepted). Every window is shortened by `tolerance` (50 ms) so that network jitter between the
bot's clock and the fake's does not turn a correctly paced message into a 429.
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from typing import Any

from tests.fakes.telegram import FakeBotApi

LIMITED_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "copyMessage"})
PER_CHAT_GAP = 1.0
GROUP_LIMIT, GROUP_WINDOW = 20, 60.0
OVERALL_LIMIT, OVERALL_WINDOW = 30, 1.0


def lower_bound(messages_per_chat: dict[int, int]) -> float:
    """The shortest time from the first to the last message these limits allow, in seconds."""
    total = sum(messages_per_chat.values())
    overall = (math.ceil(total / OVERALL_LIMIT) - 1) * OVERALL_WINDOW
    per_chat = max(((n - 1) * PER_CHAT_GAP for n in messages_per_chat.values()), default=0.0)
    groups = max(
        (
            (math.ceil(n / GROUP_LIMIT) - 1) * GROUP_WINDOW
            for chat, n in messages_per_chat.items()
            if chat < 0
        ),
        default=0.0,
    )
    return max(overall, per_chat, groups, 0.0)


class RateLimitedBotApi(FakeBotApi):
    """`FakeBotApi` answering 429 with `retry_after` when a message breaks a flood limit.

    `refused` counts the 429s by rule ("per chat", "per group", "overall"); `accepted_times`
    holds the arrival time of every accepted limited message. Set `enforce = False` to let
    everything through (the records go on).
    """

    def __init__(self, tolerance: float = 0.05) -> None:
        super().__init__()
        self.tolerance = tolerance
        self.enforce = True
        self.refused: Counter[str] = Counter()
        self.accepted_times: list[float] = []
        self._overall: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        self._last: dict[int, float] = {}

    def _answer_method(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """Runs under the fake's lock: the check and the record are one atomic step."""
        if method in LIMITED_METHODS:
            chat = self._resolve_chat(params.get("chat_id"))
            if isinstance(chat, int):
                refusal = self._admit(chat, time.monotonic())
                if refusal is not None:
                    rule, wait = refusal
                    self.refused[rule] += 1
                    seconds = max(1, math.ceil(wait))
                    return 429, {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {seconds}",
                        "parameters": {"retry_after": seconds},
                    }
        return super()._answer_method(method, params)

    def _admit(self, chat: int, now: float) -> tuple[str, float] | None:
        """None (accepted and recorded) or (rule broken, seconds until it would be allowed)."""
        if self.enforce:
            last = self._last.get(chat)
            if last is not None and now - last < PER_CHAT_GAP - self.tolerance:
                return "per chat", last + PER_CHAT_GAP - now
            if chat < 0:
                wait = _window_wait(
                    self._groups.get(chat), now, GROUP_LIMIT, GROUP_WINDOW, self.tolerance
                )
                if wait is not None:
                    return "per group", wait
            wait = _window_wait(self._overall, now, OVERALL_LIMIT, OVERALL_WINDOW, self.tolerance)
            if wait is not None:
                return "overall", wait
        self._last[chat] = now
        self._overall.append(now)
        if chat < 0:
            self._groups.setdefault(chat, deque()).append(now)
        self.accepted_times.append(now)
        return None


def _window_wait(
    times: deque[float] | None, now: float, limit: int, window: float, tolerance: float
) -> float | None:
    """Seconds until one more message fits in the sliding window, or None if it fits now."""
    if times is None:
        return None
    span = window - tolerance
    while times and times[0] <= now - window:  # keep the whole window for the wait below
        times.popleft()
    recent = [t for t in times if t > now - span]
    if len(recent) < limit:
        return None
    return recent[-limit] + window - now
