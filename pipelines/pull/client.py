"""HTTP for the providers' admin APIs: JSON pages, retried on throttling and server errors, the key in no message."""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
import orjson

Params = list[tuple[str, str | int]]
Notify = Callable[[str], None]

# Provider error messages may quote the key they refused (OpenAI quotes a masked one): none of it is repeated.
_KEY_LIKE = re.compile(r"\bsk-[\w*.\-]+")
_MESSAGE_CHARS = 300


class PullError(RuntimeError):
    """The pull cannot go on; the message is one line for the user, names the endpoint, and never holds a key."""


def _env_number(name: str, default: float, minimum: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise PullError(f"{name} must be a number, got {value!r}") from None
    if number < minimum:
        raise PullError(f"{name} must be at least {minimum:g}, got {value!r}")
    return number


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait on 429, 5xx and connection errors."""

    attempts: int = 6
    backoff_seconds: float = 1.0
    max_delay_seconds: float = 120.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """METERLINE_PULL_ATTEMPTS, METERLINE_PULL_BACKOFF_SECONDS and METERLINE_PULL_MAX_DELAY_SECONDS."""
        attempts = _env_number("METERLINE_PULL_ATTEMPTS", cls.attempts, 1)
        if attempts != int(attempts):
            raise PullError(f"METERLINE_PULL_ATTEMPTS must be a whole number, got {attempts:g}")
        return cls(
            attempts=int(attempts),
            backoff_seconds=_env_number("METERLINE_PULL_BACKOFF_SECONDS", cls.backoff_seconds, 0),
            max_delay_seconds=_env_number("METERLINE_PULL_MAX_DELAY_SECONDS", cls.max_delay_seconds, 0),
        )

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay_seconds)
        ceiling = min(self.max_delay_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        # Half fixed, half random: clients throttled together do not all come back in the same instant.
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        # An HTTP-date: the providers send seconds, so the exponential backoff stands in for it.
        return None
    return seconds if seconds >= 0 else None


class AdminClient:
    """GET requests against one provider's admin API, with its auth headers and the retry policy."""

    def __init__(self, base: str, headers: dict[str, str], key: str, key_env: str, policy: RetryPolicy,
                 notify: Notify) -> None:
        self.base = base.rstrip("/")
        self.retries = 0
        self._key = key
        self._key_env = key_env
        self._policy = policy
        self._notify = notify
        self._http = httpx.Client(base_url=self.base, headers=headers, timeout=httpx.Timeout(60.0, connect=10.0))

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._http.close()

    def redact(self, text: str) -> str:
        return _KEY_LIKE.sub("[redacted]", text.replace(self._key, "[redacted]")) if self._key else text

    def _provider_message(self, response: httpx.Response) -> str:
        """The `error.message` both providers put in an error body, else the start of the body."""
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        if not isinstance(message, str):
            message = response.text
        return self.redact(" ".join(message.split()))[:_MESSAGE_CHARS] or "(empty body)"

    def get(self, path: str, params: Params) -> dict[str, Any]:
        """One JSON object from GET `path`, retried per the policy; PullError when it cannot be had."""
        endpoint = f"GET {self.base}{path}"
        attempts = self._policy.attempts
        attempt = 0
        while True:
            attempt += 1
            retry_after = None
            try:
                response = self._http.get(path, params=params)
            except httpx.UnsupportedProtocol:
                raise PullError(f"{endpoint}: the base URL must start with http:// or https://") from None
            except httpx.TransportError as exc:
                failure = type(exc).__name__
                detail = self.redact(str(exc)) or "no response"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return self._json(endpoint, response)
                if status == 401:
                    raise PullError(f"{endpoint} returned HTTP 401: the admin key was refused (check "
                                    f"{self._key_env}): {self._provider_message(response)}")
                if status != 429 and status < 500:
                    raise PullError(f"{endpoint} returned HTTP {status}: {self._provider_message(response)}")
                failure = f"HTTP {status}"
                detail = self._provider_message(response)
                retry_after = _retry_after(response)
            if attempt >= attempts:
                raise PullError(f"{endpoint} failed after {attempts} attempts, last with {failure}: {detail}")
            wait = self._policy.delay(attempt, retry_after)
            self.retries += 1
            self._notify(f"{endpoint}: {failure}; retry {attempt} of {attempts - 1} in {wait:.1f} s")
            time.sleep(wait)

    @staticmethod
    def _json(endpoint: str, response: httpx.Response) -> dict[str, Any]:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise PullError(f"{endpoint} returned HTTP {response.status_code} with a body that is not JSON") from None
        if not isinstance(body, dict):
            raise PullError(f"{endpoint} returned HTTP {response.status_code} with JSON that is not an object")
        return body

    def pages(self, path: str, params: Params) -> Iterator[dict[str, Any]]:
        """Every page of a listing, following `next_page` through the `page` parameter until `has_more` is false."""
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page = self.get(path, params if cursor is None else [*params, ("page", cursor)])
            yield page
            if not page.get("has_more"):
                return
            cursor = page.get("next_page")
            if not isinstance(cursor, str) or not cursor:
                raise PullError(f"GET {self.base}{path} said has_more but gave no next_page")
            if cursor in seen:
                raise PullError(f"GET {self.base}{path} returned the page cursor {cursor!r} twice")
            seen.add(cursor)
