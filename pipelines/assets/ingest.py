"""raw.usage_files: load new landing files into staging (unpartitioned; incremental by file ledger)."""


from pathlib import Path

import dagster as dg

from pipelines.ingest.loader import ingest_landing
from pipelines.resources import SourcesResource, WarehouseResource


@dg.asset(
    key=["raw", "usage_files"],
    group_name="raw",
    kinds={"duckdb", "python"},
    pool="duckdb_writer",
    # A run that selects both pulls from the admin APIs before it reads the landing folder.
    deps=[dg.AssetKey(["raw", "provider_pulls"])],
    description="Landing files read into staging.usage_records, staging.reported_costs, raw.rejects and "
    "raw.file_ledger; "
    "a file already loaded with the same sha256 is skipped, a changed file replaces its old rows.",
)
def usage_files(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource
) -> dg.MaterializeResult:
    landing = Path(sources.landing)
    if not landing.is_dir():
        raise dg.Failure(f"landing folder {landing} does not exist")

    def progress(path: str, index: int, total: int) -> None:
        if index == 1 or index == total or index % 25 == 0:
            context.log.info(f"file {index}/{total}: {path}")

    with warehouse.connection() as conn:
        report = ingest_landing(conn, landing, progress)
    if report.files_unreadable:
        context.log.warning(f"{report.files_unreadable} landing entries cannot be read (broken links, link loops);"
                            " see raw.rejects")
    if report.rows_rejected:
        context.log.warning(f"{report.rows_rejected} lines rejected; see raw.rejects for file, line and reason")
    span = report.date_range
    return dg.MaterializeResult(
        metadata={
            "files_seen": report.files_seen,
            "files_loaded": report.files_loaded,
            "files_skipped": report.files_skipped,
            "files_duplicate": report.files_duplicate,
            "files_unreadable": report.files_unreadable,
            "rows_loaded": report.rows_loaded,
            "rows_rejected": report.rows_rejected,
            "records_skipped": report.records_skipped,
            "cost_rows": report.cost_rows,
            "first_affected_day": span[0].isoformat() if span else "",
            "last_affected_day": span[1].isoformat() if span else "",
        }
    )
