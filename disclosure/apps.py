from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "disclosure"

    def ready(self):
        from core.signals import record_changed
        from disclosure.receivers import recompute_market_of_record, recompute_sdg_of_record

        record_changed.connect(recompute_sdg_of_record, dispatch_uid="disclosure.recompute_sdg")
        record_changed.connect(recompute_market_of_record,
                               dispatch_uid="disclosure.recompute_market")
