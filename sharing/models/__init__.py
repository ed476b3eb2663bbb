from sharing.models.normalize import StixObject, Submission
from sharing.models.reports import Report

__all__ = ["Report", "StixObject", "Submission"]
