"""Command-line helpers shared by the launchers (imported as a sibling module)."""
import re
import shlex


def split_extra(argv):
  """Everything after the first '--' is passed through to sr_jax.main."""
  argv = list(argv)
  if "--" in argv:
    i = argv.index("--")
    return argv[:i], argv[i + 1:]
  return argv, []


def join(words) -> str:
  """shlex.join, but `--flag=value` quotes just the value: --command='cd ~ && ...'."""
  out = []
  for word in words:
    m = re.fullmatch(r"(--[A-Za-z0-9_.-]+=)(.*)", word, re.S)
    out.append(m.group(1) + shlex.quote(m.group(2)) if m else shlex.quote(word))
  return " ".join(out)
