"""Influencers, campaigns, contracts; the campaign-close audit and its report."""
from __future__ import annotations

from flask import Response, request
from sqlalchemy import select

from auditor import audits, catalog, closing
from auditor.catalog import owned
from auditor.errors import Conflict
from auditor.models import CAMPAIGN_STATES, Campaign, Contract, Influencer, InfluencerHandle
from auditor.web.api import api
from auditor.web.api.common import (
    body, campaign_json, choice_arg, contract_json, influencer_json, int_arg, object_body, paginate, principal, rt,
)
from auditor.web.auth import require
from auditor.web.errors import ApiError, json_response

REPORT_TYPES = {"json": "application/json", "jsonl": "application/x-ndjson", "sarif": "application/sarif+json",
                "junit": "application/xml", "markdown": "text/markdown; charset=utf-8",
                "csv": "text/csv; charset=utf-8", "text": "text/plain; charset=utf-8"}


def _org():
    return principal().org_id


# -- influencers ---------------------------------------------------------------------------------

@api.post("/influencers")
@require("ingest")
def create_influencer():
    data = object_body()
    with rt().db.transaction() as session:
        inf = catalog.save_influencer(session, _org(), data)
        return json_response(influencer_json(inf, catalog.handles_of(session, [inf.id])[inf.id]), 201)


@api.get("/influencers")
@require("read")
def list_influencers():
    q = select(Influencer).where(Influencer.org_id == _org())
    handle = request.args.get("handle")
    if handle:
        q = q.where(Influencer.id.in_(select(InfluencerHandle.influencer_id).where(
            InfluencerHandle.org_id == _org(), InfluencerHandle.handle == catalog.normal_handle(handle))))
    with rt().db.session() as session:
        page = paginate(session, q, Influencer.id, lambda i: i)
        handles = catalog.handles_of(session, [i.id for i in page["items"]])
        page["items"] = [influencer_json(i, handles[i.id]) for i in page["items"]]
        return json_response(page)


@api.get("/influencers/<int:influencer_id>")
@require("read")
def get_influencer(influencer_id: int):
    with rt().db.session() as session:
        inf = owned(session, Influencer, _org(), influencer_id, "influencer")
        return json_response(influencer_json(inf, catalog.handles_of(session, [inf.id])[inf.id]))


@api.patch("/influencers/<int:influencer_id>")
@require("ingest")
def update_influencer(influencer_id: int):
    data = object_body()
    with rt().db.transaction() as session:
        inf = owned(session, Influencer, _org(), influencer_id, "influencer")
        catalog.save_influencer(session, _org(), data, inf)
        return json_response(influencer_json(inf, catalog.handles_of(session, [inf.id])[inf.id]))


# -- campaigns -----------------------------------------------------------------------------------

def _campaign_detail(session, campaign: Campaign) -> dict:
    d = campaign_json(campaign)
    run = closing.latest_run(session, campaign)
    d["close"] = closing.progress(session, run) if run else None
    return d


@api.post("/campaigns")
@require("ingest")
def create_campaign():
    data = object_body()
    runtime = rt()
    with runtime.db.transaction() as session:
        c = catalog.save_campaign(session, _org(), data, runtime.rules.countries.keys())
        return json_response(campaign_json(c), 201)


@api.get("/campaigns")
@require("read")
def list_campaigns():
    q = select(Campaign).where(Campaign.org_id == _org())
    status = choice_arg("status", CAMPAIGN_STATES)
    if status:
        q = q.where(Campaign.status == status)
    name = request.args.get("name")
    if name:
        q = q.where(Campaign.name == name)
    with rt().db.session() as session:
        return json_response(paginate(session, q, Campaign.id, campaign_json))


@api.get("/campaigns/<int:campaign_id>")
@require("read")
def get_campaign(campaign_id: int):
    with rt().db.session() as session:
        return json_response(_campaign_detail(session, owned(session, Campaign, _org(), campaign_id, "campaign")))


@api.patch("/campaigns/<int:campaign_id>")
@require("ingest")
def update_campaign(campaign_id: int):
    data = object_body()
    runtime = rt()
    with runtime.db.transaction() as session:
        c = owned(session, Campaign, _org(), campaign_id, "campaign")
        catalog.save_campaign(session, _org(), data, runtime.rules.countries.keys(), c)
        return json_response(campaign_json(c))


@api.post("/campaigns/<int:campaign_id>/close")
@require("ingest")
def close_campaign(campaign_id: int):
    data = body(required=False)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object, e.g. {\"rerun\": true}")
    rerun = data.get("rerun", False)
    if not isinstance(rerun, bool):
        raise ApiError(422, "invalid_field", "'rerun' must be true or false", {"field": "rerun"})
    runtime = rt()
    with runtime.db.transaction() as session:
        campaign = owned(session, Campaign, _org(), campaign_id, "campaign")
        run, created, audit_ids = closing.start(session, campaign, rerun=rerun)
        plan = audits.dispatch(runtime, session, audit_ids)
    queue = audits.send(runtime, plan, audit_ids) if audit_ids else None
    with runtime.db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        answer = _campaign_detail(session, campaign)
    if queue:
        answer["queue"] = queue
    return json_response(answer, 202 if created else 200)


@api.get("/campaigns/<int:campaign_id>/report")
@require("read")
def campaign_report(campaign_id: int):
    from auditor.reports import render

    fmt = choice_arg("format", tuple(REPORT_TYPES)) or "json"
    fail_on = choice_arg("fail_on", ("error", "warning", "never")) or "error"
    with rt().db.session() as session:
        campaign = owned(session, Campaign, _org(), campaign_id, "campaign")
        run = closing.latest_run(session, campaign)
        if run is None:
            raise Conflict(f"campaign {campaign_id} has not been closed; POST /api/v1/campaigns/{campaign_id}/close")
        results, errors, version = closing.report_inputs(session, campaign, run)
    text = render(fmt, results=results, errors=errors, ruleset_version=version, source_name=campaign.name,
                  fail_on=fail_on)
    return Response(text, mimetype=None, content_type=REPORT_TYPES[fmt])


# -- contracts -----------------------------------------------------------------------------------

@api.post("/contracts")
@require("ingest")
def create_contract():
    data = object_body()
    runtime = rt()
    with runtime.db.transaction() as session:
        c = catalog.save_contract(session, _org(), data, runtime.rules.countries.keys())
        return json_response(contract_json(c), 201)


@api.get("/contracts")
@require("read")
def list_contracts():
    q = select(Contract).where(Contract.org_id == _org())
    for arg, column in (("campaign", Contract.campaign_id), ("influencer", Contract.influencer_id)):
        value = int_arg(arg)
        if value is not None:
            q = q.where(column == value)
    with rt().db.session() as session:
        return json_response(paginate(session, q, Contract.id, contract_json))


@api.get("/contracts/<int:contract_id>")
@require("read")
def get_contract(contract_id: int):
    with rt().db.session() as session:
        return json_response(contract_json(owned(session, Contract, _org(), contract_id, "contract")))


@api.patch("/contracts/<int:contract_id>")
@require("ingest")
def update_contract(contract_id: int):
    data = object_body()
    runtime = rt()
    with runtime.db.transaction() as session:
        c = owned(session, Contract, _org(), contract_id, "contract")
        catalog.save_contract(session, _org(), data, runtime.rules.countries.keys(), c)
        return json_response(contract_json(c))
