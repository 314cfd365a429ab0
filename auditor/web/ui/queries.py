"""What the pages show, read from the database. Every function takes the organization id and
filters on it: nothing here can reach another organization's rows."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from auditor.audits import CARRY_ACTION
from auditor.errors import NotFound
from auditor.models import (
    Audit, Campaign, Contract, Finding, Influencer, Post as PostRow, PostEvent, ReviewLog, User,
)

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = case((Finding.severity == "error", 0), (Finding.severity == "warning", 1), else_=2)
# review states as the UI names them: "fix requested" is a confirmed finding awaiting the influencer
REVIEW_FILTERS = {
    "open": "Open",
    "confirmed": "Confirmed",
    "fix_requested": "Fix requested",
    "dismissed": "Dismissed",
    "fixed": "Resolved",
    "all": "All",
}
STANDING = ("open", "confirmed")   # a finding that still stands against the post
PAGE_SIZE = 25


def owned(session: Session, model, org_id: int, row_id: int):
    row = session.get(model, row_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"no {model.__tablename__[:-1]} {row_id}")
    return row


def as_utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:   # SQLite hands back naive UTC
        return value.replace(tzinfo=timezone.utc)
    return value


def state_label(finding: Finding) -> str:
    if finding.review_state == "confirmed" and finding.fix_requested_at is not None:
        return "fix_requested"
    return finding.review_state


# -- the queue -------------------------------------------------------------------------------------

@dataclass
class QueueFilters:
    campaign: int | None = None
    influencer: int | None = None
    country: str | None = None
    platform: str | None = None
    rule: str | None = None
    severity: str | None = None
    review: str = "open"

    def args(self, **override) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if v not in (None, "")}
        d.update(override)
        return {k: v for k, v in d.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return any(v not in (None, "") for k, v in self.__dict__.items() if k != "review")


def _finding_conditions(org_id: int, f: QueueFilters, with_review: bool = True) -> list:
    cond = [Finding.org_id == org_id, Finding.current]
    for value, column in ((f.campaign, Finding.campaign_id), (f.influencer, Finding.influencer_id),
                          (f.country, Finding.country), (f.platform, Finding.platform),
                          (f.rule, Finding.rule_id), (f.severity, Finding.severity)):
        if value not in (None, ""):
            cond.append(column == value)
    if with_review:
        cond.extend(_review_condition(f.review))
    return cond


def _review_condition(review: str) -> list:
    if review == "all":
        return []
    if review == "fix_requested":
        return [Finding.review_state == "confirmed", Finding.fix_requested_at.is_not(None)]
    if review == "confirmed":
        return [Finding.review_state == "confirmed", Finding.fix_requested_at.is_(None)]
    return [Finding.review_state == review]


@dataclass
class QueueRow:
    post: PostRow
    worst: str
    count: int
    rules: list[str]
    countries: list[str]
    campaign: str | None
    influencer: str | None
    age: str


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    severity_counts: dict[str, int]
    state_counts: dict[str, int]


def queue(session: Session, org_id: int, f: QueueFilters, page: int = 1, now: datetime | None = None) -> QueuePage:
    """Posts with matching current findings, worst first, then oldest first."""
    cond = _finding_conditions(org_id, f)
    per_post = (select(Finding.post_id, func.min(SEVERITY_RANK).label("worst"), func.count().label("n"))
                .where(*cond).group_by(Finding.post_id).subquery())
    total = session.scalar(select(func.count()).select_from(per_post)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(PostRow, per_post.c.worst, per_post.c.n).join(per_post, per_post.c.post_id == PostRow.id)
        .where(PostRow.org_id == org_id)
        .order_by(per_post.c.worst, PostRow.created_at, PostRow.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    post_ids = [p.id for p, _, _ in rows]
    rules: dict[int, list[str]] = defaultdict(list)
    countries: dict[int, list[str]] = defaultdict(list)
    if post_ids:
        for pid, rule, country in session.execute(
                select(Finding.post_id, Finding.rule_id, Finding.country)
                .where(*cond, Finding.post_id.in_(post_ids)).order_by(SEVERITY_RANK, Finding.seq)):
            if rule not in rules[pid]:
                rules[pid].append(rule)
            if country and country not in countries[pid]:
                countries[pid].append(country)
    names = _names(session, org_id, {p.campaign_id for p, _, _ in rows}, {p.influencer_id for p, _, _ in rows})
    now = now or datetime.now(timezone.utc)
    out = [QueueRow(p, SEVERITIES[worst], n, rules[p.id], countries[p.id],
                    names["campaign"].get(p.campaign_id), names["influencer"].get(p.influencer_id),
                    age(now, as_utc(p.created_at)))
           for p, worst, n in rows]
    severity_counts = dict(session.execute(select(Finding.severity, func.count()).where(*cond)
                                           .group_by(Finding.severity)).all())
    base = _finding_conditions(org_id, f, with_review=False)
    state_counts = {}
    for key in REVIEW_FILTERS:
        state_counts[key] = session.scalar(
            select(func.count(func.distinct(Finding.post_id))).where(*base, *_review_condition(key))) or 0
    return QueuePage(out, total, page, pages, {s: severity_counts.get(s, 0) for s in SEVERITIES}, state_counts)


def findings_in_view(session: Session, org_id: int, f: QueueFilters, post_ids: list[int]) -> list[Finding]:
    """The current findings of these posts that the queue shows under these filters (what a row
    counts), locked for a decision; in post and id order."""
    return list(session.scalars(select(Finding).where(*_finding_conditions(org_id, f), Finding.post_id.in_(post_ids))
                                .order_by(Finding.post_id, Finding.id).with_for_update()))


def age(now: datetime, then: datetime | None) -> str:
    if then is None:
        return ""
    seconds = max(0, (now - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return "just now"


def _names(session: Session, org_id: int, campaign_ids, influencer_ids) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {"campaign": {}, "influencer": {}}
    campaign_ids, influencer_ids = {i for i in campaign_ids if i}, {i for i in influencer_ids if i}
    if campaign_ids:
        out["campaign"] = dict(session.execute(select(Campaign.id, Campaign.name).where(
            Campaign.org_id == org_id, Campaign.id.in_(campaign_ids))).all())
    if influencer_ids:
        out["influencer"] = dict(session.execute(select(Influencer.id, Influencer.name).where(
            Influencer.org_id == org_id, Influencer.id.in_(influencer_ids))).all())
    return out


def filter_options(session: Session, org_id: int) -> dict[str, list]:
    current = [Finding.org_id == org_id, Finding.current]

    def distinct(column):
        return [v for v in session.scalars(select(column).where(*current, column.is_not(None))
                                           .distinct().order_by(column)) if v]
    return {
        "campaigns": session.execute(select(Campaign.id, Campaign.name).where(Campaign.org_id == org_id)
                                     .order_by(Campaign.name)).all(),
        "influencers": session.execute(select(Influencer.id, Influencer.name).where(Influencer.org_id == org_id)
                                       .order_by(Influencer.name)).all(),
        "countries": distinct(Finding.country),
        "platforms": distinct(Finding.platform),
        "rules": distinct(Finding.rule_id),
    }


# -- one post --------------------------------------------------------------------------------------

def latest_audit(session: Session, post_id: int, done_only: bool = False) -> Audit | None:
    q = select(Audit).where(Audit.post_id == post_id)
    if done_only:
        q = q.where(Audit.status == "done")
    return session.scalar(q.order_by(Audit.id.desc()).limit(1))


def versions(session: Session, post: PostRow) -> list[PostRow]:
    if post.identity is None:
        return [post]
    return list(session.scalars(select(PostRow).where(PostRow.org_id == post.org_id,
                                                      PostRow.identity == post.identity)
                                .order_by(PostRow.version)))


def findings_of(session: Session, audit: Audit | None) -> list[Finding]:
    if audit is None:
        return []
    rank = case((Finding.severity == "error", 0), (Finding.severity == "warning", 1), else_=2)
    return list(session.scalars(select(Finding).where(Finding.org_id == audit.org_id, Finding.audit_id == audit.id)
                                .order_by(rank, Finding.seq)))


@dataclass
class Event:
    at: datetime
    kind: str                 # decision | comment | reaudit | new_version | audit | ingest
    who: str | None
    title: str
    body: str | None = None
    finding: Finding | None = None
    state: str | None = None
    post_id: int | None = None
    version: int | None = None
    extra: dict = field(default_factory=dict)


def timeline(session: Session, org_id: int, chain: list[PostRow]) -> list[Event]:
    """Everything that happened to every version of the post, newest first."""
    from auditor.web.ui.decisions import split_note
    from auditor.web.ui.forms import DECISIONS

    post_ids = [p.id for p in chain]
    version_of = {p.id: p.version for p in chain}
    users = dict(session.execute(select(User.id, User.email).where(User.org_id == org_id)).all())
    events: list[Event] = []
    for p in chain:
        events.append(Event(as_utc(p.created_at), "ingest", None,
                            f"Version {p.version} received" if p.version > 1 else "Post received",
                            post_id=p.id, version=p.version))
    for log, finding in session.execute(
            select(ReviewLog, Finding).join(Finding, Finding.id == ReviewLog.finding_id)
            .where(ReviewLog.org_id == org_id, Finding.post_id.in_(post_ids))):
        wording = DECISIONS.get(log.action, (None, None, None))[2] or \
            (f"kept the earlier decision ({log.to_state}) after a re-audit" if log.action == CARRY_ACTION else
             f"set the state from {log.from_state} to {log.to_state}")
        who = users.get(log.user_id) or (f"API key {log.api_key_id}" if log.api_key_id else None)
        bulk, note = split_note(log.note) if log.action in DECISIONS else (None, log.note)
        events.append(Event(as_utc(log.created_at), "decision", who, wording, note, finding,
                            log.to_state, finding.post_id, version_of.get(finding.post_id),
                            {"action": log.action, "bulk": bulk}))
    for ev in session.scalars(select(PostEvent).where(PostEvent.org_id == org_id, PostEvent.post_id.in_(post_ids))):
        title = {"comment": "commented", "reaudit": "asked for a re-audit",
                 "new_version": "entered an edited version"}.get(ev.kind, ev.kind)
        events.append(Event(as_utc(ev.created_at), ev.kind, users.get(ev.user_id), title, ev.body,
                            post_id=ev.post_id, version=version_of.get(ev.post_id)))
    for a in session.scalars(select(Audit).where(Audit.org_id == org_id, Audit.post_id.in_(post_ids),
                                                 Audit.status.in_(("done", "failed")))):
        title = {"done": f"Audit {a.id} ({a.kind}): {(a.verdict_status or '').replace('_', ' ')}",
                 "failed": f"Audit {a.id} ({a.kind}) failed"}[a.status]
        events.append(Event(as_utc(a.finished_at or a.queued_at), "audit", None, title,
                            a.error if a.status == "failed" else None, post_id=a.post_id,
                            version=version_of.get(a.post_id), state=a.verdict_status))
    order = {"ingest": 0, "audit": 1, "reaudit": 2, "new_version": 2, "decision": 3, "comment": 3}
    events.sort(key=lambda e: (e.at or datetime.min.replace(tzinfo=timezone.utc), order.get(e.kind, 9)),
                reverse=True)
    return events


def post_context(session: Session, org_id: int, post: PostRow) -> dict[str, Any]:
    campaign = session.get(Campaign, post.campaign_id) if post.campaign_id else None
    contract = session.get(Contract, post.contract_id) if post.contract_id else None
    influencer = session.get(Influencer, post.influencer_id) if post.influencer_id else None
    # the ids were checked against the organization when the post was stored; check again anyway
    return {name: row if row is not None and row.org_id == org_id else None
            for name, row in (("campaign", campaign), ("contract", contract), ("influencer", influencer))}


# -- campaign dashboard ----------------------------------------------------------------------------

@dataclass
class Group:
    compliant: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return self.compliant / self.total if self.total else None

    def add(self, ok: bool) -> None:
        self.total += 1
        self.compliant += ok


def _post_day(post: PostRow) -> date:
    raw = post.posted_at or ""
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return as_utc(post.created_at).date()


def campaign_stats(session: Session, org_id: int, campaign: Campaign) -> dict[str, Any]:
    """Compliance of the campaign's current posts. A post is compliant when its latest audit left
    no error finding standing (open or confirmed); dismissed and resolved findings do not count.
    By country: an error for that country (or for no country: the contract) counts against it."""
    posts = list(session.scalars(select(PostRow).where(PostRow.org_id == org_id, PostRow.campaign_id == campaign.id,
                                                       PostRow.is_current).order_by(PostRow.id)))
    ids = [p.id for p in posts]
    latest: dict[int, Audit] = {}
    if ids:
        newest = (select(func.max(Audit.id)).where(Audit.org_id == org_id, Audit.post_id.in_(ids),
                                                   Audit.status == "done").group_by(Audit.post_id))
        latest = {a.post_id: a for a in session.scalars(select(Audit).where(Audit.id.in_(newest)))}
    standing: dict[int, set[str | None]] = defaultdict(set)
    open_violations: list[Finding] = []
    if ids:
        for finding in session.scalars(select(Finding).where(
                Finding.org_id == org_id, Finding.campaign_id == campaign.id, Finding.current,
                Finding.severity == "error", Finding.review_state.in_(STANDING)).order_by(Finding.id)):
            standing[finding.post_id].add(finding.country)
            open_violations.append(finding)
    names = _names(session, org_id, set(), {p.influencer_id for p in posts})["influencer"]
    overall, by_inf, by_country, by_platform, by_day = Group(), defaultdict(Group), defaultdict(Group), \
        defaultdict(Group), defaultdict(Group)
    pending = 0
    for p in posts:
        audit = latest.get(p.id)
        if audit is None:
            pending += 1
            continue
        ok = not standing.get(p.id)
        overall.add(ok)
        by_inf[names.get(p.influencer_id, "(no influencer)")].add(ok)
        by_platform[p.platform or "(none)"].add(ok)
        by_day[_post_day(p)].add(ok)
        for country in (audit.verdict or {}).get("countries", []):
            by_country[country].add(not (standing.get(p.id, set()) & {country, None}))
    return {"posts": len(posts), "audited": overall.total, "pending": pending, "overall": overall,
            "by_influencer": _sorted(by_inf), "by_country": _sorted(by_country),
            "by_platform": _sorted(by_platform), "over_time": _periods(by_day),
            "open_violations": open_violations}


def _sorted(groups: dict[str, Group]) -> list[tuple[str, Group]]:
    """Worst first: that is where to look."""
    return sorted(groups.items(), key=lambda kv: (kv[1].rate if kv[1].rate is not None else 2, kv[0]))


def _periods(by_day: dict[date, Group]) -> list[tuple[str, Group]]:
    """Days for a short campaign, ISO weeks for a longer one; empty periods in between kept."""
    if not by_day:
        return []
    first, last = min(by_day), max(by_day)
    if (last - first).days <= 31:
        out, day = [], first
        while day <= last:
            out.append((day.strftime("%d %b"), by_day.get(day, Group())))
            day += timedelta(days=1)
        return out
    weeks: dict[date, Group] = defaultdict(Group)
    for day, g in by_day.items():
        monday = day - timedelta(days=day.weekday())
        weeks[monday].compliant += g.compliant
        weeks[monday].total += g.total
    out, week = [], first - timedelta(days=first.weekday())
    while week <= last:
        out.append((f"wk {week.strftime('%d %b')}", weeks.get(week, Group())))
        week += timedelta(days=7)
    return out
