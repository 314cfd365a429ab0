"""Storing posts: validate every post first (all or nothing), link contracts, keep versions.

A post is known by its url (or else its id): the same content again is a duplicate (no new audit);
new content is a new version, and the old version is kept.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from auditor import audits
from auditor.catalog import normal_handle
from auditor.db import insert_rows, reserve_ids
from auditor.errors import Invalid, ServiceError, post_error_status
from auditor.models import Audit, Campaign, Contract, Finding, InfluencerHandle, Post as PostRow
from auditor.posts import PostError

SERVICE_FIELDS = ("contract_id", "campaign_id")
LIMITS = {"id": 200, "url": 2000, "author": 200, "posted_at": 40}


class IngestError(ServiceError):
    """Some posts were invalid: nothing was stored. details.errors lists each one."""


@dataclass
class Prepared:
    index: int
    data: dict[str, Any]
    text: str
    platform: str | None
    contract: Contract | None
    campaign: Campaign | None
    influencer_id: int | None
    identity: str | None
    content_hash: str


def _ref(raw: dict, name: str, index: int) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PostError("invalid_field", f"'{name}' must be a positive integer id", name)
    return value


def _identity(data: dict) -> str | None:
    if isinstance(data.get("url"), str) and data["url"].strip():
        return "url:" + data["url"].strip()
    if data.get("id") not in (None, ""):
        return f"id:{data['id']}"
    return None


def content_hash(data: dict, contract_id: int | None, campaign_id: int | None) -> str:
    canonical = json.dumps({"post": data, "contract": contract_id, "campaign": campaign_id},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def prepare(session: Session, org_id: int, raws: list[Any], known_countries) -> list[Prepared]:
    """Validate every post; raise IngestError listing all the bad ones."""
    known = list(known_countries)
    errors: list[dict[str, Any]] = []
    contract_ids, campaign_ids = set(), set()
    for raw in raws:
        if isinstance(raw, dict):
            for name, bucket in (("contract_id", contract_ids), ("campaign_id", campaign_ids)):
                if isinstance(raw.get(name), int) and not isinstance(raw.get(name), bool):
                    bucket.add(raw[name])
    contracts = {c.id: c for c in session.scalars(
        select(Contract).where(Contract.org_id == org_id, Contract.id.in_(contract_ids)))} if contract_ids else {}
    campaign_ids |= {c.campaign_id for c in contracts.values()}
    campaigns = {c.id: c for c in session.scalars(
        select(Campaign).where(Campaign.org_id == org_id, Campaign.id.in_(campaign_ids)))} if campaign_ids else {}

    out: list[Prepared] = []
    for index, raw in enumerate(raws):
        try:
            if not isinstance(raw, dict):
                raise PostError("invalid_post", "a post must be a JSON object")
            contract_id, campaign_id = _ref(raw, "contract_id", index), _ref(raw, "campaign_id", index)
            contract = contracts.get(contract_id) if contract_id else None
            if contract_id and contract is None:   # also another organization's contract
                raise PostError("invalid_field", f"no contract {contract_id}", "contract_id")
            if campaign_id and campaign_id not in campaigns:
                raise PostError("invalid_field", f"no campaign {campaign_id}", "campaign_id")
            if contract and campaign_id and contract.campaign_id != campaign_id:
                raise PostError("invalid_field", f"contract {contract_id} belongs to campaign "
                                                 f"{contract.campaign_id}, not {campaign_id}", "campaign_id")
            campaign = campaigns.get(contract.campaign_id if contract else campaign_id)
            data = {k: v for k, v in raw.items() if k not in SERVICE_FIELDS}
            for name, limit in LIMITS.items():
                if isinstance(data.get(name), str) and len(data[name]) > limit:
                    raise PostError("invalid_field", f"'{name}' is longer than {limit} characters", name)
            post = audits.build_post(known, data, contract, campaign, fallback_id="")
            out.append(Prepared(index, data, post.text, post.platform, contract, campaign,
                                contract.influencer_id if contract else None, _identity(data),
                                content_hash(data, contract_id, campaign.id if campaign else None)))
        except PostError as exc:
            errors.append({"index": index, "code": exc.code, "message": exc.message, "field": exc.field})
    if errors:
        first = errors[0]
        where = f"post {first['index']}: " if len(raws) > 1 else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise IngestError(where + first["message"] + more, code=first["code"],
                          status=post_error_status(first["code"]),
                          details={"field": first["field"], "errors": errors})
    _link_influencers(session, org_id, out)
    return out


def _link_influencers(session: Session, org_id: int, posts: list[Prepared]) -> None:
    """A post whose author is a known handle names that influencer, and their contract for the campaign."""
    wanted = {(p.platform, normal_handle(p.data["author"])) for p in posts
              if p.influencer_id is None and p.platform and isinstance(p.data.get("author"), str)
              and p.data["author"].strip()}
    if not wanted:
        return
    rows = session.execute(select(InfluencerHandle.platform, InfluencerHandle.handle, InfluencerHandle.influencer_id)
                           .where(InfluencerHandle.org_id == org_id,
                                  InfluencerHandle.handle.in_({h for _, h in wanted}))).all()
    by_handle = {(p, h): i for p, h, i in rows}
    pairs = set()
    for p in posts:
        if p.influencer_id is None and p.platform and isinstance(p.data.get("author"), str):
            p.influencer_id = by_handle.get((p.platform, normal_handle(p.data["author"])))
            if p.influencer_id and p.campaign and p.contract is None:
                pairs.add((p.campaign.id, p.influencer_id))
    if pairs:
        contracts = {(c.campaign_id, c.influencer_id): c for c in session.scalars(
            select(Contract).where(Contract.org_id == org_id,
                                   Contract.campaign_id.in_({c for c, _ in pairs}),
                                   Contract.influencer_id.in_({i for _, i in pairs})))}
        for p in posts:
            if p.contract is None and p.campaign and p.influencer_id:
                p.contract = contracts.get((p.campaign.id, p.influencer_id))


def store(session: Session, org_id: int, posts: list[Prepared], kind: str = "ingest",
          planner=None) -> list[dict[str, Any]]:
    """Insert the posts (new ones and new versions) and one queued audit for each.

    planner(audit_ids) -> {job id: audit ids}: when given and the database hands out ids before the
    insert (PostgreSQL), the audits are inserted with their job ids (no second write of each row)."""
    identities = {p.identity for p in posts if p.identity}
    current: dict[str, tuple[int, int, str]] = {}
    if identities:
        for pid, identity, version, digest in session.execute(
                select(PostRow.id, PostRow.identity, PostRow.version, PostRow.content_hash)
                .where(PostRow.org_id == org_id, PostRow.identity.in_(identities), PostRow.is_current)):
            current[identity] = (pid, version, digest)

    results: list[dict[str, Any] | None] = [None] * len(posts)
    to_insert: list[tuple[int, Prepared, int, int | None]] = []   # (slot, post, version, previous id)
    pending: dict[str, tuple[int, int, str]] = {}   # identity -> (slot, version, hash) within this request
    superseded: list[int] = []
    for slot, p in enumerate(posts):
        seen = pending.get(p.identity) if p.identity else None
        stored = current.get(p.identity) if p.identity else None
        if seen is not None:
            if seen[2] == p.content_hash:   # the same post twice in one request
                results[slot] = {"index": p.index, "duplicate_of_index": posts[seen[0]].index}
                continue
            version, previous = seen[1] + 1, None   # previous filled in after insert
        elif stored is not None:
            if stored[2] == p.content_hash:
                results[slot] = {"index": p.index, "post_id": stored[0], "version": stored[1],
                                 "status": "duplicate"}
                continue
            version, previous = stored[1] + 1, stored[0]
            superseded.append(stored[0])
        else:
            version, previous = 1, None
        to_insert.append((slot, p, version, previous))
        if p.identity:
            pending[p.identity] = (slot, version, p.content_hash)

    if superseded:
        session.execute(update(PostRow).where(PostRow.id.in_(superseded)).values(is_current=False)
                        .execution_options(synchronize_session=False))
        session.execute(update(Finding).where(Finding.post_id.in_(superseded)).values(current=False)
                        .execution_options(synchronize_session=False))

    # versions edited twice within one request: only the last one stays current
    last_slot = {p.identity: slot for slot, p, _, _ in to_insert if p.identity}
    rows = [{
        "org_id": org_id, "external_id": str(p.data["id"]) if p.data.get("id") not in (None, "") else None,
        "identity": p.identity, "version": version, "previous_id": previous,
        "is_current": p.identity is None or last_slot[p.identity] == slot,
        "platform": p.platform, "url": p.data.get("url"), "author": p.data.get("author"), "text": p.text,
        "data": p.data, "posted_at": p.data.get("posted_at"), "content_hash": p.content_hash,
        "campaign_id": p.campaign.id if p.campaign else None, "contract_id": p.contract.id if p.contract else None,
        "influencer_id": p.influencer_id,
    } for slot, p, version, previous in to_insert]
    post_ids: list[int] = []
    if rows:
        post_ids = insert_rows(session, PostRow, rows)
        # chain versions created within this request
        by_identity: dict[str, int] = {}
        chain = []
        for (slot, p, version, previous), pid in zip(to_insert, post_ids):
            if p.identity and previous is None and version > 1:
                chain.append({"id": pid, "previous_id": by_identity[p.identity]})
            if p.identity:
                by_identity[p.identity] = pid
        if chain:
            session.execute(update(PostRow), chain)
        audit_rows = [{"org_id": org_id, "post_id": pid, "kind": kind, "status": "queued"} for pid in post_ids]
        reserved = reserve_ids(session, Audit, len(audit_rows)) if planner is not None else None
        if reserved:
            job_of = {aid: job_id for job_id, ids in planner(reserved).items() for aid in ids}
            for row, aid in zip(audit_rows, reserved):
                row.update(id=aid, job_id=job_of[aid])
        audit_ids = insert_rows(session, Audit, audit_rows)
        for (slot, p, version, _), pid, aid in zip(to_insert, post_ids, audit_ids):
            results[slot] = {"index": p.index, "post_id": pid, "audit_id": aid, "version": version,
                             "status": "queued"}

    # duplicates answer with their latest audit
    dup_posts = [r["post_id"] for r in results if r and r.get("status") == "duplicate"]
    if dup_posts:
        latest = dict(session.execute(select(Audit.post_id, Audit.id).where(Audit.post_id.in_(dup_posts))
                                      .order_by(Audit.id)).all())
        for r in results:
            if r and r.get("status") == "duplicate":
                r["audit_id"] = latest.get(r["post_id"])
    for r in results:
        if r and "duplicate_of_index" in r:
            twin = next(x for x in results if x and x["index"] == r["duplicate_of_index"])
            r.update(post_id=twin["post_id"], audit_id=twin["audit_id"], version=twin["version"],
                     status="duplicate")
            del r["duplicate_of_index"]
    return [r for r in results if r is not None]


def new_audit_ids(results: list[dict[str, Any]]) -> list[int]:
    return [r["audit_id"] for r in results if r.get("status") == "queued"]


def validate_batch_shape(body: Any, max_posts: int) -> tuple[list[Any], bool]:
    """One post, or {"posts": [...]} -> (posts, is_batch)."""
    if isinstance(body, dict) and "posts" in body:
        posts = body["posts"]
        if not isinstance(posts, list):
            raise Invalid("'posts' must be a list of posts", "posts", code="invalid_post")
        if not posts:
            raise Invalid("'posts' is empty", "posts", code="invalid_post")
        if len(posts) > max_posts:
            raise ServiceError(f"{len(posts):,} posts in one request; the limit is {max_posts:,}",
                               code="too_large", status=413, details={"field": "posts", "limit": max_posts})
        return posts, True
    if not isinstance(body, dict):
        raise Invalid("the body must be one post (a JSON object) or {\"posts\": [...]}", code="invalid_post")
    return [body], False
