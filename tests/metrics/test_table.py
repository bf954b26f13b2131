"""The paper table: exact Markdown and LaTeX for a small case (bold, ties, directions, gaps)."""
import pytest

from sr_jax.metrics import table

ROWS = [
    {"method": "Bicubic", "set": "Set5", "scale": 4,
     "metrics": {"psnr_y": 28.42, "ssim_y": 0.8104}},
    {"method": "EDSR", "set": "Set5", "scale": 4,
     "metrics": {"psnr_y": 32.46, "ssim_y": 0.89678}},
    # 0.89681 prints as 0.8968 too: a printed tie, both bold. 30.454 prints 30.45.
    {"method": "ESR_GAN", "set": "Set5", "scale": 4, "metrics": {"psnr_y": 30.454,
                                                                 "ssim_y": 0.89681}},
    {"method": "Bicubic", "set": "Set5", "scale": 4, "metrics": {"niqe": 7.32}},  # merged
    {"method": "EDSR", "set": "Set5", "scale": 4, "metrics": {"niqe": 5.1}},
    {"method": "ESR_GAN", "set": "Set5", "scale": 4, "metrics": {"niqe": 3.76}},
    {"method": "Bicubic", "set": "Set14", "scale": 4,
     "metrics": {"psnr_y": 26.0, "ssim_y": 0.7027}},
    {"method": "EDSR", "set": "Set14", "scale": 4,
     "metrics": {"psnr_y": 28.8, "ssim_y": 0.7876, "niqe": float("nan")}},
    {"method": "Bicubic", "set": "Set5", "scale": 2,
     "metrics": {"psnr_y": 33.66, "ssim_y": 0.9299}},
    {"method": "EDSR", "set": "Set5", "scale": 2,
     "metrics": {"psnr_y": 38.11, "ssim_y": 0.9602}},
]

MARKDOWN = """\
| Method | Scale | Set5 PSNR-Y ↑ | Set5 SSIM-Y ↑ | Set5 NIQE ↓ | Set14 PSNR-Y ↑ | Set14 SSIM-Y ↑ | Set14 NIQE ↓ |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
| Bicubic | ×2 | 33.66 | 0.9299 | – | – | – | – |
| EDSR | ×2 | **38.11** | **0.9602** | – | – | – | – |
| Bicubic | ×4 | 28.42 | 0.8104 | 7.320 | 26.00 | 0.7027 | – |
| EDSR | ×4 | **32.46** | **0.8968** | 5.100 | **28.80** | **0.7876** | – |
| ESR_GAN | ×4 | 30.45 | **0.8968** | **3.760** | – | – | – |
"""

LATEX = r"""\begin{tabular}{llrrrrrr}
\toprule
 & & \multicolumn{3}{c}{Set5} & \multicolumn{3}{c}{Set14} \\
\cmidrule(lr){3-5} \cmidrule(lr){6-8}
Method & Scale & PSNR-Y $\uparrow$ & SSIM-Y $\uparrow$ & NIQE $\downarrow$ & PSNR-Y $\uparrow$ & SSIM-Y $\uparrow$ & NIQE $\downarrow$ \\
\midrule
Bicubic & $\times$2 & 33.66 & 0.9299 & -- & -- & -- & -- \\
EDSR & $\times$2 & \textbf{38.11} & \textbf{0.9602} & -- & -- & -- & -- \\
\midrule
Bicubic & $\times$4 & 28.42 & 0.8104 & 7.320 & 26.00 & 0.7027 & -- \\
EDSR & $\times$4 & \textbf{32.46} & \textbf{0.8968} & 5.100 & \textbf{28.80} & \textbf{0.7876} & -- \\
ESR\_GAN & $\times$4 & 30.45 & \textbf{0.8968} & \textbf{3.760} & -- & -- & -- \\
\bottomrule
\end{tabular}
"""


def test_markdown_exact():
  assert table.to_markdown(ROWS) == MARKDOWN


def test_latex_exact():
  assert table.to_latex(ROWS) == LATEX


def test_lower_is_better_for_lpips_and_a_lone_value_is_not_bold():
  rows = [{"method": "A", "set": "S", "scale": 4, "metrics": {"lpips": 0.2, "ifc": 2.0}},
          {"method": "B", "set": "S", "scale": 4, "metrics": {"lpips": 0.1}}]
  assert table.to_markdown(rows).splitlines()[2:] == [
      "| A | ×4 | 0.2000 | 2.000 |",
      "| B | ×4 | **0.1000** | – |",
  ]


def test_column_selection_and_order():
  md = table.to_markdown(ROWS, sets=["Set14"], metrics=["ssim_y"])
  assert md.splitlines()[0] == "| Method | Scale | Set14 SSIM-Y ↑ |"
  assert md.splitlines()[-1] == "| ESR_GAN | ×4 | – |"


def test_conflicting_duplicates_raise():
  rows = ROWS[:1] + [{"method": "Bicubic", "set": "Set5", "scale": 4, "metrics": {"psnr_y": 1.0}}]
  with pytest.raises(ValueError, match="psnr_y"):
    table.build(rows)
