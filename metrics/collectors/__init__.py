"""The KPI collectors, one per KPI family, in the order the engine runs them.

Every KPI of ``metrics.registry.KPIS`` is produced by exactly one collector; a
collector that needs another's output comes after it. Adding a KPI is an entry
in the registry and a key in one collector.
"""

from metrics.collectors.acquisition import ACQUISITION
from metrics.collectors.activities import ACTIVITIES
from metrics.collectors.base import Collector
from metrics.collectors.created import CREATED
from metrics.collectors.customers import CUSTOMERS
from metrics.collectors.cycle import CYCLE
from metrics.collectors.deals import DEALS
from metrics.collectors.growth import GROWTH
from metrics.collectors.pipeline import PIPELINE
from metrics.collectors.quota import QUOTA
from metrics.collectors.surveys import SURVEYS
from metrics.collectors.team import TEAM

COLLECTORS: tuple[Collector, ...] = (
    DEALS,
    GROWTH,
    CYCLE,
    CREATED,
    ACTIVITIES,
    SURVEYS,
    CUSTOMERS,
    ACQUISITION,
    PIPELINE,
    QUOTA,
    TEAM,
)

__all__ = ["COLLECTORS", "Collector"]
