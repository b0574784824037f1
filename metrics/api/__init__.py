"""The REST API under /api/v1/: the snapshot KPIs, the drill-down, targets, imports and recomputes."""
