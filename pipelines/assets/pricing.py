"""core.price_rates: the YAML catalogue validated and flattened into a rate card."""


import dagster as dg

from pipelines.pricing.rates import build_rate_rows
from pipelines.pricing.store import write_rate_card
from pipelines.resources import SourcesResource, WarehouseResource


@dg.asset(
    key=["core", "price_rates"],
    group_name="core",
    kinds={"duckdb", "yaml"},
    pool="duckdb_writer",
    description="Effective-dated list prices per model, tier, batch flag and context band, from pricing/*.yaml.",
)
def price_rates(warehouse: WarehouseResource, sources: SourcesResource) -> dg.MaterializeResult:
    catalogue = sources.catalogue()
    rows = build_rate_rows(catalogue)
    with warehouse.connection() as conn:
        count = write_rate_card(conn, rows)
    return dg.MaterializeResult(
        metadata={"catalogue_version": catalogue.version, "dagster/row_count": count,
                  "models": sum(len(p.models) for p in catalogue.providers.values())}
    )
