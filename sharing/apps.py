from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Threat sharing"

    def ready(self) -> None:
        from sharing import checks  # noqa: F401  (registers the system checks)
        from sharing.fanout import checks as fanout_checks  # noqa: F401
