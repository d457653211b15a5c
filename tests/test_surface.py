"""The public surface is what __init__ says it is: __all__ is sorted, complete and importable."""

from __future__ import annotations

import ory_frames


def test_all_is_sorted_and_importable() -> None:
    assert ory_frames.__all__ == sorted(ory_frames.__all__)
    for name in ory_frames.__all__:
        assert getattr(ory_frames, name) is not None


def test_all_lists_every_public_name() -> None:
    public = {
        name
        for name, value in vars(ory_frames).items()
        if not name.startswith("_")
        and name != "annotations"
        and not getattr(value, "__name__", "").startswith("ory_frames.")
    }
    assert public == set(ory_frames.__all__)


def test_public_callables_have_docstrings() -> None:
    for name in ory_frames.__all__:
        assert getattr(ory_frames, name).__doc__, name
