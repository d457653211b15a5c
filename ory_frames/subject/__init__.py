"""Data-subject requests: report what Ory holds about one person, or erase them, with a receipt.

Ory has no endpoint for GDPR/CCPA access and erasure requests; these two functions assemble them from
the Identity admin API::

    report = subject_report(client, "ada@example.org", path="dsar/")   # JSON + HTML, no secrets
    receipt = erase_subject(client, report.identity_id, confirm=report.identity_id)
    receipt.json                                                        # names no one but the id

A subject is named by an identity id, an external id or a credential identifier such as an email;
see :func:`subject_report` for the lookup order.
"""

from __future__ import annotations

from ._erase import ErasureError, ErasureReceipt, ErasureStep, erase_subject
from ._errors import AmbiguousSubjectError, SubjectNotFoundError
from ._lookup import SubjectLookup
from ._lookup import is_uuid as is_uuid  # offered to the command line (--by auto)
from ._report import SubjectReport, subject_report

__all__ = [
    "AmbiguousSubjectError",
    "ErasureError",
    "ErasureReceipt",
    "ErasureStep",
    "SubjectLookup",
    "SubjectNotFoundError",
    "SubjectReport",
    "erase_subject",
    "subject_report",
]
