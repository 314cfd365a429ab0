"""Organizations, API keys and users: the administration use cases behind `auditor orgs|keys|users`."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from auditor.models import ROLES, SCOPES, ApiKey, Organization, User, utcnow

KEY_PREFIX = "aud_"


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
    if len(password) < 8:
        raise AccountError("bad_request", "the password must have at least 8 characters")
    if session.scalar(select(User).where(User.email == email)):
        raise AccountError("conflict", f"a user {email!r} already exists")
    user = User(org_id=org.id, email=email, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.flush()
    return user
