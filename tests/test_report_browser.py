"""The HTML report in a real headless Chromium, driven over the DevTools protocol.

Checks what an analyst sees: the page loads with no console errors and no network
request, the citation matrix has the expected rows, the filter and the sorting work,
every view renders, and a screenshot is saved to tests/artifacts/ for a human to look at.

Chromium is the Debian package `chromium` (scripts/bootstrap.sh installs it). The test
skips only when it is absent and cannot be installed; under CI (env CI set) it fails.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.report import write_report

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--window-size=1400,1000"]


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _chromium_or_skip() -> str:
    path = _find_chromium()
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
                       capture_output=True, timeout=600, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        path = _find_chromium()
    if path is None:
        reason = "chromium is not installed and could not be installed (run scripts/bootstrap.sh as root)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


class CDP:
    """A minimal DevTools protocol client: send commands, collect events."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def send(self, method: str, **params) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            msg = json.loads(self.ws.recv())
            if msg.get("method") == method:
                return msg
            self.events.append(msg)
        raise TimeoutError(method)

    def js(self, expression: str):
        """Evaluate in the page; returns the value, raises on a JS exception."""
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"JS error in {expression!r}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait(self, expression: str, timeout: float = 10) -> None:
        """Poll until ``expression`` is truthy in the page (views render on hashchange, async)."""
        deadline = time.monotonic() + timeout
        while not self.js(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(expression)
            time.sleep(0.05)

    def goto(self, hash_: str) -> None:
        """Navigate to a view of the report and wait until it is drawn."""
        self.js(f"location.hash = {json.dumps(hash_)}")
        self.wait(f"document.body.dataset.route === {json.dumps(hash_)}")

    def click_and_route(self, selector: str, prefix: str) -> str:
        """Click a link and wait until the view it leads to (hash starting ``prefix``) is drawn."""
        self.click(selector)
        self.wait(f"location.hash.startsWith({json.dumps(prefix)}) && "
                  "document.body.dataset.route === location.hash")
        return self.js("location.hash")

    def click(self, selector: str) -> None:
        """A real mouse click at the middle of the element (not element.click())."""
        box = self.js(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            e.scrollIntoView({{block: "center"}}); const r = e.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type_into(self, selector: str, text: str) -> None:
        self.click(selector)
        self.send("Input.insertText", text=text)

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, log errors and network requests seen so far."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('exception', {}).get('description') or p['exceptionDetails']}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                out.append(f"console.{p['type']}: {[a.get('value', a.get('description')) for a in p.get('args', [])]}")
            elif m == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
                out.append(f"log {p['entry']['level']}: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Network.requestWillBeSent":
                url = p["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    out.append(f"network request: {url}")
        return out

    def close(self) -> None:
        self.ws.close()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium with a fresh profile; yields (cdp_http_base, process)."""
    exe = _chromium_or_skip()
    profile = tempfile.mkdtemp(prefix="vnplan-chromium-")
    proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                             "--remote-allow-origins=*", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chromium did not start (exit {proc.poll()})")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


def _open(browser_url: str, html_path: Path) -> CDP:
    req = urllib.request.Request(f"{browser_url}/json/new?about:blank", method="PUT")
    target = json.load(urllib.request.urlopen(req, timeout=10))
    cdp = CDP(target["webSocketDebuggerUrl"])
    for domain in ("Page", "Runtime", "Log", "Network"):
        cdp.send(f"{domain}.enable")
    cdp.send("Page.navigate", url=html_path.resolve().as_uri())
    cdp.wait_for("Page.loadEventFired")
    cdp.wait("document.body.dataset.route !== undefined")
    return cdp


def _screenshot(cdp: CDP, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    data = cdp.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
    path = ARTIFACTS / name
    path.write_bytes(base64.b64decode(data))
    return path


def _rows(cdp: CDP, table: str = "#matrix") -> list[str]:
    """The first cell of every visible body row."""
    return cdp.js(f"""Array.from(document.querySelectorAll("{table} tbody tr")).filter(r => !r.hidden)
                      .map(r => r.cells[0].textContent)""")


def test_report_of_hand_made_run(browser, analyst_out, tmp_path):
    html = write_report(analyst_out, tmp_path / "report.html")
    cdp = _open(browser, html)
    try:
        # summary view first
        assert cdp.js("document.body.dataset.view") == "summary"
        assert cdp.js("document.querySelectorAll('#documents-table tbody tr').length") == 3
        assert "PDF has no pages" in cdp.js("document.querySelector('#failed-table').textContent")

        assert cdp.click_and_route('#nav a[data-view="matrix"]', "#matrix") == "#matrix"
        assert _rows(cdp) == ["Chỉ thị 33/CT-TTg", "Kế hoạch 30/KH-UBND", "Kế hoạch 450/KH-UBND",
                              "Luật Thực hiện dân chủ ở cơ sở", "Nghị định 59/2023/NĐ-CP"]
        header = cdp.js("Array.from(document.querySelectorAll('#matrix thead th.prov')).map(h => h.textContent)")
        assert header == ["Lai Châu", "Lâm Đồng", "Quảng Trị"]
        row33 = cdp.js("Array.from(document.querySelector('#matrix tbody tr').cells).slice(2).map(c => c.textContent)")
        assert row33 == ["2", "2", "1", "·", "1"]

        # the text filter (typed, as a user would)
        cdp.type_into("#matrix-filter", "ct-ttg")
        assert _rows(cdp) == ["Chỉ thị 33/CT-TTg"]
        assert cdp.js("document.querySelector('#matrix-count').textContent") == "1 / 5 văn bản"
        cdp.js("(() => { const i = document.querySelector('#matrix-filter'); i.value = '';"
               " i.dispatchEvent(new Event('input')); })()")
        # the spread filter: instruments cited by one province only
        cdp.js("(() => { const s = document.querySelector('#matrix-spread'); s.value = 'own';"
               " s.dispatchEvent(new Event('change')); })()")
        assert "Chỉ thị 33/CT-TTg" not in _rows(cdp) and len(_rows(cdp)) == 4
        cdp.js("(() => { const s = document.querySelector('#matrix-spread'); s.value = '';"
               " s.dispatchEvent(new Event('change')); })()")

        # sort by the Lâm Đồng column (descending first for numbers)
        cdp.click("#matrix thead th.prov:nth-of-type(6)")
        assert cdp.js("document.querySelector('#matrix thead th.prov:nth-of-type(6)').getAttribute('aria-sort')") \
            == "descending"
        assert _rows(cdp)[0] == "Kế hoạch 30/KH-UBND"
        cdp.click("#matrix thead th:first-child")
        assert _rows(cdp)[0] == "Chỉ thị 33/CT-TTg"

        # the province profile answers "who cites only its own instruments"
        own_only = cdp.js("Array.from(document.querySelectorAll('#province-profile tbody tr'))"
                          ".filter(r => r.textContent.includes('own only')).map(r => r.cells[0].textContent)")
        assert own_only == ["Lâm Đồng"]
        _screenshot(cdp, "report_matrix_fixture.png")

        # instrument page: who cites it, with the sentence and the citation marked
        cdp.click_and_route("#matrix tbody tr a", "#instrument/")
        marks = cdp.js("Array.from(document.querySelectorAll('#mentions mark')).map(m => m.textContent)")
        assert marks == ["Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ", "Chỉ thị số 33/CT-TTg"]
        assert "Không trích dẫn: Lâm Đồng" in cdp.js("document.querySelector('main').textContent")

        # document view from the mention link: spans highlighted in the text
        cdp.click_and_route("#mentions tbody tr a", "#doc/a1/")
        kinds = cdp.js("Array.from(document.querySelectorAll('#doctext mark')).map(m => m.className.replace(' flash', ''))")
        assert "k-citation" in kinds and "k-deadline" in kinds and "k-unit" in kinds
        assert cdp.js("document.querySelector('#doctext').textContent") == \
            __import__("conftest").ANALYST_DOCS["a1"]["text"]
        _screenshot(cdp, "report_document_fixture.png")

        cdp.goto("#timeline")
        assert cdp.js("document.querySelectorAll('#timeline circle').length") == 3
        assert cdp.js("document.querySelectorAll('#timeline rect.bar').length") == 1
        _screenshot(cdp, "report_timeline_fixture.png")

        cdp.goto("#audit")
        assert cdp.js("document.querySelectorAll('#audit-table tbody tr').length") == 1
        cdp.click_and_route("#audit-table tbody a[href^='#doc/c3/']", "#doc/c3/")
        assert cdp.js("document.querySelector('#doctext mark.k-finding').textContent") == "trước ngày 20/11/2026"

        assert cdp.problems() == []
    finally:
        cdp.close()


def test_report_of_the_bundled_samples(browser, sample_out, tmp_path):
    """Acceptance: the three bundled plans all cite Chỉ thị 33/CT-TTg, with no console errors."""
    html = write_report(sample_out, tmp_path / "report.html")
    cdp = _open(browser, html)
    try:
        cdp.goto("#matrix")
        _screenshot(cdp, "report_matrix_samples.png")
        assert cdp.js("document.querySelectorAll('#matrix thead th.prov').length") == 3
        row = cdp.js("""(() => { const r = Array.from(document.querySelectorAll('#matrix tbody tr'))
                          .find(r => r.cells[0].textContent.includes('33/CT-TTg'));
                          return r ? Array.from(r.cells).map(c => c.textContent) : null; })()""")
        assert row is not None, "no matrix row for Chỉ thị 33/CT-TTg"
        assert row[2] == "3" and row[4:] == ["1", "1", "1"]
        before = _rows(cdp)
        cdp.type_into("#matrix-filter", "33/CT-TTg")
        after = _rows(cdp)
        # the filter searches numbers, names and subjects: plans "về triển khai Chỉ thị số
        # 33/CT-TTg" stay, the rest goes
        assert any("33/CT-TTg" in r for r in after) and len(after) < len(before)
        for view in ("#summary", "#timeline", "#audit", "#doc"):
            cdp.goto(view)
        assert cdp.problems() == []
    finally:
        cdp.close()


def test_large_matrix_draws_a_bounded_number_of_rows(browser, tmp_path):
    """Thousands of instruments: the first rows are drawn, filtering still reaches all of them."""
    from pipeline.write import write_table_file

    out = tmp_path / "out"
    text = "; ".join(f"Quyết định số {n}/QĐ-UBND" for n in range(1, 451))
    write_table_file(out, "documents", [dict(doc_id=f"d{p}", status="ok", province=p) for p in ("Huế", "Sơn La")])
    write_table_file(out, "texts", [dict(doc_id=f"d{p}", text=text, body_end=len(text)) for p in ("Huế", "Sơn La")])
    rows = []
    for p, numbers in (("Huế", range(1, 451)), ("Sơn La", range(1, 11))):
        for n in numbers:
            raw = f"Quyết định số {n}/QĐ-UBND"
            start = text.index(raw + ";") if n < 450 else text.rindex(raw)
            rows.append(dict(doc_id=f"d{p}", citation_id=n, start=start, end=start + len(raw), raw=raw,
                             type="Quyết định", number=str(n), symbol="QĐ-UBND"))
    write_table_file(out, "citations", rows)
    cdp = _open(browser, write_report(out, tmp_path / "report.html"))
    try:
        cdp.goto("#matrix")
        assert len(_rows(cdp)) == 400
        assert cdp.js("document.querySelector('#matrix-count').textContent").startswith("450 / 450 văn bản (hiển thị 400")
        assert _rows(cdp)[:10] == [f"Quyết định {n}/QĐ-UBND" for n in range(1, 11)]  # the shared ones first
        cdp.type_into("#matrix-filter", "449/")
        assert _rows(cdp) == ["Quyết định 449/QĐ-UBND"]
        assert cdp.problems() == []
    finally:
        cdp.close()
