"""Pull every configured lever on the priced traffic of the basis days; write marts.savings_opportunities."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from fnmatch import fnmatchcase

import duckdb

from models.savings import SavingsFile
from pipelines.warehouse import sql_text
from pipelines.whatif.levers import Opportunity, Pricer, Volume, batch, cache, monthly_factor, self_host, swap

_VOLUME_FIELDS = [field.name for field in fields(Volume)]


@dataclass(frozen=True)
class Basis:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def find_basis(conn: duckdb.DuckDBPyConnection, days: int, first: date | None = None,
               last: date | None = None) -> Basis | None:
    """The last `days` days up to the last day with priced spend (or the given range), within the history."""
    row = conn.execute("SELECT min(usage_date), max(usage_date) FROM core.usage_priced"
                       " WHERE cost_status = 'priced'").fetchone()
    if not row or row[0] is None:
        return None
    end = min(last, row[1]) if last else row[1]
    start = max(first or end - timedelta(days=days - 1), row[0])
    return Basis(start, end) if start <= end else None


def load_volumes(conn: duckdb.DuckDBPyConnection, basis: Basis, project: str | None = None) -> list[Volume]:
    rows = conn.execute(sql_text("marts/savings_opportunities.volumes"),
                        {"basis_from": basis.first, "basis_to": basis.last, "project": project}).fetchall()
    return [Volume(**dict(zip(_VOLUME_FIELDS, row, strict=True))) for row in rows]


def unknown_targets(config: SavingsFile, volumes: list[Volume], pricer: Pricer) -> list[str]:
    """Swap targets the catalogue does not list, as the traffic they would apply to would name them: a bare model id
    means the traffic's own provider, so another vendor's model needs `provider/model`."""
    missing = set()
    for volume in volumes:
        for targets in swap_targets(config, volume.model):
            for name in targets:
                provider, model = name.split("/", 1) if "/" in name else (volume.provider, name)
                if not pricer.knows(provider, model):
                    missing.add(f"{provider}/{model}")
    return sorted(missing)


def swap_targets(config: SavingsFile, model: str) -> list[list[str]]:
    """Every target list that applies to `model`: one model, or the members of a class (the cheapest wins)."""
    return [[rule.to] if rule.to else config.classes[rule.to_class or ""]
            for rule in config.swaps if fnmatchcase(model, rule.from_models)]


def find_opportunities(volumes: list[Volume], pricer: Pricer, config: SavingsFile, basis: Basis,
                       cache_target: Decimal | None = None, with_batch: bool = True) -> list[Opportunity]:
    """Every lever for each project and model (its price variants together), then each self-host deployment per
    project and, with several projects, for all of them together."""
    factor = monthly_factor(basis.days)
    groups: dict[tuple[str, str, str], list[Volume]] = {}
    for volume in volumes:
        groups.setdefault((volume.project, volume.provider, volume.model), []).append(volume)
    found: list[Opportunity | None] = []
    for (_, _, model), group in groups.items():
        found.append(cache(group, pricer, factor, points=config.cache_points, target=cache_target))
        if with_batch:
            found.append(batch(group, pricer, factor))
        found.extend(swap(group, pricer, factor, targets) for targets in swap_targets(config, model))
    projects = sorted({volume.project for volume in volumes})
    for deployment in config.self_host:
        for project in projects:
            found.append(self_host([v for v in volumes if v.project == project], pricer, factor, deployment,
                                   project))
        if len(projects) > 1:
            found.append(self_host(volumes, pricer, factor, deployment, "*"))
    # Two rules may reach the same target for the same traffic: it is one opportunity.
    unique = {(o.lever, o.project, o.provider, o.model, o.target): o for o in found if o is not None}
    return list(unique.values())


def write_opportunities(conn: duckdb.DuckDBPyConnection, found: list[Opportunity], basis: Basis,
                        generated_on: date) -> int:
    rows = [(generated_on, basis.first, basis.last, o.lever, o.project, o.provider, o.model, o.target, o.requests,
             o.tokens, o.current_cost_usd, o.whatif_cost_usd, o.saving_usd, o.monthly_saving_usd, o.price_ratio,
             o.cache_hit_rate, o.whatif_cache_hit_rate, o.tokens_per_month, o.crossover_tokens_per_month,
             o.assumption) for o in found]
    conn.execute("BEGIN")
    try:
        conn.execute("DELETE FROM marts.savings_opportunities")
        if rows:
            conn.executemany("INSERT INTO marts.savings_opportunities VALUES"
                             " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(rows)
