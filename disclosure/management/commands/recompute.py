"""Recompute indicators in the foreground, with a progress bar: the same work the background
jobs do, recorded as runs."""

from django.core.management.base import BaseCommand, CommandError

from disclosure.recompute import RECOMPUTES

BAR = 30


class Command(BaseCommand):
    help = "Recompute risk, SDG or market indicators now (all of them with 'all')."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[*RECOMPUTES, "all"])

    def handle(self, *args, kind, **options):
        kinds = list(RECOMPUTES) if kind == "all" else [kind]
        failed = []
        for name in kinds:
            run_here, _ = RECOMPUTES[name]
            run = run_here(trigger="command", progress=self._progress(name))
            self.stdout.write("")
            self.stdout.write(f"{name}: {run.status}, {run.done}/{run.total} done, "
                              f"counts {run.counts}" + (f", {len(run.errors)} error(s)"
                                                        if run.errors else ""))
            for error in run.errors[:20]:
                self.stderr.write(f"  {error['scope']}: {error['error']}")
            if run.status != "succeeded" or run.errors:
                failed.append(name)
        if failed:
            raise CommandError(f"Errors in: {', '.join(failed)} (see the runs above).")

    def _progress(self, name):
        def show(done: int, total: int) -> None:
            filled = BAR * done // total if total else BAR
            self.stdout.write(f"\r{name:<7} [{'#' * filled}{'.' * (BAR - filled)}] "
                              f"{done}/{total}", ending="")
            self.stdout.flush()
        return show
