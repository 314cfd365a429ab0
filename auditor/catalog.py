"""Influencers, campaigns and contracts: validation and storage, always within one organization."""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auditor.errors import Conflict, Invalid, NotFound
from auditor.models import (
    COMPENSATION_RELATIONSHIP, COMPENSATIONS, Campaign, Contract, Influencer, InfluencerHandle,
)
from auditor.posts import COUNTRY_ALIASES, PLATFORM_ALIASES
from auditor.types import PLATFORMS


# -- field validators: each raises Invalid naming the field ------------------------------------

def text_field(data: dict, name: str, *, required: bool = False, max_len: int = 200) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(f"'{name}' is required", name)
        return None
    if not isinstance(value, str):
        raise Invalid(f"'{name}' must be a string", name)
    if len(value) > max_len:
        raise Invalid(f"'{name}' is longer than {max_len} characters", name)
    return value.strip()


def countries_field(data: dict, name: str, known: Iterable[str]) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"'{name}' must be a list of ISO 3166-1 alpha-2 codes", name)
    known = set(known)
    out: list[str] = []
    for raw in value:
        code = COUNTRY_ALIASES.get(raw.strip().upper(), raw.strip().upper())
        if code not in known:
            raise Invalid(f"unknown country {raw!r}; known: {', '.join(sorted(known))}", name,
                          code="unknown_country")
        if code not in out:
            out.append(code)
    return out


def platform_value(raw: Any, name: str) -> str:
    if not isinstance(raw, str):
        raise Invalid(f"'{name}' must be a platform name", name)
    p = PLATFORM_ALIASES.get(raw.strip().lower(), raw.strip().lower())
    if p not in PLATFORMS:
        raise Invalid(f"unknown platform {raw!r}; known: {', '.join(PLATFORMS)}", name, code="unknown_platform")
    return p


def platforms_field(data: dict, name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise Invalid(f"'{name}' must be a list of platforms", name)
    return list(dict.fromkeys(platform_value(v, name) for v in value))


def date_field(data: dict, name: str) -> date | None:
    value = data.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _bad_date(name)
    except ValueError:
        return _bad_date(name)


def _bad_date(name: str):
    raise Invalid(f"'{name}' must be a date like 2025-06-30", name)


def id_field(data: dict, name: str, *, required: bool = False) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise Invalid(f"'{name}' is required", name)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"'{name}' must be a positive integer id", name)
    return value


def reject_unknown(data: dict, allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(unknown)}; known: {', '.join(sorted(allowed))}", unknown[0])


def owned(session: Session, model, org_id: int, obj_id: int, what: str):
    """Another organization's row is reported exactly like a missing one."""
    obj = session.get(model, obj_id)
    if obj is None or obj.org_id != org_id:
        raise NotFound(f"no {what} {obj_id}")
    return obj


def flush_or_conflict(session: Session, message: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(message) from None


# -- influencers -------------------------------------------------------------------------------

INFLUENCER_FIELDS = {"name", "handles"}


def _handles(data: dict) -> list[tuple[str, str]]:
    value = data.get("handles") or {}
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
        pairs = [(v.get("platform"), v.get("handle")) for v in value]
    else:
        raise Invalid("'handles' must map platform -> handle, e.g. {\"instagram\": \"@anna\"}", "handles")
    out = []
    for platform, handle in pairs:
        if not isinstance(handle, str) or not handle.strip().lstrip("@"):
            raise Invalid("each handle must be a non-empty string", "handles")
        out.append((platform_value(platform, "handles"), normal_handle(handle)))
    return list(dict.fromkeys(out))


def normal_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()[:200]


def save_influencer(session: Session, org_id: int, data: dict, influencer: Influencer | None = None) -> Influencer:
    reject_unknown(data, INFLUENCER_FIELDS)
    if influencer is None:
        influencer = Influencer(org_id=org_id, name=text_field(data, "name", required=True))
        session.add(influencer)
    elif "name" in data:
        influencer.name = text_field(data, "name", required=True)
    session.flush()
    if influencer is not None and "handles" in data:
        handles = _handles(data)
        session.execute(delete(InfluencerHandle).where(InfluencerHandle.influencer_id == influencer.id))
        session.add_all(InfluencerHandle(org_id=org_id, influencer_id=influencer.id, platform=p, handle=h)
                        for p, h in handles)
        flush_or_conflict(session, "one of these handles already belongs to another influencer")
    return influencer


def handles_of(session: Session, influencer_ids: list[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {i: {} for i in influencer_ids}
    for h in session.scalars(select(InfluencerHandle).where(InfluencerHandle.influencer_id.in_(influencer_ids))):
        out[h.influencer_id][h.platform] = h.handle
    return out


# -- campaigns ---------------------------------------------------------------------------------

CAMPAIGN_FIELDS = {"name", "brand", "countries", "platforms", "starts_on", "ends_on"}


def save_campaign(session: Session, org_id: int, data: dict, known_countries: Iterable[str],
                  campaign: Campaign | None = None) -> Campaign:
    reject_unknown(data, CAMPAIGN_FIELDS)
    creating = campaign is None
    if creating:
        campaign = Campaign(org_id=org_id, countries=[], platforms=[])
        session.add(campaign)
    if creating or "name" in data:
        campaign.name = text_field(data, "name", required=True)
    if "brand" in data:
        campaign.brand = text_field(data, "brand")
    if "countries" in data:
        campaign.countries = countries_field(data, "countries", known_countries)
    if "platforms" in data:
        campaign.platforms = platforms_field(data, "platforms")
    if "starts_on" in data:
        campaign.starts_on = date_field(data, "starts_on")
    if "ends_on" in data:
        campaign.ends_on = date_field(data, "ends_on")
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        raise Invalid("'ends_on' is before 'starts_on'", "ends_on")
    flush_or_conflict(session, f"a campaign named {campaign.name!r} already exists")
    return campaign


def campaign_by_name(session: Session, org_id: int, name: str) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.org_id == org_id, Campaign.name == name))


# -- contracts ---------------------------------------------------------------------------------

CONTRACT_FIELDS = {"campaign_id", "influencer_id", "compensation", "deliverables", "countries",
                   "disclosure_wording"}


def save_contract(session: Session, org_id: int, data: dict, known_countries: Iterable[str],
                  contract: Contract | None = None) -> Contract:
    reject_unknown(data, CONTRACT_FIELDS)
    creating = contract is None
    if creating:
        campaign_id = id_field(data, "campaign_id", required=True)
        influencer_id = id_field(data, "influencer_id", required=True)
        try:
            owned(session, Campaign, org_id, campaign_id, "campaign")
            owned(session, Influencer, org_id, influencer_id, "influencer")
        except NotFound as exc:   # a bad reference inside a valid body is a field error, not a 404
            raise Invalid(exc.message, "campaign_id" if "campaign" in exc.message else "influencer_id") from None
        contract = Contract(org_id=org_id, campaign_id=campaign_id, influencer_id=influencer_id,
                            deliverables=[], countries=[])
        session.add(contract)
    else:
        for name in ("campaign_id", "influencer_id"):
            if name in data and data[name] != getattr(contract, name):
                raise Invalid(f"'{name}' cannot change; create another contract", name)
    if creating or "compensation" in data:
        comp = data.get("compensation")
        if comp not in COMPENSATIONS:
            raise Invalid(f"'compensation' must be one of {', '.join(COMPENSATIONS)}", "compensation")
        contract.compensation = comp
    if "deliverables" in data:
        value = data["deliverables"]
        if not isinstance(value, list) or len(value) > 100 or \
                not all(isinstance(v, (str, dict)) for v in value):
            raise Invalid("'deliverables' must be a list (at most 100) of strings or objects, e.g. "
                          "{\"platform\": \"instagram\", \"format\": \"reel\", \"count\": 2}", "deliverables")
        contract.deliverables = value
    if "countries" in data:
        contract.countries = countries_field(data, "countries", known_countries)
    if "disclosure_wording" in data:
        contract.disclosure_wording = text_field(data, "disclosure_wording", max_len=500)
    flush_or_conflict(session, "this influencer already has a contract for this campaign")
    return contract


def relationship_of(contract: Contract) -> str:
    return COMPENSATION_RELATIONSHIP[contract.compensation]
