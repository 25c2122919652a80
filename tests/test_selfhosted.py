"""Self-hosted GPU cost: each day's GPU cost of a deployment shared out over the requests it served, by hand.

Two deployments, input tokens weighted 1 and output tokens 3:
- llama-a100: 1 GPU at $2/GPU-hour, up all day: $48 a day, 1,000 tokens/s (86.4M tokens a day);
- qwen-h100: 2 GPUs at $3/GPU-hour, up 12 h on weekdays only: $72 on a weekday, $0 on a weekend.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from pipelines.pricing.catalogue import CatalogueError
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import envelope, make_settings, read, write_jsonl

SELFHOSTED = """\
input_weight: 1
output_weight: 3
deployments:
  - {name: llama-a100, models: ["meta-llama/llama-3.1-8b*", "llama-3.1-8b*"], gpu_type: A100, gpus: 1,
     usd_per_gpu_hour: 2, tokens_per_second: 1000}
  - name: qwen-h100
    models: ["qwen/*"]
    gpu_type: H100
    gpus: 2
    usd_per_gpu_hour: 3
    schedule: {mon: 12, tue: 12, wed: 12, thu: 12, fri: 12}
"""


def _vllm(rid: str, model: str, prompt: int, completion: int, day: str) -> dict[str, Any]:
    return envelope(f"{day}T12:00:00Z", {
        "id": rid, "object": "chat.completion", "model": model,
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}, provider="openai", project="lab")


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("selfhosted"))
    write_jsonl(settings.landing / "vllm.jsonl", [
        # Tuesday 10 March: llama weights 500 + 3 x 50 = 650 and 1,000 + 3 x 250 = 1,750 (of 2,400): $13 and $35.
        _vllm("chatcmpl-l1", "meta-llama/Llama-3.1-8B-Instruct", 500, 50, "2026-03-10"),
        _vllm("chatcmpl-l2", "meta-llama/Llama-3.1-8B-Instruct", 1000, 250, "2026-03-10"),
        # qwen weights 2,000 and 600 + 3 x 200 = 1,200 (of 3,200): $45 and $27 of $72.
        _vllm("chatcmpl-q1", "Qwen/Qwen2.5-7B-Instruct", 2000, 0, "2026-03-10"),
        _vllm("chatcmpl-q2", "Qwen/Qwen2.5-7B-Instruct", 600, 200, "2026-03-10"),
        # Saturday 14 March: one llama request carries the whole $48; qwen is down.
        _vllm("chatcmpl-l3", "meta-llama/Llama-3.1-8B-Instruct", 100, 10, "2026-03-14"),
        # An API request is priced by the catalogue, not by a GPU: gpt-4o, 1,000 x $2.50/M + 100 x $10/M = $0.0035.
        _vllm("chatcmpl-api", "gpt-4o-2024-08-06", 1000, 100, "2026-03-10"),
        # Groq's llama matches the llama deployment's patterns, but Groq bills it per token ($0.05/M, $0.08/M):
        # 10,000 x 0.05 + 1,000 x 0.08 = $0.00058, and none of the GPU day.
        {**_vllm("chatcmpl-groq", "llama-3.1-8b-instant", 10_000, 1000, "2026-03-10"), "provider": "groq"},
    ])
    path = settings.landing.parent / "selfhosted.yaml"
    path.write_text(SELFHOSTED, encoding="utf-8")
    settings = dataclasses.replace(settings, selfhosted=path)
    run_pipeline(settings)
    return settings


def test_a_day_of_gpu_cost_shared_over_the_requests_of_two_deployments(hosted: Settings) -> None:
    allocated = dict(read(hosted, "SELECT event_id || ' ' || deployment, allocated_cost_usd FROM core.gpu_allocation"))
    assert allocated == {
        "openai:chatcmpl-l1 llama-a100": Decimal(13), "openai:chatcmpl-l2 llama-a100": Decimal(35),
        "openai:chatcmpl-q1 qwen-h100": Decimal(45), "openai:chatcmpl-q2 qwen-h100": Decimal(27),
        "openai:chatcmpl-l3 llama-a100": Decimal(48)}


def test_per_deployment_cost_per_million_utilisation_and_idle(hosted: Settings) -> None:
    rows = read(hosted, "SELECT usage_date::VARCHAR, deployment, gpu_hours, gpu_cost_usd, requests, input_tokens,"
                        " output_tokens, allocated_cost_usd, cost_per_1m_tokens_usd, utilisation, idle_cost_usd"
                        " FROM marts.selfhosted_daily ORDER BY 1, 2")
    assert rows == [
        # 1,800 tokens served of 86.4M: $48 x 1e6 / 1,800 = $26,666.666667 per 1M; 0.0021% used, $47.999 idle.
        ("2026-03-10", "llama-a100", 24, 48, 2, 1500, 300, 48, Decimal("26666.666667"), Decimal("0.000021"),
         Decimal("47.999")),
        # 2 GPUs x 12 h; $72 x 1e6 / 2,800 = $25,714.285714; no throughput stated, so no utilisation.
        ("2026-03-10", "qwen-h100", 24, 72, 2, 2600, 200, 72, Decimal("25714.285714"), None, None),
        # Wednesday to Friday both are up and serve nothing: every dollar is idle.
        *[(day, name, 24, cost, 0, 0, 0, 0, None, utilisation, cost)
          for day in ("2026-03-11", "2026-03-12", "2026-03-13")
          for name, cost, utilisation in (("llama-a100", 48, 0), ("qwen-h100", 72, None))],
        # Saturday: 110 tokens carry the whole $48: $436,363.636364 per 1M; $48 x (1 - 110 / 86.4M) idle.
        ("2026-03-14", "llama-a100", 24, 48, 1, 100, 10, 48, Decimal("436363.636364"), Decimal("0.000001"),
         Decimal("47.999938888889")),
        # Down on Saturdays: no hours, no cost, nothing idle.
        ("2026-03-14", "qwen-h100", 0, 0, 0, 0, 0, 0, None, None, 0),
    ]


def test_self_hosted_cost_flows_into_the_spend_marts_marked_apart(hosted: Settings) -> None:
    rows = read(hosted, "SELECT usage_date::VARCHAR, model, requests, list_cost_usd, selfhosted_cost_usd,"
                        " unpriced_requests FROM marts.daily_model_spend ORDER BY 1, 2")
    assert rows == [
        ("2026-03-10", "gpt-4o", 1, Decimal("0.0035"), 0, 0),
        ("2026-03-10", "llama-3.1-8b-instant", 1, Decimal("0.00058"), 0, 0),
        ("2026-03-10", "meta-llama/llama-3.1-8b-instruct", 2, 0, 48, 0),
        ("2026-03-10", "qwen/qwen2.5-7b-instruct", 2, 0, 72, 0),
        ("2026-03-14", "meta-llama/llama-3.1-8b-instruct", 1, 0, 48, 0)]
    assert read(hosted, "SELECT project, sum(selfhosted_cost_usd) FROM marts.daily_project_spend GROUP BY 1") == [
        ("lab", Decimal(168))]


def test_rebuilding_the_days_gives_the_same_allocation(hosted: Settings) -> None:
    before = read(hosted, "SELECT * FROM marts.selfhosted_daily ORDER BY ALL")
    run_pipeline(hosted)
    assert read(hosted, "SELECT * FROM marts.selfhosted_daily ORDER BY ALL") == before
    assert read(hosted, "SELECT count(*), sum(allocated_cost_usd) FROM core.gpu_allocation") == [(5, Decimal(168))]


def test_a_bad_deployments_file_names_the_file_and_field(tmp_path: Any) -> None:
    settings = make_settings(tmp_path)
    path = tmp_path / "selfhosted.yaml"
    path.write_text("deployments:\n  - {name: x, models: ['*'], gpu_type: A100, gpus: 0, usd_per_gpu_hour: 2}\n",
                    encoding="utf-8")
    with pytest.raises(CatalogueError, match="gpus") as error:
        run_pipeline(dataclasses.replace(settings, selfhosted=path))
    assert str(path) in str(error.value)
