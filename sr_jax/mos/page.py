"""The rating page: one HTML file with its style and script, served at / by server.py.

The rater enters an id (remembered in the browser for the next visit; the server keeps the
answers, so the same id resumes anywhere), then sees one image at a time at its own size on a
mid-gray page, calibration first with the score it is an example of, and scores it with the
keys 1-5 or the buttons. Keys and buttons work only once the image has loaded and until the
answer is accepted. The server's refusals ({"error": …}) and an unreachable server are shown
under the image; nothing is lost, the rater tries again. body[data-state] is login, loading,
ready, sending or finished, and body[data-item] the item shown: what the browser test waits on.

Nothing here or in the API's answers names a method or a source image.
"""

HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Image quality rating</title>
<style>
  body { margin: 0; background: #808080; color: #111; font: 16px/1.4 system-ui, sans-serif; }
  main { padding: 16px; }
  section[hidden], p[hidden] { display: none; }
  #login, #done { max-width: 40em; background: #eee; padding: 16px 24px; border-radius: 6px; }
  .bar { display: flex; gap: 12px; align-items: center; margin-bottom: 8px; }
  #anchor { background: #ffe9a8; padding: 6px 10px; border-radius: 4px; display: inline-block; }
  .frame { overflow: auto; margin: 8px 0; }
  #image { display: block; max-width: none; }
  #scores button { font-size: 18px; min-width: 6.5em; padding: 6px 10px; margin-right: 6px; }
  #scores small { display: block; font-size: 12px; }
  #error { background: #fdd; border: 1px solid #b00; padding: 6px 10px; border-radius: 4px; }
</style>
</head>
<body data-state="login">
<main>
<section id="login">
  <h1>Image quality rating</h1>
  <p>You will see images one at a time. Rate the quality of each from 1 (bad) to 5
  (excellent) with the keys 1&ndash;5 or the buttons under the image. The first images are
  calibration examples, each shown with the score it stands for.</p>
  <form id="login-form">
    <label>Rater ID <input id="rater" autocomplete="off" required maxlength="64"></label>
    <button id="start" type="submit">Start</button>
  </form>
  <p>To continue later, come back with the same ID: your answers are kept.</p>
</section>
<section id="rate" hidden>
  <div class="bar"><strong id="progress"></strong><progress id="progress-bar"></progress>
    <span id="who"></span></div>
  <p id="anchor" hidden></p>
  <div class="frame"><img id="image" alt="the image to rate"></div>
  <div id="scores">
    <button type="button" data-score="1">1<small>bad</small></button>
    <button type="button" data-score="2">2<small>poor</small></button>
    <button type="button" data-score="3">3<small>fair</small></button>
    <button type="button" data-score="4">4<small>good</small></button>
    <button type="button" data-score="5">5<small>excellent</small></button>
  </div>
</section>
<section id="done" hidden><h1>Thank you</h1><p id="done-text"></p></section>
<p id="error" role="alert" hidden></p>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const LABELS = {1: "bad", 2: "poor", 3: "fair", 4: "good", 5: "excellent"};
let rater = null;
let item = null;

function setState(state) {
  document.body.dataset.state = state;
  for (const b of document.querySelectorAll("#scores button")) b.disabled = state !== "ready";
}
function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}
function view(name) {
  for (const v of ["login", "rate", "done"]) $(v).hidden = v !== name;
}

async function api(path, body) {
  const options = body === undefined ? {cache: "no-store"} : {
    method: "POST", cache: "no-store", headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body)};
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    throw Object.assign(new Error(
        "The server cannot be reached: this answer was not saved. Try again in a moment."),
        {status: 0});
  }
  let data;
  try { data = await response.json(); } catch (e) { data = {}; }
  if (!response.ok) {
    throw Object.assign(new Error(`${data.error || "refused"} (HTTP ${response.status})`),
                        {status: response.status});
  }
  return data;
}

function show(state) {
  $("progress").textContent = `${Math.min(state.done + 1, state.total)} of ${state.total}`;
  $("progress-bar").max = state.total;
  $("progress-bar").value = state.done;
  if (!state.item) {
    view("done");
    $("done-text").textContent =
        `You have rated all ${state.total} images. Thank you; you can close this page.`;
    setState("finished");
    return;
  }
  view("rate");
  const same = item !== null && item.id === state.item.id;
  item = state.item;
  document.body.dataset.item = item.id;
  $("anchor").hidden = !item.anchor;
  $("anchor").textContent = item.anchor ? `Calibration: this image is an example of score ` +
      `${item.anchor} (${LABELS[item.anchor]}). Rate it to go on.` : "";
  if (same && $("image").complete) {
    setState("ready");
    return;
  }
  setState("loading");
  $("image").src = item.src;
}

async function start(id) {
  showError("");
  try {
    const state = await api(`api/next?rater=${encodeURIComponent(id)}`);
    rater = id;
    localStorage.setItem("mos-rater", id);
    $("who").textContent = `rater ${id}`;
    show(state);
  } catch (e) {
    showError(e.message);
  }
}

async function answer(score, input) {
  if (document.body.dataset.state !== "ready") return;
  setState("sending");
  try {
    show(await api("api/answer", {rater, item: item.id, score, input}));
    showError("");
  } catch (e) {
    showError(e.message);
    if (e.status !== 409) {
      setState("ready");
      return;
    }
    try {  // answered elsewhere (another tab): go on from where the server says
      show(await api(`api/next?rater=${encodeURIComponent(rater)}`));
    } catch (e2) {
      showError(e2.message);
      setState("ready");
    }
  }
}

$("image").addEventListener("load", () => {
  if (document.body.dataset.state === "loading") setState("ready");
});
$("image").addEventListener("error", () => showError("The image did not load: reload the page."));
$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  start($("rater").value.trim());
});
for (const b of document.querySelectorAll("#scores button")) {
  b.addEventListener("click", () => answer(Number(b.dataset.score), "click"));
}
document.addEventListener("keydown", (e) => {
  if ($("rate").hidden || e.repeat || e.ctrlKey || e.metaKey || e.altKey) return;
  if (["1", "2", "3", "4", "5"].includes(e.key)) {
    e.preventDefault();
    answer(Number(e.key), "key");
  }
});
$("rater").value = localStorage.getItem("mos-rater") || "";
setState("login");
</script>
</body>
</html>
"""
