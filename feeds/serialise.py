"""JSON shapes of our records for `--json` output and the web API (one place, so both stay alike).

Dates are RFC 3339 strings; keys are stable; nothing here is parsed back into records.
"""

from __future__ import annotations

from typing import Any

from feeds.clock import rfc3339
from feeds.ingestreport import IngestOutcome, IngestReport
from feeds.model import Release


def release_json(r: Release, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "slug": r.slug,
        "title": r.title,
        "permalink": r.permalink,
        "published": rfc3339(r.published),
        "updated": rfc3339(r.updated),
        "organisation": r.organisation,
        "topics": list(r.topics),
        "document_type": r.document_type,
        "language": r.language,
        "summary": r.summary,
        "link": r.link,
    }
    if r.translation_of:
        out["translation_of"] = r.translation_of
    if r.withdrawn_at:
        out["withdrawn_at"] = rfc3339(r.withdrawn_at)
        out["withdrawn_note"] = r.withdrawn_note
        out["withdrawn_by"] = "hand" if r.withdrawn_by_hand else "source"  # (by hand: the source's copies leave it so)
    if full:
        out.update(
            body_html=r.body_html,
            body_text=r.body_text,
            image=r.image,
            source=r.source,
            origin=r.origin,
            identity=r.identity,
            content_hash=r.content_hash,
            dated_by_source=r.dated_by_source,
            changes=[{"at": rfc3339(c.at), "note": c.note} for c in r.changes],
        )
    return out


def outcome_json(o: IngestOutcome) -> dict[str, Any]:
    out: dict[str, Any] = {"origin": o.origin, "status": o.status}
    for key in ("release_id", "slug", "error", "moved_to", "warning", "slug_kept"):
        value = getattr(o, key)
        if value is not None:
            out[key] = value
    return out


def report_json(report: IngestReport) -> dict[str, Any]:
    return {
        "created": report.count("created"),
        "updated": report.count("updated"),
        "unchanged": report.count("unchanged"),
        "rejected": report.count("rejected"),
        "outcomes": [outcome_json(o) for o in report.outcomes],
        "sources_failed": [{"source": s, "error": e} for s, e in zip(report.unreadable, report.why, strict=True)],
        "files_stuck": list(report.stuck),
        "folders_not_read": list(report.folders),
        "sources_read_in_part": list(report.read_in_part),
    }
