"""The public surface is what __init__ says it is: __all__ is sorted, complete and importable, and shown there."""

from __future__ import annotations

import inspect
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import ory_frames
from ory_frames import (
    ConversionWarning,
    ExportResult,
    Problem,
    TransportError,
    export_identities,
    export_sessions,
    iter_identities,
    iter_identity_batches,
    iter_identity_sessions,
    iter_session_batches,
    iter_sessions,
    read_identities,
    read_identity_sessions,
    read_sessions,
)


def test_all_is_sorted_and_importable() -> None:
    assert ory_frames.__all__ == sorted(ory_frames.__all__)
    for name in ory_frames.__all__:
        assert getattr(ory_frames, name) is not None


def test_all_lists_every_public_name() -> None:
    # dir(), not vars(): most names are imported on first use (PEP 562), and dir() lists them all the same.
    public = {
        name
        for name in dir(ory_frames)
        if not name.startswith("_")
        and name != "annotations"
        and not getattr(getattr(ory_frames, name), "__name__", "").startswith("ory_frames.")
    }
    assert public == set(ory_frames.__all__)
    with pytest.raises(AttributeError, match="no attribute 'read_everything'"):
        ory_frames.read_everything  # noqa: B018


def test_public_callables_have_docstrings() -> None:
    for name in ory_frames.__all__:
        assert getattr(ory_frames, name).__doc__, name


def test_the_contract_names_are_public() -> None:
    wanted = {"Client", "Page", "RateBudget", "ExportResult", "Plan", "SessionPlan", "ConversionWarning"}
    wanted |= {"plan_changes", "plan_revoke_sessions", "plan_session_actions"}
    assert wanted <= set(ory_frames.__all__)
    assert not {"plan_session_changes", "plan_session_updates"} & set(ory_frames.__all__)


def test_public_classes_show_ory_frames_as_their_module() -> None:
    classes = [getattr(ory_frames, n) for n in ory_frames.__all__ if isinstance(getattr(ory_frames, n), type)]
    assert ory_frames.Client in classes and ConversionWarning in classes and len(classes) > 15
    for cls in classes:
        assert cls.__module__ == "ory_frames", cls
        assert getattr(ory_frames, cls.__qualname__) is cls
    assert repr(ory_frames.Client) == "<class 'ory_frames.Client'>"


def test_public_functions_show_ory_frames_as_their_module() -> None:
    functions = [getattr(ory_frames, n) for n in ory_frames.__all__ if inspect.isfunction(getattr(ory_frames, n))]
    assert ory_frames.iter_identities in functions and ory_frames.read_identities in functions
    for function in functions:
        assert function.__module__ == "ory_frames", function
        assert getattr(ory_frames, function.__name__) is function
    assert len(functions) >= 15


def test_public_values_still_pickle_and_print() -> None:
    result = ExportResult(path="/x.parquet", rows=1, pages=1, bytes=10, seconds=0.5, resumed=False, problems={})
    problem = Problem(3, "traits.email", "not an email")
    for value in (result, problem):
        again = pickle.loads(pickle.dumps(value))
        assert again == value and type(again) is type(value)
    assert repr(result).startswith("ExportResult(path='/x.parquet'")
    assert str(problem) and repr(problem).startswith("Problem(")
    error = pickle.loads(pickle.dumps(TransportError("gone")))
    assert isinstance(error, TransportError) and str(error) == "gone"
    with pytest.warns(ConversionWarning) as caught:
        warnings.warn("x", ConversionWarning, stacklevel=1)
    assert pickle.loads(pickle.dumps(caught[0].message)).args == ("x",)


# --- one filter signature for iter_*, read_* and export_* ------------------------------------------

IDENTITY_FILTERS = (
    "ids",
    "credentials_identifier",
    "preview_credentials_identifier_similar",
    "organization_id",
    "include_credential",
    "consistency",
    "page_size",
)
SESSION_FILTERS = ("active", "expand", "page_size")
IDENTITY_SESSION_FILTERS = ("active", "page_size")


def _filters(function: Callable[..., Any], names: tuple[str, ...]) -> dict[str, tuple[Any, ...]]:
    """Kind, annotation (as written: every module uses postponed annotations) and default of each filter."""
    parameters = inspect.signature(function).parameters
    return {n: (parameters[n].kind, parameters[n].annotation, parameters[n].default) for n in names if n in parameters}


@pytest.mark.parametrize(
    ("read", "export", "names"),
    [(read_identities, export_identities, IDENTITY_FILTERS), (read_sessions, export_sessions, SESSION_FILTERS)],
)
def test_read_and_export_take_the_same_filters(read: Any, export: Any, names: tuple[str, ...]) -> None:
    expected = _filters(read, names)
    assert set(expected) == set(names)
    assert _filters(export, names) == expected
    assert all(kind is inspect.Parameter.KEYWORD_ONLY for kind, _, _ in expected.values())
    assert expected["page_size"][1:] == ("int | None", None)


@pytest.mark.parametrize(
    ("iterate", "read", "names"),
    [
        (iter_identities, read_identities, IDENTITY_FILTERS),
        (iter_sessions, read_sessions, SESSION_FILTERS),
        (iter_identity_sessions, read_identity_sessions, IDENTITY_SESSION_FILTERS),
        (iter_identity_batches, read_identities, IDENTITY_FILTERS),
        (iter_session_batches, read_sessions, SESSION_FILTERS),
    ],
)
def test_iter_and_read_take_the_same_filters(iterate: Any, read: Any, names: tuple[str, ...]) -> None:
    assert _filters(iterate, names) == _filters(read, names)
    assert set(_filters(iterate, names)) == set(names)


@pytest.mark.parametrize(
    ("batches", "read"), [(iter_identity_batches, read_identities), (iter_session_batches, read_sessions)]
)
def test_batch_iterators_take_every_option_of_their_read_but_as_arrow(batches: Any, read: Any) -> None:
    expected = {n: p for n, p in inspect.signature(read).parameters.items() if n != "as_arrow"}
    assert dict(inspect.signature(batches).parameters) == expected
