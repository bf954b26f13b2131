import json

import pytest


def test_zoo_json_row_for_espcn(run_cli):
  result = run_cli("sr_jax.zoo", "--models=espcn", "--scales=2", "--json", "--time", "--repeats=1")
  assert result.returncode == 0, result.stderr[-2000:]
  (row,) = [json.loads(line) for line in result.stdout.splitlines()]
  assert row["model"] == "espcn" and row["scale"] == 2
  assert row["params"] == 5 * 5 * 3 * 64 + 64 + 3 * 3 * 64 * 32 + 32 + 3 * 3 * 32 * 12 + 12
  # Two FLOPs per multiply-add of the three convolutions, at every one of 320×180 LR pixels.
  macs = (5 * 5 * 3 * 64 + 3 * 3 * 64 * 32 + 3 * 3 * 32 * 12) * 320 * 180
  assert row["gflops"] == pytest.approx(2 * macs / 1e9, rel=0.02)
  assert row["time_ms"] > 0


def test_zoo_table(run_cli):
  # In a child process: importing sr_jax.zoo here would define its flags in pytest's process.
  result = run_cli("sr_jax.zoo", "--models=fsrcnn", "--scales=3", "--lr_size=16,8")
  assert result.returncode == 0, result.stderr[-2000:]
  header, row, footer = result.stdout.splitlines()
  assert header.split()[:4] == ["model", "scale", "params", "GFLOPs"]
  assert row.split()[:3] == ["fsrcnn", "x3", "24,683"] and row.split()[-1] == "-"
  assert "16x8" in footer
