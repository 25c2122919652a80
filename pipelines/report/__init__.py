"""`meterline report`: a period's spend read from the marts, as a terminal summary and a self-contained HTML page."""
