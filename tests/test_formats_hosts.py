"""Hosted and self-hosted model servers (shared/reference/provider-formats.md sections 1a streaming, 2a, 5a-5f).

OpenAI-compatible hosts go through the Chat Completions mapper, which names the host in `platform`; Cohere and Ollama
have their own formats (pipelines/ingest/formats/hosts.py). Canonical rows come from `parse_file` on real files;
costs come from one real pipeline run and are worked out by hand from pricing/<provider>.yaml (USD per 1M tokens).
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipelines.ingest.parse import FileResult
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import buckets, make_settings, parse_records, read, reasons, write_jsonl
from tests.reference_examples import ANTHROPIC_EXAMPLE, CHAT_EXAMPLE, Record

D = Decimal
SHA = "cd" * 32
RECORDED = Path(__file__).parent / "fixtures" / "recorded"
FILE_KEY = "cdcdcdcdcdcdcdcd"
SECRET = "SECRET-TEXT: the patient's diagnosis"

T_2025_03_10_12H = 1741608000  # 2025-03-10 12:00:00 UTC
T_2025_03_10_17H = 1741626000  # 2025-03-10 17:00:00 UTC
T_2026_03_10_12H = 1773144000  # 2026-03-10 12:00:00 UTC


def env(response: Record, timestamp: str = "2026-03-10T12:00:00Z", **extra: Any) -> Record:
    return {"timestamp": timestamp, "project": "proj", **extra, "response": copy.deepcopy(response)}


def parse(tmp_path: Path, name: str, records: list[Record]) -> tuple[list[Record], FileResult]:
    return parse_records(tmp_path, name, records, SHA)


# --- fixtures shaped like the reference examples ---------------------------------------------------

# Section 5d, verbatim.
GROQ: Record = {
    "id": "chatcmpl-f51b2cd2-bef7-417e-964e-a08f0b513c22", "object": "chat.completion", "created": 1730241104,
    "model": "llama-3.3-70b-versatile",
    "usage": {"queue_time": 0.037, "prompt_tokens": 18, "prompt_time": 0.000681, "completion_tokens": 556,
              "completion_time": 0.463, "total_tokens": 574, "total_time": 0.464},
    "x_groq": {"id": "req_01jbd6g2qdfw2adyrt2az8hz4w"},
}


def groq_stream(rid: str, created: int) -> list[Record]:
    """A Groq stream whose counts arrive only in x_groq.usage on the final chunk (section 5d)."""
    base = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": "llama-3.3-70b-versatile",
            "system_fingerprint": "fp_c5e684d2f4"}
    return [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
         "x_groq": {"id": "req_01jstream"}},
        {**base, "choices": [{"index": 0, "delta": {"content": SECRET}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
         "x_groq": {"id": "req_01jstream",
                    "usage": {"queue_time": 0.02, "prompt_tokens": 40, "prompt_time": 0.002,
                              "completion_tokens": 120, "completion_time": 0.1, "total_tokens": 160,
                              "total_time": 0.102}}},
    ]


TOGETHER: Record = {
    "id": "8f3a1c2b5d6e7f80-SJC", "object": "chat.completion", "created": T_2026_03_10_12H,
    "model": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": SECRET}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 100, "completion_tokens": 200, "total_tokens": 300},
}

FIREWORKS: Record = {
    "id": "9c1d4e2f-0b3a-4c5d-8e6f-7a8b9c0d1e2f", "object": "chat.completion", "created": T_2026_03_10_12H,
    "model": "accounts/fireworks/models/deepseek-v3p2",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": SECRET}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 2000, "completion_tokens": 400, "total_tokens": 2400,
              "prompt_tokens_details": {"cached_tokens": 1500}},
}

# Section 5b, verbatim (a 2023 response: before any Mistral price period in the catalogue).
MISTRAL: Record = {
    "id": "cmpl-e5cc70bb28c444948073e77776eb30ef", "object": "chat.completion", "created": 1702256327,
    "model": "mistral-large-latest", "usage": {"prompt_tokens": 16, "completion_tokens": 34, "total_tokens": 50},
}


def deepseek(rid: str, created: int, details: bool = True) -> Record:
    """1000 prompt tokens = 768 cache hits + 232 misses; newer responses repeat the hits in prompt_tokens_details."""
    usage: Record = {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500,
                     "prompt_cache_hit_tokens": 768, "prompt_cache_miss_tokens": 232}
    if details:
        usage["prompt_tokens_details"] = {"cached_tokens": 768}
    return {"id": rid, "object": "chat.completion", "created": created, "model": "deepseek-chat",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": SECRET}, "finish_reason": "stop"}],
            "usage": usage, "system_fingerprint": "fp_3a5770e1b4_prod0225"}


def vllm(rid: str, details: Record | None) -> Record:
    return {"id": rid, "object": "chat.completion", "created": T_2026_03_10_12H,
            "model": "meta-llama/Llama-3.1-8B-Instruct",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": SECRET}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 500, "completion_tokens": 50, "total_tokens": 550,
                      "prompt_tokens_details": details}, "prompt_logprobs": None}


FILTERS = {"hate": {"filtered": False, "severity": "safe"}, "self_harm": {"filtered": False, "severity": "safe"},
           "sexual": {"filtered": False, "severity": "safe"}, "violence": {"filtered": False, "severity": "safe"}}
# Section 5a: the OpenAI usage object plus Azure's content-filter results.
AZURE: Record = {
    **CHAT_EXAMPLE, "id": "chatcmpl-azure-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "service_tier": None,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": SECRET}, "finish_reason": "stop",
                 "content_filter_results": FILTERS}],
    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {**FILTERS,
                                                                             "jailbreak": {"filtered": False,
                                                                                           "detected": False}}}],
}


def azure_stream(rid: str, created: int) -> list[Record]:
    """An Azure stream with include_usage: an id-less first chunk with the prompt's filter results, content chunks
    rated per choice, and a usage chunk with `choices: []` (section 5a)."""
    base = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": "gpt-4o-2024-08-06",
            "system_fingerprint": "fp_ee1d74bde0"}
    return [
        {"choices": [], "created": 0, "id": "", "model": "", "object": "",
         "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": FILTERS}]},
        {**base, "choices": [{"index": 0, "delta": {"content": SECRET}, "finish_reason": None,
                              "content_filter_results": FILTERS}], "usage": None},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "content_filter_results": {}}],
         "usage": None},
        {**base, "choices": [], "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100,
                                          "prompt_tokens_details": {"cached_tokens": 0}}},
    ]


def openai_stream(rid: str, created: int) -> list[Record]:
    """Section 1a: with include_usage every chunk has `usage: null` but one extra last chunk with `choices: []`."""
    base = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": "gpt-4o-mini-2024-07-18",
            "system_fingerprint": "fp_0ba0d124f1", "service_tier": "default"}
    return [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
         "usage": None},
        {**base, "choices": [{"index": 0, "delta": {"content": SECRET}, "finish_reason": None}], "usage": None},
        {**base, "choices": [{"index": 0, "delta": {"content": " more"}, "finish_reason": None}], "usage": None},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None},
        {**base, "choices": [], "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
                                          "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
                                          "completion_tokens_details": {"reasoning_tokens": 0,
                                                                        "audio_tokens": 0}}},
    ]


def vllm_continuous_stream(rid: str) -> list[Record]:
    """vLLM with continuous_usage_stats: cumulative usage on every chunk (section 5f)."""
    base = {"id": rid, "object": "chat.completion.chunk", "created": T_2026_03_10_12H,
            "model": "meta-llama/Llama-3.1-8B-Instruct"}
    return [{**base, "choices": [{"index": 0, "delta": {"content": SECRET}, "finish_reason": None}],
             "usage": {"prompt_tokens": 300, "completion_tokens": done, "total_tokens": 300 + done}}
            for done in (1, 2, 3)]


def openrouter(rid: str, usage_extra: Record) -> Record:
    """Section 5e (1): inline usage accounting on a chat completion."""
    return {"id": rid, "provider": "OpenAI", "model": "openai/gpt-4o", "object": "chat.completion",
            "created": T_2026_03_10_12H,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": SECRET}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 194, "completion_tokens": 2, "total_tokens": 196,
                      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0}, **usage_extra}}


# Section 5c, verbatim.
COHERE_V2: Record = {
    "id": "c14c80c3-18eb-4519-9460-6c92edd8cfb4", "finish_reason": "COMPLETE",
    "message": {"role": "assistant", "content": [{"type": "text", "text": SECRET}]},
    "usage": {"billed_units": {"input_tokens": 17, "output_tokens": 33},
              "tokens": {"input_tokens": 216, "output_tokens": 33}, "cached_tokens": 0},
}
# v1 Chat: the same data under `meta`, floats as the SDK types them.
COHERE_V1: Record = {
    "response_id": "0d8c7a8e-3b1f-4a6c-9f2e-5d4b3a2c1e0f", "text": SECRET,
    "generation_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "chat_history": [{"role": "USER", "message": SECRET}],
    "finish_reason": "COMPLETE",
    "meta": {"api_version": {"version": "1"}, "billed_units": {"input_tokens": 6772.0, "output_tokens": 248.0},
             "tokens": {"input_tokens": 7596.0, "output_tokens": 645.0}},
}

# Section 5f, verbatim.
OLLAMA: Record = {
    "model": "llama3.2", "created_at": "2023-08-04T19:22:45.499127Z", "response": "", "done": True,
    "done_reason": "stop", "total_duration": 10706818083, "load_duration": 6338219291, "prompt_eval_count": 26,
    "prompt_eval_duration": 130079000, "eval_count": 259, "eval_duration": 4232710000,
}
# A newer /api/chat final object: a tagged model, a local offset with nanoseconds, a prompt-cache hit.
OLLAMA_CHAT: Record = {
    "model": "llama3.2:latest", "created_at": "2026-03-10T04:00:00.385406455-08:00",
    "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop",
    "total_duration": 2706818083, "load_duration": 38219291, "prompt_eval_count": 1200,
    "prompt_eval_cached_count": 1000, "prompt_eval_duration": 30079000, "eval_count": 80,
    "eval_duration": 1232710000,
}
OLLAMA_NO_PROMPT_COUNT: Record = {k: v for k, v in OLLAMA_CHAT.items()
                                  if k not in ("prompt_eval_count", "prompt_eval_cached_count",
                                               "prompt_eval_duration")}

VERTEX_CLAUDE: Record = {**ANTHROPIC_EXAMPLE, "id": "msg_vrtx_01XFDUDYJgAACzvnptvVoYEL",
                         "model": "claude-sonnet-4-5@20250929"}


# --- OpenAI-compatible hosts ------------------------------------------------------------------------


def test_groq_reference_example_and_stream_with_usage_only_in_x_groq(tmp_path: Path) -> None:
    # Outside a stream x_groq.usage is hardware cache statistics: never read when the standard usage exists.
    hardware = {**GROQ, "id": "chatcmpl-hw", "x_groq": {"id": "req_hw", "usage": {"dram_cached_tokens": 9000,
                                                                                    "sram_cached_tokens": 17}}}
    rows, result = parse(tmp_path, "groq.jsonl", [GROQ, *groq_stream("chatcmpl-stream", T_2025_03_10_12H), hardware])
    assert result.rejects == []
    assert result.skipped == 2  # the stream's first and content chunks
    example, final, hw = rows
    assert example["event_id"] == "openai:chatcmpl-f51b2cd2-bef7-417e-964e-a08f0b513c22"
    assert example["platform"] == "groq"
    assert example["model_raw"] == "llama-3.3-70b-versatile"
    assert example["event_time"] == datetime(2024, 10, 29, 22, 31, 44)  # created 1730241104
    # 18 prompt tokens, none cached; 556 completion; the float timings are not counts
    assert buckets(example) == (18, 0, 0, 556, 0)
    assert example["record_grain"] == "request"
    # the final chunk's x_groq.usage: 40 in, 120 out, one cumulative chunk row
    assert (final["platform"], final["record_grain"], buckets(final)) == ("groq", "chunk", (40, 0, 0, 120, 0))
    assert buckets(hw) == (18, 0, 0, 556, 0)


def test_together_fireworks_and_mistral_ids(tmp_path: Path) -> None:
    audio = {**MISTRAL, "id": "cmpl-voxtral", "model": "voxtral-small-2507",
             "usage": {"prompt_tokens": 400, "completion_tokens": 20, "total_tokens": 420,
                       "prompt_audio_seconds": 31}}
    rows, result = parse(tmp_path, "hosts.jsonl", [TOGETHER, FIREWORKS, MISTRAL, audio])
    assert result.rejects == []
    together, fireworks, mistral, voxtral = rows
    # Together's HF-style id says nothing of the host: the alias layer finds it in the together catalogue.
    assert (together["platform"], together["model_raw"]) == ("direct", "meta-llama/Llama-3.3-70B-Instruct-Turbo")
    assert buckets(together) == (100, 0, 0, 200, 0)
    # Fireworks: 2000 prompt of which 1500 cached -> 500 uncached
    assert (fireworks["platform"], buckets(fireworks)) == ("fireworks", (500, 1500, 0, 400, 0))
    # Mistral's `-latest` alias is kept as logged; 16 in, 34 out; created 1702256327 = 2023-12-11 00:58:47
    assert (mistral["platform"], mistral["model_raw"]) == ("mistral", "mistral-large-latest")
    assert mistral["event_time"] == datetime(2023, 12, 11, 0, 58, 47)
    assert buckets(mistral) == (16, 0, 0, 34, 0)
    # prompt_audio_seconds is seconds, not tokens: the 400 prompt tokens stay as they are
    assert (voxtral["platform"], voxtral["input_tokens"], voxtral["input_audio_tokens"]) == ("mistral", 400, 0)


def test_deepseek_cache_hits_and_misses(tmp_path: Path) -> None:
    broken = deepseek("ds-broken", T_2025_03_10_12H)
    broken["usage"]["prompt_cache_miss_tokens"] = 300  # 768 + 300 != 1000
    rows, result = parse(tmp_path, "deepseek.jsonl", [deepseek("ds-new", T_2025_03_10_12H),
                                                      deepseek("ds-old", T_2025_03_10_12H, details=False), broken])
    # with or without prompt_tokens_details: 768 cache reads, 1000 - 768 = 232 uncached (= the misses)
    assert [(row["platform"], buckets(row)) for row in rows] == [("deepseek", (232, 768, 0, 500, 0))] * 2
    assert reasons(result) == [(3, "usage.prompt_cache_hit_tokens (768) plus usage.prompt_cache_miss_tokens (300)"
                                   " is not usage.prompt_tokens (1000), which DeepSeek defines as their sum")]


def test_vllm_with_and_without_prompt_tokens_details(tmp_path: Path) -> None:
    rows, result = parse(tmp_path, "vllm.jsonl", [vllm("chatcmpl-v1", None), vllm("chatcmpl-v2",
                                                                                    {"cached_tokens": 384})])
    assert result.rejects == []
    # details null (the server default): all 500 prompt tokens uncached; with details 500 - 384 = 116
    assert [buckets(row) for row in rows] == [(500, 0, 0, 50, 0), (116, 384, 0, 50, 0)]
    assert {row["platform"] for row in rows} == {"direct"}  # vLLM does not name itself: an envelope `platform` may


def test_azure_chat_and_stream(tmp_path: Path) -> None:
    only_choices = {k: v for k, v in AZURE.items() if k != "prompt_filter_results"} | {"id": "chatcmpl-az-2"}
    stream = [env(chunk, platform="azure") for chunk in azure_stream("chatcmpl-az-stream", T_2025_03_10_12H)]
    rows, result = parse(tmp_path, "azure.jsonl", [AZURE, only_choices, *stream])
    assert result.rejects == []
    assert result.skipped == 3  # the id-less filter chunk and two chunks without usage
    chat, per_choice, usage_chunk = rows
    # same usage object as OpenAI: 2006 - 1920 cached = 86 uncached, 300 out; service_tier null is standard
    assert (chat["platform"], chat["service_tier"], buckets(chat)) == ("azure", "standard", (86, 1920, 0, 300, 0))
    assert per_choice["platform"] == "azure"
    # The usage chunk has `choices: []` and no filter results: only the envelope says azure.
    assert (usage_chunk["platform"], usage_chunk["record_grain"]) == ("azure", "chunk")
    assert buckets(usage_chunk) == (1000, 0, 0, 100, 0)


def test_openai_stream_one_row_from_the_usage_chunk(tmp_path: Path) -> None:
    rows, result = parse(tmp_path, "stream.jsonl", openai_stream("chatcmpl-stream-1", T_2026_03_10_12H))
    assert result.rejects == []
    assert result.skipped == 4
    (row,) = rows
    # 1200 prompt - 1024 cached = 176 uncached; 300 out
    assert (row["event_id"], row["record_grain"], row["platform"]) == ("openai:chatcmpl-stream-1", "chunk",
                                                                       "direct")
    assert (row["source_line"], buckets(row)) == (5, (176, 1024, 0, 300, 0))


def test_openrouter_inline_cost(tmp_path: Path) -> None:
    rows, result = parse(tmp_path, "openrouter.jsonl", [
        openrouter("gen-1741608000-aBcDeFgHiJkLmNoPqRsT", {"cost": 0.000505, "is_byok": False,
                                                            "cost_details": {"upstream_inference_cost": 0.000505}}),
        openrouter("gen-byok", {"cost": 0.0000253, "is_byok": True,
                                "cost_details": {"upstream_inference_cost": 0.000505}}),
        openrouter("gen-byok-no-upstream", {"cost": 0.0000253, "is_byok": True}),
        openrouter("gen-no-accounting", {}),
        openrouter("gen-bad", {"cost": "0.1"}),
    ])
    assert [row["platform"] for row in rows] == ["openrouter"] * 4  # a gen- id is OpenRouter's, cost or not
    # credits are USD; BYOK: OpenRouter's fee 0.0000253 + the provider's 0.000505 = 0.0005303; BYOK without the
    # upstream figure, or no accounting at all: unknown
    assert [row["reported_cost_usd"] for row in rows] == [D("0.000505"), D("0.0005303"), None, None]
    assert buckets(rows[0]) == (194, 0, 0, 2, 0)
    assert reasons(result) == [(5, "field usage.cost is not a number: '0.1'")]


# --- Anthropic on Vertex, Anthropic streams --------------------------------------------------------------


def test_claude_on_vertex_and_anthropic_stream_events(tmp_path: Path) -> None:
    start = {"type": "message_start", "message": {
        "id": "msg_stream", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
        "content": [], "usage": {"input_tokens": 21, "cache_read_input_tokens": 18432, "output_tokens": 1}}}
    events = [start,
              {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
              {"type": "ping"},
              {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": SECRET}},
              {"type": "content_block_stop", "index": 0},
              {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
               "usage": {"output_tokens": 512, "input_tokens": 21, "cache_read_input_tokens": 18432}},
              {"type": "message_stop"}]
    rows, result = parse(tmp_path, "claude.jsonl", [env(VERTEX_CLAUDE, provider="anthropic"),
                                                    *[env(event) for event in events]])
    vertex, stream = rows
    # Anthropic buckets as logged: 21 uncached, 18432 read, 1200 written (5m), 512 out
    assert (vertex["platform"], vertex["provider"], buckets(vertex)) == ("vertex", "anthropic",
                                                                         (21, 18432, 1200, 512, 0))
    assert vertex["model_raw"] == "claude-sonnet-4-5@20250929"
    # The stream is one request on its start's line: the start's id and model, the delta's final usage
    assert (stream["event_id"], stream["source_line"], stream["model_raw"]) == (
        "anthropic:msg_stream", 2, "claude-sonnet-4-5-20250929")
    assert buckets(stream) == (21, 18432, 0, 512, 0)
    # content_block_start, ping, content_block_delta, content_block_stop, message_stop, and the paired delta
    assert (result.skipped, reasons(result)) == (6, [])


def test_anthropic_stream_pairs_and_the_cases_that_cannot_pair(tmp_path: Path) -> None:
    def start(message_id: str, **usage: int) -> dict:
        return {"type": "message_start", "message": {"id": message_id, "type": "message", "role": "assistant",
                                                      "model": "claude-sonnet-4-20250514", "content": [],
                                                      "usage": {"input_tokens": 2068, "output_tokens": 8, **usage}}}

    def delta(**usage: int) -> dict:
        return {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": usage}

    rows, result = parse(tmp_path, "stream.jsonl", [env(event) for event in [
        # A web search: the final input count (the results fed back) and the searches are in the delta only.
        start("msg_search"), delta(input_tokens=22397, output_tokens=637,
                                   server_tool_use={"web_search_requests": 2}),  # type: ignore[arg-type]
        # An older delta carries the output count only: the start's input and cache counts stand.
        start("msg_old", cache_read_input_tokens=1000), delta(output_tokens=50),
        delta(output_tokens=9),  # no start before it
        start("msg_cut"),  # another stream starts before this one's delta
        start("msg_last"),  # the file ends before its delta
    ]])
    assert [(row["event_id"], row["source_line"], buckets(row), row["web_search_requests"]) for row in rows] == [
        ("anthropic:msg_search", 1, (22397, 0, 0, 637, 0), 2),
        ("anthropic:msg_old", 3, (2068, 1000, 0, 50, 0), 0),
    ]
    cut = "has no message_delta, so its final output count is unknown"
    assert reasons(result) == [
        (5, "Anthropic message_delta without a message_start before it: the message it finishes is unknown"),
        (6, f"Anthropic stream cut off: the message_start on line 6 {cut}"),
        (7, f"Anthropic stream cut off: the message_start on line 7 {cut}"),
    ]
    assert result.skipped == 2

    # The delta's final cache-write total without its split keeps the start's TTL if it had one only
    split = {"cache_creation_input_tokens": 3068, "cache_creation": {"ephemeral_5m_input_tokens": 3068,
                                                                      "ephemeral_1h_input_tokens": 0}}
    both = {"cache_creation_input_tokens": 300, "cache_creation": {"ephemeral_5m_input_tokens": 100,
                                                                    "ephemeral_1h_input_tokens": 200}}
    rows, result = parse(tmp_path, "writes.jsonl", [env(event) for event in [
        start("msg_5m", **split), delta(output_tokens=198, cache_creation_input_tokens=3337),  # type: ignore[arg-type]
        start("msg_both", **both), delta(output_tokens=5, cache_creation_input_tokens=400),  # type: ignore[arg-type]
    ]])
    assert [(row["event_id"], row["cache_write_5m_tokens"], row["cache_write_1h_tokens"]) for row in rows] == [
        ("anthropic:msg_5m", 3337, 0)]
    assert reasons(result) == [(3, "Anthropic message_delta changes cache_creation_input_tokens without its 5m/1h"
                                   " split, and the message_start wrote with both")]


# --- Cohere -----------------------------------------------------------------------------------------


def test_cohere_v2_and_v1(tmp_path: Path) -> None:
    rerank = {"id": "rr-1", "results": [{"index": 0, "relevance_score": 0.9}],
              "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1.0}}}
    fractional = copy.deepcopy(COHERE_V2)
    fractional["usage"]["billed_units"]["input_tokens"] = 17.5
    rows, result = parse(tmp_path, "cohere.jsonl", [
        env(COHERE_V2, "2025-09-01T12:00:00Z", provider="cohere", model="command-a-03-2025"),
        env(COHERE_V1, "2025-09-01T12:00:00+02:00", model="command-r-08-2024"),
        env(rerank, model="rerank-v3.5"),
        COHERE_V2,  # no envelope: neither a time nor a model
        env(COHERE_V2),  # a time but no model
        env(fractional, model="command-a-03-2025"),
        env({**COHERE_V2, "usage": {"tokens": {"input_tokens": 216, "output_tokens": 33}, "billed_units": None}},
            model="command-a-03-2025"),
    ])
    v2, v1, rr = rows
    # priced on billed_units: 17 in (not the 216 template-inclusive tokens), 33 out; cached_tokens is not read
    assert (v2["provider"], v2["platform"], v2["source_format"]) == ("cohere", "direct", "cohere_chat")
    assert (v2["event_id"], v2["model_raw"], buckets(v2)) == (
        "cohere:c14c80c3-18eb-4519-9460-6c92edd8cfb4", "command-a-03-2025", (17, 0, 0, 33, 0))
    assert v2["event_time"] == datetime(2025, 9, 1, 12, 0)
    # v1: meta.billed_units floats 6772.0 / 248.0 as integers; keyed by response_id; +02:00 is 10:00 UTC
    assert (v1["event_id"], buckets(v1)) == ("cohere:0d8c7a8e-3b1f-4a6c-9f2e-5d4b3a2c1e0f", (6772, 0, 0, 248, 0))
    assert v1["event_time"] == datetime(2025, 9, 1, 10, 0)
    # rerank bills search units only: the row is kept with no tokens
    assert buckets(rr) == (0, 0, 0, 0, 0)
    assert reasons(result) == [
        (4, "no timestamp: the record has none and no envelope `timestamp` was given"),
        (5, "missing field model: the record names none; give the envelope a `model`"),
        (6, "field usage.billed_units.input_tokens is not an integer: 17.5"),
        (7, "missing field usage.billed_units"),
    ]


# --- Ollama -----------------------------------------------------------------------------------------


def test_ollama_final_objects(tmp_path: Path) -> None:
    chunk = {"model": "llama3.2:latest", "created_at": "2026-03-10T12:00:00.1Z", "response": SECRET, "done": False}
    load = {"model": "llama3.2:latest", "created_at": "2026-03-10T12:00:00Z", "response": "", "done": True,
            "done_reason": "load"}
    bad_cache = {**OLLAMA_CHAT, "prompt_eval_cached_count": 1300}
    rows, result = parse(tmp_path, "ollama.jsonl", [chunk, OLLAMA, OLLAMA_CHAT, OLLAMA_NO_PROMPT_COUNT, load,
                                                    bad_cache, {**OLLAMA, "eval_count": None}])
    assert result.skipped == 2
    example, chat, unknown = rows
    assert (example["provider"], example["platform"], example["source_format"]) == ("ollama", "ollama", "ollama")
    # no id: keyed by file and line
    assert example["event_id"] == f"ollama:{FILE_KEY}:2"
    assert (example["model_raw"], example["event_time"]) == ("llama3.2", datetime(2023, 8, 4, 19, 22, 45, 499127))
    assert (buckets(example), example["input_unknown"]) == ((26, 0, 0, 259, 0), False)
    # 04:00:00.385406455 at -08:00 is 12:00:00.385406 UTC (nanoseconds cut); 1200 prompt - 1000 cached = 200
    assert chat["event_time"] == datetime(2026, 3, 10, 12, 0, 0, 385406)
    assert (chat["model_raw"], buckets(chat)) == ("llama3.2:latest", (200, 1000, 0, 80, 0))
    # prompt_eval_count missing: input unknown, not 0
    assert (buckets(unknown), unknown["input_unknown"]) == ((0, 0, 0, 80, 0), True)
    assert reasons(result) == [
        (6, "negative token count in input: prompt_eval_count (1200) is less than prompt_eval_cached_count (1300)"),
        (7, "missing field eval_count"),
    ]


# --- one pipeline run -------------------------------------------------------------------------------

EXPECTED: dict[str, tuple[str, str, Decimal | None]] = {
    # Groq llama-3.3-70b-versatile (groq.yaml from 2024-12-06): 18 x 0.59 + 556 x 0.79 = 10.62 + 439.24
    "openai:chatcmpl-groq-2025": ("groq", "priced", D("0.00044986")),
    # the Groq stream's x_groq.usage: 40 x 0.59 + 120 x 0.79 = 23.6 + 94.8
    "openai:chatcmpl-groq-stream": ("groq", "priced", D("0.0001184")),
    # deepseek-chat at 12:00 UTC on 2025-03-10 (period from 2025-02-26, peak): 232 x 0.27 + 768 x 0.07 + 500 x 1.10
    # = 62.64 + 53.76 + 550
    "openai:ds-peak": ("deepseek", "priced", D("0.0006664")),
    # the same at 17:00 UTC, inside the 16:30-00:30 off_peak window: 232 x 0.135 + 768 x 0.035 + 500 x 0.55
    # = 31.32 + 26.88 + 275
    "openai:ds-off-peak": ("deepseek", "priced", D("0.0003332")),
    # Cohere command-a-03-2025 (from 2025-03-13): billed 17 x 2.50 + 33 x 10 = 42.5 + 330
    "cohere:c14c80c3-18eb-4519-9460-6c92edd8cfb4": ("cohere", "priced", D("0.0003725")),
    # Cohere command-r-08-2024 (from 2024-08-30): 6772 x 0.15 + 248 x 0.60 = 1015.8 + 148.8
    "cohere:0d8c7a8e-3b1f-4a6c-9f2e-5d4b3a2c1e0f": ("cohere", "priced", D("0.0011646")),
    # Claude on Vertex, claude-sonnet-4-5 (vertex.yaml 2025-09-29..2026-04-30, global endpoint): 21 x 3
    # + 1200 x 3.75 (5m) + 18432 x 0.30 + 512 x 15 = 63 + 4500 + 5529.6 + 7680 = 17772.6 -> 0.0177726, + 1 web
    # search x $10/1000 = 0.01
    "anthropic:msg_vrtx_01XFDUDYJgAACzvnptvVoYEL": ("vertex", "priced", D("0.0277726")),
    # Azure gpt-4o-2024-08-06 (azure.yaml gpt-4o from 2024-08-06): 86 x 2.50 + 1920 x 1.25 + 300 x 10
    # = 215 + 2400 + 3000
    "openai:chatcmpl-azure-B9MBs8CjcvOU2jLn4n570S5qMJKcT": ("azure", "priced", D("0.005615")),
    # OpenAI gpt-4o-mini stream, last chunk only: 176 x 0.15 + 1024 x 0.075 + 300 x 0.60 = 26.4 + 76.8 + 180
    "openai:chatcmpl-stream-1": ("openai", "priced", D("0.0002832")),
    # OpenRouter openai/gpt-4o at OpenAI's list price: 194 x 2.50 + 2 x 10 = 485 + 20
    "openai:gen-1741608000-aBcDeFgHiJkLmNoPqRsT": ("openai", "priced", D("0.000505")),
    # Fireworks deepseek-v3p2: 500 x 0.56 + 1500 x 0.28 + 400 x 1.68 = 280 + 420 + 672
    "openai:9c1d4e2f-0b3a-4c5d-8e6f-7a8b9c0d1e2f": ("fireworks", "priced", D("0.001372")),
    # Together Llama 3.3 70B Turbo: (100 + 200) x 0.88
    "openai:8f3a1c2b5d6e7f80-SJC": ("together", "priced", D("0.000264")),
    # mistral-large-latest in 2026 (period from 2025-12-02): 16 x 0.50 + 34 x 1.50 = 8 + 51
    "openai:cmpl-mistral-2026": ("mistral", "priced", D("0.000059")),
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("hosts"))
    landing = settings.landing
    write_jsonl(landing / "groq.jsonl", [{**GROQ, "id": "chatcmpl-groq-2025", "created": T_2025_03_10_12H},
                                         *groq_stream("chatcmpl-groq-stream", T_2025_03_10_12H)])
    write_jsonl(landing / "deepseek.jsonl", [deepseek("ds-peak", T_2025_03_10_12H),
                                             deepseek("ds-off-peak", T_2025_03_10_17H, details=False)])
    write_jsonl(landing / "cohere.jsonl", [
        env(COHERE_V2, "2025-09-01T12:00:00Z", provider="cohere", model="command-a-03-2025"),
        env(COHERE_V1, "2025-09-01T12:00:00Z", model="command-r-08-2024"),
    ])
    write_jsonl(landing / "vertex.jsonl", [env(VERTEX_CLAUDE)])
    write_jsonl(landing / "azure.jsonl", [AZURE])
    write_jsonl(landing / "stream.jsonl", [*openai_stream("chatcmpl-stream-1", T_2026_03_10_12H),
                                           *vllm_continuous_stream("chatcmpl-vllm-stream")])
    write_jsonl(landing / "openrouter.jsonl", [
        openrouter("gen-1741608000-aBcDeFgHiJkLmNoPqRsT", {"cost": 0.000505, "is_byok": False})])
    write_jsonl(landing / "compatible.jsonl", [FIREWORKS, TOGETHER,
                                               {**MISTRAL, "id": "cmpl-mistral-2026", "created": T_2026_03_10_12H}])
    write_jsonl(landing / "ollama.jsonl", [OLLAMA_CHAT, OLLAMA_NO_PROMPT_COUNT])
    run_pipeline(settings)
    return settings


@pytest.fixture(scope="module")
def priced(settings: Settings) -> dict[str, tuple[Any, ...]]:
    rows = read(settings, "SELECT event_id, price_provider, cost_status, list_cost_usd, platform, reported_cost_usd,"
                          " input_tokens, output_tokens, record_grain FROM core.usage_priced")
    return {row[0]: row[1:] for row in rows}


def test_hosts_priced_by_hand(priced: dict[str, tuple[Any, ...]]) -> None:
    for event_id, (book, status, cost) in EXPECTED.items():
        assert event_id in priced, event_id
        assert priced[event_id][:3] == (book, status, cost), event_id


def test_streams_keep_one_event_with_the_final_counts(priced: dict[str, tuple[Any, ...]]) -> None:
    # the OpenAI stream: one event, the usage chunk's 176 uncached and 300 out
    assert priced["openai:chatcmpl-stream-1"][5:] == (176, 300, "chunk")
    # vLLM continuous usage: three cumulative chunks, one event with the last one's 3 output tokens (never 1+2+3)
    assert priced["openai:chatcmpl-vllm-stream"][5:] == (300, 3, "chunk")
    ollama = {event_id for event_id in priced if event_id.startswith("ollama:")}
    assert set(priced) == set(EXPECTED) | {"openai:chatcmpl-vllm-stream"} | ollama


def test_platforms_reported_costs_and_self_hosted(settings: Settings, priced: dict[str, tuple[Any, ...]]) -> None:
    assert priced["openai:gen-1741608000-aBcDeFgHiJkLmNoPqRsT"][3:5] == ("openrouter", D("0.000505"))
    assert priced["anthropic:msg_vrtx_01XFDUDYJgAACzvnptvVoYEL"][3] == "vertex"
    # No catalogue prices Ollama: both rows stay visible as unpriced, keyed by file and line (no id), and the one
    # without prompt_eval_count keeps its input marked unknown.
    ollama = read(settings, "SELECT e.event_id, e.input_unknown, e.input_tokens, p.cost_status, p.platform"
                            " FROM core.usage_events e JOIN core.usage_priced p USING (event_id)"
                            " WHERE e.provider = 'ollama' ORDER BY e.source_line")
    assert [row[1:] for row in ollama] == [(False, 200, "unpriced_model", "ollama"),
                                           (True, 0, "unpriced_model", "ollama")]
    assert [row[0].rsplit(":", 1)[1] for row in ollama] == ["1", "2"]


def test_every_record_is_a_row_or_a_skip(settings: Settings) -> None:
    assert read(settings, "SELECT count(*) FROM raw.rejects") == [(0,)]
    # groq: 2 stream chunks without usage; stream.jsonl: the OpenAI stream's 4 chunks without usage
    skipped = read(settings, "SELECT source_file, records_skipped FROM raw.file_ledger WHERE records_skipped > 0"
                             " ORDER BY source_file")
    assert [(Path(name).name, count) for name, count in skipped] == [("groq.jsonl", 2), ("stream.jsonl", 4)]


def test_no_message_text_reaches_the_warehouse(settings: Settings) -> None:
    assert SECRET.encode() not in settings.warehouse.read_bytes()


def test_ollama_openai_compatible_ids_repeat_so_they_are_not_the_dedup_key(tmp_path: Path) -> None:
    # Ollama's /v1/chat/completions numbers ids chatcmpl-0 .. chatcmpl-998 and marks itself fp_ollama: two different
    # requests on two days may share an id, and both must count.
    first = {"id": "chatcmpl-417", "object": "chat.completion", "created": 1759665600, "model": "llama3.2:latest",
             "system_fingerprint": "fp_ollama",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "..."}}],
             "usage": {"prompt_tokens": 26, "completion_tokens": 259, "total_tokens": 285}}
    second = {**first, "created": 1759752000, "usage": {"prompt_tokens": 30, "completion_tokens": 10,
                                                        "total_tokens": 40}}
    rows, result = parse(tmp_path, "ollama-v1.jsonl", [first, second])
    assert result.rejects == []
    assert [(r["platform"], r["input_tokens"], r["output_tokens"]) for r in rows] == [
        ("ollama", 26, 259), ("ollama", 30, 10)]
    assert len({r["event_id"] for r in rows}) == 2


def test_a_realtime_session_logged_event_by_event(tmp_path: Path) -> None:
    """The recorded `response.done` (tests/fixtures/recorded/openai) between other server events of its session;
    those other events, the cancelled response and the error are written here in the API reference's shapes, for
    a whole session's log no recording here holds."""
    done = orjson.loads((RECORDED / "openai" / "realtime_ws_response_done_cached_audio_tokens.json").read_bytes())
    cancelled = {"type": "response.done", "event_id": "event_c", "response": {
        "object": "realtime.response", "id": "resp_c", "status": "cancelled", "output": [], "usage": None}}
    events = [
        {"type": "session.created", "event_id": "event_1", "session": {"model": "gpt-realtime"}},
        {"type": "input_audio_buffer.speech_started", "event_id": "event_2", "audio_start_ms": 100},
        {"type": "response.output_audio.delta", "event_id": "event_3", "delta": SECRET},
        done,
        cancelled,
        {"type": "error", "event_id": "event_4", "error": {"type": "invalid_request_error", "message": SECRET}},
    ]
    rows, result = parse(tmp_path, "realtime.jsonl", [env(event, model="gpt-realtime") for event in events])
    # 139 input = 43 text + 96 audio, of which 64 audio are cached; 61 output = 18 text + 43 audio.
    assert [(row["event_id"], row["source_line"], row["model_raw"], row["input_tokens"], row["cache_read_tokens"],
             row["input_audio_tokens"], row["output_tokens"], row["output_audio_tokens"]) for row in rows] == [
        ("openai:resp_E8qoyE3eACWZXQPJtoJjw", 4, "gpt-realtime", 43, 64, 32, 18, 43)]
    assert (result.rejects, result.skipped) == ([], 5)
    # A bare event is read as its response too, which names no time and no model: a reject saying what to add.
    rows, result = parse(tmp_path, "bare.jsonl", [done, env(done)])
    assert rows == [] and reasons(result) == [
        (1, "no timestamp: the record has none and no envelope `timestamp` was given"),
        (2, "missing field model: the record names none; give the envelope a `model`")]


def test_cohere_v2_stream_pairs_and_the_cases_that_cannot_pair(tmp_path: Path) -> None:
    """Cohere's v2 chat stream (recorded: tests/fixtures/recorded/cohere); the unpaired cases are written here."""
    recorded = [orjson.loads(line) for line in
                (RECORDED / "cohere" / "chat_v2_stream_tool_call_vercel.jsonl").read_bytes().splitlines()]
    start = {"id": "c2", "type": "message-start", "delta": {"message": {"role": "assistant"}}}
    end = {"type": "message-end", "delta": {"finish_reason": "COMPLETE",
                                            "usage": {"billed_units": {"input_tokens": 5, "output_tokens": 7}}}}
    events = [*recorded, end, start, {"type": "content-delta", "delta": {"message": {"content": {"text": SECRET}}}}]
    rows, result = parse(tmp_path, "cohere.jsonl", [env(event, model="command-a-03-2025") for event in events])
    assert [(row["event_id"], row["source_line"], row["input_tokens"], row["output_tokens"]) for row in rows] == [
        ("cohere:2941521a-b87a-45f6-9b0d-235fd66c3025", 1, 119, 44),  # billed units, not the 1,549/95 tokens
        (f"cohere:{FILE_KEY}:48", 48, 5, 7),  # an end with no start: no id, keyed by its line
    ]
    assert reasons(result) == [(49, "Cohere stream cut off: the message-start on line 49 has no message-end, which"
                                    " holds the billed units")]
    assert result.skipped == 46 + 1
