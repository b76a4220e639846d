from django.core.management.base import BaseCommand

from disclosure.bundle import export_bundle


class Command(BaseCommand):
    help = ("Export the registry, the deals and the filings as an interchange bundle (a folder, "
            "or a .zip file).")

    def add_arguments(self, parser):
        parser.add_argument("path", help="folder to write, or a path ending in .zip")

    def handle(self, *args, path, **options):
        counts = export_bundle(path)
        listing = ", ".join(f"{name}: {count} rows" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Exported to {path} ({listing})"))
