"""The citizen status page in a real headless Chromium (Debian's chromium + chromium-driver)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from sync_helpers import Receiver, SimWard, district_cli, in_ci

from sync_agent.keyfiles import DistrictPublicKeys

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    driver_path = shutil.which("chromedriver")
    chromium = shutil.which("chromium")
    if not (driver_path and chromium):
        if in_ci():
            pytest.fail("chromium and chromium-driver are required in CI", pytrace=False)
        pytest.skip("chromium / chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=360,740"):
        options.add_argument(arg)  # a cheap phone's screen
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_citizen_looks_up_a_dossier(browser, district_init: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    server = Receiver(district_init, None).start()
    try:
        district_cli("key", "--data-dir", str(district_init), "--out", str(district_init / "district.pub"))
        ward = SimWard("22918", DistrictPublicKeys.read(district_init / "district.pub"))
        ward.write_pub(district_init / "ward.pub")
        district_cli("enrol", "--data-dir", str(district_init), "--office-code", "22918",
                     "--ward-key", str(district_init / "ward.pub"), "--fingerprint", ward.public().fingerprint)
        codes = ward.add_dossiers(2)
        ward.update_dossier(codes[1], state="result_ready")
        assert requests.post(server.url + "/v1/batches", data=ward.next_batch().envelope, timeout=10).status_code == 200

        # Typed into the form, as a citizen with the receipt in hand.
        browser.get(server.url + "/status")
        browser.find_element(By.ID, "code").send_keys(codes[1])
        browser.find_element(By.ID, "secret").send_keys("S00001")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        # The click starts a navigation and returns at once: wait for the answer page.
        state = WebDriverWait(browser, 15).until(
            expected_conditions.presence_of_element_located((By.ID, "r-state"))).text
        assert state == "Đã có kết quả, mời đến nhận"
        assert browser.find_element(By.ID, "r-due").text.count("/") == 2
        page = browser.page_source
        assert "Trần Thị Bé" not in page and "001190000001" not in page  # no personal data

        # Scanned from the receipt's QR code: the same answer from the URL alone.
        browser.get(f"{server.url}/status?code={codes[0]}&secret=S00000&lang=en")
        assert browser.find_element(By.ID, "r-state").text == "Received"

        # A wrong secret says "not found", like an unknown code.
        browser.get(f"{server.url}/status?code={codes[0]}&secret=NOPE")
        assert "Không tìm thấy" in browser.find_element(By.ID, "error").text
    finally:
        server.stop()
