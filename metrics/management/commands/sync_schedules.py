from django.core.management.base import BaseCommand

from kpi_dashboard.schedules import schedules_defined, schedules_sync


class Command(BaseCommand):
    help = "Write the product's periodic tasks (kpi_dashboard/schedules.py) into django-celery-beat's tables."

    def handle(self, *args, **options):
        written = schedules_sync()
        for schedule in schedules_defined():
            self.stdout.write(f"{schedule.name}: {schedule.task} at {schedule.hour}:{schedule.minute} UTC")
        self.stdout.write(self.style.SUCCESS(f"{written} schedule(s) created or updated"))
