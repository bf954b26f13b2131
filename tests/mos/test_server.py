"""The answers' rules, through the server's API and the store: what is refused (4xx with a JSON
error), what is kept (exactly the accepted answers, WAL, one transaction each), and where a
rater resumes after a restart."""
import concurrent.futures
import json
import sqlite3

import pytest

from sr_jax.mos import store
from sr_jax.mos import study as study_lib


def _rows(study):
  with sqlite3.connect(study.answers_path) as db:
    return db.execute("SELECT rater, item, score, position, input FROM answers "
                      "ORDER BY rater, position").fetchall()


def test_refusals_are_4xx_with_a_json_error(small_study, serve_in_process):
  client, study, _ = serve_in_process(small_study)
  order = study.order("ann")
  status, state = client.get("api/next?rater=ann")
  assert status == 200 and state == {"rater": "ann", "done": 0, "total": 10,
                                     "item": study.public(order[0])}
  refused = [
      (("ann", order[0], 0), 400, "score 0 is out of range"),
      (("ann", order[0], 6), 400, "score 6 is out of range"),
      (("ann", order[0], 3.5), 400, "score 3.5 is out of range"),
      (("ann", order[0], "3"), 400, "score '3' is out of range"),
      (("ann", order[0], True), 400, "score True is out of range"),
      (("ann", order[0], None), 400, "score None is out of range"),
      (("ann", "0123456789abcdef", 3), 404, "no item '0123456789abcdef' in this study"),
      (("ann", order[1], 3), 409, f"item {order[1]} is not rater ann's next item (1 of 10)"),
      (("ann", order[5], 3), 409, f"item {order[5]} is not rater ann's next item (1 of 10)"),
      (("", order[0], 3), 400, "the rater id must be"),
      (("a b", order[0], 3), 400, "the rater id must be"),
      (("x" * 65, order[0], 3), 400, "the rater id must be"),
  ]
  for (rater, item, score), code, message in refused:
    status, reply = client.answer(rater, item, score)
    assert (status, list(reply)) == (code, ["error"]) and reply["error"].startswith(message)
  assert client.answer("ann", order[0], 3, "voice")[0] == 400
  assert client.answer("ann", order[0], 5) == (200, {"rater": "ann", "done": 1, "total": 10,
                                                     "item": study.public(order[1])})
  status, reply = client.answer("ann", order[0], 4, "click")
  assert (status, reply) == (409, {"error": f"rater ann has already answered item {order[0]}"})
  assert client.answer("ann", order[1], 1, "click")[0] == 200

  # Bodies and paths that are not answers.
  json_headers = {"Content-Type": "application/json"}
  for body, code in ((b"not json", 400), (b"[1, 2]", 400), (b"x" * 5000, 413)):
    status, reply = client.raw("api/answer", body, json_headers)
    assert status == code and "error" in json.loads(reply)
  for path in ("nothing", "images/0123456789abcdef.png", f"images/{order[0]}.jpg",
               "api/next?rater=", "study.json"):
    status, reply = client.raw(path)
    assert status in (400, 404) and "error" in json.loads(reply), path
  status, reply = client.raw("api/next", b"{}", json_headers)  # POST elsewhere
  assert status == 404 and "error" in json.loads(reply)

  # The database holds exactly the two accepted answers, as given.
  assert _rows(study) == [("ann", order[0], 5, 0, "key"), ("ann", order[1], 1, 1, "click")]


def test_restart_resumes_where_each_rater_was(small_study, serve_in_process):
  client, study, httpd = serve_in_process(small_study)
  for rater, count in (("ann", 3), ("bob", 7)):
    for item in study.order(rater)[:count]:
      assert client.answer(rater, item, 2)[0] == 200
  httpd.shutdown()
  httpd.server_close()
  client, study, _ = serve_in_process(small_study)  # a new server, a new port
  for rater, count in (("ann", 3), ("bob", 7), ("cy", 0)):
    status, state = client.get(f"api/next?rater={rater}")
    assert status == 200 and state["done"] == count
    assert state["item"] == study.public(study.order(rater)[count])
  with sqlite3.connect(study.answers_path) as db:
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
  for item in study.order("ann")[3:]:
    assert client.answer("ann", item, 4)[0] == 200
  assert client.get("api/next?rater=ann")[1] == {"rater": "ann", "done": 10, "total": 10,
                                                 "item": None}
  assert client.answer("ann", study.order("ann")[-1], 4)[0] == 409  # finished: a duplicate
  assert len(_rows(study)) == 17


def test_racing_answers_store_one(small_study):
  """Eight threads send the same (rater, item) at once: one is stored, seven are duplicates;
  two raters answering side by side lose nothing."""
  study = study_lib.Study.open(small_study)
  answers = store.Answers(study.answers_path, study.manifest["study_id"])
  order = study.order("ann")
  def send(score):
    try:
      answers.add("ann", order[0], score, "key", order)
      return "stored"
    except store.Duplicate:
      return "duplicate"
  with concurrent.futures.ThreadPoolExecutor(8) as pool:
    outcomes = list(pool.map(send, [1, 2, 3, 4, 5, 1, 2, 3]))
  assert sorted(outcomes) == ["duplicate"] * 7 + ["stored"]
  def rate_all(rater):
    for item in study.order(rater):
      answers.add(rater, item, 3, "click", study.order(rater))
  with concurrent.futures.ThreadPoolExecutor(2) as pool:
    list(pool.map(rate_all, ["bob", "cy"]))
  rows = _rows(study)
  assert len(rows) == 21
  for rater in ("bob", "cy"):
    assert [(r[1], r[3]) for r in rows if r[0] == rater] == [
        (item, i) for i, item in enumerate(study.order(rater))]


def test_answers_of_another_study_are_refused(small_study):
  study = study_lib.Study.open(small_study)
  store.Answers(study.answers_path, study.manifest["study_id"])
  with pytest.raises(study_lib.StudyError, match="holds the answers of another study"):
    store.Answers(study.answers_path, "0" * 32)
  with pytest.raises(study_lib.StudyError, match="no answers yet"):
    store.Answers(small_study / "none.sqlite", "0" * 32, create=False)
