"""SubjectRequestPanel: find a person by email, id or external id, show what Ory holds, erase after a confirm."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..subject import ErasureError, ErasureReceipt, SubjectNotFoundError, SubjectReport, erase_subject, subject_report
from ._common import OK_STYLE, busy, error_html, fit, run_guarded

if TYPE_CHECKING:
    from ory_frames.client import Client

_FIND_BY_OPTIONS: list[tuple[str, str]] = [
    ("Any: email, id or external id", "auto"),
    ("Identity id", "id"),
    ("External id", "external_id"),
    ("Credential identifier", "credentials_identifier"),
]


class SubjectRequestPanel(w.VBox):  # type: ignore[misc]
    """A form for data-subject requests: find a person, show the report, erase them after a confirm step.

    It calls :func:`ory_frames.subject.subject_report` and :func:`ory_frames.subject.erase_subject`;
    the panel makes no HTTP call of its own. Erasing takes two clicks (erase, then confirm) and applies
    to the identity whose report is shown; editing the search clears the report, so nothing unseen is
    erased.

    Parameters
    ----------
    client : Client
        The client that sends every request.
    identity : str, optional
        A search to run straight away: an email, identity id or external id.

    Attributes
    ----------
    report : SubjectReport or None
        The report shown, if any.
    result : ErasureReceipt or None
        The receipt of the last erasure.

    Examples
    --------
    >>> panel = SubjectRequestPanel(client)  # doctest: +SKIP
    >>> panel.query.value = "ada@example.org"; panel.find_button.click()  # doctest: +SKIP
    >>> panel.erase_button.click(); panel.confirm_button.click(); panel.result.status  # doctest: +SKIP
    'erased'
    """

    def __init__(self, client: Client, *, identity: str | None = None) -> None:
        self._client = client
        self.report: SubjectReport | None = None
        self.result: ErasureReceipt | None = None
        self._pending: Callable[[], None] | None = None

        self.find_by = w.Dropdown(
            options=_FIND_BY_OPTIONS, value="auto", description="Find by", layout=w.Layout(width="300px")
        )
        self.query = w.Text(
            description="Person",
            placeholder="someone@example.com, an identity id or an external id",
            style={"description_width": "60px"},
            layout=w.Layout(width="420px"),
        )
        self.find_button = w.Button(description="Find", icon="search", button_style="primary", layout=fit())
        self.found = w.HTML()
        self.report_view = w.HTML()
        self.erase_button = w.Button(
            description="Erase this person…", icon="trash", button_style="danger", disabled=True, layout=fit()
        )
        self.confirm_text = w.HTML()
        self.confirm_button = w.Button(description="Yes, erase", button_style="danger", layout=fit())
        self.cancel_button = w.Button(description="Cancel", layout=fit())
        self.confirm_bar = w.HBox([self.confirm_text, self.confirm_button, self.cancel_button])
        self.confirm_bar.layout.display = "none"
        self.status = w.HTML()

        self.find_button.on_click(lambda _b: self.find())
        self.query.observe(self._on_edit, names="value")
        self.find_by.observe(self._on_edit, names="value")
        self.erase_button.on_click(lambda _b: self._ask_erase())
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.cancel_button.on_click(lambda _b: self._hide_confirm())
        super().__init__(
            [
                w.HTML("<b>Data-subject request</b>"),
                w.HBox([self.find_by, self.query, self.find_button]),
                self.found,
                self.erase_button,
                self.confirm_bar,
                self.status,
                self.report_view,
            ]
        )
        if identity is not None and identity.strip():
            self.query.value = identity.strip()
            self.find()

    # --- plumbing -------------------------------------------------------------------------------------

    def _guarded(self, action: Callable[[], None]) -> None:
        with busy(self.find_button, self.erase_button, self.confirm_button):
            run_guarded(action, self._show_error)
        self.erase_button.disabled = self.report is None  # only a report on screen can be erased

    def _show_error(self, exc: BaseException) -> None:
        # "Nobody matches" is our finding, not an answer from Ory: say it in its own words.
        self.status.value = error_html(str(exc) if isinstance(exc, SubjectNotFoundError) else exc)

    def _clear(self) -> None:
        self.report = None
        self.found.value = ""
        self.report_view.value = ""
        self.erase_button.disabled = True
        self._hide_confirm()

    def _on_edit(self, _change: Any = None) -> None:
        if self.report is not None:
            self._clear()  # the erase button only ever applies to the report on screen

    # --- finding --------------------------------------------------------------------------------------

    def find(self) -> None:
        """Look the person up and show the report; what the Find button does."""
        self.status.value = ""
        self.result = None
        self._clear()
        self._guarded(self._find)

    def _find(self) -> None:
        report = subject_report(self._client, self.query.value, by=self.find_by.value)
        counts = report.json["counts"]
        self.report = report
        self.found.value = (
            f'<div class="ory-found" style="{OK_STYLE}">Found <code>{html.escape(report.identity_id)}</code> by '
            f"{html.escape(', '.join(report.json['matched_by']))}: {counts['credentials']} credential(s), "
            f"{counts['sessions']} session(s), {counts['devices']} device record(s).</div>"
        )
        self.report_view.value = report._repr_html_()

    # --- erasing --------------------------------------------------------------------------------------

    def _ask_erase(self) -> None:
        report = self.report
        if report is None:
            self.status.value = error_html("find a person first")
            return
        sessions = report.json["counts"]["sessions"]
        identity_id = report.identity_id
        self.status.value = ""
        self._pending = lambda: self._erase(identity_id)
        self.confirm_text.value = (
            f"<b>Erase identity <code>{html.escape(identity_id)}</code>: delete its {sessions} session(s), then the "
            "identity? There is no undo.</b>"
        )
        self.confirm_bar.layout.display = None

    def _hide_confirm(self) -> None:
        self._pending = None
        self.confirm_bar.layout.display = "none"

    def confirm(self) -> None:
        """Carry out the erasure waiting for confirmation; what the confirm button does."""
        action = self._pending
        self._hide_confirm()
        if action is not None:
            self._guarded(action)

    def _erase(self, identity_id: str) -> None:
        try:
            receipt = erase_subject(self._client, identity_id, confirm=identity_id, by="id")
        except ErasureError as exc:
            self.result = exc.receipt
            raise
        self.result = receipt
        self._clear()
        ids = ", ".join(receipt.request_ids) or "none sent by the server"
        if receipt.status == "already_erased":
            done = "was already erased; nothing was left to delete"
        else:
            done = f"erased: {receipt.sessions_deleted} session(s) and the identity deleted, read back as gone"
        self.status.value = (
            f'<div class="ory-erased" style="{OK_STYLE}">Identity <code>{html.escape(identity_id)}</code> {done} '
            f"({html.escape(receipt.json['completed_at'])}). Ory request ids: {html.escape(ids)}.</div>"
        )
