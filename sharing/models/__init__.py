from sharing.models.reports import Report

__all__ = ["Report"]
