"""Drives the web interface in headless Chromium (run by tests/web_browser.rs).

The daemon serves `alpha` (running), `beta` (stopped) and `talker` (writes a numbered line
every 0.2 s). The script clicks Stop and Start and sees the table change without a reload,
sees a change made over XML-RPC appear by itself, filters the table, watches new output arrive
on the tail page, and finally stops `beta` with scripts disabled (plain POST and redirect).
It saves screenshots into --out and prints one JSON line of timings.
"""

import argparse
import json
import os
import re
import sys
import time
import xmlrpc.client

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT = 30


def browser(args):
    opts = Options()
    opts.binary_location = args.chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,860",
                 "--user-data-dir=" + os.path.join(args.out, "profile")):
        opts.add_argument(flag)
    service = Service(executable_path=args.chromedriver,
                      log_output=os.path.join(args.out, "chromedriver.log"))
    return webdriver.Chrome(service=service, options=opts)


def wait(driver, what, check):
    """Polls `check` until it returns something true; fails naming `what`."""
    try:
        return WebDriverWait(driver, TIMEOUT, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: check())
    except Exception as e:
        raise AssertionError("timed out waiting for %s" % what) from e


def state(driver, name):
    rows = driver.find_elements(By.CSS_SELECTOR, 'tr[data-name="%s"]' % name)
    if not rows:
        return None
    badge = rows[0].find_element(By.CSS_SELECTOR, "span.state")
    return badge.text.strip().lower()


def click(driver, name, action):
    """Clicks a row's button; the table may be swapped under us, so look it up again."""
    def attempt():
        driver.find_element(
            By.CSS_SELECTOR, 'tr[data-name="%s"] button[value="%s"]' % (name, action)).click()
        return True
    wait(driver, "the %s button of %s" % (action, name), attempt)


def mark(driver):
    driver.execute_script("window.__sameDocument = 'yes';")


def same_document(driver):
    return driver.execute_script("return window.__sameDocument;") == "yes"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--chromium", required=True)
    p.add_argument("--chromedriver", required=True)
    args = p.parse_args()
    rpc = xmlrpc.client.ServerProxy(args.url + "RPC2")
    timings = {}
    t0 = time.monotonic()
    driver = browser(args)
    timings["browser_start_s"] = round(time.monotonic() - t0, 2)
    try:
        t = time.monotonic()
        driver.get(args.url)
        wait(driver, "the status table", lambda: state(driver, "alpha") == "running")
        assert state(driver, "beta") == "stopped", state(driver, "beta")
        assert driver.title == "Supervisor Status", driver.title
        mark(driver)

        click(driver, "alpha", "stop")
        wait(driver, "alpha to show as stopped", lambda: state(driver, "alpha") == "stopped")
        msg = driver.find_element(By.ID, "message").text
        assert msg == "Process alpha stopped", msg
        click(driver, "beta", "start")
        wait(driver, "beta to show as running", lambda: state(driver, "beta") == "running")
        msg = driver.find_element(By.ID, "message").text
        assert msg == "Process beta started", msg
        assert same_document(driver), "the page was reloaded"
        assert rpc.supervisor.getProcessInfo("alpha")["statename"] == "STOPPED"
        assert rpc.supervisor.getProcessInfo("beta")["statename"] == "RUNNING"
        timings["actions_s"] = round(time.monotonic() - t, 2)

        # A change made elsewhere shows up by itself (the table refreshes in place).
        t = time.monotonic()
        rpc.supervisor.startProcess("alpha")
        wait(driver, "alpha to show as running again without a reload",
             lambda: state(driver, "alpha") == "running")
        assert same_document(driver), "the page was reloaded"
        timings["auto_refresh_s"] = round(time.monotonic() - t, 2)

        # The filter box hides rows as one types.
        box = driver.find_element(By.ID, "q")
        box.send_keys("talk")
        wait(driver, "the filter to hide alpha", lambda: not driver.find_element(
            By.CSS_SELECTOR, 'tr[data-name="alpha"]').is_displayed())
        box.clear()
        box.send_keys("\b")
        wait(driver, "the filter to show alpha again", lambda: driver.find_element(
            By.CSS_SELECTOR, 'tr[data-name="alpha"]').is_displayed())
        driver.save_screenshot(os.path.join(args.out, "status.png"))

        # The tail page follows new output live.
        t = time.monotonic()
        driver.get(args.url + "tail.html?processname=talker")
        pre = wait(driver, "the tail text", lambda: driver.find_element(By.ID, "tail"))

        def last_line():
            found = re.findall(r"line (\d+)", pre.text)
            return int(found[-1]) if found else None

        first = wait(driver, "a first line", last_line)
        mark(driver)
        wait(driver, "new output on the tail page",
             lambda: (last_line() or 0) >= first + 3)
        assert same_document(driver), "the tail page was reloaded"
        assert driver.find_element(By.ID, "live").is_displayed()
        numbers = [int(n) for n in re.findall(r"line (\d+)", pre.text)]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), \
            "lines lost or repeated: %s" % numbers
        timings["tail_s"] = round(time.monotonic() - t, 2)
        driver.save_screenshot(os.path.join(args.out, "tail.png"))

        # Without JavaScript the same button works by plain form POST and redirect.
        t = time.monotonic()
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        driver.get(args.url)
        assert "js" not in (driver.find_element(By.TAG_NAME, "html").get_dom_attribute("class") or "")
        click(driver, "beta", "stop")
        wait(driver, "the redirect after the POST",
             lambda: "message=Process%20beta%20stopped" in driver.current_url)
        assert state(driver, "beta") == "stopped", state(driver, "beta")
        assert driver.find_element(By.ID, "message").text == "Process beta stopped"
        assert rpc.supervisor.getProcessInfo("beta")["statename"] == "STOPPED"
        timings["no_script_s"] = round(time.monotonic() - t, 2)
    finally:
        driver.quit()
    timings["total_s"] = round(time.monotonic() - t0, 2)
    print(json.dumps(timings))


if __name__ == "__main__":
    sys.exit(main())
