"""Gateway and observability exports: OpenRouter generation stats, LiteLLM spend logs, Langfuse observations and
OpenTelemetry GenAI spans (shared/reference/provider-formats.md sections 5e, 6a, 6b, 7 and the Addendum).

Fixtures are real files in tmp_path shaped like the reference examples (copied verbatim where the reference gives
one); canonical rows come from `parse_file`, costs from one real pipeline run, each worked out by hand from the
rates in pricing/<provider>.yaml (USD per 1M tokens).
"""

from __future__ import annotations

import copy
import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from pipelines.ingest.files import compression_of
from pipelines.ingest.formats import gateways, otel
from pipelines.ingest.parse import FileResult, parse_file
from pipelines.ingest.registry import detect
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import make_settings, read
from tests.reference_examples import ANTHROPIC_EXAMPLE, CHAT_EXAMPLE, GEMINI_EXAMPLE, RESPONSES_EXAMPLE

Record = dict[str, Any]
D = Decimal
SHA = "cd" * 32
MARKER = "MARKER-PROMPT-7f1c: my bank password is hunter2"

# --- reference examples, verbatim -----------------------------------------------------------------------------

# Section 5e: GET /api/v1/generation.
OPENROUTER_EXAMPLE: Record = {"data": {
    "id": "gen-3bhGkxlo4XFrqiabUM7NDtwDzWwG", "upstream_id": "chatcmpl-791bcf62-080e-4568-87d0-94c72e3b4946",
    "created_at": "2024-07-15T23:33:19.433273+00:00", "model": "anthropic/claude-sonnet-4",
    "provider_name": "Anthropic", "total_cost": 0.0015, "cache_discount": 0.0002, "upstream_inference_cost": 0.0012,
    "usage": 0.0015, "is_byok": False, "tokens_prompt": 10, "tokens_completion": 25, "native_tokens_prompt": 10,
    "native_tokens_completion": 25, "native_tokens_reasoning": 5, "native_tokens_cached": 3, "num_media_prompt": 1,
    "num_search_results": 5, "latency": 1250, "generation_time": 1200, "streamed": True, "cancelled": False,
    "finish_reason": "stop", "origin": "https://openrouter.ai/"}}

# Section 6a: a LiteLLM_SpendLogs row.
LITELLM_EXAMPLE: Record = {
    "request_id": "chatcmpl-0c4f2b2e-6f0d-4d1e-9a1b-3f1f2d9c8e77", "call_type": "acompletion",
    "api_key": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
    "spend": 0.0103226, "total_tokens": 19665, "prompt_tokens": 19653, "completion_tokens": 12,
    "startTime": "2025-10-05T12:00:01.123Z", "endTime": "2025-10-05T12:00:03.456Z",
    "completionStartTime": "2025-10-05T12:00:02.001Z",
    "model": "claude-sonnet-4-5-20250929", "model_group": "claude-sonnet", "custom_llm_provider": "anthropic",
    "api_base": "https://api.anthropic.com/v1/messages",
    "user": "", "end_user": "customer-42", "team_id": "team-search", "cache_hit": "False", "cache_key": "",
    "request_tags": ["prod"],
    "metadata": {"user_api_key_alias": "search-svc", "user_api_key_team_id": "team-search",
                 "additional_usage_values": {"cache_read_input_tokens": 18432, "cache_creation_input_tokens": 1200},
                 "status": "success"}}

# Section 6b: a Langfuse generation.
LANGFUSE_EXAMPLE: Record = {
    "id": "obs-7f3c", "traceId": "trace-91a2", "type": "GENERATION", "name": "chat",
    "startTime": "2025-10-05T12:00:01.123Z", "endTime": "2025-10-05T12:00:03.456Z", "model": "gpt-4o-2024-08-06",
    "internalModelId": "clzjr85f70000ymmzg7hqffra",
    "usageDetails": {"input": 86, "input_cached_tokens": 1920, "output": 300, "total": 2306},
    "costDetails": {"input": 0.000215, "input_cached_tokens": 0.0024, "output": 0.003, "total": 0.005615},
    "environment": "default"}

NO_EXTRAS: Record = {"input_audio_tokens": 0, "output_audio_tokens": 0, "input_image_tokens": 0,
                     "output_image_tokens": 0, "cache_storage_token_hours": D(0), "hardware": None,
                     "compute_seconds": D(0), "requests": 1,
                     "record_grain": "request", "context_tier": None, "input_unknown": False, "is_batch": False,
                     "endpoint_scope": None, "web_search_requests": 0, "cache_write_1h_tokens": 0}


# --- helpers --------------------------------------------------------------------------------------------------


def jsonl(*records: Record) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def parse(path: Path) -> tuple[list[Record], FileResult]:
    result = FileResult(source_file=path.name)
    tables = [table for kind, table in parse_file(path, compression_of(path), SHA, result) if kind == "usage"]
    return (pa.concat_tables(tables).to_pylist() if tables else []), result


def write(path: Path, payload: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return path


def reasons(result: FileResult) -> dict[str | None, str]:
    return {reject.source_record: reject.reason for reject in result.rejects}


def generation(gid: str, created_at: str, model: str, prompt: int, cached: int, completion: int, reasoning: int,
               cost: float, **extra: Any) -> Record:
    return {"id": gid, "upstream_id": f"up-{gid}", "created_at": created_at, "model": model,
            "provider_name": "Anthropic", "total_cost": cost, "usage": cost, "is_byok": False,
            "tokens_prompt": prompt + 7, "tokens_completion": completion + 3, "native_tokens_prompt": prompt,
            "native_tokens_completion": completion, "native_tokens_reasoning": reasoning,
            "native_tokens_cached": cached, "num_search_results": 0, "streamed": False, "cancelled": False,
            "finish_reason": "stop", "origin": "https://app.example/", **extra}


def spend_log(rid: str, **changes: Any) -> Record:
    record = copy.deepcopy(LITELLM_EXAMPLE)
    record["request_id"] = rid
    record.update(changes)
    return record


def observation(oid: str, usage: Record, model: str = "claude-sonnet-4-5-20250929", **extra: Any) -> Record:
    return {"id": oid, "traceId": "trace-1", "type": "GENERATION", "name": "llm",
            "startTime": "2025-10-05T12:00:01.123Z", "endTime": "2025-10-05T12:00:02.000Z", "model": model,
            "usageDetails": usage, "costDetails": {}, "input": {"messages": [MARKER]}, "output": MARKER, **extra}


def attr(key: str, value: Any) -> Record:
    """An OTLP/JSON attribute: ints are JSON strings in `intValue`."""
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": value}}


def span(span_id: str, start_ns: int, attributes: dict[str, Any], name: str = "chat") -> Record:
    return {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": span_id, "parentSpanId": "eee19b7ec3c1b173",
            "name": name, "kind": 3, "startTimeUnixNano": str(start_ns), "endTimeUnixNano": str(start_ns + 10**9),
            "attributes": [attr(key, value) for key, value in attributes.items()],
            "events": [{"timeUnixNano": str(start_ns), "name": "gen_ai.content.prompt",
                        "attributes": [attr("gen_ai.prompt", MARKER)]}],
            "status": {}}


def resource_spans(service: str, *spans: Record) -> Record:
    return {"resource": {"attributes": [attr("service.name", service), attr("telemetry.sdk.language", "python")]},
            "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.openai", "version": "0.44.0"},
                            "spans": list(spans)}]}


# 2025-10-05 12:00:01.123456789 UTC in nanoseconds.
T_NS = 1759665601_123456789

OPENAI_SPAN = span("051581bf3cb55c13", T_NS, {
    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.response.id": "chatcmpl-otel-1",
    "gen_ai.usage.input_tokens": 2006, "gen_ai.usage.cache_read.input_tokens": 1920,
    "gen_ai.usage.output_tokens": 300, "gen_ai.usage.reasoning.output_tokens": 0,
    "openai.response.service_tier": "default", "user.id": "u-77",
    "gen_ai.input.messages": orjson.dumps([{"role": "user", "parts": [{"type": "text", "content": MARKER}]}]).decode(),
    "gen_ai.output.messages": MARKER,
})
HTTP_SPAN = span("1111111111111111", T_NS, {"http.request.method": "POST", "url.full": "https://api.openai.com/v1",
                                            "http.response.status_code": 200}, name="POST")
# Older spellings: gen_ai.system, cache_read_input_tokens / cache_write_input_tokens, prompt/completion tokens.
ANTHROPIC_OLD_SPAN = span("2222222222222222", T_NS, {
    "gen_ai.system": "anthropic", "gen_ai.request.model": "claude-sonnet-4-5-20250929",
    "gen_ai.response.id": "msg_otel_old", "gen_ai.usage.prompt_tokens": 19653,
    "gen_ai.usage.cache_read_input_tokens": 18432, "gen_ai.usage.cache_write_input_tokens": 1200,
    "gen_ai.usage.completion_tokens": 512, "gen_ai.prompt": MARKER, "gen_ai.completion": MARKER,
})
# Anthropic-style exclusive input: cache counts exceed input_tokens, so input is already uncached.
ANTHROPIC_EXCLUSIVE_SPAN = span("3333333333333333", T_NS, {
    "gen_ai.provider.name": "anthropic", "gen_ai.response.model": "claude-sonnet-4-5-20250929",
    "gen_ai.usage.input_tokens": 21, "gen_ai.usage.cache_read.input_tokens": 18432,
    "gen_ai.usage.cache_creation.input_tokens": 1200, "gen_ai.usage.output_tokens": 512.0,
})
BEDROCK_SPAN = span("4444444444444444", T_NS, {
    "gen_ai.provider.name": "aws.bedrock", "gen_ai.request.model": "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.input_tokens.cached": 200, "gen_ai.usage.output_tokens": 50,
    "enduser.id": "end-9",
})
VERTEX_SPAN = span("5555555555555555", T_NS, {
    "gen_ai.provider.name": "gcp.vertex_ai", "gen_ai.response.model": "gemini-2.5-pro",
    "gen_ai.usage.input_tokens": 500, "gen_ai.usage.output_tokens": 40,
})
AZURE_SPAN = span("6666666666666666", T_NS, {
    "gen_ai.provider.name": "azure.ai.openai", "gen_ai.response.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10,
})
NEGATIVE_SPAN = span("7777777777777777", T_NS, {
    "gen_ai.provider.name": "openai", "gen_ai.response.model": "gpt-4o", "gen_ai.usage.input_tokens": -5,
    "gen_ai.usage.output_tokens": 1,
})


# --- detection ------------------------------------------------------------------------------------------------

OURS = ("openrouter_generation", "litellm_spend_log", "langfuse_observation", "otel_genai_span")


@pytest.mark.parametrize(("record", "name"), [
    (OPENROUTER_EXAMPLE, "openrouter_generation"),
    (OPENROUTER_EXAMPLE["data"], "openrouter_generation"),
    (LITELLM_EXAMPLE, "litellm_spend_log"),
    (LANGFUSE_EXAMPLE, "langfuse_observation"),
    ({"type": "GENERATION", "traceId": "t", "usage": {"input": 1, "output": 2, "unit": "TOKENS"}},
     "langfuse_observation"),
    (resource_spans("svc", OPENAI_SPAN), "otel_genai_span"),
    ({"resourceSpans": [resource_spans("svc", OPENAI_SPAN)]}, "otel_genai_span"),
])
def test_each_export_is_recognised_by_its_keys(record: Record, name: str) -> None:
    fmt = detect(record)
    assert fmt is not None and fmt.name == name


@pytest.mark.parametrize("record", [CHAT_EXAMPLE, RESPONSES_EXAMPLE, ANTHROPIC_EXAMPLE, GEMINI_EXAMPLE,
                                    {"timestamp": "2025-01-01T00:00:00Z", "response": CHAT_EXAMPLE}])
def test_provider_responses_and_the_envelope_do_not_match_these_formats(record: Record) -> None:
    for fmt in (*gateways.FORMATS, *otel.FORMATS):
        assert not fmt.detect(record), fmt.name


# --- OpenRouter -----------------------------------------------------------------------------------------------

OPENROUTER_ROW: Record = {
    "event_id": "openai:gen-3bhGkxlo4XFrqiabUM7NDtwDzWwG",
    "event_time": datetime(2024, 7, 15, 23, 33, 19, 433273),
    "usage_date": date(2024, 7, 15),
    "provider": "anthropic",  # the vendor segment of the model id
    "platform": "openrouter",
    "model_raw": "anthropic/claude-sonnet-4",
    "project": None, "api_key_id": None, "user_id": None,
    "service_tier": "standard",
    "input_tokens": 7,  # native_tokens_prompt 10 - native_tokens_cached 3
    "cache_read_tokens": 3,
    "cache_write_5m_tokens": 0,
    "output_tokens": 25,  # native_tokens_completion, reasoning inside
    "reasoning_tokens": 5,
    **NO_EXTRAS,  # num_search_results 5 is OpenRouter's web plugin: no web_search_requests
    "reported_cost_usd": D("0.0015"),
    "source_format": "openrouter_generation",
}


def test_openrouter_reference_example_as_a_document_a_line_and_an_export_array(tmp_path: Path) -> None:
    document = write(tmp_path / "generation.json", orjson.dumps(OPENROUTER_EXAMPLE, option=orjson.OPT_INDENT_2))
    line = write(tmp_path / "generations.jsonl", jsonl(OPENROUTER_EXAMPLE))
    export = write(tmp_path / "export.json", orjson.dumps([OPENROUTER_EXAMPLE["data"]]))
    for path, line_no in ((document, 1), (line, 1), (export, 1)):
        rows, result = parse(path)
        assert result.rejects == [] and result.skipped == 0
        assert rows == [{**OPENROUTER_ROW, "source_file": path.name, "source_line": line_no}]


def test_openrouter_edge_cases(tmp_path: Path) -> None:
    base = OPENROUTER_EXAMPLE["data"]
    path = write(tmp_path / "edge.jsonl", jsonl(
        {**base, "id": "gen-cancel-free", "cancelled": True, "total_cost": 0, "usage": 0},  # 1: not billed
        {**base, "id": "gen-cancel-paid", "cancelled": True, "total_cost": 0.0004},  # 2: billed, kept
        {**base, "id": "gen-byok", "cancelled": True, "total_cost": 0, "is_byok": True},  # 3: vendor bills the key
        {**base, "id": "gen-bad-cache", "native_tokens_cached": 11},  # 4: cached > prompt
        {**base, "id": "gen-mistral", "model": "mistralai/mistral-large-2411", "external_user": "u-5",
         "service_tier": "flex"},  # 5
        {**base, "id": "gen-llama", "model": "meta-llama/llama-3.3-70b-instruct"},  # 6: vendor not priced here
        {**base, "id": "gen-xai", "model": "x-ai/grok-4", "native_tokens_prompt": "12"},  # 7: a count as text
        {**base, "id": "gen-normalised", "native_tokens_prompt": None, "native_tokens_completion": None,
         "native_tokens_cached": None, "native_tokens_reasoning": None},  # 8: only tokens_* left
        {**base, "id": "gen-zai", "model": "z-ai/glm-4.6", "created_at": None},  # 9: no time
    ))
    rows, result = parse(path)
    by_id = {row["event_id"].split(":", 1)[1]: row for row in rows}
    assert result.skipped == 1
    assert set(by_id) == {"gen-cancel-paid", "gen-byok", "gen-mistral", "gen-llama", "gen-xai", "gen-normalised"}
    assert by_id["gen-cancel-paid"]["reported_cost_usd"] == D("0.0004")
    assert by_id["gen-byok"]["reported_cost_usd"] == D(0)
    assert (by_id["gen-mistral"]["provider"], by_id["gen-mistral"]["user_id"],
            by_id["gen-mistral"]["service_tier"]) == ("mistral", "u-5", "flex")
    assert by_id["gen-llama"]["provider"] == "openrouter"
    # a digit string is read strictly as its number: 12 prompt - 3 cached
    assert (by_id["gen-xai"]["provider"], by_id["gen-xai"]["input_tokens"]) == ("xai", 9)
    # tokens_prompt 10 and tokens_completion 25 stand in; no cache or reasoning counts then
    assert [by_id["gen-normalised"][k] for k in ("input_tokens", "cache_read_tokens", "output_tokens",
                                                 "reasoning_tokens")] == [10, 0, 25, 0]
    assert {r.source_line: r.reason for r in result.rejects} == {
        4: "negative token count in input: native_tokens_prompt (10) is less than native_tokens_cached (11)",
        9: "missing field created_at",
    }


# --- LiteLLM --------------------------------------------------------------------------------------------------

LITELLM_ROW: Record = {
    "event_id": "openai:chatcmpl-0c4f2b2e-6f0d-4d1e-9a1b-3f1f2d9c8e77",
    "event_time": datetime(2025, 10, 5, 12, 0, 1, 123000),
    "usage_date": date(2025, 10, 5),
    "provider": "anthropic",
    "platform": "direct",
    "model_raw": "claude-sonnet-4-5-20250929",
    "project": "team-search",
    "api_key_id": "search-svc",  # the key alias wins over the hashed key
    "user_id": "customer-42",  # end_user; `user` is empty
    "service_tier": "standard",
    "input_tokens": 21,  # prompt_tokens 19653 - 18432 cache read - 1200 cache write (LiteLLM folds them in)
    "cache_read_tokens": 18432,
    "cache_write_5m_tokens": 1200,
    "output_tokens": 12,
    "reasoning_tokens": 0,
    **NO_EXTRAS,
    "reported_cost_usd": D("0.0103226"),  # spend, LiteLLM's own price map
    "source_format": "litellm_spend_log",
}

SPEND_LOG_COLUMNS = ("request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
                     "completion_tokens", "startTime", "endTime", "completionStartTime", "model", "model_id",
                     "model_group", "custom_llm_provider", "api_base", "user", "metadata", "cache_hit", "cache_key",
                     "request_tags", "team_id", "end_user", "requester_ip_address", "messages", "response",
                     "session_id", "status")


def postgres_csv(*rows: Record) -> bytes:
    """A Postgres CSV export: every cell text, Json columns as JSON text, NULL as an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SPEND_LOG_COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(col) is None else orjson.dumps(row[col]).decode()
                         if isinstance(row.get(col), dict | list) else str(row[col]) for col in SPEND_LOG_COLUMNS])
    return out.getvalue().encode()


def test_litellm_reference_example_as_json_lines_and_a_json_array(tmp_path: Path) -> None:
    for path in (write(tmp_path / "spend.jsonl", jsonl(LITELLM_EXAMPLE)),
                 write(tmp_path / "spend.json", orjson.dumps([LITELLM_EXAMPLE]))):
        rows, result = parse(path)
        assert result.rejects == []
        assert rows == [{**LITELLM_ROW, "source_file": path.name, "source_line": 1}]


def test_litellm_postgres_csv_export_with_json_in_cells(tmp_path: Path) -> None:
    metadata = {**LITELLM_EXAMPLE["metadata"], "spend_logs_metadata": {"note": "a, \"quoted\" value"},
                "applied_guardrails": ["pii", "toxicity"]}
    bedrock = spend_log(
        "req-bedrock", model="bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", custom_llm_provider="bedrock",
        prompt_tokens=5000, completion_tokens=100, spend=0.0165, team_id=None, end_user=None, user="alice",
        metadata={"user_api_key_team_id": "team-meta", "additional_usage_values": {
            "prompt_tokens_details": {"cached_tokens": 3000, "text_tokens": 2000}}, "status": "success"})
    row = {**LITELLM_EXAMPLE, "startTime": "2025-10-05 12:00:01.123", "metadata": metadata, "messages": {},
           "response": {}, "status": "success"}
    path = write(tmp_path / "LiteLLM_SpendLogs.csv", postgres_csv(
        row, {**bedrock, "startTime": "2025-10-05 13:30:00"}))
    rows, result = parse(path)
    assert result.layout == "csv" and result.rejects == []
    assert rows[0] == {**LITELLM_ROW, "source_file": path.name, "source_line": 2}
    assert rows[1] == {
        **LITELLM_ROW, "event_id": "openai:req-bedrock", "event_time": datetime(2025, 10, 5, 13, 30),
        "provider": "anthropic", "platform": "bedrock",
        "model_raw": "anthropic.claude-3-5-sonnet-20240620-v1:0",  # LiteLLM's `bedrock/` routing prefix dropped
        "project": "team-meta", "api_key_id": LITELLM_EXAMPLE["api_key"], "user_id": "alice",
        "input_tokens": 2000,  # 5000 - 3000 cached (OpenAI-style details), no cache writes
        "cache_read_tokens": 3000, "cache_write_5m_tokens": 0, "output_tokens": 100,
        "reported_cost_usd": D("0.0165"), "source_file": path.name, "source_line": 3,
    }


def test_litellm_failures_cache_hits_embeddings_and_bad_rows(tmp_path: Path) -> None:
    failure_meta = {"status": "failure", "error_information": {"error_class": "RateLimitError"}}
    path = write(tmp_path / "spend.jsonl", jsonl(
        spend_log("req-failed", spend=0.0, total_tokens=0, prompt_tokens=0, completion_tokens=0,
                  metadata=failure_meta),  # 1: skip
        spend_log("req-proxy-cache", cache_hit="True"),  # 2: LiteLLM's response cache answered: skip
        spend_log("req-embed", call_type="aembedding", model="text-embedding-3-small", custom_llm_provider="openai",
                  prompt_tokens=800, completion_tokens=0, spend=0.000016, metadata={}),  # 3
        spend_log("req-azure-1h", model="azure/gpt-4o", custom_llm_provider="azure", prompt_tokens=3000,
                  completion_tokens=40, metadata={"additional_usage_values": {
                      "cache_creation_input_tokens": 1000, "cache_read_input_tokens": 500,
                      "prompt_tokens_details": {"cached_tokens": 500, "cache_creation_token_details": {
                          "ephemeral_5m_input_tokens": 400, "ephemeral_1h_input_tokens": 600}},
                      "completion_tokens_details": {"reasoning_tokens": 30},
                      "server_tool_use": {"web_search_requests": 2}, "service_tier": "priority"}}),  # 4
        spend_log("req-short", prompt_tokens=100),  # 5: 100 < 18432 + 1200
        spend_log("req-image", call_type="aimage_generation", prompt_tokens=0, completion_tokens=0,
                  spend=0.04, metadata={}),  # 6: billed per image
        spend_log("req-groq", model="groq/llama-3.3-70b-versatile", custom_llm_provider="groq", metadata={},
                  prompt_tokens="120", completion_tokens=" 8 "),  # 7: counts as text
        spend_log("req-bad-meta", metadata="{not json"),  # 8
    ))
    rows, result = parse(path)
    by_id = {row["event_id"]: row for row in rows}
    assert result.skipped == 2
    assert set(by_id) == {"openai:req-embed", "openai:req-azure-1h", "openai:req-groq"}
    embed = by_id["openai:req-embed"]
    assert (embed["provider"], embed["input_tokens"], embed["output_tokens"]) == ("openai", 800, 0)
    azure = by_id["openai:req-azure-1h"]
    # 3000 - 500 read - 1000 written; the write split 400 (5m) + 600 (1h)
    assert [azure[k] for k in ("provider", "platform", "model_raw", "input_tokens", "cache_read_tokens",
                               "cache_write_5m_tokens", "cache_write_1h_tokens", "reasoning_tokens",
                               "web_search_requests", "service_tier")] == [
        "openai", "azure", "gpt-4o", 1500, 500, 400, 600, 30, 2, "priority"]
    groq = by_id["openai:req-groq"]
    assert [groq[k] for k in ("provider", "platform", "model_raw", "input_tokens", "output_tokens")] == [
        "groq", "groq", "llama-3.3-70b-versatile", 120, 8]
    assert {r.source_line: r.reason for r in result.rejects} == {
        5: "negative token count in input: prompt_tokens (100) is less than cache reads (18432) plus cache writes"
           " (1200)",
        6: "spend 0.04 without tokens: call_type 'aimage_generation' is not billed per token",
        8: "field metadata is not JSON",
    }


def test_litellm_row_with_an_empty_response_column_is_not_an_envelope(tmp_path: Path) -> None:
    path = write(tmp_path / "spend.jsonl", jsonl({**LITELLM_EXAMPLE, "messages": {}, "response": {}}))
    rows, result = parse(path)
    assert result.rejects == []
    assert rows == [{**LITELLM_ROW, "source_file": path.name, "source_line": 1}]


# --- Langfuse -------------------------------------------------------------------------------------------------

LANGFUSE_ROW: Record = {
    "event_id": "langfuse:obs-7f3c",
    "event_time": datetime(2025, 10, 5, 12, 0, 1, 123000),
    "usage_date": date(2025, 10, 5),
    "provider": "openai",  # from the model family
    "platform": "direct",
    "model_raw": "gpt-4o-2024-08-06",
    "project": None, "api_key_id": None, "user_id": None,
    "service_tier": "standard",
    "input_tokens": 86,  # Langfuse already took the cached tokens out of `input`
    "cache_read_tokens": 1920,
    "cache_write_5m_tokens": 0,
    "output_tokens": 300,  # `total` 2306 is never added
    "reasoning_tokens": 0,
    **NO_EXTRAS,
    "reported_cost_usd": D("0.005615"),  # costDetails.total
    "source_format": "langfuse_observation",
}


def test_langfuse_reference_example_in_the_api_list_json_lines_and_an_array(tmp_path: Path) -> None:
    page = {"data": [LANGFUSE_EXAMPLE, {**LANGFUSE_EXAMPLE, "id": "obs-span", "type": "SPAN", "model": None,
                                        "usageDetails": {}, "costDetails": {}}],
            "meta": {"page": 1, "limit": 50, "totalItems": 2, "totalPages": 1}}
    # saved as it came (one line, read as JSON lines) and pretty-printed (a document whose `data` is streamed)
    for api in (write(tmp_path / "observations.json", orjson.dumps(page)),
                write(tmp_path / "observations-pretty.json", orjson.dumps(page, option=orjson.OPT_INDENT_2))):
        rows, result = parse(api)
        assert result.rejects == [] and result.skipped == 1
        assert rows == [{**LANGFUSE_ROW, "source_file": api.name, "source_line": 1}]
    for path in (write(tmp_path / "observations.jsonl", jsonl(LANGFUSE_EXAMPLE)),
                 write(tmp_path / "observations-array.json", orjson.dumps([LANGFUSE_EXAMPLE]))):
        rows, result = parse(path)
        assert rows == [{**LANGFUSE_ROW, "source_file": path.name, "source_line": 1}]


def test_langfuse_key_classes_skips_and_unknown_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "obs.jsonl", jsonl(
        # 1: Anthropic-style keys with a TTL split, a user and a cost without total
        observation("anthropic", {"input": 21, "output": 512, "cache_read_input_tokens": 18432,
                                  "input_cache_creation_5m": 200, "input_cache_creation_1h": 1000, "total": 20165},
                    userId="user-3", costDetails={"input": 0.000063, "output": 0.00768}),
        # 2: OpenAI reasoning and audio, subtracted by Langfuse from output and input
        observation("o3", {"input": 0, "input_text_tokens": 900, "input_audio_tokens": 50,
                           "input_cached_tokens": 100, "output": 200, "output_reasoning_tokens": 300,
                           "output_audio_tokens": 7}, model="o3-2025-04-16"),
        # 3: Gemini camelCase keys, passed through as Gemini counts them: the prompt includes the cached tokens
        observation("gemini", {"promptTokenCount": 12040, "cachedContentTokenCount": 8192,
                               "candidatesTokenCount": 250, "thoughtsTokenCount": 945}, model="gemini-2.5-pro"),
        observation("unknown", {"input": 10, "output": 2, "video_seconds": 4}),  # 4: reject
        observation("span", {}, type="SPAN"),  # 5: skip
        observation("event", {"input": 3}, type="EVENT"),  # 6: skip
        observation("empty", {"input": 0, "output": 0, "total": 0}),  # 7: skip
        # 8: the deprecated usage object and calculated cost
        {"id": "old", "traceId": "t", "type": "EMBEDDING", "startTime": "2025-10-05T12:00:01Z",
         "model": "text-embedding-3-small", "usage": {"input": 640, "output": 0, "total": 640, "unit": "TOKENS"},
         "calculatedTotalCost": 0.0000128},
        observation("llama", {"input": 5, "output": 5}, model="llama-3.1-8b"),  # 9: vendor unknown
        observation("negative", {"input": -1, "output": 5}),  # 10
    ))
    rows, result = parse(path)
    by_id = {row["event_id"]: row for row in rows}
    assert result.skipped == 3
    assert set(by_id) == {"langfuse:anthropic", "langfuse:o3", "langfuse:gemini", "langfuse:old", "langfuse:llama"}
    claude = by_id["langfuse:anthropic"]
    assert [claude[k] for k in ("provider", "input_tokens", "cache_read_tokens", "cache_write_5m_tokens",
                                "cache_write_1h_tokens", "output_tokens", "user_id", "reported_cost_usd")] == [
        "anthropic", 21, 18432, 200, 1000, 512, "user-3", D("0.007743")]  # 0.000063 + 0.00768
    o3 = by_id["langfuse:o3"]
    # input 0 + 900 text; output 200 + 300 reasoning; audio in its own classes
    assert [o3[k] for k in ("provider", "input_tokens", "input_audio_tokens", "cache_read_tokens", "output_tokens",
                            "reasoning_tokens", "output_audio_tokens", "reported_cost_usd")] == [
        "openai", 900, 50, 100, 500, 300, 7, None]
    gemini = by_id["langfuse:gemini"]
    # uncached 12040 - 8192 = 3848; output candidates 250 + thoughts 945
    assert [gemini[k] for k in ("provider", "input_tokens", "cache_read_tokens", "output_tokens",
                                "reasoning_tokens")] == ["google", 3848, 8192, 1195, 945]
    old = by_id["langfuse:old"]
    assert [old[k] for k in ("input_tokens", "output_tokens", "reported_cost_usd")] == [640, 0, D("0.0000128")]
    assert by_id["langfuse:llama"]["provider"] == "langfuse"
    assert {r.source_line: r.reason for r in result.rejects} == {
        4: "unknown usageDetails key 'video_seconds': no token class for it, so its tokens would be lost",
        10: "negative token count in usageDetails.input: -1",
    }
    assert MARKER not in str(rows) + str(result.rejects)


# --- OpenTelemetry GenAI spans --------------------------------------------------------------------------------

OTEL_OPENAI_ROW: Record = {
    "event_id": "openai:chatcmpl-otel-1",  # the response id in the vendor's namespace
    "event_time": datetime(2025, 10, 5, 12, 0, 1, 123456),
    "usage_date": date(2025, 10, 5),
    "provider": "openai",
    "platform": "direct",
    "model_raw": "gpt-4o-2024-08-06",  # the served model, not the requested alias
    "project": "checkout-api",  # resource service.name
    "api_key_id": None,
    "user_id": "u-77",
    "service_tier": "standard",
    "input_tokens": 86,  # 2006 input - 1920 cache read
    "cache_read_tokens": 1920,
    "cache_write_5m_tokens": 0,
    "output_tokens": 300,
    "reasoning_tokens": 0,
    **NO_EXTRAS,
    "reported_cost_usd": None,
    "source_format": "otel_genai_span",
}


def test_otlp_json_document_maps_genai_spans_and_skips_the_rest(tmp_path: Path) -> None:
    export = {"resourceSpans": [
        resource_spans("checkout-api", OPENAI_SPAN, HTTP_SPAN, ANTHROPIC_OLD_SPAN),
        resource_spans("batch-worker", ANTHROPIC_EXCLUSIVE_SPAN, BEDROCK_SPAN, VERTEX_SPAN, AZURE_SPAN,
                       NEGATIVE_SPAN),
    ]}
    path = write(tmp_path / "traces.json", orjson.dumps(export, option=orjson.OPT_INDENT_2))
    rows, result = parse(path)
    assert result.skipped == 1  # the HTTP span
    assert reasons(result) == {"resourceSpans[1].scopeSpans[0].spans[4]":
                               "negative token count in attribute gen_ai.usage.input_tokens: -5"}
    assert [r.source_line for r in result.rejects] == [2]
    by_id = {row["event_id"]: row for row in rows}
    assert by_id["openai:chatcmpl-otel-1"] == {**OTEL_OPENAI_ROW, "source_file": path.name, "source_line": 1}
    old = by_id["anthropic:msg_otel_old"]
    # older spellings: 19653 prompt - 18432 read - 1200 written = 21
    assert [old[k] for k in ("provider", "platform", "model_raw", "input_tokens", "cache_read_tokens",
                             "cache_write_5m_tokens", "output_tokens", "project")] == [
        "anthropic", "direct", "claude-sonnet-4-5-20250929", 21, 18432, 1200, 512, "checkout-api"]
    exclusive = by_id["otel:3333333333333333"]  # no response id: the span id
    # reads + writes (19632) exceed input (21): Anthropic-style exclusive counts, input stays 21
    assert [exclusive[k] for k in ("input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "output_tokens",
                                   "project", "source_line")] == [21, 18432, 1200, 512, "batch-worker", 2]
    bedrock = by_id["otel:4444444444444444"]
    assert [bedrock[k] for k in ("provider", "platform", "input_tokens", "cache_read_tokens", "user_id")] == [
        "anthropic", "bedrock", 800, 200, "end-9"]
    vertex = by_id["otel:5555555555555555"]
    assert (vertex["provider"], vertex["platform"]) == ("google", "vertex")
    azure = by_id["otel:6666666666666666"]
    assert (azure["provider"], azure["platform"]) == ("openai", "azure")
    assert len(rows) == 6
    assert MARKER not in str(rows) + str(result.rejects)


def test_otel_collector_file_exporter_writes_one_export_per_line(tmp_path: Path) -> None:
    first = {"resourceSpans": [resource_spans("checkout-api", HTTP_SPAN, OPENAI_SPAN)]}
    second = {"resourceSpans": [resource_spans("svc", span("8888888888888888", T_NS, {
        "gen_ai.provider.name": "openai", "gen_ai.usage.output_tokens": 4}))]}
    only_http = {"resourceSpans": [resource_spans("svc", HTTP_SPAN)]}
    path = write(tmp_path / "otel-collector.jsonl", jsonl(first, second, only_http, {"resourceSpans": []}))
    rows, result = parse(path)
    assert result.skipped == 3  # two HTTP spans and an export without spans
    assert rows == [{**OTEL_OPENAI_ROW, "source_file": path.name, "source_line": 1}]
    assert reasons(result) == {
        "resourceSpans[0].scopeSpans[0].spans[0]": "missing attribute gen_ai.response.model (or gen_ai.request.model)"}


def test_otel_input_missing_is_flagged_not_zero(tmp_path: Path) -> None:
    attributes = {"gen_ai.provider.name": "openai", "gen_ai.response.model": "gpt-4o",
                  "gen_ai.usage.output_tokens": 9}
    path = write(tmp_path / "t.jsonl", jsonl({"resourceSpans": [resource_spans("s", span("9", T_NS, attributes))]}))
    rows, _ = parse(path)
    assert [(r["input_tokens"], r["output_tokens"], r["input_unknown"]) for r in rows] == [(0, 9, True)]


# --- costs through one pipeline run ---------------------------------------------------------------------------

# OpenRouter generation gen-cost, 2025-10-01, anthropic/claude-sonnet-4 (pricing/anthropic.yaml claude-sonnet-4,
# period 2025-05-22..2026-04-30: input 3, cache_read 0.3, output 15; 12000 prompt is below the 200k band):
# (12000 - 8000) x 3 + 8000 x 0.3 + 600 x 15 = 12000 + 2400 + 9000 = 23400 / 1M = 0.0234
OPENROUTER_COST = D("0.0234")
# LiteLLM reference row, 2025-10-05, claude-sonnet-4-5-20250929 (pricing/anthropic.yaml claude-sonnet-4-5, period
# 2025-09-29..2026-04-30: input 3, cache_read 0.3, cache_write_5m 3.75, output 15):
# 21 x 3 + 18432 x 0.3 + 1200 x 3.75 + 12 x 15 = 63 + 5529.6 + 4500 + 180 = 10272.6 / 1M = 0.0102726
LITELLM_COST = D("0.0102726")
# Langfuse reference observation, gpt-4o-2024-08-06 (pricing/openai.yaml gpt-4o: input 2.5, cache_read 1.25,
# output 10): 86 x 2.5 + 1920 x 1.25 + 300 x 10 = 215 + 2400 + 3000 = 5615 / 1M = 0.005615
LANGFUSE_COST = D("0.005615")
# OTel span, gpt-4o-mini-2024-07-18 (pricing/openai.yaml gpt-4o-mini: input 0.15, cache_read 0.075, output 0.6):
# (10000 - 4000) x 0.15 + 4000 x 0.075 + 500 x 0.6 = 900 + 300 + 300 = 1500 / 1M = 0.0015
OTEL_COST = D("0.0015")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("gateways"))
    landing = settings.landing
    # The generation stats and the app's own log of the same call (OpenRouter's OpenAI-compatible answer, id
    # gen-cost) in two files: one event. The first file by name gives the tokens, any copy's cost is kept.
    write(landing / "openrouter" / "a-generations.jsonl", jsonl({"data": generation(
        "gen-cost", "2025-10-01T09:00:00.000001+00:00", "anthropic/claude-sonnet-4", 12000, 8000, 600, 100, 0.0241,
        external_user="u-9")}))
    write(landing / "openrouter" / "b-app-responses.jsonl", jsonl({
        "id": "gen-cost", "object": "chat.completion", "created": 1759309200, "model": "anthropic/claude-sonnet-4",
        "provider": "Anthropic", "choices": [{"index": 0, "message": {"role": "assistant", "content": MARKER}}],
        "usage": {"prompt_tokens": 12000, "completion_tokens": 600, "total_tokens": 12600,
                  "prompt_tokens_details": {"cached_tokens": 8000},
                  "completion_tokens_details": {"reasoning_tokens": 100}}}))
    write(landing / "litellm" / "spend.jsonl", jsonl(LITELLM_EXAMPLE))
    write(landing / "langfuse" / "observations.json", orjson.dumps({"data": [LANGFUSE_EXAMPLE], "meta": {}}))
    mini = span("aaaaaaaaaaaaaaaa", T_NS, {
        "gen_ai.provider.name": "openai", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": "chatcmpl-otel-mini", "gen_ai.usage.input_tokens": 10000,
        "gen_ai.usage.cache_read.input_tokens": 4000, "gen_ai.usage.output_tokens": 500,
        "gen_ai.input.messages": MARKER})
    write(landing / "otel" / "traces.json", orjson.dumps({"resourceSpans": [resource_spans("svc", mini, HTTP_SPAN)]}))
    run_pipeline(settings)
    return settings


def test_costs_by_hand_with_the_reported_cost_beside_them(warehouse: Settings) -> None:
    rows = read(warehouse, "SELECT p.event_id, p.provider, p.platform, p.price_provider, p.model, p.cost_status,"
                           " p.list_cost_usd, p.reported_cost_usd, p.input_tokens, e.source_format"
                           " FROM core.usage_priced AS p JOIN core.usage_events AS e USING (event_id)")
    by_id = {row[0]: row[1:] for row in rows}
    assert by_id == {
        "openai:gen-cost": ("anthropic", "openrouter", "anthropic", "claude-sonnet-4", "priced", OPENROUTER_COST,
                            D("0.0241"), 4000, "openrouter_generation"),
        "openai:chatcmpl-0c4f2b2e-6f0d-4d1e-9a1b-3f1f2d9c8e77": (
            "anthropic", "direct", "anthropic", "claude-sonnet-4-5", "priced", LITELLM_COST, D("0.0103226"), 21,
            "litellm_spend_log"),
        "langfuse:obs-7f3c": ("openai", "direct", "openai", "gpt-4o", "priced", LANGFUSE_COST, D("0.005615"), 86,
                              "langfuse_observation"),
        "openai:chatcmpl-otel-mini": ("openai", "direct", "openai", "gpt-4o-mini", "priced", OTEL_COST, None, 6000,
                                      "otel_genai_span"),
    }


def test_the_generation_logged_twice_is_one_event_with_both_copies_staged(warehouse: Settings) -> None:
    staged = read(warehouse, "SELECT source_format, reported_cost_usd FROM staging.usage_records"
                             " WHERE event_id = 'openai:gen-cost' ORDER BY source_format")
    assert staged == [("openai_chat", None), ("openrouter_generation", D("0.0241"))]
    (requests, reported), = read(warehouse, "SELECT sum(requests), sum(reported_cost_usd) FROM core.usage_priced"
                                            " WHERE event_id = 'openai:gen-cost'")
    assert (requests, reported) == (1, D("0.0241"))


def test_no_message_text_reaches_the_warehouse(warehouse: Settings) -> None:
    assert MARKER.encode() not in warehouse.warehouse.read_bytes()
