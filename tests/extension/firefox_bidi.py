"""A small WebDriver BiDi client for Debian's Firefox (firefox-esr), enough to test the extension.

Playwright drives Firefox only through its own patched build, which cannot be downloaded here, so
the Firefox end-to-end tests speak WebDriver BiDi (https://w3c.github.io/webdriver-bidi/) to the
stock browser themselves:

    firefox = Firefox.launch("/usr/bin/firefox-esr", profile_dir, prefs={...})
    firefox.install_extension(unpacked_dir)         # webExtension.install, a temporary add-on
    tab = firefox.new_tab()                         # browsingContext.create
    tab.navigate("moz-extension://<uuid>/popup/popup.html")
    tab.call("(a, b) => a + b", 1, 2)               # script.callFunction -> 3
    tab.click("#check")                             # input.performActions: a real mouse click
    firefox.close()

How it works:
- Firefox starts with `--remote-debugging-port 0`: it picks a free port itself (no race between
  parallel pytest-xdist workers) and writes it to WebDriverBiDiServer.json in the profile.
- `--remote-allow-system-access` lets BiDi navigate to moz-extension:// pages (by default it only
  allows http(s), file, blob and about:blank). It affects only this test profile.
- The profile's user.js sets the preferences: a fixed moz-extension:// UUID for the add-on
  (`extensions.webextensions.uuids`), no first-run pages, telemetry or updates, and a proxy that
  does not exist for everything except 127.0.0.1/localhost, so no test reaches the internet.
- One websocket: send {"id", "method", "params"}, read messages until the answer with that id.
  Events that arrive meanwhile go to handlers (serve_page() answers requests for a URL with a
  test page through network interception: no test reaches the real site).

Values cross the wire as BiDi "local values" (arguments) and "remote values" (results); only the
JSON-like ones (null, booleans, numbers, strings, arrays, plain objects) are converted here.
"""
from __future__ import annotations

import base64
import contextlib
import itertools
import json
import math
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.sync.client import ClientConnection, connect

# Preferences for a quiet, offline test profile (on top of the ones Firefox's remote agent sets
# itself when it is enabled, see remote/shared/RecommendedPreferences.sys.mjs).
QUIET_PREFS: dict[str, Any] = {
    "browser.startup.page": 0,                        # start on about:blank
    "browser.startup.homepage": "about:blank",
    "browser.startup.homepage_override.mstone": "ignore",
    "startup.homepage_welcome_url": "",
    "browser.aboutwelcome.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.newtabpage.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.auto": False,
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "services.settings.server": "http://127.0.0.1:1/remote-settings",
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    # Everything but localhost goes to a proxy where nothing listens: the internet is unreachable.
    # (Firefox never proxies localhost / 127.0.0.1 unless allow_hijacking_localhost is set.)
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 1,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 1,
    "network.proxy.share_proxy_settings": True,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
}


class BiDiError(RuntimeError):
    """An error answer to a command ({"type": "error", "error": ..., "message": ...})."""

    def __init__(self, method: str, error: str, message: str):
        super().__init__(f"{method}: {error}: {message}")
        self.error = error


class JavaScriptError(RuntimeError):
    """The evaluated script threw (script.evaluate / script.callFunction answered "exception")."""


def write_user_js(profile: Path, prefs: dict[str, Any]) -> None:
    """Write the preferences as a user.js, which Firefox applies at every start of the profile."""
    lines = [f"user_pref({json.dumps(name)}, {json.dumps(value)});" for name, value in prefs.items()]
    (profile / "user.js").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- values --------------------------------------------------------------------------------------

def to_local_value(value: Any) -> dict:
    """A Python value as a BiDi LocalValue (for script.callFunction arguments)."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return {"type": "number", "value": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
        return {"type": "number", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, (list, tuple)):
        return {"type": "array", "value": [to_local_value(v) for v in value]}
    if isinstance(value, dict):
        return {"type": "object", "value": [[str(k), to_local_value(v)] for k, v in value.items()]}
    raise TypeError(f"cannot pass {type(value).__name__} to the browser")


def from_remote_value(remote: dict) -> Any:
    """A BiDi RemoteValue as a Python value (JSON-like values; anything else stays the raw dict)."""
    kind = remote.get("type")
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return remote["value"]
    if kind == "number":
        value = remote["value"]
        special = {"NaN": math.nan, "-0": -0.0, "Infinity": math.inf, "-Infinity": -math.inf}
        return special.get(value, value) if isinstance(value, str) else value
    if kind == "array" and "value" in remote:
        return [from_remote_value(v) for v in remote["value"]]
    if kind == "object" and "value" in remote:
        return {k if isinstance(k, str) else json.dumps(k): from_remote_value(v) for k, v in remote["value"]}
    return remote


# --- the connection -------------------------------------------------------------------------------

class Connection:
    """One BiDi websocket: send a command, wait for the answer with the same id.

    Events (only those subscribed to) go to the handlers registered with on(); a handler may
    send commands itself (e.g. answer an intercepted request while a navigation is waiting), so
    answers are kept by id until their command reads them."""

    def __init__(self, url: str):
        # entered as a context manager, as recent websockets versions ask; close() leaves it
        self._stack = contextlib.ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(connect(url, max_size=None, open_timeout=30))
        self._ids = itertools.count(1)
        self._answers: dict[int, dict] = {}
        self._handlers: dict[str, list] = {}

    def on(self, event: str, handler) -> None:
        """Call handler(params) for each `event` message (subscribe to it with session.subscribe)."""
        self._handlers.setdefault(event, []).append(handler)

    def command(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        command_id = next(self._ids)
        self.ws.send(json.dumps({"id": command_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while command_id not in self._answers:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{method}: no answer within {timeout} s")
            message = json.loads(self.ws.recv(timeout=remaining))
            if message.get("type") == "event":
                for handler in self._handlers.get(message["method"], []):
                    handler(message["params"])
            elif "id" in message:
                self._answers[message["id"]] = message
        message = self._answers.pop(command_id)
        if message.get("type") == "error":
            raise BiDiError(method, message.get("error", "?"), message.get("message", ""))
        return message["result"]

    def close(self) -> None:
        self._stack.close()


# --- the browser ------------------------------------------------------------------------------------

class Firefox:
    """A Firefox process with a BiDi session (launch() starts both; close() ends both)."""

    def __init__(self, process: subprocess.Popen, connection: Connection, profile: Path, log: Path):
        self.process = process
        self.bidi = connection
        self.profile = profile
        self.log = log
        self._pages: dict[str, bytes] = {}   # serve_page(): URL prefix -> HTML
        self._intercepting = False

    @classmethod
    def launch(cls, binary: str, profile: Path, prefs: dict[str, Any] | None = None,
               log: Path | None = None, timeout: float = 60) -> "Firefox":
        profile.mkdir(parents=True, exist_ok=True)
        write_user_js(profile, {**QUIET_PREFS, **(prefs or {})})
        port_file = profile / "WebDriverBiDiServer.json"
        port_file.unlink(missing_ok=True)
        log = log or profile.parent / "firefox.log"
        env = {**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1", "MOZ_HEADLESS": "1"}
        with log.open("ab") as out:
            process = subprocess.Popen(
                [binary, "--headless", "--no-remote", "--profile", str(profile),
                 "--remote-debugging-port", "0", "--remote-allow-system-access"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                start_new_session=True)   # its own process group: close() can end all its children
        try:
            port = cls._wait_for_port(process, port_file, log, timeout)
            connection = Connection(f"ws://127.0.0.1:{port}/session")
            connection.command("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": False}}})
        except BaseException:
            _kill(process)
            raise
        return cls(process, connection, profile, log)

    @staticmethod
    def _wait_for_port(process: subprocess.Popen, port_file: Path, log: Path, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"firefox exited with {process.returncode}:\n{_tail(log)}")
            try:
                return int(json.loads(port_file.read_text())["ws_port"])
            except (FileNotFoundError, ValueError, KeyError):
                time.sleep(0.1)
        raise RuntimeError(f"firefox did not start WebDriver BiDi within {timeout} s:\n{_tail(log)}")

    def install_extension(self, path: Path) -> str:
        """Install an unpacked extension (a folder with manifest.json) as a temporary add-on;
        returns its id. Temporary add-ons need no signature and are gone with the profile."""
        result = self.bidi.command("webExtension.install", {"extensionData": {"type": "path", "path": str(path)}})
        return result["extension"]

    def serve_page(self, url_prefix: str, html: str) -> None:
        """Answer every request whose URL starts with url_prefix with this HTML page (as Playwright's
        route.fulfill does): network.addIntercept, and network.provideResponse for each blocked
        request. The answers are given while a command is waiting (navigate, wait_for...)."""
        if not self._intercepting:
            self.bidi.on("network.beforeRequestSent", self._on_request)
            self.bidi.command("session.subscribe", {"events": ["network.beforeRequestSent"]})
            self._intercepting = True
        parsed = urlsplit(url_prefix)
        self.bidi.command("network.addIntercept", {
            "phases": ["beforeRequestSent"],
            "urlPatterns": [{"type": "pattern", "protocol": parsed.scheme, "hostname": parsed.hostname}]})
        self._pages[url_prefix] = html.encode("utf-8")

    def _on_request(self, event: dict) -> None:
        if not event.get("isBlocked"):
            return
        request = event["request"]
        body = next((b for prefix, b in self._pages.items() if request["url"].startswith(prefix)), None)
        if body is None:   # another address on an intercepted host: not found
            self.bidi.command("network.provideResponse", {"request": request["request"], "statusCode": 404})
            return
        self.bidi.command("network.provideResponse", {
            "request": request["request"], "statusCode": 200, "reasonPhrase": "OK",
            "headers": [{"name": "Content-Type", "value": {"type": "string", "value": "text/html; charset=utf-8"}}],
            "body": {"type": "base64", "value": base64.b64encode(body).decode("ascii")}})

    def contexts(self) -> list[dict]:
        """The top-level browsing contexts (tabs and windows): [{"context", "url", ...}]."""
        return self.bidi.command("browsingContext.getTree", {"maxDepth": 0})["contexts"]

    def wait_for_context(self, url_prefix: str, timeout: float = 15) -> "Tab":
        """The tab or window whose address starts with url_prefix, once one is open."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for context in self.contexts():
                if context["url"].startswith(url_prefix):
                    return Tab(self.bidi, context["context"])
            time.sleep(0.1)
        raise TimeoutError(f"no tab or window opened {url_prefix}* within {timeout} s: {self.contexts()}")

    def new_tab(self) -> "Tab":
        return Tab(self.bidi, self.bidi.command("browsingContext.create", {"type": "tab"})["context"])

    def close(self) -> None:
        """End the session and the browser (browser.close), killing it if it does not exit."""
        try:
            self.bidi.command("browser.close", timeout=10)
        except Exception:  # noqa: BLE001 - the connection drops as the browser exits
            pass
        try:
            self.bidi.close()
        except Exception:  # noqa: BLE001
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _kill(self.process)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return "(no log)"


# --- a tab --------------------------------------------------------------------------------------

class Tab:
    """A top-level browsing context: navigate it, run scripts in it, click in it."""

    def __init__(self, bidi: Connection, context: str):
        self.bidi = bidi
        self.context = context

    def navigate(self, url: str) -> None:
        self.bidi.command("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def set_viewport(self, width: int, height: int) -> None:
        self.bidi.command("browsingContext.setViewport",
                          {"context": self.context, "viewport": {"width": width, "height": height}})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = self.bidi.command("script.evaluate", {
            "expression": expression, "target": {"context": self.context},
            "awaitPromise": True, "resultOwnership": "none"})
        return self._value(result)

    def call(self, function: str, *args: Any) -> Any:
        """Call a JavaScript function (its source, e.g. "(a, b) => a + b") with JSON-like arguments."""
        result = self.bidi.command("script.callFunction", {
            "functionDeclaration": function, "arguments": [to_local_value(a) for a in args],
            "target": {"context": self.context}, "awaitPromise": True, "resultOwnership": "none"})
        return self._value(result)

    @staticmethod
    def _value(result: dict) -> Any:
        if result["type"] == "exception":
            details = result["exceptionDetails"]
            raise JavaScriptError(f"{details.get('text')} (line {details.get('lineNumber')})")
        return from_remote_value(result["result"])

    def wait_for(self, expression: str, timeout: float = 15, interval: float = 0.1) -> Any:
        """Poll until the expression is truthy; returns its value. A page that is still loading
        (no realm yet, or a script that throws for now) counts as "not yet"."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            try:
                value = self.evaluate(expression)
                if value:
                    return value
            except (BiDiError, JavaScriptError) as exc:
                last_error = exc
            if time.monotonic() >= deadline:
                raise TimeoutError(f"not true within {timeout} s: {expression}"
                                   + (f" (last error: {last_error})" if last_error else ""))
            time.sleep(interval)

    def click(self, selector: str) -> None:
        """A real mouse click (input.performActions) in the middle of the element."""
        self.click_element(f"document.querySelector({json.dumps(selector)})")

    def click_element(self, expression: str) -> None:
        """A real mouse click on the element an expression gives (e.g. one in a shadow root):
        the page sees a trusted event (event.isTrusted), as from a person."""
        found = self.bidi.command("script.evaluate", {
            "expression": expression, "target": {"context": self.context},
            "awaitPromise": False, "resultOwnership": "root"})
        if found["type"] != "success" or found["result"].get("type") != "node":
            raise LookupError(f"no element: {expression}")
        element = {"sharedId": found["result"]["sharedId"]}
        self.bidi.command("input.performActions", {"context": self.context, "actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "x": 0, "y": 0, "origin": {"type": "element", "element": element}},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0},
            ]}]})
        self.bidi.command("input.releaseActions", {"context": self.context})

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole document."""
        data = self.bidi.command("browsingContext.captureScreenshot",
                                 {"context": self.context, "origin": "document"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self.bidi.command("browsingContext.close", {"context": self.context})
