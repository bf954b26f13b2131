"""What a finished (or stopped) run achieved, in a few lines for the console.

The best validation PSNR-Y / SSIM-Y of each set (from the run's metrics.jsonl, so a resumed run
counts its earlier sessions) beside the MATLAB-bicubic baseline on the same images, where the
checkpoints are, and the command that upscales a photo with the run.
"""
import json

from etils import epath
import numpy as np

from sr_jax.metrics import benchmark
from sr_jax.train import checkpoint, sharding


def best_validation(workdir) -> dict[str, dict]:
  """{set: {'psnr_y', 'ssim_y', 'step'}} at each set's best PSNR-Y in metrics.jsonl."""
  path = epath.Path(workdir) / "metrics.jsonl"
  best = {}
  if not path.exists():
    return best
  for line in path.read_text().splitlines():
    row = json.loads(line)
    for key, value in row.items():
      if key.startswith("val/") and key.endswith("/psnr_y"):
        name = key[len("val/"):-len("/psnr_y")]
        if name not in best or value > best[name]["psnr_y"]:
          best[name] = {"psnr_y": value, "ssim_y": row.get(f"val/{name}/ssim_y", np.nan),
                        "step": row["step"]}
  return best


def bicubic_scores(val_sets: dict, scale: int, config) -> dict[str, dict]:
  """{set: mean metrics} of the MATLAB-bicubic baseline on the validation samples, on this
  process's devices (process 0 computes it alone)."""
  bench = benchmark.Benchmark(val_sets, scale, config.val.pad_multiple, config.val.batch_size,
                              sharding.local_mesh())
  results, _ = bench.run(bench.compile(benchmark.bicubic_predict(scale)), {})
  return {name: r["mean"] for name, r in results.items()}


def report(config, workdir) -> str:
  """The summary of a run that reached config.train.num_steps (process 0 calls it); the run's
  model card gets what it was trained on and how it validated."""
  from sr_jax.train import trainer  # pylint: disable=g-import-not-at-top  (trainer imports this)
  bicubic = bicubic_scores(trainer.load_validation_sets(config), config.scale, config)
  best = best_validation(workdir)
  card = checkpoint.read_card(workdir)
  card.update(source=str(workdir), architecture=config.model.name, model=dict(config.model),
              scale=config.scale, channels=config.channels, steps=config.train.num_steps,
              training_data=(list(config.data.dirs) if config.data.source == "folder"
                             else config.data.source),
              validation={name: {**b, "bicubic_psnr_y": bicubic.get(name, {}).get("psnr_y")}
                          for name, b in best.items()})
  checkpoint.write_card(workdir, card)
  return render(workdir, best, bicubic, config.train.num_steps)


def render(workdir, best: dict, bicubic: dict, steps: int) -> str:
  lines = [f"Trained to step {steps}. Validation, best PSNR-Y / SSIM-Y (at step) vs bicubic:"]
  for name, b in best.items():
    base = bicubic.get(name, {})
    lines.append(f"  {name:<12} {b['psnr_y']:6.2f} dB / {b['ssim_y']:.4f} (step {b['step']})"
                 f"   bicubic {base.get('psnr_y', np.nan):6.2f} dB / "
                 f"{base.get('ssim_y', np.nan):.4f}")
  lines += [f"Checkpoints: {checkpoint.checkpoint_dir(workdir)}",
            f"Upscale a photo: python -m sr_jax.upscale --workdir={workdir} --input=PHOTO.png "
            "--output=upscaled/"]
  return "\n".join(lines)
