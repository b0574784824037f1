import json

from django.core.management.base import BaseCommand, CommandError

from metrics.registry import KPI_BY_KEY, Unit
from metrics.selectors.reports import ReportError, kpi_report_live, kpi_report_query, kpi_report_snapshot


class Command(BaseCommand):
    help = (
        "Print the KPIs of one scope and period, from the stored snapshots or (--live) computed from the facts. "
        "Scope: company, territory:<code> or rep:<external_id>. Period: YYYY-MM, YYYY-Qn, YYYY or "
        "YYYY-MM-DD..YYYY-MM-DD (ranges with --live)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scope", required=True)
        parser.add_argument("--period", required=True)
        parser.add_argument("--kpi", help="comma-separated KPI keys (default: all)")
        parser.add_argument("--live", action="store_true", help="compute from the facts instead of snapshots")
        parser.add_argument("--format", choices=["json", "table"], default="json")

    def handle(self, *args, scope, period, kpi, live, format, **options):
        try:
            query = kpi_report_query(scope=scope, period=period, kpis=kpi)
            report = kpi_report_live(query) if live else kpi_report_snapshot(query)
        except ReportError as exc:
            raise CommandError(f"--{exc.field}: {exc.message}") from None
        if report is None:
            raise CommandError(
                f"no snapshot for {query.scope} {query.period.label}: run `manage.py recompute_kpis` or use --live"
            )
        if format == "json":
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(self._table(report))

    @staticmethod
    def _table(report: dict) -> str:
        def show(key: str, value) -> str:
            if value is None:
                return "no data"
            unit = KPI_BY_KEY[key].unit
            if unit is Unit.RATIO:
                return f"{value * 100:.1f}%"
            if unit is Unit.CURRENCY:
                return f"{value:,.2f}"
            if unit is Unit.MULTIPLE:
                return f"{value:.2f}x"
            return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"

        lines = [
            f"{report['scope']} · {report['period']} ({report['start']} – {report['end']}) · as of {report['as_of']}",
            "",
            f"{'KPI':<28} {'value':>16} {'n':>8} {'95% interval':>22} {'target':>16} {'attain.':>8}  flags",
        ]
        for key, entry in report["kpis"].items():
            interval = ""
            if entry["ci_low"] is not None:
                interval = f"{show(key, entry['ci_low'])} – {show(key, entry['ci_high'])}"
            n = "" if entry["n"] is None else f"{entry['n']:,}"
            target = "" if entry["target"] is None else show(key, entry["target"])
            attain = "" if entry["attainment"] is None else f"{entry['attainment'] * 100:.0f}%"
            flags = " ".join(f for f in ("low_sample", "provisional") if entry[f])
            label = KPI_BY_KEY[key].label
            lines.append(
                f"{label:<28} {show(key, entry['value']):>16} {n:>8} {interval:>22} {target:>16} {attain:>8}  {flags}"
            )
        return "\n".join(lines)
