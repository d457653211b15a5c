"""RFC 6902 JSON Patch as Kratos applies it: add/remove/replace only, denied paths, lenient replace (wire notes §6)."""

from __future__ import annotations

import re
from typing import Any

import orjson

from ._wire import EXCEEDED_MAX_DEPTH, WireError, bad_request, go_syntax_error, loads_body

# identity/handler.go deny list; note `/stateChangedAt` (not `/state_changed_at`) is what Kratos blocks.
DENIED_PATHS = (
    "/id",
    "/stateChangedAt",
    "/credentials",
    "/credentials/oidc",
    "/credentials/oidc/**",
    "/credentials/saml",
    "/credentials/saml/**",
)
SUPPORTED_OPS = ("add", "remove", "replace")


class PatchError(Exception):
    """The patch could not be applied; the text is the Go error message."""


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


_DENIED = tuple(_glob_to_regex(p.lower()) for p in DENIED_PATHS)


def decode_patch(body: bytes) -> list[dict[str, Any]]:
    """Parse the body as a JSON Patch document, raising Kratos' 400 (wire notes §6)."""
    try:
        ops = loads_body(body) if body else None
    except orjson.JSONDecodeError as exc:
        # identity/handler.go reads the patch with json.Unmarshal, whose texts these are
        text = exc.msg if exc.msg == EXCEEDED_MAX_DEPTH else go_syntax_error(body, stream=False)
        raise bad_request("failed to unmarshal JSON patch", message=text) from None
    if ops is None and not body:
        raise bad_request("failed to unmarshal JSON patch", message="unexpected end of JSON input")
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        kind = "object" if isinstance(ops, dict) else "value"
        raise bad_request(
            "failed to unmarshal JSON patch",
            message=f"json: cannot unmarshal {kind} into Go value of type jsonpatch.Patch",
        )
    return ops


def check_ops(ops: list[dict[str, Any]]) -> None:
    """Reject unsupported operations and denied paths, in patch order (ory/x jsonx.ApplyJSONPatch)."""
    for op in ops:
        kind = str(op.get("op", ""))
        if kind not in SUPPORTED_OPS:
            raise _apply_error(f"unsupported operation: {kind}")
        path = op.get("path")
        if not isinstance(path, str):
            raise _apply_error("error parsing patch operations: operation missing path field")
        if any(rx.match(path.lower()) for rx in _DENIED):
            raise _apply_error(f"patch includes denied path: {path}")


def _apply_error(message: str) -> WireError:
    return bad_request("failed to apply JSON patch", message=message)


def _split(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f'invalid path "{path}"')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _is_index(part: str) -> bool:
    return part == "-" or part.isdigit()


def _parent(doc: Any, parts: list[str], path: str, *, create: bool) -> Any:
    node = doc
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, dict):
            if part not in node or node[part] is None:
                if not create:
                    raise PatchError(f"doc is missing path: {path}")
                node[part] = [] if _is_index(parts[i + 1]) and parts[i + 1] in ("-", "0") else {}
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise PatchError(f"doc is missing path: {path}")
    return node


def _exists(doc: Any, parts: list[str]) -> bool:
    node = doc
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _add(doc: Any, parts: list[str], value: Any, path: str) -> Any:
    if not parts:
        return value
    parent = _parent(doc, parts, path, create=True)
    key = parts[-1]
    if isinstance(parent, dict):
        parent[key] = value
    elif isinstance(parent, list):
        if key == "-":
            parent.append(value)
        elif key.isdigit() and int(key) <= len(parent):
            parent.insert(int(key), value)
        else:
            raise PatchError(f"add operation does not apply: doc is missing path: {path}")
    else:
        raise PatchError(f"add operation does not apply: doc is missing path: {path}")
    return doc


def _remove(doc: Any, parts: list[str], path: str) -> Any:
    if parts and not _exists(doc, parts) and _exists(doc, parts[:-1]):
        parent = _parent(doc, parts, path, create=False)
        if isinstance(parent, dict):  # evanphx/json-patch v5: the object is there, the key is not
            raise PatchError(
                f"error in remove for path: '{path}': unable to remove nonexistent key: {parts[-1]}: missing value"
            )
    if not _exists(doc, parts) or not parts:
        raise PatchError(f'remove operation does not apply: doc is missing path: "{path}": missing value')
    parent = _parent(doc, parts, path, create=False)
    key = parts[-1]
    if isinstance(parent, dict):
        del parent[key]
    else:
        del parent[int(key)]
    return doc


def _replace(doc: Any, parts: list[str], value: Any, path: str) -> Any:
    if not parts:
        return value
    if not _exists(doc, parts):
        if not _is_index(parts[-1]):
            return _add(doc, parts, value, path)  # replace on a missing key becomes add (wire notes §6)
        raise PatchError(f"replace operation does not apply: doc is missing key: {path}: missing value")
    parent = _parent(doc, parts, path, create=False)
    if isinstance(parent, dict):
        parent[parts[-1]] = value
    else:
        parent[int(parts[-1])] = value
    return doc


def apply_patch(doc: Any, ops: list[dict[str, Any]]) -> Any:
    """Apply checked operations to a deep copy of `doc`; raises Kratos' 400 on failure."""
    out = orjson.loads(orjson.dumps(doc))
    try:
        for op in ops:
            path = str(op["path"])
            parts = _split(path)
            kind = op["op"]
            if kind in ("add", "replace") and "value" not in op:
                raise PatchError(f"{kind} operation has no value: missing value")
            if kind == "add":
                out = _add(out, parts, op["value"], path)
            elif kind == "remove":
                out = _remove(out, parts, path)
            else:
                out = _replace(out, parts, op["value"], path)
    except PatchError as exc:
        raise _apply_error(str(exc)) from None
    return out
