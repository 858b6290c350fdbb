#!/usr/bin/python3
"""Opens an HTML page in headless Chromium and checks that it renders cleanly.

    /usr/bin/python3 scripts/check_report.py results/report.html --screenshot /tmp/report.png

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: no port, no
network): loads the page, collects console errors and warnings, uncaught exceptions, browser
log errors and every request other than the page itself, counts <table> and <svg> elements,
and saves a full-page screenshot. Exit 0 when clean, 1 when not, 2 when Chromium is missing
or fails to start.
"""

import argparse
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

# Chromium quiet and offline: no background networking, updates, sync, default apps or
# extensions; no GPU, no sandbox (containers run as root).
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions", "--no-first-run", "--no-default-browser-check",
    "--mute-audio", "--hide-scrollbars",
)


def find_chromium():
    """The Chromium binary (Debian's package installs /usr/bin/chromium), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class ChromiumError(Exception):
    """Chromium could not be started or stopped answering."""


class DevToolsPipe:
    """A Chromium process driven over --remote-debugging-pipe (fd 3 in, fd 4 out, messages
    separated by NUL bytes). Use as a context manager; close() ends the browser."""

    def __init__(self, binary, profile_dir, extra_flags=(), timeout_s=30.0):
        self.timeout_s = timeout_s
        self.events = []
        self._buffer = b""
        self._next_id = 0
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def move_pipes_to_3_and_4():
            # dup first: a pipe end may already sit on fd 3 or 4. dup2 makes them inheritable.
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self._stderr = tempfile.TemporaryFile()
        args = [binary, *CHROMIUM_FLAGS, *extra_flags, "--remote-debugging-pipe",
                f"--user-data-dir={profile_dir}", "about:blank"]
        try:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=self._stderr, close_fds=False,
                                            preexec_fn=move_pipes_to_3_and_4)
        except OSError as e:
            raise ChromiumError(f"cannot start {binary}: {e.strerror}") from None
        finally:
            os.close(to_child_r)
            os.close(from_child_w)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def stderr_tail(self, lines=5):
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").splitlines()
        return "\n".join(l for l in text if "dbus" not in l)[-2000:] if text else ""

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChromiumError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], remaining)
            if ready:
                chunk = os.read(self._from_child, 1 << 16)
                if not chunk:
                    raise ChromiumError("Chromium closed the pipe:\n" + self.stderr_tail())
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, predicate, timeout_s=None):
        """The first message matching predicate; events read meanwhile are kept."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            message = self._read_message(deadline)
            if predicate(message):
                return message
            if "method" in message:
                self.events.append(message)

    def call(self, method, params=None, session=None):
        """Sends one command and returns its result (raises on a protocol error)."""
        self._next_id += 1
        request = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        try:
            os.write(self._to_child, json.dumps(request).encode() + b"\0")
        except BrokenPipeError:
            raise ChromiumError("Chromium exited:\n" + self.stderr_tail()) from None
        wanted = self._next_id
        reply = self.wait_for(lambda m: m.get("id") == wanted)
        if "error" in reply:
            raise ChromiumError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def drain(self, seconds):
        """Keeps reading events for a while (late console messages)."""
        try:
            self.wait_for(lambda m: False, timeout_s=seconds)
        except ChromiumError:
            pass

    def close(self):
        if self.process.poll() is None:
            try:
                self.call("Browser.close")
            except (ChromiumError, OSError):
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self._stderr.close()


@dataclass
class PageCheck:
    url: str
    tables: int = 0
    svgs: int = 0
    title: str = ""
    problems: list = field(default_factory=list)   # console errors, exceptions, log errors
    requests: list = field(default_factory=list)   # URLs fetched besides the page itself
    screenshot: str = ""

    @property
    def clean(self):
        return not self.problems and not self.requests


def problems_in(events, page_url):
    """(problems, foreign requests) from the collected DevTools events."""
    problems, requests = [], []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            problems.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            problems.append("exception: " + details.get("exception", {}).get("description",
                                                                             details.get("text", "")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
            entry = params["entry"]
            problems.append(f"{entry.get('source')} {entry['level']}: {entry.get('text')} "
                            f"{entry.get('url', '')}".rstrip())
        elif method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            if url != page_url and not url.startswith("data:"):
                requests.append(url)
    return problems, requests


def check_page(path, screenshot=None, binary=None, width=1280, timeout_s=30.0):
    """Loads the page and returns a PageCheck; raises ChromiumError if Chromium fails."""
    binary = binary or find_chromium()
    if not binary:
        raise ChromiumError("chromium not found: apt-get install chromium")
    url = "file://" + os.path.abspath(path)
    result = PageCheck(url)
    with tempfile.TemporaryDirectory(prefix="kvb-chromium-") as profile:
        with DevToolsPipe(binary, profile, (f"--window-size={width},900",), timeout_s) as browser:
            target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.call("Target.attachToTarget",
                                   {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Log", "Network", "Page"):
                browser.call(f"{domain}.enable", session=session)
            browser.call("Page.navigate", {"url": url}, session=session)
            browser.wait_for(lambda m: m.get("method") == "Page.loadEventFired"
                             and m.get("sessionId") == session)
            browser.drain(0.3)
            result.tables, result.svgs, result.title = browser.call(
                "Runtime.evaluate",
                {"expression": "[document.querySelectorAll('table').length,"
                               " document.querySelectorAll('svg').length, document.title]",
                 "returnByValue": True}, session=session)["result"]["value"]
            if screenshot:
                shot = browser.call("Page.captureScreenshot",
                                    {"format": "png", "captureBeyondViewport": True}, session=session)
                os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
                with open(screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
                result.screenshot = screenshot
            result.problems, result.requests = problems_in(browser.events, url)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Open an HTML page (e.g. report.py's) in headless Chromium over the "
                    "DevTools pipe: count tables and SVGs, report console errors, exceptions "
                    "and network requests, save a full-page screenshot. Exit 0 when clean, 1 "
                    "when not, 2 when Chromium is missing or fails.")
    parser.add_argument("page", help="the HTML file")
    parser.add_argument("--screenshot", metavar="PNG", help="save a full-page screenshot here")
    parser.add_argument("--chromium", metavar="PATH", help="the browser (default: chromium on PATH)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per step (default 30)")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.page):
        print(f"check_report.py: error: {args.page}: no such file", file=sys.stderr)
        return 2
    try:
        check = check_page(args.page, args.screenshot, args.chromium, timeout_s=args.timeout)
    except ChromiumError as e:
        print(f"check_report.py: error: {e}", file=sys.stderr)
        return 2
    print(f"{args.page}: title '{check.title}', {check.tables} tables, {check.svgs} svg")
    for problem in check.problems:
        print(f"  problem: {problem}")
    for url in check.requests:
        print(f"  request: {url}")
    if check.screenshot:
        print(f"  screenshot: {check.screenshot}")
    print("clean" if check.clean else "NOT clean")
    return 0 if check.clean else 1


if __name__ == "__main__":
    sys.exit(main())
