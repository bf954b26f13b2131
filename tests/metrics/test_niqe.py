"""NIQE against the MATLAB release's value, and its statistical building blocks."""
import numpy as np
import pytest
from PIL import Image

from sr_jax.metrics import niqe


@pytest.fixture
def params():
  return niqe.load_params()  # the parameters that ship with sr_jax


def test_shipped_parameters_are_the_niqe_authors(shared_data, params):
  with np.load(shared_data("niqe", "niqe_pris_params.npz")) as reference:  # BasicSR's copy
    assert sorted(reference) == sorted(params)
    for key in reference:
      np.testing.assert_array_equal(params[key], reference[key])


@pytest.fixture
def baboon(shared_data):
  return np.asarray(Image.open(shared_data("Set14", "HR", "baboon.png")).convert("RGB"))


def test_baboon_matches_matlab(baboon, params):
  # MATLAB niqe_release on baboon (480×492, Y, no border crop): 5.7296.
  assert niqe.calculate_niqe(baboon[:, :492], 0, params) == pytest.approx(5.7296, abs=5e-4)


def test_crop_border_and_cli(baboon, params, shared_data, capsys):
  y = niqe.rgb_to_y_u8(baboon)
  assert y.min() >= 16 and y.max() <= 235 and np.all(y == np.round(y))
  assert niqe.calculate_niqe(baboon, 4, params) == pytest.approx(niqe.niqe(y[4:-4, 4:-4], params))
  niqe.main([str(shared_data("Set14", "HR", "baboon.png")), "--crop_border=0"])
  # 500 columns → the same five 96-pixel block columns as 492.
  assert float(capsys.readouterr().out) == pytest.approx(5.7296, abs=5e-4)


@pytest.mark.parametrize("dist, alpha", [("normal", 2.0), ("laplace", 1.0)])
def test_aggd_fit_recovers_shape(dist, alpha):
  x = getattr(np.random.default_rng(0), dist)(size=200_000)
  fitted, beta_l, beta_r = niqe.aggd_fit(x)
  assert fitted == pytest.approx(alpha, abs=0.03)
  assert beta_l == pytest.approx(beta_r, rel=0.02)


def test_missing_params_file(tmp_path, monkeypatch):
  monkeypatch.setenv("SR_JAX_NIQE_PARAMS", str(tmp_path / "none.npz"))
  with pytest.raises(FileNotFoundError, match="SR_JAX_NIQE_PARAMS"):
    niqe.load_params()
