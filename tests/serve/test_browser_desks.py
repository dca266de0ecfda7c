"""Done when: two browser desks (headless Chromium) save dossiers into one store over TLS
while a CLI writer saves its own and a restore is refused; every printed code is there.

The desk is read off its websocket (a script wraps the page's WebSocket before the page
runs and keeps what the desk drew as text): xterm.js draws on a canvas, not the DOM.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from serve_kit import serving
from wd_testkit import ADMIN, CODE_RE, PASSWORD, make_store, ok, run_cli

from ward_desk.errors import EXIT_IN_USE

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

TAP = """
(() => {
  const Native = window.WebSocket;
  window.__wdOut = "";
  const Wrapped = function (url, protocols) {
    const ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
    const dec = new TextDecoder("utf-8");
    ws.addEventListener("message", (e) => {
      if (typeof e.data !== "string") window.__wdOut += dec.decode(new Uint8Array(e.data), {stream: true});
    });
    return ws;
  };
  Wrapped.prototype = Native.prototype;
  Object.assign(Wrapped, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Wrapped;
})();
"""
ESCAPES = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
NAMES = ["Trần Thị Một", "Lê Văn Hai", "Phạm Thị Ba", "Đỗ Văn Bốn"]


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path, chromium = shutil.which("chromedriver"), shutil.which("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-popup-blocking", "--window-size=1100,700"):
        options.add_argument(arg)
    # The office's self-signed certificate: what a clerk accepts after checking its fingerprint.
    options.accept_insecure_certs = True
    return webdriver.Chrome(service=Service(driver_path), options=options)


class Desk:
    """One browser tab: its own desk process on the office PC."""

    def __init__(self, driver, url: str, *, first: bool) -> None:
        self.driver = driver
        if not first:
            self.driver.switch_to.new_window("tab")
        self.handle = driver.current_window_handle
        # Per tab: a new tab is a new target, which the first tab's script does not reach.
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TAP})
        self.driver.get(url)
        self.seen = 0

    def screen(self) -> str:
        self.driver.switch_to.window(self.handle)
        return ESCAPES.sub("", self.driver.execute_script("return window.__wdOut") or "")

    def wait_for(self, text: str, timeout: float = 90) -> str:
        """What the desk drew after the last wait, once ``text`` is among it."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            new = shown[self.seen:]
            found = new.find(text)
            if found >= 0:
                self.seen += found + len(text)
                return new
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never shown; last: {new[-2000:]!r}")
            time.sleep(0.2)

    def saved_code(self, known: set[str]) -> str:
        """The code of the dossier just saved, from "Đã tiếp nhận hồ sơ {code}, hẹn trả ..."
        (the toast of the one before may still be redrawn: skipped)."""
        while True:
            self.wait_for("Đã tiếp nhận hồ sơ ")
            code = CODE_RE.match(self.wait_for(", hẹn trả"))
            if code and code.group(0) not in known:
                return code.group(0)

    def keys(self, *items: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        self.driver.switch_to.window(self.handle)
        box = self.driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea")
        named = {"tab": Keys.TAB, "enter": Keys.ENTER, "escape": Keys.ESCAPE}
        for item in items:
            if item == "ctrl+s":
                ActionChains(self.driver).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()
            else:
                box.send_keys(named.get(item, item))
            time.sleep(0.05)


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    data = tmp_path / "ward"
    make_store(data)
    return data


def test_two_browser_desks_and_the_cli_write_one_store_while_a_restore_is_refused(ward: Path,
                                                                                  tmp_path: Path) -> None:
    if not (shutil.which("chromedriver") and shutil.which("chromium")):
        pytest.skip("chromium / chromedriver not installed")
    backup = tmp_path / "before.db"
    ok(run_cli("backup", "--out", backup, "--data-dir", ward))
    printed: list[str] = []
    cli_errors: list[str] = []
    stop = threading.Event()

    def cli_writer() -> None:
        n = 0
        while not stop.is_set() and n < 6:
            proc = run_cli("intake", "--procedure", "CT.01", "--applicant-name", f"Quầy Bên {'ABCDEF'[n]}",
                           "--data-dir", ward)
            n += 1
            if proc.returncode != 0 or "locked" in proc.stderr:
                cli_errors.append(proc.stderr)
            printed.extend(CODE_RE.findall(proc.stdout))

    with serving(ward, "--lang", "vi") as served:
        driver = _browser()
        writer = threading.Thread(target=cli_writer)
        try:
            desks = [Desk(driver, served.url + "/", first=True), Desk(driver, served.url + "/", first=False)]
            for desk in desks:  # each tab unlocks on its own screen
                desk.wait_for("Mật khẩu")
                desk.keys("tab", PASSWORD, "enter")
                desk.wait_for("Tỷ lệ đúng hạn")
            writer.start()
            for turn in range(2):
                for k, desk in enumerate(desks):
                    desk.keys("n", "chung thuc ban sao", "enter", NAMES[2 * turn + k], "ctrl+s")
                    printed.append(desk.saved_code(set(printed)))
                    desk.keys("escape")
                    desk.wait_for("Tỷ lệ đúng hạn")
                if turn == 0:
                    refused = run_cli("restore", backup, "--data-dir", ward, "--lang", "en")
                    assert refused.returncode == EXIT_IN_USE, refused.stderr
                    assert "Not restored" in refused.stderr and "ward-desk ui" in refused.stderr
            # The receipt was delivered to the browser (a tab on the server's /download/).
            handles = set(driver.window_handles) - {d.handle for d in desks}
            opened = []
            for handle in handles:
                driver.switch_to.window(handle)
                opened.append(driver.current_url)
            assert any("/download/" in url for url in opened), opened
        finally:
            stop.set()
            if writer.is_alive() or writer.ident:
                writer.join(120)
            driver.quit()
        # The tabs closed: their desks leave and close the store.
        deadline = time.monotonic() + 60
        while list((ward / "presence").glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not list((ward / "presence").glob("*.json"))

    assert cli_errors == []
    assert not list((ward / "backups").glob("replaced-*")), "the refused restore swapped nothing"
    assert len(set(printed)) == len(printed) >= 4 + 1
    from ward_desk.services.desk import open_session
    from ward_desk.store.models import Dossier

    session = open_session(ward, ADMIN, PASSWORD)
    try:
        stored = {d.code: d.applicant_name for d in Dossier.select(Dossier.code, Dossier.applicant_name)}
    finally:
        session.store.close()
    assert set(printed) <= set(stored)
    assert set(NAMES) <= set(stored.values())
