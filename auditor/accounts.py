"""Organizations, API keys and users: the administration use cases behind `auditor orgs|keys|users`."""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from auditor.models import ROLES, SCOPES, ApiKey, Organization, PasswordReset, User, utcnow

KEY_PREFIX = "aud_"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1000
RESET_HOURS = 24
# account changes (password resets and changes) are logged here: the service has no admin-action table
audit_log = logging.getLogger("auditor.accounts")


class AccountError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def hash_key(key: str) -> str:
    # keys are 256 random bits, so a fast hash is enough (no brute force over that space);
    # a slow password hash would cost milliseconds on every request
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_scopes(value: str | list[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    scopes = list(dict.fromkeys(s.strip().lower() for s in items if s.strip()))
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise AccountError("bad_scope", f"unknown scope {bad[0]!r}; known: {', '.join(SCOPES)}" if bad
                           else f"give at least one scope: {', '.join(SCOPES)}")
    return scopes


def get_org(session: Session, name: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        raise AccountError("not_found", f"no organization named {name!r} (see `auditor orgs list`)")
    return org


def create_org(session: Session, name: str) -> Organization:
    name = name.strip()
    if not name:
        raise AccountError("bad_request", "an organization needs a name")
    if session.scalar(select(Organization).where(Organization.name == name)):
        raise AccountError("conflict", f"organization {name!r} already exists")
    org = Organization(name=name)
    session.add(org)
    session.flush()
    return org


@dataclass
class NewKey:
    key: ApiKey
    secret: str   # shown once, never stored


def create_key(session: Session, org: Organization, scopes: list[str], name: str = "") -> NewKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(org_id=org.id, name=name or "key", prefix=secret[:12], key_hash=hash_key(secret),
                 scopes=",".join(scopes))
    session.add(key)
    session.flush()
    return NewKey(key, secret)


def revoke_key(session: Session, key_id: int | None = None, prefix: str | None = None) -> ApiKey:
    query = select(ApiKey)
    if key_id is not None:
        query = query.where(ApiKey.id == key_id)
    elif prefix:
        query = query.where(ApiKey.prefix == prefix[:12])
    else:
        raise AccountError("bad_request", "name the key to revoke by id or by its prefix")
    keys = session.scalars(query).all()
    if not keys:
        raise AccountError("not_found", "no such key (see `auditor keys list`)")
    if len(keys) > 1:
        raise AccountError("conflict", "that prefix names several keys; revoke by --id")
    key = keys[0]
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def create_user(session: Session, org: Organization, email: str, password: str, role: str) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError("bad_request", f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise AccountError("bad_request", f"unknown role {role!r}; known: {', '.join(ROLES)}")
    check_password_strength(password)
    if session.scalar(select(User).where(User.email == email)):
        raise AccountError("conflict", f"a user {email!r} already exists")
    user = User(org_id=org.id, email=email, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.flush()
    return user


# -- passwords ------------------------------------------------------------------------------------

def check_password_strength(password: str) -> None:
    """The one rule for every new password (user creation, change, reset)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("bad_request", f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("bad_request", f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


def _end_open_resets(session: Session, user_id: int, now: datetime) -> None:
    session.execute(update(PasswordReset).where(
        PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None), PasswordReset.revoked_at.is_(None))
        .values(revoked_at=now))


def set_password(session: Session, user: User, password: str, reason: str = "changed") -> None:
    """A new password: every session elsewhere ends (their mark no longer matches) and every open
    reset link of the user stops working."""
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    _end_open_resets(session, user.id, utcnow())
    audit_log.info("password %s: user %s <%s> (org %s)", reason, user.id, user.email, user.org_id)


@dataclass
class NewReset:
    reset: PasswordReset
    token: str    # goes into the link, shown once, never stored


def _aware(value: datetime) -> datetime:
    """SQLite hands datetimes back without their zone: they were stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def create_reset(session: Session, user: User, created_by: User | None = None,
                 hours: float = RESET_HOURS) -> NewReset:
    """A one-time reset link for user; earlier links of the user stop working."""
    if not user.active:
        raise AccountError("conflict", f"{user.email} is deactivated; reactivate the account first")
    now = utcnow()
    _end_open_resets(session, user.id, now)
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(org_id=user.org_id, user_id=user.id, token_hash=hash_key(token),
                          created_by=created_by.id if created_by else None, created_at=now,
                          expires_at=now + timedelta(hours=hours))
    session.add(reset)
    session.flush()
    audit_log.info("password reset link %s created for user %s <%s> (org %s) by %s, valid %g h", reset.id,
                   user.id, user.email, user.org_id,
                   f"admin {created_by.id} <{created_by.email}>" if created_by else "the command line", hours)
    return NewReset(reset, token)


def find_reset(session: Session, token: str) -> tuple[PasswordReset, User] | None:
    """The open reset of this token and its (active) user, or None: unknown, used, superseded,
    expired and a deactivated user all look the same."""
    if not token or len(token) > 200:
        return None
    row = session.execute(select(PasswordReset, User).join(User, User.id == PasswordReset.user_id)
                          .where(PasswordReset.token_hash == hash_key(token))).first()
    if row is None:
        return None
    reset, user = row
    if reset.used_at is not None or reset.revoked_at is not None or not user.active \
            or _aware(reset.expires_at) <= utcnow():
        return None
    return reset, user


def use_reset(session: Session, token: str, password: str) -> User | None:
    """Set the password through a reset link; None if the link is not (or no longer) valid.
    The link is claimed with a conditional UPDATE, so two simultaneous uses cannot both succeed."""
    check_password_strength(password)
    found = find_reset(session, token)
    if found is None:
        return None
    reset, user = found
    claimed = session.execute(update(PasswordReset).where(
        PasswordReset.id == reset.id, PasswordReset.used_at.is_(None), PasswordReset.revoked_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return None
    set_password(session, user, password, reason=f"set through reset link {reset.id}")
    return user
