"""Telegram's flood limits, on top of python-telegram-bot's AIORateLimiter.

AIORateLimiter gives 30 requests/s overall and 20 messages/min per group or channel, and waits
out a 429 `retry_after` (pausing every request meanwhile) before resending. Changed here:
- the overall limit is strict (one request every 1/30 s), not a bucket that lets 30 go at once
  on top of the last second's 30;
- a `retry_after` longer than `MAX_WAIT` is not slept on (that would stall every chat for
  hours): the RetryAfter reaches the caller at once, which defers that chat.
Digest deliveries also pace each chat themselves over a sliding window (`bot.delivery`: one
message a second in a private chat, 20 a minute in a group or channel), so a digest never goes
beyond what the limits allow in any window; interactive replies may burst as Telegram tolerates.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

MAX_WAIT = 60.0  # seconds of retry_after worth waiting for in place
RETRIES = 3
_Result = bool | dict[str, Any] | list[dict[str, Any]]


class _LongRetryAfter(Exception):
    def __init__(self, original: RetryAfter) -> None:
        super().__init__(str(original))
        self.original = original


class TelegramRateLimiter(AIORateLimiter):
    """AIORateLimiter that does not sleep on long flood waits."""

    def __init__(self) -> None:
        super().__init__(overall_max_rate=1, overall_time_period=1 / 30, max_retries=RETRIES)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, _Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> _Result:
        if endpoint == "sendChatAction":  # "typing…" is no message: it must not queue behind them
            return await callback(*args, **kwargs)

        async def call_unless_long_wait(*a: Any, **kw: Any) -> _Result:
            try:
                return await callback(*a, **kw)
            except RetryAfter as exc:
                if retry_seconds(exc) > MAX_WAIT:
                    raise _LongRetryAfter(exc) from exc
                raise

        try:
            return await super().process_request(
                call_unless_long_wait, args, kwargs, endpoint, data, rate_limit_args
            )
        except _LongRetryAfter as exc:
            raise exc.original from None


def retry_seconds(exc: RetryAfter) -> float:
    """`retry_after` in seconds (PTB gives an int or, with PTB_TIMEDELTA, a timedelta)."""
    value: Any = exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)
