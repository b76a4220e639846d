from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"

    def ready(self):
        from deals.receivers import refresh_deals_of_record
        from ipregistry.signals import record_changed

        record_changed.connect(refresh_deals_of_record, dispatch_uid="deals.refresh_deals")
