from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"

    def ready(self):
        from core.signals import record_changed
        from deals.receivers import recompute_risk_of_record, refresh_deals_of_record

        record_changed.connect(refresh_deals_of_record, dispatch_uid="deals.refresh_deals")
        record_changed.connect(recompute_risk_of_record, dispatch_uid="deals.recompute_risk")
