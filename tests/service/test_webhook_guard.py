"""The SSRF guard on webhook URLs: with AUDITOR_WEBHOOK_ALLOW_PRIVATE off, a host that is or resolves
to a loopback, private, link-local (cloud metadata), multicast, unspecified or reserved address is
refused at registration (400) and again at delivery (DNS may change: a failed delivery, not retried);
a delivery connects to the very address that was checked."""
from __future__ import annotations

import dataclasses
import ipaddress
import json
import socket

import pytest
from sqlalchemy import select

from auditor import webhooks
from auditor.models import WebhookDelivery, WebhookEndpoint
from tests.service.test_webhooks import VIOLATING, Receiver, deliveries, ingest_post, verify, wait_settled


@pytest.fixture
def guarded(runtime, monkeypatch):
    """The setting off (the default), in the runtime's settings and for the process's deliveries."""
    monkeypatch.setattr(runtime, "settings", dataclasses.replace(runtime.settings, webhook_allow_private=False))
    monkeypatch.setattr(webhooks, "_allow_private", False)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def create(client, org, url):
    return client.post("/api/v1/webhooks", headers=org.h("admin"), json={"url": url, "events": ["audit.violation"]})


@pytest.mark.databases("sqlite")   # refused before the database
@pytest.mark.parametrize("url,address,kind", [
    ("http://127.0.0.1:8080/hook", "127.0.0.1", "a loopback address"),
    ("http://127.1.2.3/hook", "127.1.2.3", "a loopback address"),
    ("https://10.0.0.5/hook", "10.0.0.5", "a private address"),
    ("http://172.16.3.4/hook", "172.16.3.4", "a private address"),
    ("http://192.168.1.10/hook", "192.168.1.10", "a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "the cloud metadata address"),
    ("http://169.254.10.10/hook", "169.254.10.10", "a link-local address"),
    ("http://[::1]:9000/hook", "::1", "a loopback address"),
    ("http://[fc00::1]/hook", "fc00::1", "a private address"),
    ("http://[fd12:3456::1]/hook", "fd12:3456::1", "a private address"),
    ("http://[fe80::1]/hook", "fe80::1", "a link-local address"),
    ("http://[::ffff:10.0.0.1]/hook", str(ipaddress.ip_address("::ffff:10.0.0.1")), "a private address"),
    ("http://224.0.0.1/hook", "224.0.0.1", "a multicast address"),
    ("http://0.0.0.0:5000/hook", "0.0.0.0", "an unspecified address"),
    ("http://240.0.0.1/hook", "240.0.0.1", "a reserved address"),
    ("http://100.64.0.1/hook", "100.64.0.1", "not a public address"),
    ("http://localhost:8080/hook", "127.0.0.1", "a loopback address"),
])
def test_registration_refuses_internal_addresses(client, acme, guarded, url, address, kind):
    r = create(client, acme, url)
    assert r.status_code == 400, r.json
    error = r.json["error"]
    assert error["code"] == "webhook_target_refused" and error["details"]["field"] == "url"
    assert error["details"]["address"] == address and kind in error["message"]
    assert "public internet addresses" in error["message"]
    if "localhost" in url:
        assert error["message"].startswith("localhost resolves to 127.0.0.1, which is a loopback address")
    assert client.get("/api/v1/webhooks", headers=acme.h("admin")).json["items"] == []


@pytest.mark.databases("sqlite")
@pytest.mark.parametrize("url", ["ftp://8.8.8.8/hook", "file:///etc/passwd", "gopher://8.8.8.8:70/_x",
                                 "dict://8.8.8.8:11211/stat", "//8.8.8.8/hook"])
def test_registration_refuses_other_schemes(client, acme, guarded, url):
    r = create(client, acme, url)
    assert r.status_code == 422 and r.json["error"]["details"]["field"] == "url", r.json
    assert "http://" in r.json["error"]["message"]


@pytest.mark.databases("sqlite")
def test_an_unresolvable_host_is_refused_with_its_name(client, acme, guarded):
    r = create(client, acme, "https://no-such-host.invalid/hook")
    assert r.status_code == 400 and r.json["error"]["code"] == "webhook_target_refused"
    assert "no-such-host.invalid" in r.json["error"]["message"] and "cannot be resolved" in r.json["error"]["message"]


@pytest.mark.databases("sqlite")
def test_public_addresses_are_accepted(client, acme, guarded):
    for url in ("https://8.8.8.8/hook", "http://[2606:4700:4700::1111]:8443/hook"):
        r = create(client, acme, url)   # nothing is sent at registration
        assert r.status_code == 201, r.json


@pytest.mark.databases("sqlite")
def test_allow_private_setting_is_read_from_the_environment():
    from auditor.config import ConfigError, Settings
    assert Settings.from_env({}).webhook_allow_private is False
    assert Settings.from_env({"AUDITOR_WEBHOOK_ALLOW_PRIVATE": "1"}).webhook_allow_private is True
    assert Settings.from_env({"AUDITOR_WEBHOOK_ALLOW_PRIVATE": "false"}).webhook_allow_private is False
    with pytest.raises(ConfigError, match="AUDITOR_WEBHOOK_ALLOW_PRIVATE"):
        Settings.from_env({"AUDITOR_WEBHOOK_ALLOW_PRIVATE": "maybe"})


@pytest.mark.databases("sqlite")
def test_allowing_private_targets_still_refuses_metadata_multicast_and_unspecified(client, acme, runtime,
                                                                                   monkeypatch, receiver):
    monkeypatch.setattr(runtime, "settings", dataclasses.replace(runtime.settings, webhook_allow_private=True))
    assert create(client, acme, receiver.url).status_code == 201
    assert create(client, acme, "http://10.1.2.3/hook").status_code == 201
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://224.0.0.1/",
                "http://0.0.0.0/"):
        assert create(client, acme, url).status_code == 400, url


def internal_endpoint(runtime, org, url: str, events=("audit.violation",)) -> int:
    """An endpoint whose address was public when registered and is internal now (its DNS changed):
    the row as registration left it."""
    with runtime.db.transaction() as s:
        e = WebhookEndpoint(org_id=org.id, url=url, events=list(events), secret=webhooks.new_secret())
        s.add(e)
        s.flush()
        return e.id


def test_delivery_to_an_internal_address_fails_once_without_retries(client, runtime, acme, guarded, receiver,
                                                                    monkeypatch):
    monkeypatch.setattr(webhooks, "RETRY_DELAYS", (0.1, 0.1))
    hook = internal_endpoint(runtime, acme, receiver.url)
    ingest_post(client, acme, VIOLATING)
    [delivery] = wait_settled(runtime, hook, 1)
    assert delivery.status == "failed" and delivery.attempts == 1 and delivery.next_retry_at is None
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("refused: 127.0.0.1 is a loopback address")
    assert [a["error"] for a in delivery.history] == [delivery.last_error]
    assert receiver.requests == []
    # nothing left for `auditor requeue` to re-send either
    from auditor import recovery
    assert delivery.id not in recovery.requeue(runtime).deliveries


def test_ping_to_an_internal_address_reports_the_refusal(client, runtime, acme, guarded, receiver):
    hook = internal_endpoint(runtime, acme, receiver.url.replace("127.0.0.1", "localhost"))
    r = client.post(f"/api/v1/webhooks/{hook}/test", headers=acme.h("admin"))
    assert r.status_code == 200 and r.json["status"] == "failed" and r.json["attempts"] == 1
    assert r.json["last_error"].startswith("refused: localhost resolves to 127.0.0.1, which is a loopback address")
    assert receiver.requests == []


def test_delivery_through_rq_does_not_retry_a_refused_target(runtime, acme, guarded, receiver):
    """The rq job function: a refused delivery is not pending, so the job does not fail (no retries)."""
    from auditor import jobs
    hook = internal_endpoint(runtime, acme, receiver.url)
    with runtime.db.transaction() as s:
        endpoint = s.get(WebhookEndpoint, hook)
        delivery_id = webhooks.record_ping(s, endpoint).id
    previous = jobs._runtime
    jobs.install(runtime)
    try:
        assert jobs.deliver_webhooks([delivery_id], [1, 1]) == {"delivered_or_given_up": 1}
    finally:
        jobs._runtime = previous
    [d] = deliveries(runtime, hook)
    assert d.status == "failed" and d.attempts == 1 and receiver.requests == []


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """getaddrinfo answering from `answers` (name -> one list of addresses per lookup); the names looked up."""
    looked_up: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        looked_up.append(host)
        if not answers.get(host):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = answers[host].pop(0)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)
    return looked_up


@pytest.mark.databases("sqlite")
def test_delivery_connects_to_the_address_it_checked(receiver, monkeypatch):
    """One lookup per attempt: the connection goes to the checked address (a second answer, here an
    error, is never asked for), and the Host header still names the host."""
    port = receiver.server.server_address[1]
    looked_up = fake_dns(monkeypatch, {"hooks.example.test": ["127.0.0.1", "10.9.9.9"]})
    body = b'{"id":"x"}'
    code, error = webhooks.post(f"http://hooks.example.test:{port}/hook?k=1", ["whsec_a"], "ping", "x", body,
                                private_ok=True)
    assert (code, error) == (200, None) and looked_up == ["hooks.example.test"]
    [req] = receiver.requests
    assert req["path"] == "/hook?k=1" and req["headers"]["Host"] == f"hooks.example.test:{port}"
    assert verify("whsec_a", req["body"], req["headers"]["X-Auditor-Signature"])


@pytest.mark.databases("sqlite")
def test_a_host_rebound_to_an_internal_address_is_refused_at_delivery(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.test": ["93.184.215.14", "127.0.0.1"]})
    webhooks.check_target("https://hooks.example.test/hook", False)   # registration: public
    with pytest.raises(webhooks.TargetRefused, match="hooks.example.test resolves to 127.0.0.1, which is a loopback"):
        webhooks.post("https://hooks.example.test/hook", ["whsec_a"], "ping", "x", b"{}", private_ok=False)


@pytest.mark.databases("sqlite")
def test_any_internal_answer_among_several_is_refused(monkeypatch):
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]
    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(webhooks.TargetRefused, match="169.254.169.254, which is the cloud metadata address"):
        webhooks.check_target("https://mixed.example.test/", False)


@pytest.mark.databases("sqlite")
def test_a_stored_non_http_url_is_refused_at_delivery():
    with pytest.raises(webhooks.TargetRefused, match="http:// or https://"):
        webhooks.post("file:///etc/passwd", ["whsec_a"], "ping", "x", b"{}", private_ok=True)


def test_dns_failure_at_delivery_is_retried_not_refused(runtime, acme, guarded, monkeypatch):
    fake_dns(monkeypatch, {})
    hook = internal_endpoint(runtime, acme, "https://gone.example.test/hook")
    with runtime.db.transaction() as s:
        delivery_id = webhooks.record_ping(s, s.get(WebhookEndpoint, hook)).id
    assert webhooks.attempt(runtime.db, delivery_id, max_attempts=3, delays=(60, 60)) == "pending"
    with runtime.db.session() as s:
        d = s.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))
    assert d.last_error.startswith("DNS: ") and d.next_retry_at is not None
    assert json.loads(d.payload)["type"] == "ping"


@pytest.mark.databases("sqlite")
def test_https_to_the_checked_address_still_verifies_the_host_name(tmp_path, monkeypatch):
    """The pinned connection does TLS with SNI and certificate checks against the host name."""
    import shutil
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=hooks.example.test",
                    "-addext", "subjectAltName=DNS:hooks.example.test"], check=True, capture_output=True)
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            hosts.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        fake_dns(monkeypatch, {"hooks.example.test": ["127.0.0.1"] * 3, "other.example.test": ["127.0.0.1"]})
        code, error = webhooks.post(f"https://hooks.example.test:{port}/h", ["s"], "ping", "x", b"{}", private_ok=True)
        assert code is None and "CERTIFICATE_VERIFY_FAILED" in error   # self-signed: not trusted by default
        real = ssl.create_default_context

        def trusting(*args, **kwargs):
            ctx = real(*args, **kwargs)
            ctx.load_verify_locations(cert)
            return ctx

        monkeypatch.setattr(webhooks.ssl, "create_default_context", trusting)
        assert webhooks.post(f"https://hooks.example.test:{port}/h", ["s"], "ping", "x", b"{}",
                             private_ok=True) == (204, None)
        assert hosts == [f"hooks.example.test:{port}"]
        code, error = webhooks.post(f"https://other.example.test:{port}/h", ["s"], "ping", "x", b"{}", private_ok=True)
        assert code is None and "other.example.test" in error   # the address answers, the name does not match
    finally:
        server.shutdown()
        server.server_close()
