"""Reading KPIs from the snapshot table, one module per use: cards, leaderboards, reports, freshness, targets."""
