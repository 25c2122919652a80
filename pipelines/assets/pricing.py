"""core.price_rates and core.contract_terms: the YAML catalogue and the user's contract overlay, in the warehouse."""


import dagster as dg

from pipelines.pricing.contracts import write_contract_terms
from pipelines.pricing.rates import build_rate_card
from pipelines.pricing.store import write_rate_card
from pipelines.resources import SourcesResource, WarehouseResource


@dg.asset(
    key=["core", "price_rates"],
    group_name="core",
    kinds={"duckdb", "yaml"},
    pool="duckdb_writer",
    description="Effective-dated list prices per model, tier, batch flag, scope, time window and context band, "
    "from pricing/*.yaml; every catalogue version is kept.",
)
def price_rates(warehouse: WarehouseResource, sources: SourcesResource) -> dg.MaterializeResult:
    catalogue = sources.catalogue()
    card = build_rate_card(catalogue)
    with warehouse.connection() as conn:
        count = write_rate_card(conn, catalogue, card)
    return dg.MaterializeResult(
        metadata={"catalogue_version": catalogue.version, "dagster/row_count": count,
                  "models": sum(len(p.models) for p in catalogue.providers.values())}
    )


@dg.asset(
    key=["core", "contract_terms"],
    group_name="core",
    kinds={"duckdb", "yaml"},
    pool="duckdb_writer",
    description="The user's negotiated discounts, rates and commitments (METERLINE_CONTRACTS), in file order.",
)
def contract_terms(warehouse: WarehouseResource, sources: SourcesResource) -> dg.MaterializeResult:
    contracts = sources.contract_overlay()
    with warehouse.connection() as conn:
        count = write_contract_terms(conn, contracts)
    return dg.MaterializeResult(metadata={"contracts_version": contracts.version, "dagster/row_count": count})
