"""SessionsPanel: one identity's sessions as a table, with disable, extend and "log out everywhere"."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from .. import iter_identity_sessions
from .._errors import NotFoundError
from ._common import OK_STYLE, as_dict, busy, error_html, fit, run_guarded, when

if TYPE_CHECKING:
    from ory_frames.client import Client

_COLUMNS = ("", "Device", "IP", "Last authenticated", "AAL", "Active", "Expires")
_GRID = "28px minmax(12em, 2fr) minmax(8em, 1fr) minmax(10em, 1.2fr) 4em 4.5em minmax(10em, 1.2fr)"


def _device_text(session: dict[str, Any]) -> tuple[str, str]:
    """The devices (user agent, location) and IP addresses of a session, one device per line."""
    devices = session.get("devices") or []
    names: list[str] = []
    ips: list[str] = []
    for device in devices:
        agent = str(device.get("user_agent") or "unknown device")
        if len(agent) > 60:
            agent = agent[:57] + "…"
        location = device.get("location")
        names.append(f"{agent} ({location})" if location else agent)
        if device.get("ip_address"):
            ips.append(str(device["ip_address"]))
    return "\n".join(names) or "—", "\n".join(ips) or "—"


def _cell(text: str, css_class: str = "", *, wrap: str = "break-word") -> w.HTML:
    """One table cell: compact lines, long words broken so they stay in their column."""
    style = f"line-height:1.3;padding:3px 0;white-space:pre-line;overflow-wrap:anywhere;word-break:{wrap}"
    cell = w.HTML(f'<div style="{style}" title="{html.escape(text, quote=True)}">{html.escape(text)}</div>')
    if css_class:
        cell.add_class(css_class)
    return cell


class SessionsPanel(w.VBox):  # type: ignore[misc]
    """A panel listing one identity's sessions, to disable or extend some, or end them all.

    Disabling and "log out everywhere" ask for a second click on a confirm button before anything is sent.
    The table is read again after every action.

    Parameters
    ----------
    client : Client
        The client that sends every request; the panel makes no HTTP call of its own.
    identity_id : str
        The identity whose sessions are shown.

    Attributes
    ----------
    sessions : list of dict
        The sessions as Ory last sent them (``GET /admin/identities/{id}/sessions``).
    checkboxes : dict
        Session id -> the selection checkbox of its row.

    Examples
    --------
    >>> from ory_frames.widgets import SessionsPanel
    >>> identity_id = client.list_identities(page_size=1).items[0]["id"]
    >>> panel = SessionsPanel(client, identity_id)
    >>> len(panel.sessions) == len(client.list_identity_sessions(identity_id).items)
    True
    """

    def __init__(self, client: Client, identity_id: str) -> None:
        self._client = client
        self.identity_id = str(identity_id)
        self.sessions: list[dict[str, Any]] = []
        self.checkboxes: dict[str, w.Checkbox] = {}
        self._pending: Callable[[], None] | None = None

        self.select_all = w.Checkbox(value=False, indent=False, layout=w.Layout(width="24px"))
        self.select_all.observe(self._on_select_all, names="value")
        self.table = w.GridBox(layout=w.Layout(grid_template_columns=_GRID, grid_gap="2px 8px"))
        self.refresh_button = w.Button(description="Refresh", icon="refresh", layout=fit())
        self.disable_button = w.Button(description="Disable selected", icon="ban", button_style="warning", layout=fit())
        self.extend_button = w.Button(description="Extend selected", icon="clock-o", layout=fit())
        self.logout_button = w.Button(
            description="Log out everywhere", icon="sign-out", button_style="danger", layout=fit()
        )
        self.confirm_text = w.HTML()
        self.confirm_button = w.Button(description="Confirm", button_style="danger", layout=fit())
        self.cancel_button = w.Button(description="Cancel", layout=fit())
        self.confirm_bar = w.HBox([self.confirm_text, self.confirm_button, self.cancel_button])
        self.confirm_bar.layout.display = "none"
        self.status = w.HTML()

        self.refresh_button.on_click(lambda _b: self._guarded(self.refresh))
        self.extend_button.on_click(lambda _b: self._guarded(self._extend_selected))
        self.disable_button.on_click(lambda _b: self._ask_disable())
        self.logout_button.on_click(lambda _b: self._ask_logout())
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.cancel_button.on_click(lambda _b: self._hide_confirm())
        super().__init__(
            [
                w.HTML(f"<b>Sessions of</b> <code>{html.escape(self.identity_id)}</code>"),
                self.table,
                w.HBox([self.refresh_button, self.disable_button, self.extend_button, self.logout_button]),
                self.confirm_bar,
                self.status,
            ]
        )
        self._guarded(self.refresh)

    @classmethod
    def from_row(cls, client: Client, row: Any) -> SessionsPanel:
        """A panel for the identity in one row of the frame ``read_identities`` returned."""
        return cls(client, str(as_dict(row)["id"]))

    @property
    def selected_ids(self) -> list[str]:
        """The ids of the sessions whose rows are ticked, in table order."""
        return [sid for sid, box in self.checkboxes.items() if box.value]

    def select(self, session_ids: list[str] | None = None) -> None:
        """Tick the rows of these sessions (all rows when None) and untick the others."""
        wanted = set(self.checkboxes) if session_ids is None else set(session_ids)
        for sid, box in self.checkboxes.items():
            box.value = sid in wanted

    # --- plumbing -------------------------------------------------------------------------------------

    def _buttons(self) -> list[w.Button]:
        return [
            self.refresh_button,
            self.disable_button,
            self.extend_button,
            self.logout_button,
            self.confirm_button,
        ]

    def _guarded(self, action: Callable[[], None]) -> None:
        with busy(*self._buttons()):
            run_guarded(action, self._show_error)

    def _show_error(self, exc: BaseException) -> None:
        self.status.value = error_html(exc)

    def _on_select_all(self, change: dict[str, Any]) -> None:
        for box in self.checkboxes.values():
            box.value = bool(change["new"])

    # --- reading --------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the identity's sessions again and redraw the table."""
        sessions: list[dict[str, Any]] = []
        # Every page, however many sessions there are (offset paging, wire notes §1).
        for page in iter_identity_sessions(self._client, self.identity_id, prefetch=False):
            sessions.extend(as_dict(item) for item in page)
        self.sessions = sessions
        self._draw()

    def _draw(self) -> None:
        keep = set(self.selected_ids)
        cells: list[w.Widget] = [self.select_all] + [w.HTML(f"<b>{name}</b>") for name in _COLUMNS[1:]]
        self.checkboxes = {}
        for session in self.sessions:
            sid = str(session.get("id"))
            box = w.Checkbox(value=sid in keep, indent=False, layout=w.Layout(width="24px"), tooltip=sid)
            self.checkboxes[sid] = box
            device, ips = _device_text(session)
            active = bool(session.get("active"))
            cells += [
                box,
                _cell(device),
                _cell(ips, wrap="break-all"),
                _cell(when(session.get("authenticated_at"))),
                _cell(str(session.get("authenticator_assurance_level") or "—")),
                _cell("yes" if active else "no", "ory-session-active" if active else "ory-session-inactive"),
                _cell(when(session.get("expires_at"))),
            ]
        if not self.sessions:
            cells.append(w.HTML("<i>No sessions.</i>"))
        self.table.children = cells

    # --- actions --------------------------------------------------------------------------------------

    def _ask(self, question: str, confirm_label: str, action: Callable[[], None]) -> None:
        self.status.value = ""
        self._pending = action
        self.confirm_text.value = f"<b>{html.escape(question)}</b>"
        self.confirm_button.description = confirm_label
        self.confirm_bar.layout.display = None

    def _hide_confirm(self) -> None:
        self._pending = None
        self.confirm_bar.layout.display = "none"

    def _ask_disable(self) -> None:
        ids = self.selected_ids
        if not ids:
            self.status.value = error_html("select at least one session first")
            return
        n = len(ids)
        self._ask(
            f"Disable {n} session{'s' if n != 1 else ''}? The devices are signed out.",
            f"Yes, disable {n}",
            lambda: self._disable(ids),
        )

    def _ask_logout(self) -> None:
        self._ask(
            "Delete every session of this identity? It is signed out on all devices.",
            "Yes, log out everywhere",
            self._logout_everywhere,
        )

    def confirm(self) -> None:
        """Carry out the action waiting for confirmation; what the confirm button does."""
        action = self._pending
        self._hide_confirm()
        if action is not None:
            self._guarded(action)

    def _each(self, verb: str, ids: list[str], call: Callable[[str], Any]) -> None:
        """Call once per session, collect failures, then read the table again."""
        failures: list[str] = []
        for sid in ids:
            try:
                call(sid)
            except Exception as exc:  # one failed session must not hide the others' outcome
                failures.append(f"{sid}: {error_html(exc)}")
        self.refresh()
        done = len(ids) - len(failures)
        text = f'<div style="{OK_STYLE}">{verb} {done} of {len(ids)} session{"s" if len(ids) != 1 else ""}.</div>'
        self.status.value = text + "".join(failures)

    def _disable(self, ids: list[str]) -> None:
        # DELETE /admin/sessions/{id} keeps the row and sets active=false (wire notes §8).
        self._each("Disabled", ids, self._client.disable_session)

    def _extend_selected(self) -> None:
        ids = self.selected_ids
        if not ids:
            self.status.value = error_html("select at least one session first")
            return
        # The answer is 200 with a body or 204 without; it is not read (wire notes §8).
        self._each("Extended", ids, self._client.extend_session)

    def _logout_everywhere(self) -> None:
        try:
            self._client.delete_identity_sessions(self.identity_id)
        except NotFoundError:
            # Zero sessions (or an unknown identity) answer 404 (wire notes §7).
            self.refresh()
            self.status.value = error_html("Nothing to log out: Ory found no session for this identity (404).")
            return
        self.refresh()
        self.status.value = f'<div style="{OK_STYLE}">Logged out everywhere: every session was deleted.</div>'
