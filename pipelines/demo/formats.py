"""Sample usage files in every format meterline reads, shaped as each source writes them.

`write_format_samples` lands `count` requests per format (reports: `count` result rows) in one folder: responses
from every provider and OpenAI-compatible host, batch outputs, stream logs, admin usage and cost report pages,
dashboard CSV exports, Bedrock invocation logs, gateway and observability exports, OTLP spans, Replicate
predictions, and GPU-seconds and Modal billing exports. Every text field a
real record would carry (prompts, completions, request bodies) holds `marker`, so a test can prove that no message
text reaches the warehouse. The benchmark uses the same files to measure each format's parsing speed.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

Record = dict[str, Any]


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _chat(rid: str, moment: datetime, model: str, prompt: int, cached: int, completion: int, marker: str,
          **extra: Any) -> Record:
    return {"id": rid, "object": "chat.completion", "created": _unix(moment), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": marker, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "lookup", "arguments": orjson.dumps({"query": marker}).decode()}}]},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                      "prompt_tokens_details": {"cached_tokens": cached},
                      "completion_tokens_details": {"reasoning_tokens": 0}},
            **extra}


def _message(rid: str, model: str, uncached: int, read: int, write: int, output: int, marker: str,
             tier: str = "standard") -> Record:
    return {"id": rid, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": marker},
                        {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"query": marker}}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": uncached, "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
                      "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
                      "output_tokens": output, "service_tier": tier}}


def _gemini(rid: str, moment: datetime, model: str, prompt: int, cached: int, output: int, marker: str) -> Record:
    parts = [{"text": marker}, {"functionCall": {"name": "lookup", "args": {"query": marker}}}]
    return {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": prompt, "cachedContentTokenCount": cached,
                              "candidatesTokenCount": output, "totalTokenCount": prompt + output,
                              "trafficType": "ON_DEMAND"},
            "modelVersion": model, "responseId": rid, "createTime": _iso(moment)}


def _envelope(moment: datetime, response: Record, **extra: Any) -> Record:
    marker = extra.pop("marker")
    return {"timestamp": _iso(moment), "project": "formats", "api_key_id": "key_formats",
            "request": {"messages": [{"role": "user", "content": marker}]}, "metadata": {"note": marker}, **extra,
            "response": response}


@dataclass(frozen=True)
class Sample:
    """One format: its file name and a builder of the i-th record at a moment."""

    file: str
    build: Callable[[int, datetime, str], Record]


def openai_chat_envelope(i: int, t: datetime, m: str) -> Record:
    return _envelope(t, _chat(f"chatcmpl-s{i}", t, "gpt-4o-2024-08-06", 2006, 1920, 300, m), marker=m)


def _openai_stream(i: int, t: datetime, m: str) -> Record:
    # Two content chunks then the usage chunk; `i` counts chunks, every third is the usage chunk of a stream.
    stream, part = divmod(i, 3)
    chunk: Record = {"id": f"chatcmpl-stream{stream}", "object": "chat.completion.chunk", "created": _unix(t),
                     "model": "gpt-4o-mini-2024-07-18", "choices": [], "usage": None}
    if part < 2:
        chunk["choices"] = [{"index": 0, "delta": {"content": m, "tool_calls": [
            {"index": 0, "function": {"arguments": orjson.dumps({"query": m}).decode()}}]}}]
    else:
        chunk["usage"] = {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160}
    return chunk


def _openai_batch(i: int, t: datetime, m: str) -> Record:
    body = _chat(f"chatcmpl-b{i}", t, "gpt-4o-mini-2024-07-18", 24, 0, 15, m)
    return {"id": f"batch_req_{i}", "custom_id": f"request-{i}",
            "response": {"status_code": 200, "request_id": f"req_{i}", "body": body}, "error": None}


def _usage_result(i: int) -> Record:
    return {"object": "organization.usage.completions.result", "input_tokens": 59200, "output_tokens": 10646,
            "input_cached_tokens": 5760, "input_cache_write_tokens": 0, "input_uncached_tokens": 53440,
            "input_text_tokens": 53440, "input_cached_text_tokens": 5760, "input_audio_tokens": 0,
            "input_cached_audio_tokens": 0, "input_image_tokens": 0, "input_cached_image_tokens": 0,
            "output_text_tokens": 10646, "output_audio_tokens": 0, "output_image_tokens": 0,
            "num_model_requests": 10, "project_id": f"proj_{i}", "user_id": None, "api_key_id": None,
            "model": "gpt-4o-2024-08-06", "batch": False, "service_tier": None}


def _openai_usage_bucket(i: int, t: datetime, m: str) -> Record:
    start = _unix(t.replace(hour=0, minute=0, second=0))
    return {"object": "bucket", "start_time": start, "end_time": start + 86400, "results": [_usage_result(i)]}


def _openai_cost_bucket(i: int, t: datetime, m: str) -> Record:
    start = _unix(t.replace(hour=0, minute=0, second=0))
    return {"object": "bucket", "start_time": start, "end_time": start + 86400, "results": [
        {"object": "organization.costs.result", "amount": {"value": 0.5, "currency": "usd"},
         "line_item": "gpt-5-nano, input_tokens", "project_id": f"proj_{i}", "api_key_id": None,
         "quantity": 1000, "quantity_unit": "tokens"}]}


def _anthropic_batch(i: int, t: datetime, m: str) -> Record:
    line = {"custom_id": f"req-{i}", "result": {"type": "succeeded", "message": _message(
        f"msg_b{i}", "claude-sonnet-4-5-20250929", 21, 0, 0, 512, m, tier="batch")}}
    return {"timestamp": _iso(t), "response": line}


def _anthropic_usage_bucket(i: int, t: datetime, m: str) -> Record:
    day = t.replace(hour=0, minute=0, second=0)
    return {"starting_at": _iso(day), "ending_at": _iso(day + timedelta(days=1)), "results": [
        {"api_key_id": f"apikey_{i}", "workspace_id": "wrkspc_01", "model": "claude-sonnet-4-5-20250929",
         "service_tier": "standard", "context_window": "0-200k", "uncached_input_tokens": 1500,
         "cache_read_input_tokens": 200,
         "cache_creation": {"ephemeral_1h_input_tokens": 1000, "ephemeral_5m_input_tokens": 500},
         "output_tokens": 500, "server_tool_use": {"web_search_requests": 10}}]}


def _anthropic_cost_bucket(i: int, t: datetime, m: str) -> Record:
    day = t.replace(hour=0, minute=0, second=0)
    return {"starting_at": _iso(day), "ending_at": _iso(day + timedelta(days=1)), "results": [
        {"amount": "4512.5000", "currency": "USD", "cost_type": "tokens", "token_type": "cache_read_input_tokens",
         "model": "claude-sonnet-4-5-20250929", "service_tier": "standard", "context_window": "0-200k",
         "description": f"Claude Sonnet 4.5 Usage - Input Tokens, Cache Hit {i}", "workspace_id": "wrkspc_01"}]}


def _vertex_batch(i: int, t: datetime, m: str) -> Record:
    return {"request": {"contents": [{"role": "user", "parts": [{"text": m}]}]},
            "response": _gemini(f"vtx-b{i}", t, "gemini-2.5-flash", 12040, 8192, 250, m),
            "status": "", "processed_time": _iso(t)}


def _bedrock_invocation(i: int, t: datetime, m: str) -> Record:
    return {"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": _iso(t),
            "accountId": "123456789012", "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/MyRole/app"},
            "region": "us-east-1", "requestId": f"0b6f5a2e-{i:08d}", "operation": "Converse",
            "modelId": "us.anthropic.claude-sonnet-4-20250514-v1:0", "inferenceRegion": "us-west-2",
            "input": {"inputContentType": "application/json",
                      "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": m}]}]},
                      "inputTokenCount": 42, "cacheReadInputTokenCount": 18000, "cacheWriteInputTokenCount": 0},
            "output": {"outputContentType": "application/json",
                       "outputBodyJson": {"output": {"message": {"content": [{"text": m}]}},
                                          "usage": {"inputTokens": 42, "outputTokens": 380, "totalTokens": 18422,
                                                    "cacheReadInputTokens": 18000, "cacheWriteInputTokens": 0}},
                       "outputTokenCount": 380},
            "requestMetadata": {"team": "search", "note": m}}


def _bedrock_converse(i: int, t: datetime, m: str) -> Record:
    content = [{"text": m}, {"toolUse": {"toolUseId": f"tooluse_{i}", "name": "lookup", "input": {"query": m}}}]
    response = {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": "end_turn",
                "usage": {"inputTokens": 12, "outputTokens": 310, "totalTokens": 5422,
                          "cacheReadInputTokens": 5100, "cacheWriteInputTokens": 0},
                "metrics": {"latencyMs": 2190}, "ResponseMetadata": {"RequestId": f"conv-{i}"}}
    return _envelope(t, response, provider="bedrock", platform="bedrock",
                     model="anthropic.claude-sonnet-4-20250514-v1:0", marker=m)


def _azure_chat(i: int, t: datetime, m: str) -> Record:
    return _chat(f"chatcmpl-az{i}", t, "gpt-4o-2024-08-06", 500, 0, 100, m, prompt_filter_results=[
        {"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}}])


def _groq(i: int, t: datetime, m: str) -> Record:
    record = _chat(f"chatcmpl-gq{i}", t, "llama-3.3-70b-versatile", 18, 0, 556, m,
                   x_groq={"id": f"req_gq{i}"})
    record["usage"].update({"queue_time": 0.037, "prompt_time": 0.000681, "completion_time": 0.463,
                            "total_time": 0.464})
    return record


def _together(i: int, t: datetime, m: str) -> Record:
    return _chat(f"tg-{i}", t, "meta-llama/Llama-3.3-70B-Instruct-Turbo", 300, 0, 200, m)


def _mistral(i: int, t: datetime, m: str) -> Record:
    return _chat(f"cmpl-ms{i}", t, "mistral-large-2411", 16, 0, 34, m)


def _deepseek(i: int, t: datetime, m: str) -> Record:
    record = _chat(f"ds-{i}", t, "deepseek-chat", 1000, 0, 200, m)
    record["usage"].update({"prompt_cache_hit_tokens": 800, "prompt_cache_miss_tokens": 200})
    del record["usage"]["prompt_tokens_details"]
    return record


def _vllm(i: int, t: datetime, m: str) -> Record:
    record = _chat(f"chatcmpl-vl{i}", t, "llama-3.1-8b-local", 400, 0, 100, m)
    record["usage"]["prompt_tokens_details"] = None
    return _envelope(t, record, platform="vllm", marker=m)


def _cohere(i: int, t: datetime, m: str) -> Record:
    response = {"id": f"co-{i}", "finish_reason": "COMPLETE",
                "message": {"role": "assistant", "content": [{"type": "text", "text": m}], "tool_calls": [
                    {"id": f"lookup_{i}", "type": "function",
                     "function": {"name": "lookup", "arguments": orjson.dumps({"query": m}).decode()}}]},
                "usage": {"billed_units": {"input_tokens": 17.0, "output_tokens": 33.0},
                          "tokens": {"input_tokens": 216.0, "output_tokens": 33.0}, "cached_tokens": 0.0}}
    return _envelope(t, response, provider="cohere", model="command-r-plus-08-2024", marker=m)


def _ollama(i: int, t: datetime, m: str) -> Record:
    return {"model": "llama3.2:latest", "created_at": t.strftime("%Y-%m-%dT%H:%M:%S.385406455-07:00"),
            "message": {"role": "assistant", "content": m,
                        "tool_calls": [{"function": {"name": "lookup", "arguments": {"query": m}}}]},
            "done": True, "done_reason": "stop",
            "total_duration": 10706818083, "load_duration": 6338219291, "prompt_eval_count": 26,
            "prompt_eval_duration": 130079000, "eval_count": 259, "eval_duration": 4232710000}


def _openrouter(i: int, t: datetime, m: str) -> Record:
    return {"data": {"id": f"gen-{i}", "upstream_id": f"chatcmpl-or{i}",
                     "created_at": t.strftime("%Y-%m-%dT%H:%M:%S.433273+00:00"),
                     "model": "anthropic/claude-sonnet-4", "provider_name": "Anthropic", "total_cost": 0.0015,
                     "cache_discount": 0.0002, "upstream_inference_cost": 0.0012, "usage": 0.0015, "is_byok": False,
                     "tokens_prompt": 10, "tokens_completion": 25, "native_tokens_prompt": 10,
                     "native_tokens_completion": 25, "native_tokens_reasoning": 5, "native_tokens_cached": 3,
                     "num_media_prompt": 1, "num_search_results": 5, "latency": 1250, "generation_time": 1200,
                     "streamed": True, "cancelled": False, "finish_reason": "stop",
                     "origin": "https://openrouter.ai/"}}


def _litellm(i: int, t: datetime, m: str) -> Record:
    return {"request_id": f"chatcmpl-ll{i}", "call_type": "acompletion", "api_key": "88dc28d0f030c55ed4ab77ed8f",
            "spend": 0.0103226, "total_tokens": 19665, "prompt_tokens": 19653, "completion_tokens": 12,
            "startTime": t.strftime("%Y-%m-%dT%H:%M:%S.123Z"), "endTime": t.strftime("%Y-%m-%dT%H:%M:%S.456Z"),
            "model": "claude-sonnet-4-5-20250929", "model_group": "claude-sonnet",
            "custom_llm_provider": "anthropic", "api_base": "https://api.anthropic.com/v1/messages", "user": "",
            "end_user": "customer-42", "team_id": "team-search", "cache_hit": "False", "cache_key": "",
            "request_tags": ["prod"], "messages": [{"role": "user", "content": m}], "response": {"content": m},
            "metadata": {"user_api_key_alias": "search-svc", "user_api_key_team_id": "team-search",
                         "additional_usage_values": {"cache_read_input_tokens": 18432,
                                                     "cache_creation_input_tokens": 1200},
                         "requester_metadata": {"note": m}, "status": "success"},
            "proxy_server_request": {"messages": [{"role": "user", "content": m}]}}


def _langfuse(i: int, t: datetime, m: str) -> Record:
    return {"id": f"obs-{i}", "traceId": f"trace-{i}", "type": "GENERATION", "name": "chat",
            "startTime": t.strftime("%Y-%m-%dT%H:%M:%S.123Z"), "endTime": t.strftime("%Y-%m-%dT%H:%M:%S.456Z"),
            "model": "gpt-4o-2024-08-06", "internalModelId": "clzjr85f70000ymmzg7hqffra", "input": m, "output": m,
            "usageDetails": {"input": 86, "input_cached_tokens": 1920, "output": 300, "total": 2306},
            "costDetails": {"input": 0.000215, "input_cached_tokens": 0.0024, "output": 0.003, "total": 0.005615},
            "metadata": {"note": m}, "environment": "default"}


def _replicate(i: int, t: datetime, m: str) -> Record:
    """Even: an official language model billed per token. Odd: a community model billed by the second of the hardware
    its envelope names (Replicate's predictions never say)."""
    created = t.strftime("%Y-%m-%dT%H:%M:%S.765994Z")
    prediction = {"id": f"rp{i:04d}gm3qorzdhgbfurvjtvhg6d", "status": "succeeded", "created_at": created,
                  "started_at": created, "completed_at": created, "source": "api", "data_removed": False,
                  "error": None, "input": {"prompt": m, "system_prompt": m}, "output": [m, m], "logs": m,
                  "urls": {"web": f"https://replicate.com/p/rp{i}", "get": f"https://api.replicate.com/v1/predictions/rp{i}",
                           "cancel": f"https://api.replicate.com/v1/predictions/rp{i}/cancel"}}
    if i % 2 == 0:
        return {**prediction, "model": "meta/meta-llama-3-70b-instruct", "version": "hidden",
                "metrics": {"predict_time": 2.1, "total_time": 2.9, "input_token_count": 26,
                            "output_token_count": 84, "tokens_per_second": 40.1, "time_to_first_token": 0.35}}
    return _envelope(t, {**prediction, "model": "acme/sdxl-finetune",
                         "version": "da77bc59ee60423279fd632efb4795ab731d9e3ca9705ef3341091fb989b7eaf",
                         "metrics": {"predict_time": 12.5, "total_time": 13.1}}, hardware="gpu-a100-large", marker=m)


def _gpu_seconds(i: int, t: datetime, m: str) -> Record:
    return {"provider": "modal", "object_id": "ap-AbCdEf123456", "app": "llm-server", "environment": "main",
            "interval_start": t.strftime("%Y-%m-%dT%H:00:00"), "hardware": "H100", "seconds": "1800.5"}


def _modal_report(i: int, t: datetime, m: str) -> Record:
    return {"object_id": "ap-AbCdEf123456", "description": "llm-server", "environment": "main",
            "interval_start": t.strftime("%Y-%m-%dT%H:00:00"), "resource": "H100", "cost": "1.97514850"}


def _otel(i: int, t: datetime, m: str) -> Record:
    def attr(key: str, value: Any) -> Record:
        if isinstance(value, int):
            return {"key": key, "value": {"intValue": str(value)}}
        return {"key": key, "value": {"stringValue": value}}

    nanos = str(_unix(t) * 1_000_000_000)
    span = {"traceId": f"{i:032x}", "spanId": f"{i:016x}", "name": "chat gpt-4o", "kind": 3,
            "startTimeUnixNano": nanos, "endTimeUnixNano": nanos, "attributes": [
                attr("gen_ai.provider.name", "openai"), attr("gen_ai.operation.name", "chat"),
                attr("gen_ai.request.model", "gpt-4o"), attr("gen_ai.response.model", "gpt-4o-2024-08-06"),
                attr("gen_ai.response.id", f"chatcmpl-ot{i}"), attr("gen_ai.usage.input_tokens", 2006),
                attr("gen_ai.usage.cache_read.input_tokens", 1920), attr("gen_ai.usage.output_tokens", 300),
                attr("gen_ai.tool.call.arguments", m), attr("gen_ai.system_instructions", m),
                attr("gen_ai.input.messages", m), attr("gen_ai.output.messages", m)]}
    return {"resource": {"attributes": [attr("service.name", "support-bot")]},
            "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.openai"}, "spans": [span]}]}


JSONL_SAMPLES = (
    Sample("openai_chat.jsonl", openai_chat_envelope),
    Sample("openai_stream.jsonl", _openai_stream),
    Sample("openai_batch_output.jsonl", _openai_batch),
    Sample("anthropic_batch_results.jsonl", _anthropic_batch),
    Sample("vertex_batch_prediction.jsonl", _vertex_batch),
    Sample("bedrock_invocations.jsonl.gz", _bedrock_invocation),
    Sample("bedrock_converse.jsonl", _bedrock_converse),
    Sample("azure_chat.jsonl", _azure_chat),
    Sample("groq.jsonl", _groq),
    Sample("together.jsonl", _together),
    Sample("mistral.jsonl", _mistral),
    Sample("deepseek.jsonl", _deepseek),
    Sample("vllm.jsonl", _vllm),
    Sample("cohere.jsonl", _cohere),
    Sample("ollama.jsonl", _ollama),
    Sample("openrouter_generations.jsonl", _openrouter),
    Sample("litellm_spend_logs.jsonl", _litellm),
    Sample("replicate_predictions.jsonl", _replicate),
    Sample("gpu_seconds.jsonl", _gpu_seconds),
)
# One JSON document each: an API page (`data` array) or an export array, pretty-printed as people save them.
DOCUMENT_SAMPLES = (
    Sample("openai_usage_page.json", _openai_usage_bucket),
    Sample("openai_costs_page.json", _openai_cost_bucket),
    Sample("anthropic_usage_report.json", _anthropic_usage_bucket),
    Sample("anthropic_cost_report.json", _anthropic_cost_bucket),
    Sample("langfuse_observations.json", _langfuse),
    Sample("otel_spans.json", _otel),
    Sample("modal_billing_report.json", _modal_report),
)
_CONTAINERS = {"otel_spans.json": "resourceSpans"}
_ARRAYS = ("langfuse_observations.json", "modal_billing_report.json")

OPENAI_USAGE_CSV = [
    "start_time", "end_time", "start_time_iso", "end_time_iso", "project_id", "num_model_requests", "user_id",
    "api_key_id", "model", "batch", "service_tier", "input_tokens", "output_tokens", "input_cached_tokens",
    "input_uncached_tokens", "input_text_tokens", "output_text_tokens", "input_cached_text_tokens",
    "input_audio_tokens", "input_cached_audio_tokens", "output_audio_tokens", "input_image_tokens",
    "input_cached_image_tokens", "output_image_tokens"
]
LITELLM_CSV = [
    "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens", "completion_tokens", "startTime",
    "endTime", "model", "model_group", "custom_llm_provider", "api_base", "user", "end_user", "team_id", "cache_hit",
    "cache_key", "request_tags", "messages", "response", "metadata"
]


def openai_usage_row(i: int, t: datetime) -> list[str]:
    start = _unix(t.replace(hour=0, minute=0, second=0))
    day = t.strftime("%Y-%m-%d")
    return [str(start), str(start + 86400), f"{day}T00:00:00+00:00", f"{day}T00:00:00+00:00", f"proj_csv{i}",
            "10.0", "", "key_csv", "gpt-4o-2024-08-06", "FALSE", "default", "59200.0", "10646.0", "5760.0",
            "53440.0", "53440.0", "10646.0", "5760.0", "0.0", "0.0", "0.0", "0.0", "0.0", "0.0"]


def litellm_row(i: int, t: datetime, m: str) -> list[str]:
    record = _litellm(i, t, m)
    record["request_id"] = f"chatcmpl-llcsv{i}"
    record["startTime"] = t.strftime("%Y-%m-%d %H:%M:%S.123")
    record["endTime"] = t.strftime("%Y-%m-%d %H:%M:%S.456")
    return [orjson.dumps(record[name]).decode() if isinstance(record[name], dict | list) else str(record[name])
            for name in LITELLM_CSV]


def _csv(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def write_format_samples(folder: Path, start: datetime, count: int, marker: str) -> list[Path]:
    """`count` records of every format, spread over the hours after `start`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    moments = [start + timedelta(seconds=(3600 * 24 * i) // max(count, 1)) for i in range(count)]
    written = []
    for sample in JSONL_SAMPLES:
        payload = b"".join(orjson.dumps(sample.build(i, t, marker)) + b"\n" for i, t in enumerate(moments))
        path = folder / sample.file
        path.write_bytes(gzip.compress(payload, mtime=0) if sample.file.endswith(".gz") else payload)
        written.append(path)
    for sample in DOCUMENT_SAMPLES:
        items = [sample.build(i, t, marker) for i, t in enumerate(moments)]
        document: Any = items if sample.file in _ARRAYS else {
            _CONTAINERS.get(sample.file, "data"): items, "has_more": False, "next_page": None}
        path = folder / sample.file
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        written.append(path)
    usage_csv = folder / "openai_usage_export.tsv"
    usage_csv.write_bytes(_csv(OPENAI_USAGE_CSV, [openai_usage_row(i, t) for i, t in enumerate(moments)], "\t"))
    litellm_csv = folder / "litellm_spend_logs.csv"
    litellm_csv.write_bytes(_csv(LITELLM_CSV, [litellm_row(i, t, marker) for i, t in enumerate(moments)]))
    return [*written, usage_csv, litellm_csv]
