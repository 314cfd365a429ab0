"""End-to-end fixtures for the browser extension: the real service on 127.0.0.1 (started here,
SQLite, an organization and keys made with the `auditor` CLI), Debian's chromium driven by
Playwright with the unpacked extension loaded, Debian's firefox-esr driven over WebDriver BiDi
(firefox_bidi.py) with the built Firefox package installed, and a local web server for the test
pages.

Outside CI a missing chromium, firefox-esr, node or Playwright skips these tests with the reason;
under CI=true it is a failure.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import uuid
import zipfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "extension"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OUTPUT = REPO / "test-output" / "extension"
BIN = Path(sys.executable).parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-default-apps", "--disable-sync",
]
ORG = "Acme Agency"


def _require(available: bool, reason: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing browser is a failure)")
    pytest.skip(reason)


def _chromium_path() -> str | None:
    """AUDITOR_CHROMIUM if set (another build, or a missing one to see the failure), else Debian's."""
    explicit = os.environ.get("AUDITOR_CHROMIUM")
    candidates = (explicit,) if explicit else (shutil.which("chromium"), "/usr/bin/chromium")
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found next to {sys.executable} nor on PATH")
    return found


# --- the real service ---------------------------------------------------------------------------

@dataclass
class Service:
    url: str
    key: str              # scopes: check
    read_only_key: str    # scopes: read (for the "missing scope" answer)
    env: dict
    log: Path

    def check(self, post: dict, key: str | None = None) -> tuple[int, dict]:
        """POST /api/v1/check directly (to compare the extension with the service)."""
        req = urllib.request.Request(
            f"{self.url}/api/v1/check", data=json.dumps(post).encode(), method="POST",
            headers={"Authorization": f"Bearer {key or self.key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return res.status, json.load(res)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)


def _service_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_") or k == "AUDITOR_RULES_DIR"}
    env.update({
        "AUDITOR_DATABASE_URL": f"sqlite:///{tmp / 'auditor.sqlite'}",
        "AUDITOR_INSTANCE_PATH": str(tmp / "instance"),
        "AUDITOR_SECRET_KEY": "extension-e2e",
        "AUDITOR_CHECK_RATE_LIMIT": "off",
    })
    return env


def _cli(env: dict, *args: str) -> str:
    res = subprocess.run([_command("auditor"), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError(f"auditor {' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res.stdout


def _start_gunicorn(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    out = log.open("ab")
    proc = subprocess.Popen(
        [_command("gunicorn"), "-b", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120", "wsgi:app"],
        cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/ping", timeout=2) as res:
                if res.status == 200:
                    return proc, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    _stop(proc)
    raise RuntimeError(f"the service did not answer on {url} within 90 s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def service(tmp_path_factory):
    """The real auditor service (gunicorn wsgi:app) with a fresh SQLite database."""
    tmp = tmp_path_factory.mktemp("auditor-service")
    env = _service_env(tmp)
    _cli(env, "db", "upgrade")
    _cli(env, "orgs", "create", ORG)
    key = _cli(env, "keys", "create", "--org", ORG, "--scopes", "check", "--name", "extension").strip().splitlines()[-1]
    read_key = _cli(env, "keys", "create", "--org", ORG, "--scopes", "read", "--name", "reports").strip().splitlines()[-1]
    log = tmp / "gunicorn.log"
    proc, url = _start_gunicorn(env, log)
    try:
        yield Service(url=url, key=key, read_only_key=read_key, env=env, log=log)
    finally:
        _stop(proc)


@pytest.fixture()
def rate_limited_service(service):
    """A second server process on the same database whose /check allows one request an hour."""
    env = {**service.env, "AUDITOR_CHECK_RATE_LIMIT": "1/hour"}
    log = service.log.with_name("gunicorn-rate-limited.log")
    proc, url = _start_gunicorn(env, log)
    try:
        yield Service(url=url, key=service.key, read_only_key=service.read_only_key, env=env, log=log)
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def closed_port_url():
    """An address where nothing listens: the server is down."""
    return f"http://127.0.0.1:{_free_port()}"


# --- local web pages ------------------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - keep the test output clean
        pass


@pytest.fixture(scope="session")
def pages():
    """A local web server for the test pages in fixtures/: returns their base URL."""
    handler = functools.partial(_QuietHandler, directory=str(FIXTURES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- the browser with the extension -----------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium_path():
    path = _chromium_path()
    _require(path is not None, "Debian's chromium is not installed (apt-get install -y chromium)")
    return path


@pytest.fixture(scope="session")
def playwright(chromium_path, sync_playwright_session):
    return sync_playwright_session


class Browser:
    """A chromium profile with the unpacked extension, and helpers to drive it."""

    def __init__(self, context, extension_id: str):
        self.context = context
        self.id = extension_id

    @property
    def worker(self):
        workers = [w for w in self.context.service_workers if self.id in w.url]
        if workers:
            return workers[0]
        return self.context.wait_for_event("serviceworker", timeout=15000)

    def url(self, path: str) -> str:
        return f"chrome-extension://{self.id}/{path}"

    def configure(self, **settings) -> None:
        values = {"countries": ["NO"], "platform": "instagram", "relationship": "paid", **settings}
        self.worker.evaluate("(s) => chrome.storage.local.set(s)", values)

    def stored(self) -> dict:
        return self.worker.evaluate("() => chrome.storage.local.get(null)")

    def popup(self, query: str = ""):
        page = self.context.new_page()
        page.set_viewport_size({"width": 460, "height": 760})
        page.goto(self.url(f"popup/popup.html{query}"))
        page.wait_for_selector("body[data-ready=true]")
        return page

    def options(self):
        page = self.context.new_page()
        page.set_viewport_size({"width": 900, "height": 1000})
        page.goto(self.url("options/options.html"))
        page.wait_for_selector("body[data-ready=true]")
        return page

    def screenshot(self, page, name: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture()
def browser(playwright, chromium_path, tmp_path):
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=chromium_path, headless=True,
        args=[*CHROMIUM_FLAGS, f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}"],
        viewport={"width": 1000, "height": 800},
    )
    try:
        # No test reaches the internet: pages other than the local ones are answered here.
        context.route(lambda url: urlparse(url).hostname not in ("127.0.0.1", "localhost")
                      and urlparse(url).scheme in ("http", "https"),
                      lambda route: route.abort("blockedbyclient"))
        worker = context.service_workers[0] if context.service_workers else \
            context.wait_for_event("serviceworker", timeout=15000)
        extension_id = urlparse(worker.url).netloc
        yield Browser(context, extension_id)
    finally:
        context.close()


# --- Firefox with the extension (WebDriver BiDi) ---------------------------------------------------

GECKO_ID = json.loads((EXTENSION / "manifest.json").read_text(encoding="utf-8"))["browser_specific_settings"]["gecko"]["id"]


def _firefox_path() -> str | None:
    """AUDITOR_FIREFOX if set (another build, or a missing one to see the failure), else Debian's."""
    explicit = os.environ.get("AUDITOR_FIREFOX")
    candidates = (explicit,) if explicit else (shutil.which("firefox-esr"), "/usr/bin/firefox-esr", shutil.which("firefox"))
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def firefox_path():
    path = _firefox_path()
    _require(path is not None, "Debian's firefox-esr is not installed (apt-get install -y firefox-esr)")
    return path


@pytest.fixture(scope="session")
def firefox_package(tmp_path_factory) -> Path:
    """The Firefox package as the build makes it (extension/build.sh: the -firefox.zip, with the
    Firefox manifest), unzipped: Firefox installs it as a temporary add-on from that folder."""
    node = shutil.which("node")
    _require(node is not None, "node is not installed (the Firefox package is built with it)")
    tmp = tmp_path_factory.mktemp("firefox-package")
    res = subprocess.run([node, str(EXTENSION / "scripts" / "build.mjs"), "--out", str(tmp / "dist")],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError(f"the extension build failed:\n{res.stdout}\n{res.stderr}")
    [archive] = (tmp / "dist").glob("*-firefox.zip")
    unpacked = tmp / "unpacked"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(unpacked)
    manifest = json.loads((unpacked / "manifest.json").read_text(encoding="utf-8"))
    assert "scripts" in manifest["background"] and "service_worker" not in manifest["background"]
    return unpacked


class FirefoxExtension:
    """Firefox (a fresh profile) with the extension installed, and helpers to drive it."""

    def __init__(self, firefox, extension_uuid: str):
        self.firefox = firefox
        self.uuid = extension_uuid
        self._admin = None

    def url(self, path: str) -> str:
        return f"moz-extension://{self.uuid}/{path}"

    def _admin_tab(self):
        """An extension page kept open to reach browser.storage (Firefox's background script is
        not a browsing context BiDi can script)."""
        if self._admin is None:
            self._admin = self.firefox.new_tab()
            self._admin.navigate(self.url("popup/popup.html"))
            self._admin.wait_for("typeof browser === 'object' && document.body.dataset.ready === 'true'")
        return self._admin

    def configure(self, **settings) -> None:
        values = {"countries": ["NO"], "platform": "instagram", "relationship": "paid", **settings}
        self._admin_tab().call("(s) => browser.storage.local.set(s)", values)

    def stored(self) -> dict:
        return self._admin_tab().evaluate("browser.storage.local.get(null)")

    def popup(self, query: str = ""):
        tab = self.firefox.new_tab()
        tab.set_viewport(460, 760)
        tab.navigate(self.url(f"popup/popup.html{query}"))
        tab.wait_for("document.body.dataset.ready === 'true'")
        return tab

    def options(self):
        tab = self.firefox.new_tab()
        tab.set_viewport(900, 1000)
        tab.navigate(self.url("options/options.html"))
        tab.wait_for("document.body.dataset.ready === 'true'")
        return tab

    def screenshot(self, tab, name: str) -> Path:
        return tab.screenshot(OUTPUT / f"{name}.png")


@pytest.fixture()
def firefox(firefox_path, firefox_package, tmp_path):
    """Firefox with the built Firefox package installed; the moz-extension:// UUID is fixed by a
    pref, so its pages' addresses are known. Each test has its own profile and browser process,
    so the tests run in parallel (pytest-xdist) without sharing anything."""
    try:
        from tests.extension.firefox_bidi import Firefox
    except ImportError as exc:   # the websockets package (the test extra)
        _require(False, f"cannot load the BiDi client ({exc}): pip install -e '.[test]'")

    extension_uuid = str(uuid.uuid4())
    browser = Firefox.launch(firefox_path, tmp_path / "firefox-profile",
                             prefs={"extensions.webextensions.uuids": json.dumps({GECKO_ID: extension_uuid})},
                             log=tmp_path / "firefox.log")
    try:
        installed = browser.install_extension(firefox_package)
        assert installed == GECKO_ID
        yield FirefoxExtension(browser, extension_uuid)
    finally:
        browser.close()
