"""Load the disclosure templates kept in the repository: new versions are stored and
activated; unchanged ones are left alone; a changed active version is refused."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from disclosure.templates_loader import TEMPLATE_DIR, load_templates


class Command(BaseCommand):
    help = "Load disclosure template definitions (YAML) into the database."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(TEMPLATE_DIR),
                            help=f"directory of *.yaml definitions (default {TEMPLATE_DIR})")

    def handle(self, *args, dir, **options):
        try:
            with transaction.atomic():
                loaded = load_templates(directory=Path(dir))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        for template, created in loaded:
            state = "loaded" if created else "unchanged"
            self.stdout.write(f"{template.key:<32} {template.status:<8} {state}")
