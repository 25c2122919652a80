"""Realistic sample usage logs for the demo and the benchmark: OpenAI, Anthropic and Gemini, as teams log them.

Traffic has a weekly pattern and slow growth, several projects and API keys, prompt caching (5m and 1h writes),
reasoning, batch jobs, service tiers, long-context requests, web search, a fine-tuned model the public catalogue
cannot price, one response logged twice, and a few malformed lines. Everything is seeded, so the same arguments
write the same bytes.
"""

from __future__ import annotations

import gzip
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class Stream:
    """One kind of traffic: a project calling a model through one API shape."""

    project: str
    keys: tuple[str, ...]
    provider: str
    api: str  # chat | responses | messages | gemini
    model: str
    per_day: float
    prompt: int
    output: int
    cache_hit: float = 0.0
    batch: bool = False
    tiers: tuple[tuple[str, float], ...] = ()
    long_context: float = 0.0
    web_search: float = 0.0
    write_1h: bool = False
    reasoning: float = 0.0
    enveloped: bool = True


STREAMS: tuple[Stream, ...] = (
    Stream("support-bot", ("key_sup_prod", "key_sup_eu"), "anthropic", "messages", "claude-sonnet-4-5-20250929",
           60, 9000, 450, cache_hit=0.8),
    Stream("support-bot", ("key_sup_prod",), "anthropic", "messages", "claude-haiku-4-5-20251001", 80, 3000, 250,
           cache_hit=0.6),
    Stream("support-bot", ("key_sup_prod",), "openai", "chat", "gpt-4o-mini-2024-07-18", 70, 1800, 220,
           cache_hit=0.4),
    Stream("support-bot", ("key_sup_prod",), "openai", "chat", "ft:gpt-4o-mini-2024-07-18:acme:support:9xYzQ1",
           4, 1500, 200),
    Stream("search", ("key_search_web", "key_search_api"), "openai", "responses", "gpt-5-2025-08-07", 45, 4000,
           900, cache_hit=0.5, reasoning=0.6, tiers=(("flex", 0.15), ("priority", 0.05))),
    Stream("search", ("key_search_web",), "openai", "responses", "gpt-5-mini-2025-08-07", 90, 2500, 500,
           cache_hit=0.3, reasoning=0.5),
    Stream("search", ("key_search_web",), "google", "gemini", "gemini-2.5-flash", 110, 3500, 400, cache_hit=0.35,
           reasoning=0.4),
    Stream("search", ("key_search_api",), "anthropic", "messages", "claude-haiku-4-5-20251001", 25, 2200, 350,
           web_search=0.5),
    Stream("code-review", ("key_cr_ci",), "anthropic", "messages", "claude-opus-4-5-20251101", 12, 30000, 1500,
           cache_hit=0.7, write_1h=True),
    Stream("code-review", ("key_cr_ci",), "openai", "responses", "o3-2025-04-16", 8, 12000, 2500, cache_hit=0.2,
           reasoning=0.7),
    Stream("code-review", ("key_cr_ci",), "google", "gemini", "gemini-2.5-pro", 10, 60000, 1800, cache_hit=0.3,
           reasoning=0.5, long_context=0.15),
    Stream("analytics", ("key_etl",), "anthropic", "messages", "claude-haiku-4-5-20251001", 40, 5000, 600,
           cache_hit=0.5, batch=True),
    Stream("analytics", ("key_etl",), "openai", "chat", "gpt-4.1-mini-2025-04-14", 50, 6000, 800, batch=True),
    Stream("analytics", ("key_etl",), "google", "gemini", "gemini-2.5-flash-lite", 60, 2000, 300),
    Stream("internal-tools", (), "openai", "chat", "gpt-4.1-2025-04-14", 15, 2500, 600, cache_hit=0.25,
           enveloped=False),
)

_REPLY = "Thanks for reaching out! Here is what I found."


@dataclass
class DemoFiles:
    landing: Path
    first_day: date
    last_day: date
    requests: int = 0
    malformed_lines: int = 0
    files: list[Path] = field(default_factory=list)


def _day_factor(day: date, index: int, rng: random.Random) -> float:
    weekly = 0.45 if day.weekday() >= 5 else 1.0
    growth = 1.0 + 0.004 * index
    return weekly * growth * rng.uniform(0.85, 1.15)


def _timestamp(day: date, rng: random.Random) -> datetime:
    # Office hours dominate: a normal around 14:00 UTC, clipped to the day.
    seconds = min(max(rng.gauss(14 * 3600, 4 * 3600), 0), 86_399)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=int(seconds))


def _tier(stream: Stream, rng: random.Random) -> str:
    draw = rng.random()
    for tier, share in stream.tiers:
        if draw < share:
            return tier
        draw -= share
    return "standard"


def _sizes(stream: Stream, rng: random.Random) -> tuple[int, int, int, int]:
    """prompt (all input), cached share of it, output, reasoning part of output."""
    prompt = max(50, int(rng.lognormvariate(math.log(stream.prompt), 0.5)))
    if stream.long_context and rng.random() < stream.long_context:
        prompt = rng.randint(205_000, 420_000)
    cached = int(prompt * rng.uniform(0.7, 0.95)) if rng.random() < stream.cache_hit else 0
    output = max(5, int(rng.lognormvariate(math.log(stream.output), 0.6)))
    reasoning = int(output * rng.uniform(0.3, 0.8)) if rng.random() < stream.reasoning else 0
    return prompt, cached, output, reasoning


def _openai_chat(stream: Stream, rid: str, moment: datetime, rng: random.Random) -> dict[str, Any]:
    prompt, cached, output, reasoning = _sizes(stream, rng)
    tier = _tier(stream, rng)
    return {
        "id": f"chatcmpl-{rid}", "object": "chat.completion", "created": int(moment.timestamp()),
        "model": stream.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": _REPLY}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output,
                  "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": 0,
                                                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
        "service_tier": "default" if tier == "standard" else tier,
        "system_fingerprint": "fp_b663f05c2c",
    }


def _openai_responses(stream: Stream, rid: str, moment: datetime, rng: random.Random) -> dict[str, Any]:
    prompt, cached, output, reasoning = _sizes(stream, rng)
    tier = _tier(stream, rng)
    return {
        "id": f"resp_{rid}", "object": "response", "created_at": moment.timestamp(), "status": "completed",
        "model": stream.model, "service_tier": "default" if tier == "standard" else tier,
        "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": _REPLY}]}],
        "usage": {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
                  "output_tokens": output, "output_tokens_details": {"reasoning_tokens": reasoning},
                  "total_tokens": prompt + output},
    }


def _anthropic(stream: Stream, rid: str, rng: random.Random) -> dict[str, Any]:
    prompt, cached, output, _ = _sizes(stream, rng)
    # A cache hit reads the cached prefix; otherwise the prefix is written (first call of a conversation).
    if cached:
        read, write, uncached = cached, 0, prompt - cached
    elif stream.cache_hit:
        read, write = 0, int(prompt * 0.8)
        uncached = prompt - write
    else:
        read, write, uncached = 0, 0, prompt
    write_1h = write if stream.write_1h else 0
    usage: dict[str, Any] = {
        "input_tokens": uncached, "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
        "cache_creation": {"ephemeral_5m_input_tokens": write - write_1h, "ephemeral_1h_input_tokens": write_1h},
        "output_tokens": output,
        "service_tier": "batch" if stream.batch else "standard",
    }
    if stream.web_search:
        usage["server_tool_use"] = {"web_search_requests": int(rng.random() < stream.web_search) * rng.randint(1, 3),
                                    "web_fetch_requests": 0}
    return {"id": f"msg_{rid}", "type": "message", "role": "assistant", "model": stream.model,
            "content": [{"type": "text", "text": _REPLY}], "stop_reason": "end_turn", "usage": usage}


def _gemini(stream: Stream, rid: str, rng: random.Random) -> dict[str, Any]:
    prompt, cached, output, reasoning = _sizes(stream, rng)
    usage: dict[str, Any] = {"promptTokenCount": prompt, "candidatesTokenCount": output - reasoning,
                             "totalTokenCount": prompt + output,
                             "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]}
    if cached:
        usage["cachedContentTokenCount"] = cached
    if reasoning:
        usage["thoughtsTokenCount"] = reasoning
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": _REPLY}]}, "finishReason": "STOP"}],
            "usageMetadata": usage, "modelVersion": stream.model, "responseId": rid}


def _records(stream: Stream, day: date, count: int, rng: random.Random, serial: int) -> Iterator[dict[str, Any]]:
    for n in range(count):
        moment = _timestamp(day, rng)
        rid = f"{serial:06x}{n:05x}{rng.getrandbits(40):010x}"
        if stream.api == "chat":
            response = _openai_chat(stream, rid, moment, rng)
        elif stream.api == "responses":
            response = _openai_responses(stream, rid, moment, rng)
        elif stream.api == "messages":
            response = _anthropic(stream, rid, rng)
        else:
            response = _gemini(stream, rid, rng)
        if not stream.enveloped:
            yield response
            continue
        yield {"timestamp": moment.isoformat().replace("+00:00", "Z"), "provider": stream.provider,
               "project": stream.project, "api_key_id": rng.choice(stream.keys),
               "user_id": f"user-{rng.randint(1, 40)}", "batch": stream.batch, "response": response}


def _malformed(rng: random.Random) -> list[bytes]:
    return [
        b'{"timestamp": "2026-01-01T00:00:00Z", "provider": "openai", "response": {"id": "chatcmpl-trunc',
        orjson.dumps({"timestamp": "2026-01-01T00:00:00Z", "provider": "anthropic", "project": "support-bot",
                      "response": {"id": f"msg_neg{rng.getrandbits(24):x}", "type": "message",
                                   "model": "claude-haiku-4-5-20251001",
                                   "usage": {"input_tokens": -12, "output_tokens": 40}}}),
        orjson.dumps({"level": "info", "msg": "request finished", "latency_ms": 812}),
    ]


def generate(landing: Path, last_day: date, days: int = 90, seed: int = 7, scale: float = 1.0) -> DemoFiles:
    """Write `days` days of logs ending on `last_day` under `landing`, one file per source and month."""
    rng = random.Random(seed)
    first_day = last_day - timedelta(days=days - 1)
    result = DemoFiles(landing=landing, first_day=first_day, last_day=last_day)
    buckets: dict[Path, list[bytes]] = {}
    for index in range(days):
        day = first_day + timedelta(days=index)
        factor = _day_factor(day, index, rng)
        for serial, stream in enumerate(STREAMS):
            count = max(0, round(stream.per_day * factor * scale * rng.uniform(0.8, 1.2)))
            month = f"{day:%Y-%m}"
            if not stream.enveloped:
                path = landing / "openai" / "app-logs" / f"internal-tools-{month}.jsonl"
            elif stream.provider == "openai":
                path = landing / "openai" / f"{stream.api}-{month}.jsonl.gz"
            elif stream.provider == "anthropic":
                path = landing / "anthropic" / f"messages-{month}.jsonl"
            else:
                path = landing / "google" / f"gemini-{month}.jsonl.gz"
            lines = buckets.setdefault(path, [])
            lines.extend(orjson.dumps(record) for record in _records(stream, day, count, rng, serial * 1000 + index))
            result.requests += count
    anthropic_files = sorted(p for p in buckets if p.parent.name == "anthropic")
    if anthropic_files:
        target = buckets[anthropic_files[-1]]
        if target:
            # The same response logged twice (a retrying logger): it must count once.
            target.append(target[len(target) // 2])
        bad = _malformed(rng)
        for offset, line in enumerate(bad):
            target.insert(len(target) // (offset + 2), line)
        result.malformed_lines += len(bad)
    for path, lines in sorted(buckets.items()):
        if not lines:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = b"\n".join(lines) + b"\n"
        if path.suffix == ".gz":
            # mtime=0 keeps the bytes, and so the file ledger's sha256, identical between runs.
            path.write_bytes(gzip.compress(payload, mtime=0))
        else:
            path.write_bytes(payload)
        result.files.append(path)
    return result
