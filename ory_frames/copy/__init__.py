"""Move users: copy identities with their credentials from one project to another, resumably.

:func:`copy_identities` (``ory-frames copy``) reads a source project with its password hashes and
OIDC/SAML providers, matches what the target already holds, creates the rest in batches and
reports, per source identity, what happened; a state file makes a rerun after any interruption
create each identity exactly once.
"""

from __future__ import annotations

from ._result import CopyResult
from ._run import copy_identities

__all__ = ["CopyResult", "copy_identities"]
