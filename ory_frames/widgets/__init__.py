"""Notebook forms over Client calls: recovery codes and links, OIDC test logins, sessions, data-subject requests.

Every form is an ``ipywidgets.VBox``: leave one as the last expression of a cell to show it, in
JupyterLab, Notebook 7 or VS Code. The forms send requests only through the ``Client`` they are given.
Needs the ``widgets`` extra: ``pip install 'ory-frames[widgets]'``.
"""

from __future__ import annotations

try:
    import ipywidgets as _ipywidgets  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "ory_frames.widgets needs ipywidgets; install the extra with: pip install 'ory-frames[widgets]'"
    ) from exc

from ._recovery import RecoveryForm
from ._sessions_panel import SessionsPanel
from ._subject import SubjectRequestPanel
from ._test_login import TestLoginFlowForm, read_login_flow

__all__ = ["RecoveryForm", "SessionsPanel", "SubjectRequestPanel", "TestLoginFlowForm", "read_login_flow"]
