"""Recording a reviewer's decision on a finding: one review-log row and the finding's new state.

The post page (one finding) and the queue's bulk bar (the findings of several posts) both call
`record`, so a bulk decision is logged exactly as single decisions are; it differs only in its
note, which starts with a marker naming the bulk action (the review log has no other column for
it, and the marker keeps the fact in the append-only record itself)."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from auditor.models import Finding, ReviewLog, utcnow
from auditor.web.ui.forms import DECISIONS

BULK_NOTE = re.compile(r"\A\[bulk decision on (\d+) posts?\](?: (.*))?\Z", re.S)


def target_label(action: str) -> str:
    """The state the queue shows after this decision (request_fix: confirmed, fix requested)."""
    return "fix_requested" if action == "request_fix" else DECISIONS[action][0]


def record(session: Session, finding: Finding, user_id: int, action: str, note: str | None,
           at: datetime | None = None) -> ReviewLog:
    """Append the decision to the review log and move the finding to its new state."""
    state = DECISIONS[action][0]
    entry = ReviewLog(org_id=finding.org_id, finding_id=finding.id, user_id=user_id, action=action,
                      from_state=finding.review_state, to_state=state, note=note)
    if at is not None:
        entry.created_at = at
    session.add(entry)
    finding.review_state = state
    finding.fix_requested_at = (at or utcnow()) if action == "request_fix" else None
    return entry


def bulk_note(posts: int, comment: str | None) -> str:
    head = f"[bulk decision on {posts} post{'' if posts == 1 else 's'}]"
    return f"{head} {comment}" if comment else head


def split_note(note: str | None) -> tuple[int | None, str | None]:
    """(number of posts of the bulk decision or None, the reviewer's own words)."""
    m = BULK_NOTE.match(note or "")
    if m is None:
        return None, note
    return int(m.group(1)), m.group(2) or None
