"""`ory-frames subject report|erase IDENTITY`: data-subject access and erasure requests from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ory_frames.cli._common import wrap_help

SUBJECT_EXIT_CODES = """\
exit codes:
  0  done (erase: the identity was erased, or an identity id given was already erased)
  1  runtime error: nobody or several identities match, network failure (one line on stderr)
  2  usage error; or erase without --yes (it prints what it would delete and deletes nothing)
"""
LOOKUPS = ("auto", "id", "external_id", "credentials_identifier")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("identity", metavar="IDENTITY", help="identity id, external id, or identifier such as an email")
    p.add_argument(
        "--by",
        choices=LOOKUPS,
        default="auto",
        help="how IDENTITY names the person (default: auto, every lookup that applies; it must find one identity)",
    )
    p.add_argument("--url", default=None, help="project or Kratos admin URL (default: $ORY_SDK_URL)")


def add_subject(subparsers: Any) -> None:
    """`ory-frames subject report|erase IDENTITY`: report what Ory holds about a person, or erase them."""
    p = subparsers.add_parser(
        "subject",
        help="data-subject requests: report what Ory holds about a person, or erase them",
        description=wrap_help(
            "Data-subject requests (GDPR/CCPA access and erasure) against the project named by ORY_SDK_URL / "
            "ORY_API_KEY. IDENTITY is an identity id, an external id or a credential identifier such as an "
            "email; it must name exactly one identity."
        ),
        epilog=SUBJECT_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    report = actions.add_parser(
        "report",
        help="write subject-<id>.json and subject-<id>.html: the identity, credentials and sessions, no secrets",
        description=wrap_help(
            "Write what Ory holds about one person into DIR as subject-<identity id>.json and .html: the identity "
            "(traits, addresses, metadata), its credential types and identifiers (never hashes, keys or tokens) "
            "and every session with its devices."
        ),
        epilog=SUBJECT_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(report)
    report.add_argument("--out", required=True, metavar="DIR", help="directory to write into (created if missing)")
    report.set_defaults(run=cmd_subject_report)
    erase = actions.add_parser(
        "erase",
        help="delete a person's sessions and identity, verify, and print a receipt",
        description=wrap_help(
            "Delete every session of one identity, then the identity, read both back to verify, and print a "
            "receipt (the identity id, counts, times, Ory's request ids; no email, name or IP). Without --yes "
            "nothing is deleted: it prints what would be and exits 2. Erasing an identity id again succeeds "
            "with 'already erased'; an email or external id of an erased person is simply not found."
        ),
        epilog=SUBJECT_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(erase)
    erase.add_argument("--yes", action="store_true", help="really delete (there is no undo)")
    erase.add_argument("--receipt", default=None, metavar="FILE", help="also write the receipt as JSON to FILE")
    erase.set_defaults(run=cmd_subject_erase)


def cmd_subject_report(args: argparse.Namespace) -> int:
    """Write the report files and print where they went."""
    from ory_frames import Client
    from ory_frames.subject import subject_report

    with Client(args.url) as client:
        report = subject_report(client, args.identity, path=args.out, by=args.by)
    counts = report.json["counts"]
    print(
        f"identity {report.identity_id}: {counts['credentials']} credential(s), {counts['sessions']} session(s) → "
        + ", ".join(str(path) for path in report.paths)
    )
    return 0


def cmd_subject_erase(args: argparse.Namespace) -> int:
    """Without --yes: say what would be deleted and exit 2. With it: erase, print the receipt's summary."""
    from ory_frames import Client
    from ory_frames.subject import ErasureError, erase_subject

    with Client(args.url) as client:
        if not args.yes:
            return _preview(client, args)
        try:
            receipt = erase_subject(client, args.identity, confirm=args.identity, by=args.by)
        except ErasureError as exc:
            if args.receipt:  # what was done, for Ory's support
                _write_receipt(args.receipt, exc.receipt.json)
            raise
    if args.receipt:
        _write_receipt(args.receipt, receipt.json)
    if receipt.status == "already_erased":
        left = receipt.sessions_deleted
        done = f"deleted {left} leftover session(s)" if left else "nothing to delete"
        print(f"identity {receipt.identity_id}: already erased (Ory answers 404); {done}")
    else:
        print(
            f"identity {receipt.identity_id}: erased {receipt.sessions_deleted} session(s) and the identity; "
            "read back: gone"
        )
    ids = ", ".join(receipt.request_ids) or "none sent by the server"
    print(f"completed at {receipt.json['completed_at']}; Ory request ids: {ids}")
    if args.receipt:
        print(f"receipt → {args.receipt}")
    return 0


def _write_receipt(path: str, receipt: dict[str, Any]) -> None:
    """Write the receipt as JSON under a temporary name, then rename it into place."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(receipt, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)


def _preview(client: Any, args: argparse.Namespace) -> int:
    """Read (nothing else) who IDENTITY names and what erasing them would delete; exit code 2."""
    from ory_frames.subject import SubjectNotFoundError, is_uuid, subject_report

    try:
        report = subject_report(client, args.identity, by=args.by)
    except SubjectNotFoundError:
        if args.by in ("auto", "id") and is_uuid(args.identity.strip()):
            print(f"would delete nothing: identity {args.identity.strip()} does not exist (already erased?)")
            print("nothing was deleted; run again with --yes to record an 'already erased' receipt", file=sys.stderr)
            return 2
        raise
    counts = report.json["counts"]
    types = ", ".join(sorted({str(c.get("type")) for c in report.json["credentials"]})) or "none"
    print(
        f"would erase identity {report.identity_id} (found by {', '.join(report.json['matched_by'])}): "
        f"{counts['sessions']} session(s) with {counts['devices']} device record(s), then the identity with its "
        f"{counts['credentials']} credential(s) ({types}) and {counts['verifiable_addresses']} verifiable address(es)"
    )
    print("nothing was deleted; run again with --yes to erase (there is no undo)", file=sys.stderr)
    return 2
