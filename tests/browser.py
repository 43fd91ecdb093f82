"""Open a page in a real browser (Debian's `chromium`, headless), driven directly over the DevTools
protocol: what it requested, what it logged, what it drew. No tool that downloads its own browser."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, itself included
    errors: list[str] = field(default_factory=list)  # console errors, uncaught exceptions, log errors
    facts: dict[str, Any] = field(default_factory=dict)  # what a script read off the drawn page
    screenshot: bytes = b""


def visit(page: Path, script: str, timeout: float = 60.0) -> PageVisit:
    """Load `page` (a file) headless, wait for its load event, run `script` (an expression giving JSON),
    take a screenshot."""
    binary = chromium()
    assert binary is not None
    profile = tempfile.mkdtemp(prefix="kg-chromium-")
    arguments = [
        binary, "--headless=new", "--disable-gpu", "--remote-debugging-port=0", f"--user-data-dir={profile}",
        "--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-sync",
        "--disable-component-update", "--disable-extensions", "--window-size=1200,2000", "about:blank",
    ]  # fmt: skip
    if os.geteuid() == 0:
        arguments.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    process = subprocess.Popen(arguments, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        address = _devtools_address(process, timeout)
        return _drive(address, page, script, timeout)
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_address(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            raise RuntimeError(f"chromium exited ({process.returncode}) before DevTools listened")
        if "DevTools listening on " in line:
            return line.split("DevTools listening on ", 1)[1].strip()
    raise RuntimeError("chromium's DevTools did not start in time")


def _drive(address: str, page: Path, script: str, timeout: float) -> PageVisit:
    connection = websocket.create_connection(address, timeout=timeout, suppress_origin=True)
    visit_ = PageVisit()
    counter = iter(range(1, 1_000_000))
    session = ""

    def call(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        number = next(counter)
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        connection.send(json.dumps(message))
        while True:
            reply = json.loads(connection.recv())
            if reply.get("id") == number:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            _note(reply, visit_)

    try:
        target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            call(f"{domain}.enable")
        call("Page.navigate", {"url": page.resolve().as_uri()})
        deadline = time.monotonic() + timeout
        loaded = False
        while not loaded and time.monotonic() < deadline:
            event = json.loads(connection.recv())
            _note(event, visit_)
            loaded = event.get("method") == "Page.loadEventFired"
        assert loaded, "the page never finished loading"
        time.sleep(0.5)  # anything the page would fetch after load has had its chance
        result = call("Runtime.evaluate", {"expression": script, "returnByValue": True})
        visit_.facts = json.loads(result["result"]["value"])
        shot = call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        visit_.screenshot = base64.b64decode(shot["data"])
    finally:
        connection.close()
    return visit_


def _note(event: dict[str, Any], found: PageVisit) -> None:
    method, params = event.get("method"), event.get("params", {})
    if method == "Network.requestWillBeSent":
        found.requests.append(params["request"]["url"])
    elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        found.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
    elif method == "Runtime.exceptionThrown":
        found.errors.append(params["exceptionDetails"].get("text", "exception"))
    elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
        found.errors.append(params["entry"].get("text", ""))
