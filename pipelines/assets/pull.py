"""raw.provider_pulls: the providers' admin usage and cost reports, fetched into the landing folder before ingest."""

from pathlib import Path

import dagster as dg

from pipelines.pull import PROVIDERS, PullError, configured, pull_provider
from pipelines.resources import SourcesResource, WarehouseResource


@dg.asset(
    key=["raw", "provider_pulls"],
    group_name="raw",
    kinds={"python", "duckdb"},
    pool="duckdb_writer",
    description="The OpenAI and Anthropic admin usage and cost reports, for each provider whose admin key is set "
    "(OPENAI_ADMIN_KEY, ANTHROPIC_ADMIN_KEY), written to <landing>/pulled/ one file per day; the cursor is "
    "raw.pull_state.",
)
def provider_pulls(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource
) -> dg.MaterializeResult:
    metadata: dict[str, dg.RawMetadataValue] = {}
    skipped: list[str] = []
    failures: list[str] = []
    for provider in PROVIDERS.values():
        if not configured(provider):
            skipped.append(f"{provider.name} ({provider.key_env} is not set)")
            continue
        try:
            records = pull_provider(provider, Path(sources.landing), warehouse.connection, notify=context.log.info)
        except PullError as exc:
            # The other provider still pulls. Failing afterwards shows the refused key or the outage; the files
            # that did land are still ingested, by the landing sensor's run.
            failures.append(f"{provider.name}: {exc}")
            continue
        for record in records:
            metadata[f"{record.provider}/{record.report}"] = dg.MetadataValue.json({
                "first_day": record.first_day.isoformat(), "last_complete_day": record.last_complete_day.isoformat(),
                "days_fetched": record.days_fetched, "days_written": record.days_written, "pages": record.pages,
                "rows": record.rows, "retries": record.retries,
            })
    if failures:
        raise dg.Failure("; ".join(failures))
    metadata["skipped"] = ", ".join(skipped) or "none"
    if len(skipped) == len(PROVIDERS):
        context.log.info("no admin key is set: nothing pulled")
    return dg.MaterializeResult(metadata=metadata)

