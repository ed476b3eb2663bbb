from sharing.models.normalize import Indicator, ReportIndicator, StixObject, Submission
from sharing.models.reports import Report

__all__ = ["Indicator", "Report", "ReportIndicator", "StixObject", "Submission"]
