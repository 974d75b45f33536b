"""Runs one benchmark cell, a function of `suite_cells`, in its own process.

Peak memory (`ru_maxrss`) is a whole process's, so every cell runs alone in
a fresh Python, and the parent, which never imports TensorFlow, stays light:

    figures = cell_process.run("train", dict(family="glow", ...), steps=10)

The child is this file: `python cell_process.py KIND KWARGS_JSON STEPS OUT`.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(kind, kwargs, steps, env=None):
  """`suite_cells.<kind>(steps=steps, **kwargs)` in a child process.

  `env` adds to the child's environment. Returns the figures with
  `cell_wall_s` (the child's whole life), or, if it failed, `{"error":
  [last line of its stderr], "stderr_tail": ...}`.
  """
  with tempfile.TemporaryDirectory() as scratch:
    output = os.path.join(scratch, "figures.json")
    command = [sys.executable, os.path.abspath(__file__), kind,
               json.dumps(kwargs), str(steps), output]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(
                   [_ROOT] + os.environ.get("PYTHONPATH", "").split(
                       os.pathsep)), **(env or {}))
    start = time.perf_counter()
    process = subprocess.run(command, env=env, capture_output=True,
                             text=True, check=False)
    wall = time.perf_counter() - start
    if process.returncode != 0:
      return {"error": process.stderr.strip().splitlines()[-1:],
              "stderr_tail": process.stderr[-3000:], "cell_wall_s": wall}
    with open(output) as f:
      figures = json.load(f)
  figures["cell_wall_s"] = wall
  return figures


def _main(kind, kwargs_json, steps, output):
  os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
  from bench import suite_cells  # pylint: disable=g-import-not-at-top
  figures = getattr(suite_cells, kind)(steps=int(steps),
                                       **json.loads(kwargs_json))
  with open(output, "w") as f:
    json.dump(figures, f)


if __name__ == "__main__":
  _main(*sys.argv[1:])
