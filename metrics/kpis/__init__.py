"""Pure KPI functions: numbers in, numbers out, no ORM (see metrics/fetch.py for the queries)."""
