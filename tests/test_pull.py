"""`meterline pull` against a real HTTP server on 127.0.0.1 that speaks like the providers' admin APIs.

The server checks the key, pages its daily buckets (a bucket's results may straddle two pages, as the pull must
merge them back), fails on demand (429 with Retry-After, 5xx, 401) and records every request, whose parameters the
tests assert. Bucket and result shapes follow /work/shared/reference/provider-formats.md sections 1c, 1d, 2b, 2c.
"""

from __future__ import annotations

import base64
import threading
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import dagster as dg
import orjson
import pytest
from click.testing import CliRunner

from pipelines.assets.pull import provider_pulls
from pipelines.cli import main
from pipelines.definitions import build_definitions
from pipelines.ingest.formats import anthropic_reports, openai_reports
from pipelines.ingest.records import READERS, layout_of
from pipelines.pull import PROVIDERS, PullError, PullRecord, RetryPolicy, open_warehouse, pull_provider
from pipelines.resources import SourcesResource, WarehouseResource
from pipelines.settings import Settings
from tests.conftest import make_settings, read

OPENAI_KEY = "sk-admin-Zq8RtW3nVb6KpL0xYc4HsJ2mDf7GaE9u"
ANTHROPIC_KEY = "sk-ant-admin01-Xj4Lm8Qw2Rt6Yu0Ip3As5Df7Gh9Jk1Zx-AbCdEf"
OPENAI_USAGE = "/v1/organization/usage/completions"
OPENAI_COSTS = "/v1/organization/costs"
ANTHROPIC_USAGE = "/v1/organizations/usage_report/messages"
ANTHROPIC_COSTS = "/v1/organizations/cost_report"
# 2025-10-06 15:30 UTC: today is incomplete, 2025-10-05 (the reference's OpenAI bucket, 1759622400) is complete.
NOW = datetime(2025, 10, 6, 15, 30, tzinfo=UTC)
TODAY = NOW.date()
FAST = RetryPolicy(attempts=3, backoff_seconds=0.01, max_delay_seconds=5)


def unix(day: date) -> int:
    return int(datetime.combine(day, time(), tzinfo=UTC).timestamp())


def rfc3339(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


# --- what the providers return -----------------------------------------------------------------------------------


def openai_usage(day: date, uncached: int | None = None) -> list[dict[str, Any]]:
    """Two grouped results a day: the reference example (grouped by all six dimensions) and a batch row."""
    uncached = 53440 + day.day if uncached is None else uncached
    return [
        {"object": "organization.usage.completions.result", "input_tokens": uncached + 5760, "output_tokens": 10646,
         "input_cached_tokens": 5760, "input_cache_write_tokens": 0, "input_uncached_tokens": uncached,
         "input_text_tokens": uncached, "input_cached_text_tokens": 5760, "input_audio_tokens": 0,
         "input_cached_audio_tokens": 0, "input_image_tokens": 0, "input_cached_image_tokens": 0,
         "output_text_tokens": 10646, "output_audio_tokens": 0, "output_image_tokens": 0, "num_model_requests": 10,
         "project_id": "proj_4BhNtYH0z7dWbBtzhibxa65W", "user_id": "user-4x9", "api_key_id": "key_Kq2w",
         "model": "gpt-4o-2024-08-06", "batch": False, "service_tier": "default"},
        {"object": "organization.usage.completions.result", "input_tokens": 2000, "output_tokens": 300,
         "input_cached_tokens": 0, "input_cache_write_tokens": 0, "input_uncached_tokens": 2000,
         "input_text_tokens": 2000, "input_cached_text_tokens": 0, "input_audio_tokens": 0,
         "input_cached_audio_tokens": 0, "input_image_tokens": 0, "input_cached_image_tokens": 0,
         "output_text_tokens": 300, "output_audio_tokens": 0, "output_image_tokens": 0, "num_model_requests": 4,
         "project_id": "proj_abc", "user_id": None, "api_key_id": "key_Kq2w", "model": "gpt-4o-mini-2024-07-18",
         "batch": True, "service_tier": "default"},
    ]


def openai_costs(day: date, value: float | None = None) -> list[dict[str, Any]]:
    return [
        {"object": "organization.costs.result", "amount": {"value": 0.5 if value is None else value,
                                                          "currency": "usd"},
         "line_item": "gpt-5-nano, input_tokens", "project_id": "proj_abc", "api_key_id": None,
         "quantity": 1000, "quantity_unit": "tokens"},
        {"object": "organization.costs.result", "amount": {"value": 0.0128, "currency": "usd"},
         "line_item": "gpt-4o-2024-08-06, output", "project_id": "proj_4BhNtYH0z7dWbBtzhibxa65W",
         "api_key_id": None, "quantity": 1280, "quantity_unit": "tokens"},
    ]


def anthropic_usage(day: date, uncached: int | None = None) -> list[dict[str, Any]]:
    return [
        {"api_key_id": "apikey_01Rj2N8SVvo6BePZj99NhmiT", "workspace_id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
         "model": "claude-sonnet-4-20250514", "service_tier": "standard", "context_window": "0-200k",
         "uncached_input_tokens": 1500 + day.day if uncached is None else uncached, "cache_read_input_tokens": 200,
         "cache_creation": {"ephemeral_1h_input_tokens": 1000, "ephemeral_5m_input_tokens": 500},
         "output_tokens": 500, "server_tool_use": {"web_search_requests": 10}},
        {"api_key_id": "apikey_01Rj2N8SVvo6BePZj99NhmiT", "workspace_id": None,
         "model": "claude-3-5-haiku-20241022", "service_tier": "batch", "context_window": "0-200k",
         "uncached_input_tokens": 800, "cache_read_input_tokens": 0,
         "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
         "output_tokens": 120, "server_tool_use": {"web_search_requests": 0}},
    ]


def anthropic_costs(day: date, amount: str = "4512.5000") -> list[dict[str, Any]]:
    return [
        {"amount": amount, "currency": "USD", "cost_type": "tokens", "token_type": "cache_read_input_tokens",
         "model": "claude-sonnet-4-20250514", "service_tier": "standard", "context_window": "0-200k",
         "description": "Claude Sonnet 4 Usage - Input Tokens, Cache Hit",
         "workspace_id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"},
    ]


# --- the server --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    at: float

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def one(self, name: str) -> str | None:
        found = self.values(name)
        assert len(found) <= 1, f"{name} sent {len(found)} times"
        return found[0] if found else None


class FakeAdmin:
    """One provider's admin API: checks the key, pages the buckets of the asked days, fails on demand."""

    def __init__(self, flavour: str, key: str, rows_per_page: int = 5) -> None:
        self.flavour = flavour
        self.key = key
        self.rows_per_page = rows_per_page
        self.requests: list[Seen] = []
        self.cursors: list[str] = []
        self.failures: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
        self.restated: dict[tuple[str, date], list[dict[str, Any]]] = {}
        # When set, the other days come back as empty buckets, as they do for days without traffic.
        self.only_days: set[date] | None = None
        rows = {"openai": {OPENAI_USAGE: openai_usage, OPENAI_COSTS: openai_costs},
                "anthropic": {ANTHROPIC_USAGE: anthropic_usage, ANTHROPIC_COSTS: anthropic_costs}}
        self.rows: dict[str, Callable[[date], list[dict[str, Any]]]] = rows[flavour]
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = fake.answer(self.path, {k.lower(): v for k, v in self.headers.items()})
                payload = orjson.dumps(body)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def to(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def fail(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        self.failures[path].append((status, headers or {}))

    def error(self, kind: str, message: str) -> dict[str, Any]:
        if self.flavour == "openai":
            return {"error": {"message": message, "type": kind, "param": None, "code": None}}
        return {"type": "error", "error": {"type": kind, "message": message}}

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
        url = urlsplit(target)
        seen = Seen(url.path, parse_qsl(url.query, keep_blank_values=True), headers, clock.monotonic())
        self.requests.append(seen)
        if self.flavour == "openai":
            given = headers.get("authorization", "").removeprefix("Bearer ")
            if given != self.key:
                # The real API masks the key it quotes; this one repeats it whole, to prove the pull never does.
                return 401, {}, self.error("invalid_request_error", f"Incorrect API key provided: {given}.")
        else:
            if headers.get("anthropic-version") != "2023-06-01":
                return 400, {}, self.error("invalid_request_error", "anthropic-version header is required")
            given = headers.get("x-api-key", "")
            if given != self.key:
                return 401, {}, self.error("authentication_error", f"invalid x-api-key {given}")
        if self.failures[url.path]:
            status, extra = self.failures[url.path].pop(0)
            kind = {429: "rate_limit_error", 400: "invalid_request_error"}.get(status, "api_error")
            return status, extra, self.error(kind, f"HTTP {status} from the fake, as asked")
        if url.path not in self.rows:
            return 404, {}, self.error("not_found_error", f"no route {url.path}")
        return 200, {}, self.page(seen)

    def days(self, seen: Seen) -> list[date]:
        if self.flavour == "openai":
            first = datetime.fromtimestamp(int(seen.one("start_time") or 0), UTC).date()
            end = datetime.fromtimestamp(int(seen.one("end_time") or 0), UTC).date()
        else:
            first = datetime.fromisoformat(seen.one("starting_at") or "").date()
            end = datetime.fromisoformat(seen.one("ending_at") or "").date()
        return [first + timedelta(days=offset) for offset in range((end - first).days)]

    def bucket(self, day: date, results: list[dict[str, Any]]) -> dict[str, Any]:
        if self.flavour == "openai":
            return {"object": "bucket", "start_time": unix(day), "end_time": unix(day + timedelta(days=1)),
                    "results": results}
        return {"starting_at": rfc3339(day), "ending_at": rfc3339(day + timedelta(days=1)), "results": results}

    def results(self, path: str, day: date) -> list[dict[str, Any]]:
        if (path, day) in self.restated:
            return self.restated[path, day]
        return [] if self.only_days is not None and day not in self.only_days else self.rows[path](day)

    def full_bucket(self, path: str, day: date) -> dict[str, Any]:
        return self.bucket(day, self.results(path, day))

    def page(self, seen: Seen) -> dict[str, Any]:
        # Pages hold `rows_per_page` results (an empty bucket takes one place), so a bucket may straddle two.
        units = [(day, row) for day in self.days(seen) for row in (self.results(seen.path, day) or [None])]
        cursor = seen.one("page")
        start = int(base64.b64decode(cursor.removeprefix("page_"))) if cursor else 0
        chunk = units[start:start + self.rows_per_page]
        data: list[dict[str, Any]] = []
        for day, row in chunk:
            if not data or data[-1]["_day"] != day:
                data.append({"_day": day, "rows": []})
            if row is not None:
                data[-1]["rows"].append(row)
        buckets = [self.bucket(part["_day"], part["rows"]) for part in data]
        more = start + self.rows_per_page < len(units)
        following = "page_" + base64.b64encode(str(start + self.rows_per_page).encode()).decode() if more else None
        if following:
            self.cursors.append(following)
        envelope = {"data": buckets, "has_more": more, "next_page": following}
        return {"object": "page", **envelope} if self.flavour == "openai" else envelope


@pytest.fixture
def openai_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAdmin]:
    fake = FakeAdmin("openai", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    monkeypatch.setenv("METERLINE_OPENAI_API_BASE", fake.base)
    monkeypatch.delenv("METERLINE_PULL_RESTATE_DAYS", raising=False)
    yield fake
    fake.close()


@pytest.fixture
def anthropic_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAdmin]:
    fake = FakeAdmin("anthropic", ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("METERLINE_ANTHROPIC_API_BASE", fake.base)
    monkeypatch.delenv("METERLINE_PULL_RESTATE_DAYS", raising=False)
    yield fake
    fake.close()


def pull(settings: Settings, provider: str, now: datetime = NOW, notes: list[str] | None = None,
         **options: Any) -> list[PullRecord]:
    return pull_provider(PROVIDERS[provider], settings.landing, lambda: open_warehouse(settings.warehouse), now=now,
                         policy=options.pop("policy", FAST), notify=(notes.append if notes is not None else print),
                         **options)


def day_file(settings: Settings, provider: str, report: str, day: date) -> Path:
    return settings.landing / "pulled" / provider / report / f"{day.isoformat()}.json"


def pull_state(settings: Settings, provider: str) -> dict[str, tuple[Any, ...]]:
    rows = read(settings, "SELECT report, first_day, last_complete_day, days_fetched, days_written, pages,"
                          " result_rows, retries FROM raw.pull_state WHERE provider = ?", [provider])
    return {row[0]: row[1:] for row in rows}


# --- requests, pages and files -----------------------------------------------------------------------------------


def test_openai_pull_follows_every_page_and_writes_one_document_per_day(settings: Settings,
                                                                         openai_api: FakeAdmin) -> None:
    records = pull(settings, "openai")

    usage = openai_api.to(OPENAI_USAGE)
    first = usage[0]
    # The first pull asks for the 30 days before today and today itself, from and to UTC midnights.
    assert first.one("start_time") == str(unix(date(2025, 9, 6))) == "1757116800"
    assert first.one("end_time") == str(unix(date(2025, 10, 7)))
    assert first.one("bucket_width") == "1d"
    assert first.one("limit") == "31"
    assert first.values("group_by") == ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"]
    assert first.one("page") is None
    assert first.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    # 31 days x 2 results at 5 results a page: 13 pages, each asking for the cursor the one before handed out.
    assert len(usage) == 13
    assert [seen.one("page") for seen in usage[1:]] == openai_api.cursors[:12]
    assert all([(k, v) for k, v in seen.query if k != "page"] == first.query for seen in usage)

    costs = openai_api.to(OPENAI_COSTS)
    assert costs[0].one("bucket_width") == "1d"
    assert costs[0].one("limit") == "180"
    assert costs[0].values("group_by") == ["project_id", "line_item"]
    assert (costs[0].one("start_time"), costs[0].one("end_time")) == (first.one("start_time"), first.one("end_time"))

    assert [(r.report, r.first_day, r.last_complete_day, r.days_fetched, r.days_written, r.pages, r.rows, r.retries)
            for r in records] == [("usage_completions", date(2025, 9, 6), date(2025, 10, 5), 31, 31, 13, 62, 0),
                                  ("costs", date(2025, 9, 6), date(2025, 10, 5), 31, 31, 13, 62, 0)]
    files = sorted((settings.landing / "pulled" / "openai" / "usage_completions").iterdir())
    assert [path.name for path in files] == [f"{date(2025, 9, 6) + timedelta(days=n)}.json" for n in range(31)]
    # The reference's own bucket (2025-10-05), with both results of the day.
    reference_day = day_file(settings, "openai", "usage_completions", date(2025, 10, 5))
    assert orjson.loads(reference_day.read_bytes()) == {
        "object": "page",
        "data": [{"object": "bucket", "start_time": 1759622400, "end_time": 1759708800,
                  "results": openai_usage(date(2025, 10, 5))}]}
    # Days whose first result ends a page and whose second opens the next: merged back into one bucket.
    straddling = [day for day in (date(2025, 9, 6) + timedelta(days=n) for n in range(31))
                  if (day - date(2025, 9, 6)).days * 2 % 5 == 4]
    assert straddling, "the page size splits some days' results over two pages"
    for day in straddling:
        assert orjson.loads(day_file(settings, "openai", "usage_completions", day).read_bytes())["data"] == [
            openai_api.full_bucket(OPENAI_USAGE, day)]
    cost_day = orjson.loads(day_file(settings, "openai", "costs", date(2025, 10, 5)).read_bytes())
    assert cost_day["data"][0]["results"] == openai_costs(date(2025, 10, 5))

    assert pull_state(settings, "openai") == {
        "usage_completions": (date(2025, 9, 6), date(2025, 10, 5), 31, 31, 13, 62, 0),
        "costs": (date(2025, 9, 6), date(2025, 10, 5), 31, 31, 13, 62, 0)}


def test_pulled_files_are_read_by_the_ingest_as_a_document_of_buckets(settings: Settings,
                                                                        openai_api: FakeAdmin) -> None:
    pull(settings, "openai")
    path = day_file(settings, "openai", "usage_completions", date(2025, 10, 5))
    layout = layout_of(path, "none")
    assert layout == "json"
    records = list(READERS[layout](path, "none"))
    assert [(where, value["object"], len(value["results"])) for _, where, value in records] == [
        ("data[0]", "bucket", 2)]


def test_anthropic_pull_sends_its_headers_and_an_rfc3339_window(settings: Settings,
                                                               anthropic_api: FakeAdmin) -> None:
    records = pull(settings, "anthropic")

    usage = anthropic_api.to(ANTHROPIC_USAGE)
    first = usage[0]
    assert first.headers["x-api-key"] == ANTHROPIC_KEY
    assert first.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in first.headers
    assert first.one("starting_at") == "2025-09-06T00:00:00Z"
    assert first.one("ending_at") == "2025-10-07T00:00:00Z"
    assert first.one("bucket_width") == "1d"
    assert first.one("limit") == "31"
    assert first.values("group_by[]") == ["api_key_id", "workspace_id", "model", "service_tier", "context_window"]
    assert [seen.one("page") for seen in usage[1:]] == anthropic_api.cursors[:len(usage) - 1]
    costs = anthropic_api.to(ANTHROPIC_COSTS)
    assert costs[0].values("group_by[]") == ["workspace_id", "description"]
    assert costs[0].one("bucket_width") == "1d"
    assert (costs[0].one("starting_at"), costs[0].one("ending_at")) == (first.one("starting_at"),
                                                                         first.one("ending_at"))

    assert [(r.report, r.days_fetched, r.days_written, r.rows) for r in records] == [
        ("usage_messages", 31, 31, 62), ("costs", 31, 31, 31)]
    assert orjson.loads(day_file(settings, "anthropic", "usage_messages", date(2025, 10, 5)).read_bytes()) == {
        "object": "page",
        "data": [{"starting_at": "2025-10-05T00:00:00Z", "ending_at": "2025-10-06T00:00:00Z",
                  "results": anthropic_usage(date(2025, 10, 5))}]}
    assert orjson.loads(day_file(settings, "anthropic", "costs", date(2025, 10, 5)).read_bytes())["data"][0][
        "results"] == anthropic_costs(date(2025, 10, 5))


# --- retries and errors ------------------------------------------------------------------------------------------


def test_a_429_with_retry_after_and_a_500_are_retried_then_succeed(settings: Settings,
                                                                  openai_api: FakeAdmin) -> None:
    openai_api.fail(OPENAI_USAGE, 429, {"Retry-After": "1"})
    openai_api.fail(OPENAI_COSTS, 500)
    notes: list[str] = []
    records = pull(settings, "openai", notes=notes)

    usage = openai_api.to(OPENAI_USAGE)
    # The 429 said to wait a second; the backoff alone would have waited about 0.01 s.
    assert usage[1].at - usage[0].at >= 0.95
    assert usage[1].query == usage[0].query
    assert [record.retries for record in records] == [1, 1]
    assert [record.days_written for record in records] == [31, 31]
    assert any("HTTP 429; retry 1 of 2 in 1.0 s" in note for note in notes)
    assert any(f"GET {openai_api.base}{OPENAI_COSTS}: HTTP 500; retry 1 of 2" in note for note in notes)
    assert pull_state(settings, "openai")["costs"][-1] == 1


def test_retries_end_with_an_error_naming_the_endpoint_and_the_status(settings: Settings,
                                                                      openai_api: FakeAdmin) -> None:
    for _ in range(3):
        openai_api.fail(OPENAI_USAGE, 503)
    with pytest.raises(PullError) as failure:
        pull(settings, "openai")
    assert str(failure.value) == (f"GET {openai_api.base}{OPENAI_USAGE} failed after 3 attempts, last with HTTP 503:"
                                  " HTTP 503 from the fake, as asked")
    assert len(openai_api.to(OPENAI_USAGE)) == 3
    assert not (settings.landing / "pulled").exists()
    assert pull_state(settings, "openai") == {}


def test_an_unreachable_server_is_retried_then_named(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    monkeypatch.setenv("METERLINE_OPENAI_API_BASE", f"http://127.0.0.1:{port}")
    notes: list[str] = []
    with pytest.raises(PullError, match=rf"^GET http://127\.0\.0\.1:{port}{OPENAI_USAGE} failed after 3 attempts, "
                                        r"last with ConnectError: "):
        pull(settings, "openai", notes=notes)
    assert sum("ConnectError; retry" in note for note in notes) == 2

    monkeypatch.setenv("METERLINE_OPENAI_API_BASE", f"127.0.0.1:{port}")
    with pytest.raises(PullError, match=r"the base URL must start with http:// or https://$"):
        pull(settings, "openai", notes=notes)
    assert sum("; retry" in note for note in notes) == 2, "a base URL without a scheme is not retried"


def test_a_refused_key_fails_at_once_with_the_provider_message_and_no_key(settings: Settings,
                                                                          openai_api: FakeAdmin,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "sk-admin-WRONGwrongWRONGwrong0123456789"
    monkeypatch.setenv("OPENAI_ADMIN_KEY", wrong)
    with pytest.raises(PullError) as failure:
        pull(settings, "openai")
    assert str(failure.value) == (f"GET {openai_api.base}{OPENAI_USAGE} returned HTTP 401: the admin key was refused "
                                  "(check OPENAI_ADMIN_KEY): Incorrect API key provided: [redacted].")
    assert len(openai_api.requests) == 1
    assert wrong not in str(failure.value) and OPENAI_KEY not in str(failure.value)
    assert openai_api.requests[0].headers["authorization"] == f"Bearer {wrong}"


def test_anthropic_refused_key_and_other_4xx_fail_at_once(settings: Settings, anthropic_api: FakeAdmin,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    anthropic_api.fail(ANTHROPIC_USAGE, 400)
    with pytest.raises(PullError, match=r"returned HTTP 400: HTTP 400 from the fake, as asked$"):
        pull(settings, "anthropic")
    assert len(anthropic_api.requests) == 1

    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", "sk-ant-admin01-not-this-one")
    with pytest.raises(PullError, match=r"HTTP 401: the admin key was refused \(check ANTHROPIC_ADMIN_KEY\): "
                                        r"invalid x-api-key \[redacted\]$"):
        pull(settings, "anthropic")
    assert len(anthropic_api.requests) == 2


def test_a_missing_key_stops_before_any_request(settings: Settings, openai_api: FakeAdmin,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_ADMIN_KEY")
    with pytest.raises(PullError, match=r"^OPENAI_ADMIN_KEY is not set"):
        pull(settings, "openai")
    assert openai_api.requests == []


# --- the cursor and restatements ---------------------------------------------------------------------------------


def test_the_next_pull_starts_at_the_last_complete_day_less_the_restatement_window(
        settings: Settings, openai_api: FakeAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    pull(settings, "openai")
    assert pull_state(settings, "openai")["usage_completions"][1] == date(2025, 10, 5)

    two_days_later = NOW + timedelta(days=2)
    openai_api.requests.clear()
    records = pull(settings, "openai", now=two_days_later)
    # 2025-10-05 less the 3 days providers restate, through today (2025-10-08), to midnight after it.
    for path in (OPENAI_USAGE, OPENAI_COSTS):
        sent = openai_api.to(path)[0]
        assert (sent.one("start_time"), sent.one("end_time")) == (str(unix(date(2025, 10, 2))),
                                                                  str(unix(date(2025, 10, 9))))
    assert [(r.first_day, r.last_complete_day, r.days_fetched) for r in records] == [
        (date(2025, 10, 2), date(2025, 10, 7), 7)] * 2
    # 10-02 .. 10-06 came back with the figures already on file, so only 10-07 and 10-08 are written.
    assert [r.days_written for r in records] == [2, 2]

    monkeypatch.setenv("METERLINE_PULL_RESTATE_DAYS", "1")
    openai_api.requests.clear()
    pull(settings, "openai", now=two_days_later)
    assert openai_api.to(OPENAI_USAGE)[0].one("start_time") == str(unix(date(2025, 10, 6)))

    openai_api.requests.clear()
    pull(settings, "openai", now=two_days_later, since=date(2025, 8, 1))
    assert openai_api.to(OPENAI_USAGE)[0].one("start_time") == str(unix(date(2025, 8, 1)))
    assert pull_state(settings, "openai")["usage_completions"][:2] == (date(2025, 8, 1), date(2025, 10, 7))

    with pytest.raises(PullError, match=r"the first day to pull, 2025-10-09, is after today \(2025-10-08, UTC\)"):
        pull(settings, "openai", now=two_days_later, since=date(2025, 10, 9))


def test_a_since_after_the_cursor_leaves_the_cursor_so_the_gap_is_fetched_next(
        settings: Settings, openai_api: FakeAdmin) -> None:
    pull(settings, "openai")
    assert pull_state(settings, "openai")["usage_completions"][1] == date(2025, 10, 5)
    ten_days_later = NOW + timedelta(days=10)
    pull(settings, "openai", now=ten_days_later, since=date(2025, 10, 14))
    # 10-06 .. 10-13 were never fetched: the cursor does not jump over them.
    assert pull_state(settings, "openai")["usage_completions"][1] == date(2025, 10, 5)
    openai_api.requests.clear()
    pull(settings, "openai", now=ten_days_later)
    assert openai_api.to(OPENAI_USAGE)[0].one("start_time") == str(unix(date(2025, 10, 2)))
    assert pull_state(settings, "openai")["usage_completions"][1] == date(2025, 10, 15)


def test_a_restated_bucket_replaces_the_days_file_and_leaves_the_others(settings: Settings,
                                                                        openai_api: FakeAdmin) -> None:
    pull(settings, "openai")
    folder = settings.landing / "pulled" / "openai" / "usage_completions"
    before = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    restated = openai_usage(date(2025, 10, 4), uncached=70000)
    openai_api.restated[(OPENAI_USAGE, date(2025, 10, 4))] = restated

    records = pull(settings, "openai", now=NOW + timedelta(hours=1))
    assert [r.days_written for r in records] == [1, 0]
    after = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    assert sorted(after) == sorted(before), "no other file appears (no temporary file is left)"
    assert [name for name in after if after[name] != before[name]] == ["2025-10-04.json"]
    assert orjson.loads((folder / "2025-10-04.json").read_bytes())["data"][0]["results"] == restated


@pytest.mark.skipif(not (openai_reports.FORMATS and anthropic_reports.FORMATS),
                    reason="waits for the OpenAI and Anthropic bucket parsers (ingest/formats/*_reports.py)")
def test_a_restated_day_replaces_its_rows_through_the_pipeline(settings: Settings, openai_api: FakeAdmin,
                                                               anthropic_api: FakeAdmin) -> None:
    from pipelines.ingest.loader import ingest_landing

    # Today's clock, as `meterline pull --run` uses it; traffic on one day only, so the run rebuilds that day.
    now = datetime.now(UTC)
    day = now.date() - timedelta(days=2)
    openai_api.only_days = anthropic_api.only_days = {day}
    pull(settings, "openai", now=now)
    pull(settings, "anthropic", now=now)
    with open_warehouse(settings.warehouse) as conn:
        first = ingest_landing(conn, settings.landing)
    # The days without traffic are files of the same bytes: read once, the others recorded as the same content.
    assert (first.files_loaded + first.files_duplicate, first.rows_rejected) == (124, 0)
    assert first.files_duplicate > 0

    openai_api.restated[(OPENAI_USAGE, day)] = openai_usage(day, uncached=70000)
    openai_api.restated[(OPENAI_COSTS, day)] = openai_costs(day, value=0.75)
    anthropic_api.restated[(ANTHROPIC_USAGE, day)] = anthropic_usage(day, uncached=9000)
    anthropic_api.restated[(ANTHROPIC_COSTS, day)] = anthropic_costs(day, amount="6000.2500")
    pull(settings, "anthropic", now=datetime.now(UTC))
    ran = CliRunner().invoke(main, ["pull", "openai", "--run", "--landing", str(settings.landing),
                                    "--warehouse", str(settings.warehouse)])
    assert ran.exit_code == 0, ran.output
    # Only the four restated day files changed; each replaced what its earlier version loaded.
    # The four day files hold 4 usage results (OpenAI 2, Anthropic 2) and 3 cost results (OpenAI 2, Anthropic 1).
    assert ("Ingested 4 new or changed files (120 unchanged, skipped): 4 usage rows, 3 provider cost rows,"
            " 0 rejected records, 0 skipped") in " ".join(ran.output.split())
    assert f"Rebuilt days {day} .. {day} in one Dagster run" in ran.output

    # OpenAI: input_tokens per result = uncached + 5760 cached: (70000 + 5760) + 2000 = 77760; output 10646 + 300;
    # requests 10 + 4. Not that plus the first pull's (53440 + day + 5760) + 2000.
    assert read(settings, "SELECT sum(input_tokens + cache_read_tokens + cache_write_5m_tokens"
                          " + cache_write_1h_tokens), sum(output_tokens), sum(requests) FROM core.usage_events"
                          " WHERE provider = 'openai' AND usage_date = ?", [day]) == [(77760, 10946, 14)]
    # Anthropic: uncached + cache read + 1h and 5m writes = (9000 + 200 + 1000 + 500) + 800 = 11500; output 620.
    assert read(settings, "SELECT sum(input_tokens + cache_read_tokens + cache_write_5m_tokens"
                          " + cache_write_1h_tokens), sum(output_tokens) FROM core.usage_events"
                          " WHERE provider = 'anthropic' AND usage_date = ?", [day]) == [(11500, 620)]
    # Costs: OpenAI 0.75 + 0.0128 dollars; Anthropic 6000.2500 cents = 60.0025 dollars.
    assert read(settings, "SELECT provider, sum(amount_usd) FROM staging.reported_costs WHERE cost_date = ?"
                          " GROUP BY provider ORDER BY provider", [day]) == [
        ("anthropic", Decimal("60.0025")), ("openai", Decimal("0.7628"))]
    # Nor in the Dagster run history the command kept beside the warehouse.
    assert _files_hold(settings.landing.parent, OPENAI_KEY) == []
    assert _files_hold(settings.landing.parent, ANTHROPIC_KEY) == []


# --- the command, Dagster, and the key ---------------------------------------------------------------------------


def _files_hold(root: Path, secret: str) -> list[str]:
    return [str(path) for path in root.rglob("*") if path.is_file() and secret.encode() in path.read_bytes()]


def test_the_command_reports_progress_and_never_shows_or_stores_the_key(
        tmp_path: Path, openai_api: FakeAdmin, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path)
    monkeypatch.setenv("METERLINE_PULL_BACKOFF_SECONDS", "0.01")
    args = ["pull", "openai", "--landing", str(settings.landing), "--warehouse", str(settings.warehouse)]

    monkeypatch.delenv("OPENAI_ADMIN_KEY")
    missing = CliRunner().invoke(main, args)
    assert missing.exit_code == 1
    assert "OPENAI_ADMIN_KEY is not set" in missing.output

    # The server insists on another key and quotes the one it got: the command must not repeat it.
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    openai_api.key = "sk-admin-the-servers-own-key-0000000000"
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1
    assert "HTTP 401: the admin key was refused (check OPENAI_ADMIN_KEY)" in " ".join(refused.output.split())

    openai_api.key = OPENAI_KEY
    openai_api.fail(OPENAI_USAGE, 500)
    pulled = CliRunner().invoke(main, args)
    assert pulled.exit_code == 0, pulled.output
    text = " ".join(pulled.output.split())
    assert "openai usage_completions: page 1," in text
    assert "HTTP 500; retry 1 of 5" in text
    today = datetime.now(UTC).date()
    assert (f"Pulled openai: 31 days ({today - timedelta(days=30)} .. {today - timedelta(days=1)} complete, and "
            "today so far), 26 pages, 124 rows, retries: 1; 62 day files written, 0 unchanged") in text
    assert "Run `meterline run` to ingest them" in text

    captured = capfd.readouterr()
    for output in (missing.output, refused.output, pulled.output, captured.out, captured.err):
        assert OPENAI_KEY not in output
    assert _files_hold(tmp_path, OPENAI_KEY) == []
    assert settings.warehouse.is_file()
    assert read(settings, "SELECT count(*) FROM raw.pull_state") == [(2,)]


def _materialize(settings: Settings) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [provider_pulls],
        resources={"warehouse": WarehouseResource(path=str(settings.warehouse)),
                   "sources": SourcesResource(landing=str(settings.landing), pricing=str(settings.pricing))},
        raise_on_error=False,
    )


def test_the_asset_skips_without_keys_and_pulls_with_one(settings: Settings, openai_api: FakeAdmin,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_ADMIN_KEY")
    monkeypatch.delenv("ANTHROPIC_ADMIN_KEY", raising=False)
    skipped = _materialize(settings)
    assert skipped.success
    meta = skipped.asset_materializations_for_node("raw__provider_pulls")[0].metadata
    assert meta["skipped"].value == ("openai (OPENAI_ADMIN_KEY is not set), "
                                     "anthropic (ANTHROPIC_ADMIN_KEY is not set)")
    assert not (settings.landing / "pulled").exists()

    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    monkeypatch.setenv("METERLINE_PULL_BACKOFF_SECONDS", "0.01")
    openai_api.fail(OPENAI_COSTS, 502)
    pulled = _materialize(settings)
    assert pulled.success
    meta = pulled.asset_materializations_for_node("raw__provider_pulls")[0].metadata
    assert meta["skipped"].value == "anthropic (ANTHROPIC_ADMIN_KEY is not set)"
    usage = meta["openai/usage_completions"].value
    assert isinstance(usage, dict) and (usage["days_fetched"], usage["days_written"], usage["retries"]) == (31, 31, 0)
    assert meta["openai/costs"].value["retries"] == 1  # type: ignore[index]

    openai_api.key = "sk-admin-the-servers-own-key-0000000000"
    refused = _materialize(settings)
    assert not refused.success
    failure = next(event for event in refused.all_events if event.is_step_failure)
    assert failure.step_failure_data is not None and failure.step_failure_data.error is not None
    assert "openai: GET" in failure.step_failure_data.error.message
    assert "the admin key was refused" in failure.step_failure_data.error.message

    for result in (skipped, pulled, refused):
        assert OPENAI_KEY not in repr([event.event_specific_data for event in result.all_events])
    assert _files_hold(settings.landing.parent, OPENAI_KEY) == []


def test_the_pull_runs_before_the_ingest_in_the_scheduled_job_only(settings: Settings) -> None:
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey(["raw", "usage_files"])).parent_keys == {dg.AssetKey(["raw", "provider_pulls"])}
    assert "raw__provider_pulls" in defs.resolve_job_def("metering_job").graph.node_dict
    # The landing sensor's ingest must not call the providers on every new file.
    assert "raw__provider_pulls" not in defs.resolve_job_def("ingest_job").graph.node_dict
