from django.apps import AppConfig


class MetricsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "metrics"

    def ready(self) -> None:
        # The services queue the recompute tasks by name; importing the module registers them in every process.
        from metrics import tasks  # noqa: F401
