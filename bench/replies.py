"""Pushing link messages to the fake Bot API and timing the bot's replies to them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tests.fakes.telegram import FakeBotApi


@dataclass
class ReplyTracker:
    """Pushes messages and matches the bot's replies (`reply_parameters.message_id`).

    `latency[key]` is the time from the push (the update becomes available to getUpdates) to
    the arrival at the fake of the first reply to that message; `replies` counts every reply.
    """

    tg: FakeBotApi
    pushed: dict[tuple[int, int], float] = field(default_factory=dict)
    latency: dict[tuple[int, int], float] = field(default_factory=dict)
    replies: int = 0
    _seen: int = 0

    def push(self, text: str, chat_id: int) -> tuple[int, int]:
        update = self.tg.make_message_update(text, chat_id=chat_id)
        key = (chat_id, int(update["message"]["message_id"]))
        self.pushed[key] = time.monotonic()
        self.tg.push_update(update)
        return key

    def collect(self) -> int:
        """Match the calls that arrived since the last look; the number of replies so far."""
        with self.tg._cond:  # the fake's lock: a consistent snapshot of the new calls
            new = self.tg.calls[self._seen :]
            self._seen = len(self.tg.calls)
        for call in new:
            if call.method != "sendMessage" or not call.ok:
                continue
            reference = call.params.get("reply_parameters")
            if not isinstance(reference, dict):
                continue
            key = (int(call.chat_id), int(reference.get("message_id", -1)))
            if key in self.pushed:
                self.replies += 1
                self.latency.setdefault(key, call.time - self.pushed[key])
        return self.replies

    def wait(self, replies: int, timeout: float) -> bool:
        """Wait until `replies` replies arrived in all (False on timeout or 30 s without one)."""
        deadline = time.monotonic() + timeout
        last, moved = self.collect(), time.monotonic()
        while time.monotonic() < deadline:
            count = self.collect()
            if count >= replies:
                return True
            if count != last:
                last, moved = count, time.monotonic()
            elif time.monotonic() - moved > 30:
                return False
            time.sleep(0.01)
        return self.collect() >= replies

    def latencies(self, keys: list[tuple[int, int]]) -> list[float]:
        return [self.latency[k] for k in keys if k in self.latency]
