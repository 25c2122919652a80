"""Daily UTC partitions for everything from core.usage_events down."""

import dagster as dg

# end_offset=1 keeps today's partition, so a run during the day can price what has landed so far.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2020-01-01", timezone="UTC", end_offset=1)
