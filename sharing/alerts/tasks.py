"""Celery tasks for alerts: each takes an id and calls a service."""

from celery import shared_task

from sharing.alerts import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def alerts_scan(scan_id: int) -> int:
    return services.alert_scan_run(scan_id=scan_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_alert_email(alert_id: int) -> int:
    return services.alert_email_send(alert_id=alert_id)


@shared_task(acks_late=True, ignore_result=True)
def alerts_sweep() -> int:
    return services.alerts_sweep()
