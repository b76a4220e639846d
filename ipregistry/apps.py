from django.apps import AppConfig


class IpregistryConfig(AppConfig):
    name = "ipregistry"
    verbose_name = "IP registry"
