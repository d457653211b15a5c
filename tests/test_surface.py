"""The public surface is what __init__ says it is: __all__ is sorted, complete and importable, and shown there."""

from __future__ import annotations

import inspect
import pickle
import typing
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import ory_frames
from ory_frames import (
    Client,
    ConversionWarning,
    ExportResult,
    IdentityFilters,
    Problem,
    SessionFilters,
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


# --- one query for iter_*, read_* and export_*: the filters are one TypedDict each, taken as **filters --------

IDENTITY_READS = (Client.list_identities, iter_identities, iter_identity_batches, read_identities, export_identities)
SESSION_READS = (iter_sessions, iter_session_batches, read_sessions, export_sessions)


def _filters_parameter(function: Callable[..., Any]) -> inspect.Parameter:
    """The ``**filters`` parameter of ``function``; its annotation names the one TypedDict in the function's module."""
    (parameter,) = [p for p in inspect.signature(function).parameters.values() if p.kind is p.VAR_KEYWORD]
    return parameter


@pytest.mark.parametrize(("functions", "filters"), [(IDENTITY_READS, IdentityFilters), (SESSION_READS, SessionFilters)])
def test_every_read_takes_the_one_filters_definition(functions: tuple[Any, ...], filters: type) -> None:
    for function in functions:
        parameter = _filters_parameter(function)
        # annotations are postponed everywhere: resolve the name where the function was written
        assert parameter.name == "filters" and parameter.annotation == f"Unpack[{filters.__name__}]", function
        assert inspect.unwrap(function).__globals__[filters.__name__] is filters, function
        assert not set(filters.__annotations__) & set(inspect.signature(function).parameters), function


def test_the_filters_are_public_and_typed() -> None:
    assert list(IdentityFilters.__annotations__) == [
        "ids",
        "credentials_identifier",
        "preview_credentials_identifier_similar",
        "organization_id",
        "include_credential",
        "consistency",
    ]
    assert list(SessionFilters.__annotations__) == ["active", "expand"]
    assert IdentityFilters.__required_keys__ == SessionFilters.__required_keys__ == frozenset()
    hints = typing.get_type_hints(SessionFilters)
    assert hints["active"] == bool | None


@pytest.mark.parametrize("function", [*IDENTITY_READS, *SESSION_READS], ids=lambda f: f.__name__)
def test_an_unknown_filter_is_the_type_error_python_raises(function: Any) -> None:
    # raised by the call, before anything is sent (the client names an unreachable server) or written
    other = "active" if function in IDENTITY_READS else "credentials_identifier"
    with Client("http://127.0.0.1:9") as client:
        args = (client, "never-written.parquet") if function.__name__.startswith("export") else (client,)
        for name in ("colour", other):
            with pytest.raises(
                TypeError, match=rf"^{function.__name__}\(\) got an unexpected keyword argument '{name}'$"
            ):
                function(*args, **{name: True})


@pytest.mark.parametrize(
    ("iterate", "read", "names"),
    [
        (iter_identities, read_identities, ("page_size",)),
        (iter_sessions, read_sessions, ("page_size",)),
        (iter_identity_sessions, read_identity_sessions, ("active", "page_size")),
    ],
)
def test_iter_and_read_take_the_same_options(iterate: Any, read: Any, names: tuple[str, ...]) -> None:
    def options(function: Any) -> dict[str, tuple[Any, ...]]:
        parameters = inspect.signature(function).parameters
        return {n: (parameters[n].kind, parameters[n].annotation, parameters[n].default) for n in names}

    assert options(iterate) == options(read)
    assert options(read)["page_size"] == (inspect.Parameter.KEYWORD_ONLY, "int | None", None)


@pytest.mark.parametrize(
    ("batches", "read"), [(iter_identity_batches, read_identities), (iter_session_batches, read_sessions)]
)
def test_batch_iterators_take_every_option_of_their_read_but_as_arrow(batches: Any, read: Any) -> None:
    expected = {n: p for n, p in inspect.signature(read).parameters.items() if n != "as_arrow"}
    assert dict(inspect.signature(batches).parameters) == expected


@pytest.mark.parametrize(("export", "read"), [(export_identities, read_identities), (export_sessions, read_sessions)])
def test_exports_take_the_options_of_their_read(export: Any, read: Any) -> None:
    exported = inspect.signature(export).parameters
    for name, parameter in inspect.signature(read).parameters.items():
        if name not in {"client", "as_arrow"}:
            assert exported[name] == parameter, name
