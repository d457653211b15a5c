"""erase_subject: delete one person's sessions and identity, read back that both are gone, and return a receipt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from ory_frames.pages import iter_identity_sessions

from .._errors import InvalidInputError, NotFoundError, OryFramesError
from .._redact import mask_url
from ._errors import SubjectNotFoundError
from ._lookup import SubjectLookup, check_query, find_subject, is_uuid, lookups_for, not_found_text
from ._shape import utc_text

if TYPE_CHECKING:
    from ory_frames.client import Client

RECEIPT_FORMAT = "ory_frames.erasure_receipt"
RECEIPT_VERSION = 1
ErasureStatus = Literal["erased", "already_erased", "incomplete"]


@dataclass(frozen=True)
class ErasureStep:
    """One request of an erasure: what it was for, its method, path and status, and Ory's request id."""

    step: str
    method: str
    path: str
    status: int
    request_id: str | None

    def to_json(self) -> dict[str, Any]:
        """The step as a JSON object."""
        return {
            "step": self.step,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "request_id": self.request_id,
        }


@dataclass(frozen=True, repr=False)
class ErasureReceipt:
    """Proof of an erasure that names nobody: the identity id, counts, times and Ory's request ids.

    It holds no email, name, IP address or user agent, nor what the subject was looked up by: only
    the identity id, in every field and in every request path.

    Attributes
    ----------
    identity_id : str
    status : {"erased", "already_erased", "incomplete"}
        ``erased``: this call deleted the identity; ``already_erased``: no identity with this id
        existed when asked; ``incomplete`` only appears on an ``ErasureError``'s receipt.
    sessions_deleted : int
        Sessions counted just before ``DELETE /admin/identities/{id}/sessions`` removed them.
    identity_deleted : bool
    started_at, completed_at : datetime
        In UTC; ``completed_at`` is taken after the read-back.
    server : str
        The API's base URL.
    steps : tuple of ErasureStep
        Every request sent, in order, with Ory's request id where the response carried one.
    """

    identity_id: str
    status: ErasureStatus
    sessions_deleted: int
    identity_deleted: bool
    started_at: datetime
    completed_at: datetime
    server: str
    steps: tuple[ErasureStep, ...]

    @property
    def request_ids(self) -> list[str]:
        """Ory's request ids of the calls, in order (calls whose response carried none are left out)."""
        return [step.request_id for step in self.steps if step.request_id]

    @property
    def json(self) -> dict[str, Any]:
        """The receipt as a JSON-serialisable dict (times as RFC 3339 in UTC)."""
        return {
            "format": RECEIPT_FORMAT,
            "version": RECEIPT_VERSION,
            "identity_id": self.identity_id,
            "status": self.status,
            "removed": {"sessions": self.sessions_deleted, "identity": int(self.identity_deleted)},
            "started_at": utc_text(self.started_at),
            "completed_at": utc_text(self.completed_at),
            "server": self.server,
            "requests": [step.to_json() for step in self.steps],
        }

    def __repr__(self) -> str:
        return (
            f"ErasureReceipt(identity_id={self.identity_id!r}, status={self.status!r}, "
            f"sessions_deleted={self.sessions_deleted}, identity_deleted={self.identity_deleted}, "
            f"completed_at={utc_text(self.completed_at)!r})"
        )


class ErasureError(OryFramesError):
    """Ory accepted the deletes, but the identity or one of its sessions can still be read back.

    ``.receipt`` (status ``incomplete``) holds what was done, with the request ids to show Ory's support.
    """

    def __init__(self, message: str, receipt: ErasureReceipt) -> None:
        super().__init__(message)
        self.receipt = receipt


def _confirmed_id(query: str, confirm: object) -> str | None:
    """Check ``confirm`` before any request: None when it repeats the query, else the id to compare later."""
    if isinstance(confirm, bool) or not isinstance(confirm, str) or not confirm.strip():
        raise InvalidInputError(
            f"confirm={confirm!r} is not accepted: pass the identity id, or exactly the text given as identity "
            f"({query!r}); nothing was sent"
        )
    given = confirm.strip()
    if given == query or (is_uuid(given) and given.lower() == query.lower()):
        return None
    if is_uuid(given):
        return given.lower()  # compared with the id the lookup finds, before anything is deleted
    raise InvalidInputError(
        f"confirm={confirm!r} repeats neither identity={query!r} nor an identity id: pass confirm=<the identity "
        "id> or confirm=<exactly the text given as identity>; nothing was sent"
    )


def _call(client: Client, step: str, method: str, path: str) -> ErasureStep:
    """Send one request; its step records the status and Ory's request id (a 404 is an answer, not a failure)."""
    try:
        response = client.send(method, path)
    except NotFoundError as exc:
        return ErasureStep(step, method, path, exc.status, exc.request_id)
    return ErasureStep(step, method, path, response.status_code, response.headers.get("x-request-id") or None)


def _sessions_left(client: Client, identity_id: str, path: str) -> tuple[int, ErasureStep]:
    """How many sessions the identity still has (0 when Ory answers 404), and the step that asked."""
    try:
        page = client.list_identity_sessions(identity_id)
    except NotFoundError as exc:
        return 0, ErasureStep("verify_sessions", "GET", path, exc.status, exc.request_id)
    return len(page), ErasureStep("verify_sessions", "GET", path, 200, page.request_id)


def erase_subject(client: Client, identity: str, *, confirm: str, by: SubjectLookup = "auto") -> ErasureReceipt:
    """Erase one person from Ory (GDPR art. 17, CCPA deletion): their sessions, then their identity.

    Steps: find the identity (as :func:`subject_report` does); count its sessions; ``DELETE
    /admin/identities/{id}/sessions`` (a 404, which Ory sends when there are none, is fine; wire notes
    §7); ``DELETE /admin/identities/{id}``; then read both back, expecting the identity to answer 404
    and no session to be left.

    Parameters
    ----------
    client : Client
    identity : str
        An identity id, an external id or a credential identifier such as an email (see
        :func:`subject_report` for the lookup order).
    confirm : str
        Must repeat ``identity`` exactly (surrounding blanks aside), or be the id of the identity it
        names. Anything else (``True``, an empty string, another identifier) is refused before any
        request; a different UUID is compared with the id found, after the read-only lookup and before
        anything is deleted.
    by : {"auto", "id", "external_id", "credentials_identifier"}
        Ask only this lookup.

    Returns
    -------
    ErasureReceipt
        ``status == "erased"``, or ``"already_erased"`` when ``identity`` is an identity id that no
        longer exists: running the same erasure again succeeds.

    Raises
    ------
    InvalidInputError
        Empty ``identity`` or a ``confirm`` that does not match; nothing was deleted.
    SubjectNotFoundError
        Nothing matches an external id or credential identifier. Once a person is erased, Ory keeps
        nothing that links their email or external id to the deleted id, so a second erasure by email
        ends here: "not found" is all that can be said. Erase by identity id to get an
        ``already_erased`` receipt instead.
    AmbiguousSubjectError
        ``identity`` names several identities; nothing was deleted.
    ErasureError
        The identity or a session could still be read after the deletes; ``.receipt`` says what was done.

    Examples
    --------
    >>> receipt = erase_subject(client, "ada@example.org", confirm="ada@example.org")  # doctest: +SKIP
    >>> receipt.status, receipt.json["removed"]  # doctest: +SKIP
    ('erased', {'sessions': 2, 'identity': 1})
    """
    query = check_query(identity, by)
    expected_id = _confirmed_id(query, confirm)
    started = datetime.now(timezone.utc)
    server = mask_url(client.base_url)
    match = find_subject(client, query, by=by)
    if match is None:
        if "id" not in lookups_for(query, by):
            raise SubjectNotFoundError(
                f"{not_found_text(query, by)}; nothing was deleted. If this person was erased before, Ory kept "
                "nothing that leads from this text to them: erase by identity id to get an 'already_erased' receipt"
            )
        path = f"/admin/identities/{quote(query, safe='')}"
        check = _call(client, "verify_identity", "GET", path)
        if check.status != 404:
            raise SubjectNotFoundError(f"{not_found_text(query, by)}, yet reading it again answered {check.status}")
        now = datetime.now(timezone.utc)
        return ErasureReceipt(query, "already_erased", 0, False, started, now, server, (check,))
    identity_id = match.identity_id
    if expected_id is not None and expected_id != identity_id.lower():
        raise InvalidInputError(
            f"confirm={confirm!r} is not the id of the identity {query!r} names ({identity_id}); nothing was deleted"
        )
    path = f"/admin/identities/{quote(identity_id, safe='')}"
    steps: list[ErasureStep] = []
    counted = 0
    for page in iter_identity_sessions(client, identity_id):
        counted += len(page)
        steps.append(ErasureStep("count_sessions", "GET", f"{path}/sessions", 200, page.request_id))
    steps.append(_call(client, "delete_sessions", "DELETE", f"{path}/sessions"))
    sessions_deleted = counted if steps[-1].status < 300 else 0
    steps.append(_call(client, "delete_identity", "DELETE", path))
    identity_deleted = steps[-1].status < 300
    steps.append(_call(client, "verify_identity", "GET", path))
    still_there = steps[-1].status != 404
    left, verify_sessions = _sessions_left(client, identity_id, f"{path}/sessions")
    steps.append(verify_sessions)
    status: ErasureStatus = "erased" if identity_deleted else "already_erased"
    receipt = ErasureReceipt(
        identity_id,
        "incomplete" if still_there or left else status,
        sessions_deleted,
        identity_deleted,
        started,
        datetime.now(timezone.utc),
        server,
        tuple(steps),
    )
    if still_there or left:
        what = "the identity" if still_there else f"{left} session(s)"
        ids = ", ".join(receipt.request_ids) or "none sent"
        raise ErasureError(
            f"identity {identity_id}: {what} can still be read after the deletes (Ory request ids: {ids})", receipt
        )
    return receipt
