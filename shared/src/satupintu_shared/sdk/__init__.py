"""The SatuPintu SDK for agency systems (see ``docs/sdk.md``).

>>> from satupintu_shared.sdk import AgencyClient
"""

from .agency import AgencyClient, ReportOptions, current_traceparent
from .credentials import AgencyCredentials, InvalidCredentials
from .ids import assignment_marker, report_event_id, submission_event_id

__all__ = [
    "AgencyClient",
    "AgencyCredentials",
    "InvalidCredentials",
    "ReportOptions",
    "assignment_marker",
    "current_traceparent",
    "report_event_id",
    "submission_event_id",
]
