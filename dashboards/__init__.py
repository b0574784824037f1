"""Every page a person reads: dashboards, scorecards, leaderboards, drill-downs, CSV exports, KPI cards and charts."""
