"""End to end in a real headless Chromium (Selenium + chromedriver): `serve` in a subprocess,
two raters rating at once in two browsers, with keys and clicks; the server killed (SIGKILL)
and restarted mid-study; then `report`, checked against the stored answers.

Needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver) and
selenium (the dev extra). Without them it skips, naming the later CI step that installs Chromium
and runs the tests marked `browser` (SR_JAX_CI_STEP=browser), where every skip fails.
"""
import concurrent.futures
import json
import pathlib
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
from scipy import stats as scipy_stats

try:
  from selenium import webdriver
  from selenium.webdriver.chrome.service import Service
  from selenium.webdriver.common.action_chains import ActionChains
  from selenium.webdriver.common.by import By
  from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # browser_tools fails or skips the test, naming what to install
  webdriver = None

APT = "apt-get install -y chromium chromium-driver"
# Headless, and nothing that reaches out to Google (the network is closed in CI).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=900,700")
WAIT_S = 60

# What each rater gives: per rated method, the scores of the two images; per calibration anchor
# the score (bob scores the examples of 1 with 5: his calibration contradicts the anchors).
SCORES = {
    "ann": {"NN": (1, 2), "Bicubic": (2, 3), "Alpha": (3, 4), "Beta": (4, 3), "HR": (5, 4)},
    "bob": {"NN": (1, 1), "Bicubic": (3, 2), "Alpha": (4, 4), "Beta": (2, 3), "HR": (5, 5)},
}
CALIBRATION = {"ann": {5: 5, 1: 1}, "bob": {5: 4, 1: 5}}
FIRST_PART = 7  # answers before the server is killed: the 4 calibration items and 3 more


@pytest.fixture(scope="session")
def browser_tools():
  """(chromium, chromedriver) paths, checked before the expensive fixtures are built."""
  missing = [] if webdriver else ["selenium (pip install -e '.[dev]')"]
  chromium = shutil.which("chromium") or shutil.which("chromium-browser")
  chromedriver = shutil.which("chromedriver")
  if not chromium or not chromedriver:
    missing.append(f"chromium and chromedriver ({APT})")
  if missing:
    pytest.skip(f"[ci-step:browser] the browser test needs {' and '.join(missing)}")
  return chromium, chromedriver


class Server:
  """`python -m sr_jax.mos serve` in a subprocess, its output in a log file."""

  def __init__(self, study: pathlib.Path, log: pathlib.Path, port: int = 0):
    self.log = log
    with open(log, "w") as out:
      self.proc = subprocess.Popen([sys.executable, "-m", "sr_jax.mos", "serve", str(study),
                                    f"--port={port}"], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300  # the CLI imports JAX: slow on a loaded 2-core machine
    while not (found := re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text())):
      assert self.proc.poll() is None, f"serve exited: {log.read_text()}"
      assert time.monotonic() < deadline, f"serve did not start: {log.read_text()}"
      time.sleep(0.2)
    self.url, self.port = found.group(0), int(found.group(1))

  def kill(self):
    self.proc.send_signal(signal.SIGKILL)  # a crash: no shutdown, no cleanup
    self.proc.wait()

  def stop(self):
    if self.proc.poll() is None:
      self.proc.terminate()
      self.proc.wait(30)


class Rater:
  """One rater in a browser of their own."""

  def __init__(self, name: str, tools, profile: pathlib.Path, study: dict):
    options = webdriver.ChromeOptions()
    options.binary_location = tools[0]
    for flag in CHROMIUM_FLAGS + (f"--user-data-dir={profile}",):
      options.add_argument(flag)
    self.driver = webdriver.Chrome(service=Service(tools[1]), options=options)
    self.name = name
    self.entries = {e["id"]: e for e in study["calibration"] + study["items"]}
    self.images = study["images"]
    self.given = {}  # item → (score, "key" or "click"), as the server accepted them

  def js(self, script: str):
    return self.driver.execute_script(script)

  def state(self) -> tuple[str, str | None]:
    return tuple(self.js("return [document.body.dataset.state, document.body.dataset.item]"))

  def wait(self, condition, what: str):
    WebDriverWait(self.driver, WAIT_S, poll_frequency=0.05).until(
        lambda _: condition(), message=f"{self.name}: {what}")

  def text(self, element_id: str) -> str:
    return self.js(f"return document.getElementById('{element_id}').textContent")

  def error(self) -> str:
    return self.js("const e = document.getElementById('error'); return e.hidden ? '' : "
                   "e.textContent")

  def open(self, url: str):
    self.driver.get(url)
    self.wait(lambda: self.state()[0] == "login", "the page")

  def login(self):
    field = self.driver.find_element(By.ID, "rater")
    field.clear()
    field.send_keys(self.name)
    self.driver.find_element(By.ID, "start").click()
    self.wait(lambda: self.state()[0] in ("ready", "finished"), "the first item after login")

  def score_for(self, item: str) -> int:
    entry = self.entries[item]
    if entry.get("anchor"):
      return CALIBRATION[self.name][entry["anchor"]]
    return SCORES[self.name][entry["method"]][self.images.index(entry["image"])]

  def press(self, score: int, how: str):
    if how == "key":
      ActionChains(self.driver).send_keys(str(score)).perform()
    else:
      self.driver.find_element(By.CSS_SELECTOR, f'#scores button[data-score="{score}"]').click()

  def rate(self):
    """Scores the item shown, by key or click in turn, and waits for the next one."""
    state, item = self.state()
    assert state == "ready", (self.name, state)
    score = self.score_for(item)
    how = ("key", "click")[(len(self.given) + (self.name == "bob")) % 2]  # in turn
    self.press(score, how)
    def moved():
      state, shown = self.state()
      return state == "finished" or state == "ready" and shown != item
    self.wait(moved, f"the item after {item}")
    assert not self.error(), self.error()
    self.given[item] = (score, how)


def _rows(db_path: pathlib.Path):
  with sqlite3.connect(db_path) as db:
    return db.execute("SELECT rater, item, score, position, input FROM answers").fetchall()


@pytest.mark.browser
def test_two_raters_in_chromium_through_a_server_restart(browser_tools, run_study, tmp_path):
  study_dir = tmp_path / "study"
  shutil.copytree(run_study / "study", study_dir)
  manifest = json.loads((study_dir / "study.json").read_text())
  total = len(manifest["calibration"]) + len(manifest["items"])
  assert total == 14
  server = Server(study_dir, tmp_path / "serve1.log")
  pool = concurrent.futures.ThreadPoolExecutor(2)
  raters = []
  both = lambda work: list(pool.map(work, raters))  # the two raters at once, one thread each
  try:
    raters += pool.map(lambda name: Rater(name, browser_tools, tmp_path / name, manifest),
                       ["ann", "bob"])
    ann, bob = raters

    def first_part(rater):
      rater.open(server.url)
      rater.login()
      assert rater.text("progress") == f"1 of {total}"
      assert "example of score 5 (excellent)" in rater.text("anchor")
      if rater.name == "ann":  # a score the server refuses: its error is shown, nothing moves
        _, item = rater.state()
        rater.js("answer(9, 'key')")
        rater.wait(rater.error, "the refusal")
        assert "score 9 is out of range" in rater.error() and "(HTTP 400)" in rater.error()
        assert rater.state() == ("ready", item)
      for _ in range(FIRST_PART):
        rater.rate()
      assert rater.js("return document.getElementById('anchor').hidden")  # calibration done
      assert rater.text("progress") == f"{FIRST_PART + 1} of {total}"
    both(first_part)
    assert len(_rows(study_dir / "answers.sqlite")) == 2 * FIRST_PART

    # The server dies. Ann closes her tab; Bob answers into the void and is told so.
    server.kill()
    ann.driver.get("about:blank")
    _, bob_item = bob.state()
    bob.press(bob.score_for(bob_item), "key")
    bob.wait(lambda: "cannot be reached" in bob.error(), "the unreachable server")
    assert bob.state() == ("ready", bob_item)

    server = Server(study_dir, tmp_path / "serve2.log", port=server.port)
    def second_part(rater):
      if rater.name == "ann":  # back with the id the browser remembered: where she was
        rater.open(server.url)
        assert rater.js("return document.getElementById('rater').value") == "ann"
        rater.driver.find_element(By.ID, "start").click()
        rater.wait(lambda: rater.state()[0] == "ready", "the resumed item")
      assert rater.text("progress") == f"{FIRST_PART + 1} of {total}"
      assert rater.state()[1] not in rater.given  # the first item without an answer
      while rater.state()[0] != "finished":
        rater.rate()
      assert f"rated all {total} images" in rater.text("done-text")
    both(second_part)
  finally:
    for rater in raters:
      rater.driver.quit()
    pool.shutdown()
    server.stop()

  # Stored: exactly what each rater gave, each rater's order from position 0, keys and clicks.
  rows = _rows(study_dir / "answers.sqlite")
  assert len(rows) == 2 * total
  for rater in (ann, bob):
    mine = sorted((r for r in rows if r[0] == rater.name), key=lambda r: r[3])
    assert [r[3] for r in mine] == list(range(total))
    assert {r[1]: (r[2], r[4]) for r in mine} == rater.given
    assert {how for _, how in rater.given.values()} == {"key", "click"}

  # The report's MOS and intervals are those of the stored rated answers.
  out = tmp_path / "report"
  proc = subprocess.run([sys.executable, "-m", "sr_jax.mos", "report", str(study_dir),
                         f"--out={out}"], capture_output=True, text=True, timeout=300)
  assert proc.returncode == 0, proc.stderr
  result = json.loads((out / "mos.json").read_text())
  entries = {e["id"]: e for e in manifest["items"]}
  for m in result["methods"]:
    scores = np.array([score for _, item, score, _, _ in rows if item in entries
                       and entries[item]["method"] == m["method"]], float)
    low, high = scipy_stats.t.interval(0.95, len(scores) - 1, loc=scores.mean(),
                                       scale=scipy_stats.sem(scores))
    assert (m["ratings"], m["raters"]) == (4, 2)
    assert m["mos"] == pytest.approx(scores.mean(), abs=1e-12)
    assert (m["ci_low"], m["ci_high"]) == (pytest.approx(low, abs=1e-12),
                                           pytest.approx(high, abs=1e-12))
  mos = {m["method"]: m["mos"] for m in result["methods"]}
  assert mos == {"NN": 1.25, "Bicubic": 2.5, "Alpha": 3.75, "Beta": 3.0, "HR": 4.75}
  assert {c["rater"]: c["flagged"] for c in result["raters_checked"]} == {"ann": False,
                                                                          "bob": True}
  assert "| HR | 4.75 |" in proc.stdout and (out / "mos.png").is_file()
