"""Where a benchmark's figures go: printed, and written to bench/results/."""

import json
import os


def default_path(name):
  """`bench/results/<name>.json` in the workspace."""
  return os.path.join(
      os.environ.get("BUILD_WORKSPACE_DIRECTORY",
                     os.path.dirname(os.path.dirname(os.path.abspath(
                         __file__)))),
      "bench", "results", f"{name}.json")


def report(results, name, output=None):
  """Prints `results` and writes them to `output` (default
  `default_path(name)`); returns the path."""
  print(json.dumps(results, indent=2))
  output = output or default_path(name)
  os.makedirs(os.path.dirname(output), exist_ok=True)
  with open(output, "w") as f:
    json.dump(results, f, indent=2)
  print(f"Wrote {output}")
  return output
