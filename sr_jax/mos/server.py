"""The rating server: the page (page.py) and a small JSON API on the standard library's
ThreadingHTTPServer. Nothing it serves names a method or a source image.

  GET  /                     the page
  GET  /images/<id>.png      an item's image (the manifest's ids only)
  GET  /api/next?rater=ID    {"rater", "done", "total", "item": {"id", "src", "anchor"} or null}
  POST /api/answer           {"rater", "item", "score", "input"}: stores it (store.py's rules),
                             then answers as /api/next does
Refusals are {"error": "…"} with a 4xx status: 400 a bad request or answer, 404 an unknown
item or path, 409 a duplicate or out-of-order answer, 413 a body over 4 kB.

`serve` first checks the study folder against its manifest (study.Study.open) and refuses to
start, naming the file, when an image is missing, changed or added.
"""
import http.server
import json
import re
import sys
import urllib.parse

from sr_jax import config as config_lib
from sr_jax.mos import page, store
from sr_jax.mos import study as study_lib

MAX_BODY = 4096
_IMAGE_PATH = re.compile(r"/images/([0-9a-f]+)\.png")


class Handler(http.server.BaseHTTPRequestHandler):
  """One request; make_server gives each server a subclass holding its study and answers."""
  study: study_lib.Study
  answers: store.Answers
  server_version = "sr_jax.mos"
  sys_version = ""

  def _send(self, status: int, body: bytes, content_type: str, cache: str = "no-store"):
    self.send_response(status)
    self.send_header("Content-Type", content_type)
    self.send_header("Content-Length", str(len(body)))
    self.send_header("Cache-Control", cache)
    self.send_header("X-Content-Type-Options", "nosniff")
    self.send_header("Referrer-Policy", "no-referrer")
    self.end_headers()
    self.wfile.write(body)

  def _json(self, status: int, value: dict):
    self._send(status, json.dumps(value).encode(), "application/json")

  def _state(self, rater) -> dict:
    """Where a rater is: answers given, items in all, the next item (None when done)."""
    order = self.study.order(store.check_rater(rater))
    done = self.answers.answered(rater)
    upcoming = next((item for item in order if item not in done), None)
    return {"rater": rater, "done": sum(item in done for item in order), "total": len(order),
            "item": None if upcoming is None else self.study.public(upcoming)}

  def _guarded(self, handle):
    try:
      handle()
    except store.AnswerError as e:
      self._json(e.status, {"error": str(e)})
    except Exception as e:  # pylint: disable=broad-except
      self.log_error("%s: %r", self.path, e)
      self._json(500, {"error": f"server error: {type(e).__name__}"})

  def do_GET(self):  # pylint: disable=invalid-name
    self._guarded(self._get)

  def do_POST(self):  # pylint: disable=invalid-name
    self._guarded(self._post)

  def _get(self):
    url = urllib.parse.urlsplit(self.path)
    image = _IMAGE_PATH.fullmatch(url.path)
    if url.path in ("/", "/index.html"):
      self._send(200, page.HTML.encode(), "text/html; charset=utf-8")
    elif image and image.group(1) in self.study.by_id:
      body = self.study.image_path(image.group(1)).read_bytes()
      self._send(200, body, "image/png", cache="private, max-age=86400")
    elif url.path == "/api/next":
      rater = urllib.parse.parse_qs(url.query).get("rater", [None])[0]
      self._json(200, self._state(rater))
    else:
      self._json(404, {"error": f"no such page: {url.path}"})

  def _post(self):
    if urllib.parse.urlsplit(self.path).path != "/api/answer":
      self._json(404, {"error": "no such API: POST /api/answer takes answers"})
      return
    try:
      length = int(self.headers.get("Content-Length") or 0)
    except ValueError:
      length = -1
    if not 0 < length <= MAX_BODY:
      self._json(413 if length > MAX_BODY else 400,
                 {"error": f"an answer is a JSON object of at most {MAX_BODY} bytes"})
      return
    try:
      body = json.loads(self.rfile.read(length))
    except (ValueError, UnicodeDecodeError):
      body = None
    if not isinstance(body, dict):
      raise store.InvalidAnswer('an answer is a JSON object {"rater", "item", "score", "input"}')
    rater = store.check_rater(body.get("rater"))
    self.answers.add(rater, body.get("item"), body.get("score"), body.get("input"),
                     self.study.order(rater))
    self._json(200, self._state(rater))

  def log_request(self, code="-", size="-"):
    """Only refusals and errors: the answers themselves are in the database."""
    if isinstance(code, int) and code >= 400:
      super().log_request(code, size)


class Server(http.server.ThreadingHTTPServer):
  daemon_threads = True  # a rater's open connection never holds up a stop
  allow_reuse_address = True  # a restart takes the same port at once


def make_server(study: study_lib.Study, answers: store.Answers, host: str,
                port: int) -> Server:
  handler = type("StudyHandler", (Handler,), {"study": study, "answers": answers})
  try:
    return Server((host, port), handler)
  except OSError as e:
    raise config_lib.ConfigError(f"--host={host} --port={port}: cannot listen there "
                                 f"({e.strerror or e})") from None


def serve(root, host: str = "127.0.0.1", port: int = 8000):
  """Checks the study folder, then serves it until interrupted."""
  study = study_lib.Study.open(root)
  answers = store.Answers(study.answers_path, study.manifest["study_id"])
  httpd = make_server(study, answers, host, port)
  host, port = httpd.server_address[:2]
  print(f"serving {root} at http://{host}:{port}/ : {len(study.calibration)} calibration and "
        f"{len(study.items)} rated items per rater; answers go to {study.answers_path}",
        flush=True)
  try:
    httpd.serve_forever()
  except KeyboardInterrupt:
    print("stopped", file=sys.stderr)
  finally:
    httpd.server_close()
