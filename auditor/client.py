"""A small HTTP client of the service's API (stdlib only), for `auditor campaign close --server`."""
from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable


class RemoteError(Exception):
    def __init__(self, message: str, hint: str | None = None, code: str = "error", status: int = 0):
        super().__init__(message)
        self.message, self.hint, self.code, self.status = message, hint, code, status


HINTS = {401: "check --api-key (or AUDITOR_API_KEY); `auditor keys create` makes one",
         403: "the key needs the 'ingest' scope to close and 'read' to fetch the report",
         404: "check the campaign id or name (GET /api/v1/campaigns)",
         503: "the service's database or queue is down; try again shortly"}


class Client:
    def __init__(self, server: str, api_key: str, timeout: float = 30):
        self.base = server.rstrip("/")
        if not self.base.endswith("/api/v1"):
            self.base += "/api/v1"
        self.api_key, self.timeout = api_key, timeout

    def request(self, method: str, path: str, body: Any = None, raw: bool = False) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json",
            "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            try:
                err = json.loads(exc.read())["error"]
                message, code = f"{exc.code} {err['code']}: {err['message']}", err["code"]
            except (ValueError, KeyError, TypeError):
                message, code = f"HTTP {exc.code} from {self.base}{path}", "http_error"
            raise RemoteError(message, HINTS.get(exc.code), code, exc.code) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RemoteError(f"cannot reach {self.base}: {reason}", "check --server and that the service runs",
                              "unreachable") from None
        return payload.decode("utf-8") if raw else json.loads(payload)


@dataclass
class Outcome:
    campaign_id: int
    run: dict[str, Any]
    report: str | None


def resolve(client: Client, ref: str) -> int:
    if ref.isdigit():
        return int(ref)
    page = client.request("GET", "/campaigns?name=" + urllib.parse.quote(ref))
    if not page["items"]:
        raise RemoteError(f"no campaign named {ref!r}", HINTS[404], "not_found", 404)
    return page["items"][0]["id"]


def _progress_line(run: dict[str, Any]) -> str:
    finished = run["done"] + run["failed"]
    failed = f", {run['failed']} failed" if run["failed"] else ""
    return f"closing: {finished}/{run['total']} post(s) audited{failed}"


def close_and_report(client: Client, ref: str, *, wait: bool, fmt: str, fail_on: str, rerun: bool,
                     timeout: float, poll: float, echo: Callable[[str], None] | None = None) -> Outcome:
    echo = echo or _stderr_progress()
    campaign_id = resolve(client, ref)
    answer = client.request("POST", f"/campaigns/{campaign_id}/close", {"rerun": rerun})
    run = answer["close"]
    deadline = time.monotonic() + timeout
    while wait and run["status"] != "done":
        echo(_progress_line(run))
        if time.monotonic() > deadline:
            raise RemoteError(f"the close audit did not finish within {timeout:g} s "
                              f"({run['done'] + run['failed']}/{run['total']})",
                              "are the service's workers running? (`auditor worker`)", "timeout")
        time.sleep(poll)
        run = client.request("GET", f"/campaigns/{campaign_id}")["close"]
    if run["status"] != "done":
        return Outcome(campaign_id, run, None)
    echo(_progress_line(run))
    echo("")
    report = client.request("GET", f"/campaigns/{campaign_id}/report?format={fmt}&fail_on={fail_on}", raw=True)
    return Outcome(campaign_id, run, report)


def _stderr_progress() -> Callable[[str], None]:
    """On a terminal, one line redrawn in place; otherwise a line when the numbers change."""
    tty = sys.stderr.isatty()
    last = [""]

    def echo(line: str) -> None:
        if tty:
            sys.stderr.write(("\r" + line.ljust(60)) if line else "\n")
            sys.stderr.flush()
        elif line and line != last[0]:
            sys.stderr.write(line + "\n")
            last[0] = line
    return echo
