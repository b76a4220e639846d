from django.core.management.base import BaseCommand, CommandError

from core.tabular import TableInvalid
from disclosure.bundle import import_bundle, read_bundle


class Command(BaseCommand):
    help = ("Import an interchange bundle (folder or .zip of CSV files: registry, deals and "
            "filings), all or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="bundle folder or .zip file")

    def handle(self, *args, path, **options):
        try:
            files = read_bundle(path)
        except (FileNotFoundError, OSError) as exc:
            raise CommandError(str(exc)) from None
        try:
            summary = import_bundle(files)
        except TableInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(exc.problems)} problem(s) found; nothing was imported.") from None
        self.stdout.write(self.style.SUCCESS(f"Imported {path}: {summary}"))
