"""The errors of finding a data subject: nobody matches, or several identities do."""

from __future__ import annotations

from collections.abc import Sequence

from .._errors import NotFoundError, OryFramesError


class SubjectNotFoundError(NotFoundError):
    """No identity matches what was asked for (by identity id, external id or credential identifier).

    A subclass of ``NotFoundError`` (status 404), so ``except NotFoundError`` catches it too.
    """

    def __init__(self, message: str) -> None:
        super().__init__(status=404, message=message)
        self._message = message

    def __str__(self) -> str:
        return self._message


class AmbiguousSubjectError(OryFramesError, ValueError):
    """What was asked for names more than one identity; ``.candidates`` lists ``(identity_id, matched_by)``.

    Nothing is read further and nothing is deleted: name the subject by one identity id instead.
    """

    def __init__(self, message: str, candidates: Sequence[tuple[str, tuple[str, ...]]]) -> None:
        super().__init__(message)
        self.candidates: list[tuple[str, tuple[str, ...]]] = list(candidates)
