"""Command-line plumbing shared by the `bin/` tools (kept out of `bin/`).

`bazel run` starts programs in their runfiles folder; the user's relative
paths are resolved against the folder they ran bazel from.
"""

import os

from tfp_flows import configs
from tfp_flows import models
from tfp_flows.training import workdir as workdir_lib

_CONFIG_FLAG = "--config"


def log(message):
  """Progress for people watching a terminal or a CI log: unbuffered."""
  print(message, flush=True)


def user_path(path):
  """Resolves `path` as the user meant it (relative to where they ran bazel)."""
  if not path:
    return path
  path = os.path.expanduser(path)
  if os.path.isabs(path):
    return path
  base = os.environ.get("BUILD_WORKING_DIRECTORY", os.getcwd())
  return os.path.join(base, path)


def preset_file(family):
  """The packaged config file of `family` (so `--model` needs no repo)."""
  models.registry.family(family)  # Clear error for unknown/pending families.
  return os.path.join(os.path.dirname(configs.__file__), f"{family}.py")


def rewrite_config_args(argv, log=log):
  """Prepares argv for `config_flags`: `--model` default, user-relative paths.

  Without `--config`, `--model=NAME` (default glow) selects NAME's default
  preset, and `--config.x=y` overrides still apply. With both, `--config` wins
  and this says so. A relative `--config` path that exists where the user ran
  bazel is made absolute; otherwise it is left for the runfiles folder
  (`configs/glow.py` ships with the tools).
  """
  model = _flag_value(argv, "--model") or "glow"
  config = _flag_value(argv, _CONFIG_FLAG)
  argv = list(argv)
  # `--config` must precede `--config.x=y`: parsing it defines those flags.
  if config is None:
    return argv[:1] + [f"{_CONFIG_FLAG}={preset_file(model)}:default"] + argv[1:]
  if _flag_value(argv, "--model") is not None:
    log(f"Both --model={model} and --config={config} given: --config wins.")
  path, _, preset = config.partition(":")
  candidate = user_path(path)
  if not os.path.isabs(path) and os.path.exists(candidate):
    argv = _without_flag(argv, _CONFIG_FLAG)
    argv.insert(1, f"{_CONFIG_FLAG}={candidate}" +
                (f":{preset}" if preset else ""))
  return argv


def apply_overrides(config, steps=None, dataset=None, data_dir=None):
  """The shortcut flags `--steps`, `--dataset`, `--data_dir`."""
  if steps is not None:
    config.train.steps = int(steps)
  if dataset:
    config.data.dataset = _dataset_spec(dataset)
  if data_dir:
    config.data.data_dir = user_path(data_dir)
  return config


def workdir_for(workdir, config, log=log):
  if workdir:
    return user_path(workdir)
  path = workdir_lib.default_workdir(config.model.name)
  log(f"No --workdir given: using {path} (re-running resumes this run).")
  return path


def _dataset_spec(spec):
  for prefix in ("images:", "npz:"):
    if spec.startswith(prefix):
      return prefix + user_path(spec[len(prefix):])
  return spec


def _without_flag(argv, name):
  """`argv` without `name=value` or `name value`."""
  kept, skip_value = [], False
  for arg in argv:
    if skip_value:
      skip_value = False
    elif arg == name:
      skip_value = True
    elif not arg.startswith(name + "="):
      kept.append(arg)
  return kept


def _flag_value(argv, name):
  for i, arg in enumerate(argv):
    if arg.startswith(name + "="):
      return arg[len(name) + 1:]
    if arg == name and i + 1 < len(argv):
      return argv[i + 1]
  return None


def exit_on_user_error(fn, *args, **kwargs):
  """Runs `fn`; a user error (bad data, config, workdir) exits with its message.

  These errors name the problem already; a traceback would bury it.
  """
  try:
    return fn(*args, **kwargs)
  except (ValueError, NotImplementedError) as error:
    raise SystemExit(f"error: {error}") from None
