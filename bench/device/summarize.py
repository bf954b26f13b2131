"""Part d of bench/device/run.sh: OUT/summary.json and OUT/summary.md from what OUT holds.

python bench/device/summarize.py OUT [--smoke=0|1] [--torch_note=TEXT]

Reads OUT/parts.tsv (name, status, seconds, file, note: one line per part run.sh started or
skipped), each part's bench JSON or training workdir, OUT/versions.json and OUT/nvidia-smi.txt.
Every part of parts.tsv gets an entry with a `result` (its numbers, or why there are none).
"""
import argparse
import datetime
import json
import pathlib


def _bench(path: pathlib.Path, torch_note: str) -> dict:
  r = json.loads(path.read_text())
  out = {"device": r.get("device"), "backend": r.get("backend"), "model": r.get("model"),
         "batch": r.get("batch"), "lr_patch": r.get("lr_patch"), "overrides": r.get("overrides"),
         "compile_s": r.get("compile_s"), "peak_memory_bytes": r.get("peak_memory_bytes"),
         "input_patches_per_s": r.get("input_patches_per_s")}
  for mode, s in (r.get("step") or {}).items():
    out[f"jax_{mode}"] = {k: s.get(k) for k in ("steps_per_s", "patches_per_s", "tflops_per_s")}
  if r.get("torch"):
    out["torch"] = {v: {k: t.get(k) for k in ("steps_per_s", "patches_per_s", "jax_over_torch")}
                    for v, t in r["torch"].items()}
  elif torch_note:
    out["torch"] = torch_note
  return out


def _train(workdir: pathlib.Path, plan: pathlib.Path) -> dict:
  out = {"plan": json.loads(plan.read_text()) if plan.exists() else None}
  metrics = workdir / "metrics.jsonl"
  if not metrics.exists():
    out["error"] = "no metrics.jsonl"
    return out
  rows = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
  train = [r for r in rows if "train/loss" in r]
  val = [r for r in rows if any(k.startswith("val/") for k in r)]
  rates = [r["steps_per_sec"] for r in rows if "steps_per_sec" in r]
  out.update(
      last_step=max((r["step"] for r in rows), default=0),
      train_seconds=(rows[-1]["time"] - rows[0]["time"]) if len(rows) > 1 else 0.0,
      last_train_loss=train[-1]["train/loss"] if train else None,
      last_steps_per_s=rates[-1] if rates else None,
      validation=[{"step": r["step"], **{k[4:]: v for k, v in r.items() if k.startswith("val/")}}
                  for r in val],
      done=(workdir / "DONE").exists())
  return out


def main():
  p = argparse.ArgumentParser()
  p.add_argument("out")
  p.add_argument("--smoke", type=int, default=0)
  p.add_argument("--torch_note", default="")
  args = p.parse_args()
  out = pathlib.Path(args.out)
  parts = {}
  for line in (out / "parts.tsv").read_text().splitlines():
    if not line.strip():
      continue
    name, status, seconds, file, note = (line.split("\t") + [""] * 5)[:5]
    entry = {"status": status, "seconds": int(seconds or 0), "file": file or None}
    if note:
      entry["note"] = note
    path = out / file if file else None
    try:
      if status.startswith("skipped"):
        entry["result"] = status
      elif name == "install":
        entry["result"] = note or status
      elif path and path.is_dir():
        entry["result"] = _train(path, out / f"{file}_plan.json")
      elif path and path.is_file():
        entry["result"] = _bench(path, args.torch_note)
      else:
        entry["result"] = f"none: {status}, nothing written (logs/{name}.log)"
    except Exception as e:  # pylint: disable=broad-except
      entry["result"] = f"unreadable: {type(e).__name__}: {e}"
    parts[name] = entry
  versions = out / "versions.json"
  smi = out / "nvidia-smi.txt"
  benches = [e["result"] for e in parts.values()
             if isinstance(e["result"], dict) and "backend" in e["result"]]
  summary = {
      "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
      "smoke": bool(args.smoke),
      "versions": json.loads(versions.read_text()) if versions.exists() and versions.stat().st_size
                  else None,
      "device": ({k: benches[0][k] for k in ("device", "backend")} if benches else None),
      "nvidia_smi": smi.read_text() if smi.exists() else None,
      "parts": parts,
  }
  (out / "summary.json").write_text(json.dumps(summary, indent=1))
  (out / "summary.md").write_text(_markdown(summary))


def _f(x, fmt="{:.3g}"):
  return "—" if x is None else fmt.format(x)


def _markdown(s: dict) -> str:
  v = s["versions"] or {}
  lines = [f"# bench/device run, {s['date']}{' (CPU smoke)' if s['smoke'] else ''}", "",
           "Versions: " + ", ".join(f"{k} {v[k]}" for k in ("python", "jax", "jaxlib", "flax",
                                                          "torch") if k in v),
           f"Device: {s['device'] or '—'}", "",
           "| part | status | s | result |", "|---|---|---|---|"]
  for name, e in s["parts"].items():
    r = e["result"]
    if isinstance(r, dict) and "compile_s" in r:
      text = (f"{r['model']} b{r['batch']} LR{r['lr_patch']}: compile {_f(r['compile_s'])} s, JAX "
              + ", ".join(f"{m[4:]} {_f(r[m]['steps_per_s'])} steps/s "
                          f"({_f(r[m]['tflops_per_s'])} TFLOP/s)"
                          for m in ("jax_random", "jax_real") if m in r))
      if isinstance(r.get("torch"), dict):
        text += "; torch " + ", ".join(f"{k} {_f(t['steps_per_s'])} steps/s (JAX/torch "
                                        f"{_f(t['jax_over_torch'])})" for k, t in r["torch"].items())
      elif r.get("torch"):
        text += f"; torch {r['torch']}"
    elif isinstance(r, dict) and "last_step" in r:
      val = r["validation"][-1] if r["validation"] else {}
      text = (f"step {r['last_step']} in {_f(r['train_seconds'], '{:.0f}')} s, loss "
              f"{_f(r['last_train_loss'])}; " + ", ".join(
                  f"{k} {_f(x, '{:.3f}')}" for k, x in val.items() if k.endswith("psnr_y")))
    elif isinstance(r, dict):
      text = json.dumps(r)
    else:
      text = str(r)
    lines.append(f"| {name} | {e['status']} | {e['seconds']} | {text} |")
  if s["nvidia_smi"]:
    lines += ["", "```", s["nvidia_smi"].rstrip(), "```"]
  return "\n".join(lines) + "\n"


if __name__ == "__main__":
  main()
