"""RFC 6902 JSON Patch as Kratos applies it: add/remove/replace only, denied paths, lenient replace (wire notes §6)."""

from __future__ import annotations

import re
from typing import Any

import orjson

from ._go import go_json_string, go_kind
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


_OP_FIELDS = ("op", "path", "from", "value")


def _op_from_json(item: Any, errors: list[str]) -> dict[str, Any]:
    """One element decoded into identity/handler.go's `patchOp` (op, path, from: strings; value kept as JSON)."""
    if item is None:
        return {"op": "", "path": ""}
    if not isinstance(item, dict):
        errors.append(f"json: cannot unmarshal {go_kind(item)} into Go value of type identity.patchOp")
        return {"op": "", "path": ""}
    out: dict[str, Any] = {"op": "", "path": ""}
    for key, value in item.items():
        name = key if key in _OP_FIELDS else key.lower()
        if name == "value":
            out["value"] = value
        elif name in _OP_FIELDS and value is not None:
            if isinstance(value, str):
                out[name] = value
            else:
                kind = go_kind(value)
                errors.append(f"json: cannot unmarshal {kind} into Go struct field patchOp.{name} of type string")
    if not out.get("from"):
        out.pop("from", None)  # `from` is omitempty when Kratos writes the patch out again
    return out


def decode_patch(body: bytes) -> list[dict[str, Any]]:
    """Parse the body as Kratos does before patching, raising its 400 "failed to unmarshal JSON patch" (wire notes §6).

    identity/handler.go (applyRegionPatchOps) decodes the body into `[]patchOp` with Go's lenient decoder: `op`,
    `path` and `from` must be strings (or null), unknown keys are dropped, a `null` body is an empty patch.
    """
    try:
        ops = loads_body(body) if body else None
    except orjson.JSONDecodeError as exc:
        # identity/handler.go reads the patch with json.Unmarshal, whose texts these are
        text = exc.msg if exc.msg == EXCEEDED_MAX_DEPTH else go_syntax_error(body, stream=False)
        raise bad_request("failed to unmarshal JSON patch", message=text) from None
    if ops is None and not body:
        raise bad_request("failed to unmarshal JSON patch", message="unexpected end of JSON input")
    if ops is None:
        return []
    if not isinstance(ops, list):
        message = f"json: cannot unmarshal {go_kind(ops)} into Go value of type []identity.patchOp"
        raise bad_request("failed to unmarshal JSON patch", message=message)
    errors: list[str] = []
    decoded = [_op_from_json(item, errors) for item in ops]
    if errors:  # Go's decoder reports the first type error it met
        raise bad_request("failed to unmarshal JSON patch", message=errors[0])
    return decoded


def _go_json(value: Any) -> str:
    """A decoded JSON value written back compactly with Go's string escaping (numbers as Python prints them)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{go_json_string(k)}:{_go_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_go_json(v) for v in value) + "]"
    if isinstance(value, str):
        return go_json_string(value)
    return orjson.dumps(value).decode()


def _invalid(op: dict[str, Any], problem: str) -> WireError:
    shown = ",".join(f"{go_json_string(k)}:{_go_json(op[k])}" for k in sorted(op))
    return _apply_error(f"invalid operation {{{shown}}}: {problem}")


def check_ops(ops: list[dict[str, Any]]) -> None:
    """Kratos' checks before any operation is applied, each a 400 "failed to apply JSON patch" (wire notes §6).

    First evanphx/json-patch v5's DecodePatch over the whole patch (add and replace need a `value`, move and copy
    a `from`, unknown kinds are refused), then oryx/jsonx/patch.go over it again: only add, remove and replace,
    and no denied path.
    """
    for op in ops:
        kind = op["op"]
        if kind in ("add", "replace") and "value" not in op:
            raise _invalid(op, "failed to decode 'value': operation, missing value field: missing value")
        if kind in ("move", "copy") and "from" not in op:
            raise _invalid(op, "failed to decode 'from': operation, missing from field: missing value")
        if kind not in ("add", "replace", "remove", "move", "copy", "test"):
            raise _invalid(op, "unsupported operation")
    for op in ops:
        if op["op"] not in SUPPORTED_OPS:
            raise _apply_error(f"unsupported operation: {op['op']}")
        path = op["path"]
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
            if kind == "add":
                out = _add(out, parts, op["value"], path)
            elif kind == "remove":
                out = _remove(out, parts, path)
            else:
                out = _replace(out, parts, op["value"], path)
    except PatchError as exc:
        raise _apply_error(str(exc)) from None
    return out
