from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"

    def ready(self):
        from core.signals import record_changed
        from deals.receivers import refresh_deals_of_record

        record_changed.connect(refresh_deals_of_record, dispatch_uid="deals.refresh_deals")
