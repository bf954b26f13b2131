"""The answers: SQLite in the study folder, in WAL mode, one transaction per answer.

An answer is stored as given, with its position in the rater's order, the time (UTC) and how
it was given (a key or a click). An answer is committed (synchronous=FULL) before the rater
sees the next item, so a server that is killed loses none that a rater saw accepted, and a
restarted one resumes every rater at the first item of their order without an answer.

The rules, each an AnswerError of its own (the server's HTTP status in brackets):
  InvalidAnswer (400): a rater id that is not 1-64 of [A-Za-z0-9._@-] starting with a letter
    or digit, a score that is not an integer from 1 to 5, an `input` other than key/click;
  UnknownItem (404): an item id the study does not have;
  Duplicate (409): a second answer of a rater for an item;
  OutOfOrder (409): an answer for an item that is not the rater's next one (calibration
    comes first, the order is the study's).
The check and the insert happen in one write transaction (BEGIN IMMEDIATE), so two requests
racing for the same (rater, item) store one answer, whichever threads or processes send them.
"""
import contextlib
import dataclasses
import datetime
import pathlib
import re
import sqlite3
from typing import Sequence

from sr_jax.mos import study as study_lib

SCORES = range(1, 6)
INPUTS = ("key", "click")
RATER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")

_SCHEMA = ("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", """
CREATE TABLE IF NOT EXISTS answers (
  rater TEXT NOT NULL,
  item TEXT NOT NULL,
  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  position INTEGER NOT NULL,  -- 0-based, in the rater's order (calibration first)
  input TEXT NOT NULL,  -- key or click
  answered_at TEXT NOT NULL,  -- ISO 8601, UTC
  PRIMARY KEY (rater, item)
)""")


class AnswerError(ValueError):
  status = 400


class InvalidAnswer(AnswerError):
  status = 400


class UnknownItem(AnswerError):
  status = 404


class Duplicate(AnswerError):
  status = 409


class OutOfOrder(AnswerError):
  status = 409


@dataclasses.dataclass(frozen=True)
class Answer:
  rater: str
  item: str
  score: int
  position: int
  input: str
  answered_at: str


def check_rater(rater) -> str:
  if not isinstance(rater, str) or not RATER_ID.fullmatch(rater):
    raise InvalidAnswer("the rater id must be 1-64 letters, digits or . _ @ -, starting with a "
                        "letter or digit")
  return rater


def check_score(score) -> int:
  if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
    raise InvalidAnswer(f"score {score!r} is out of range: give an integer from 1 to 5")
  return score


class Answers:
  """The study's answers. Each call opens its own connection: safe from any thread."""

  def __init__(self, path, study_id: str, create: bool = True):
    """The answers at `path`, created (with create) when missing; StudyError when they are
    missing (without create) or belong to another study."""
    self.path = str(path)
    if create:
      db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
      try:
        db.execute("PRAGMA journal_mode=WAL")  # kept in the file: every later connection has it
      finally:
        db.close()
      with self._transaction() as db:
        for statement in _SCHEMA:
          db.execute(statement)
        db.execute("INSERT OR IGNORE INTO meta VALUES ('study_id', ?)", (study_id,))
    elif not pathlib.Path(path).is_file():
      raise study_lib.StudyError(f"{path}: no answers yet (python -m sr_jax.mos serve collects "
                                 "them)")
    db = self._connect()
    try:
      stored = db.execute("SELECT value FROM meta WHERE key = 'study_id'").fetchone()[0]
    finally:
      db.close()
    if stored != study_id:
      raise study_lib.StudyError(f"{path}: holds the answers of another study ({stored}, not "
                                 f"{study_id} as study.json says)")

  def _connect(self) -> sqlite3.Connection:
    db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the rater moves on
    return db

  @contextlib.contextmanager
  def _transaction(self):
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on an exception; then the connection closes."""
    db = self._connect()
    try:
      db.execute("BEGIN IMMEDIATE")
      try:
        yield db
      except BaseException:
        db.execute("ROLLBACK")
        raise
      db.execute("COMMIT")
    finally:
      db.close()

  def answered(self, rater: str) -> set[str]:
    db = self._connect()
    try:
      return {row[0] for row in db.execute("SELECT item FROM answers WHERE rater = ?", (rater,))}
    finally:
      db.close()

  def add(self, rater, item, score, input_, order: Sequence[str]) -> int:
    """Stores one answer after checking every rule (module docstring) inside the transaction;
    returns its position. `order`: the rater's order (Study.order)."""
    check_rater(rater)
    check_score(score)
    if input_ not in INPUTS:
      raise InvalidAnswer(f"input {input_!r}: give one of {', '.join(INPUTS)}")
    if not isinstance(item, str) or item not in order:
      raise UnknownItem(f"no item {item!r} in this study")
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    with self._transaction() as db:
      done = {row[0] for row in db.execute("SELECT item FROM answers WHERE rater = ?", (rater,))}
      if item in done:
        raise Duplicate(f"rater {rater} has already answered item {item}")
      position = next(i for i, x in enumerate(order) if x not in done)
      if order[position] != item:
        raise OutOfOrder(f"item {item} is not rater {rater}'s next item ({position + 1} of "
                         f"{len(order)}): reload the page")
      db.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?)",
                 (rater, item, score, position, input_, now))
    return position

  def all(self) -> list[Answer]:
    db = self._connect()
    try:
      rows = db.execute("SELECT rater, item, score, position, input, answered_at FROM answers "
                        "ORDER BY rater, position").fetchall()
    finally:
      db.close()
    return [Answer(*row) for row in rows]
