"""Every change to watch lists, alerts and acknowledgements goes through these functions."""

from sharing.alerts.services.acknowledgements import alert_set_state, report_acknowledge
from sharing.alerts.services.emails import alert_email_send
from sharing.alerts.services.scanning import (
    alert_scan_run,
    alert_scan_write,
    alert_summary,
    alerts_sweep,
)
from sharing.alerts.services.watchlist import watched_asset_add, watched_asset_remove

__all__ = [
    "alert_email_send",
    "alert_scan_run",
    "alert_scan_write",
    "alert_set_state",
    "alert_summary",
    "alerts_sweep",
    "report_acknowledge",
    "watched_asset_add",
    "watched_asset_remove",
]
