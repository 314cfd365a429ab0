"""The stored model (SQLAlchemy 2). Every row carries its organization: no query crosses tenants.

The schema itself is created by the Alembic migrations in auditor/migrations; these classes
must match them (tests/service/test_migrations.py compares the two).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JSONType = JSON().with_variant(JSONB(), "postgresql")

SCOPES = ("check", "ingest", "read", "review", "admin")
ROLES = ("reviewer", "admin")
COMPENSATIONS = ("fixed_fee", "performance", "gifting", "affiliate")
# what each compensation model tells the engine about the relationship
COMPENSATION_RELATIONSHIP = {"fixed_fee": "paid", "performance": "paid", "gifting": "gifted",
                             "affiliate": "affiliate"}
AUDIT_STATES = ("queued", "running", "done", "failed")
REVIEW_STATES = ("open", "confirmed", "dismissed", "fixed")
CAMPAIGN_STATES = ("open", "closed")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSONType}


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person who signs in to the review UI (built on these rows by the UI's issue)."""
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="reviewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordReset(Base):
    """A one-time link to set a new password, made by an admin (or `auditor users reset-password`).
    Only a hash of the token is stored. It ends when used, when a newer link is made for the user,
    when the user's password changes, or at expires_at; the rows stay as the record of resets."""
    __tablename__ = "password_resets"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))   # None: the command line
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)       # superseded or password changed


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))          # shown in listings, never the key
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(100))          # comma-separated
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split(",") if s]


class Influencer(Base):
    __tablename__ = "influencers"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InfluencerHandle(Base):
    __tablename__ = "influencer_handles"
    __table_args__ = (UniqueConstraint("org_id", "platform", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencers.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(200))          # lower case, without '@'


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(200))
    countries: Mapped[list] = mapped_column(JSONType, default=list)
    platforms: Mapped[list] = mapped_column(JSONType, default=list)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (UniqueConstraint("campaign_id", "influencer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    influencer_id: Mapped[int] = mapped_column(ForeignKey("influencers.id"), index=True)
    compensation: Mapped[str] = mapped_column(String(20))
    deliverables: Mapped[list] = mapped_column(JSONType, default=list)
    countries: Mapped[list] = mapped_column(JSONType, default=list)   # [] -> the campaign's
    disclosure_wording: Mapped[str | None] = mapped_column(Text)       # wording the contract requires
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Post(Base):
    """One version of a post. An edit (same url / id, new content) is a new row; the old stays."""
    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("org_id", "identity", "version"),
                      Index("ix_posts_org_campaign", "org_id", "campaign_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    identity: Mapped[str | None] = mapped_column(String(600))   # "url:..." or "id:...": versions share it
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    platform: Mapped[str | None] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(2000))
    author: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)      # the post as submitted (re-audits use it)
    posted_at: Mapped[str | None] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    influencer_id: Mapped[int | None] = mapped_column(ForeignKey("influencers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CloseRun(Base):
    """One campaign-close audit: the audits of all the campaign's posts, and the report's source."""
    __tablename__ = "close_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Audit(Base):
    """Mirrors one audit of one post through the queue: queued -> running -> done | failed."""
    __tablename__ = "audits"
    __table_args__ = (Index("ix_audits_status", "status"), Index("ix_audits_run", "run_id", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("close_runs.id"))
    kind: Mapped[str] = mapped_column(String(10), default="ingest")   # ingest | close | check
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(100))
    claimed_by: Mapped[str | None] = mapped_column(String(200))       # host:pid of the worker
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    verdict_status: Mapped[str | None] = mapped_column(String(20))
    ruleset_version: Mapped[str | None] = mapped_column(String(40))
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class Finding(Base):
    __tablename__ = "findings"
    # (audit_id, seq) unique: a re-run job replaces its findings and can never double them
    __table_args__ = (UniqueConstraint("audit_id", "seq"),
                      Index("ix_findings_org_current", "org_id", "current", "id"),
                      Index("ix_findings_campaign", "campaign_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    influencer_id: Mapped[int | None] = mapped_column(ForeignKey("influencers.id"))
    platform: Mapped[str | None] = mapped_column(String(20))
    rule_id: Mapped[str] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    fix: Mapped[str] = mapped_column(Text)
    fix_label: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(JSONType, default=list)
    references: Mapped[list] = mapped_column(JSONType, default=list)
    confidence: Mapped[str] = mapped_column(String(10), default="high")
    ruleset_version: Mapped[str] = mapped_column(String(40))
    review_state: Mapped[str] = mapped_column(String(20), default="open")
    current: Mapped[bool] = mapped_column(Boolean, default=True)   # from the post's latest audit
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # set when a reviewer asks the influencer for a fix (state stays "confirmed"); cleared by later decisions
    fix_requested_at: Mapped[datetime | None] = mapped_column(default=None)


class ReviewLog(Base):
    """Append-only (the migration installs triggers that refuse UPDATE and DELETE)."""
    __tablename__ = "review_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    action: Mapped[str] = mapped_column(String(20))          # e.g. "review"
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


POST_EVENT_KINDS = ("comment", "reaudit", "new_version")


class PostEvent(Base):
    """Append-only record of what people did to a post in the review UI: comments, re-audits,
    edited versions. Review decisions on findings live in review_log."""
    __tablename__ = "post_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))             # comment | reaudit | new_version
    body: Mapped[str | None] = mapped_column(Text)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


WEBHOOK_EVENTS = ("audit.violation", "audit.completed")
DELIVERY_STATES = ("pending", "delivered", "failed")


class WebhookEndpoint(Base):
    """Where an organization wants its events POSTed. The secret signs each body (HMAC-SHA256), so
    unlike an API key it is stored as is: signing needs it back. It is shown to the caller once.
    After a rotation the replaced secret also signs, until previous_secret_expires_at."""
    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSONType, default=list)
    description: Mapped[str | None] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint, and every attempt to deliver it (history). The body is kept as
    sent, so a retry signs and sends the same bytes; (endpoint_id, event_id) unique: an event is
    recorded, hence delivered, once per endpoint even when its audit is re-run."""
    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    history: Mapped[list] = mapped_column(JSONType, default=list)   # [{at, status_code, error}]
    next_retry_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
