"""Command-line plumbing shared by the `bin/` tools (kept out of `bin/`).

Every tool starts with `cli.run(main)`. A user error (an `errors.UserError`:
bad flag, config, data, workdir...) ends the tool with ONE line,
`error: <message>`, and a nonzero exit status; any other exception is a bug
and keeps its traceback. See `run` for how.

`bazel run` starts programs in their runfiles folder; the user's relative
paths are resolved against the folder they ran bazel from.
"""

import functools
import os
import re
import sys

from absl import app
from absl import flags
import ml_collections
from ml_collections.config_flags import config_path

from tfp_flows import configs
from tfp_flows import errors
from tfp_flows import models
from tfp_flows.configs import common
from tfp_flows.training import preemption
from tfp_flows.training import workdir as workdir_lib

_CONFIG_NAME = "config"
_CONFIG_FLAG = "--" + _CONFIG_NAME
_MODEL_FLAG = "--model"
_HELP_FLAGS = frozenset({"--help", "-help", "--helpshort", "--helpfull", "-?"})


def run(main, argv=None, flag_values=flags.FLAGS):
  """`app.run(main)` for the bin/ tools: user errors exit with one line.

  Two places can raise a user error, and both go through `exit_on_user_error`:

  - Flag parsing, which `app.run` delegates to `parse_flags` (its
    `flags_parser`). absl's own parser would print "FATAL Flags parsing
    error" and usage lines, and two mistakes never reach it cleanly at all:
    an unknown preset (`--config=configs/glow.py:huge`) surfaces as a
    ValueError wrapped, with its traceback pasted into the text, in an absl
    flag error; an unknown key (`--config.train.bogus=3`) makes
    ml_collections raise a bare `AttributeError: "'bogus'"` from deep inside
    absl, with a long traceback that never names the flag. Rather than guess
    from those exceptions after the fact (an AttributeError can also be a
    bug), `parse_flags` checks `--config` and its overrides first, loading
    the config with the `--config` flag's own parser, and raises
    `errors.ConfigError` naming the flag and the valid choices; only then
    does absl parse. Its own flag errors (unknown flag, bad value) become
    ConfigErrors too.
  - `main` itself (data, workdir, checkpoint errors...).

  Args:
    main: the tool's `main(argv)`.
    argv: the command line; `sys.argv` when None.
    flag_values: the flags to parse (tests pass their own `FlagValues`).
  """
  app.run(functools.partial(exit_on_user_error, main),
          argv=sys.argv if argv is None else list(argv),
          flags_parser=functools.partial(exit_on_user_error, parse_flags,
                                         flag_values=flag_values))


def parse_flags(argv, flag_values=flags.FLAGS):
  """Parses `argv` into `flag_values`; every bad flag is a `ConfigError`.

  For tools with `--config`: applies `rewrite_config_args` (`--model`,
  user-relative paths), then `check_config_args`, then lets absl and
  ml_collections parse as usual. Returns the arguments left for `main`.
  """
  try:
    # Expand --flagfile first, so the checks below see what it holds.
    argv = list(argv[:1]) + flag_values.read_flags_from_files(
        list(argv[1:]), force_gnu=False)
    if _CONFIG_NAME in flag_values:
      shown = _flag_value(argv, _CONFIG_FLAG)
      argv = rewrite_config_args(argv)
      config = check_config_args(argv, flag_values, shown=shown)
      if _HELP_FLAGS & set(argv[1:]):
        flag_values[_CONFIG_NAME].help += config_fields_help(config)
    # ml_collections reads the names of the `--config.*` overrides from
    # sys.argv, not from the argv being parsed: make them the same list.
    saved_argv, sys.argv = sys.argv, argv
    try:
      return flag_values(argv)
    finally:
      sys.argv = saved_argv
  except flags.Error as error:  # Unknown flag, bad value, missing --workdir.
    raise errors.ConfigError(
        f"{error} (--helpshort lists the flags)") from error


def config_fields_help(config):
  """`--config.*` fields of the loaded preset, one per line, for `--help`.

  ml_collections defines those overrides only while parsing, so absl's help
  would not list them; the `--config` flag's help carries them instead.
  """
  lines = ["", "Override any field with --config.<field>=<value>; the "
           "preset's fields and values:"]

  def add(section, prefix):
    for key, value in sorted(section.items()):
      if isinstance(value, ml_collections.ConfigDict):
        add(value, f"{prefix}{key}.")
      else:
        lines.append(f"  {_CONFIG_FLAG}.{prefix}{key}={value!r}")

  add(config, "")
  return "\n".join(lines)


def check_config_args(argv, flag_values=flags.FLAGS, shown=None):
  """Checks `--config=FILE[:PRESET]` and its `--config.KEY=...` overrides.

  Loads the config as absl will (with the `--config` flag's own parser, i.e.
  ml_collections' config-file loader), so that a missing file, an unknown
  preset, and any override whose key the config lacks become one
  `ConfigError` naming the flag and the valid choices. Overrides below a field
  that is not a ConfigDict (tuples, dataclasses) are left for ml_collections
  to check. An exception from the config file that is not a `UserError` is a
  bug in it and propagates unchanged.

  Args:
    argv: the command line after `rewrite_config_args`.
    flag_values: the flags, which define `--config`.
    shown: the `--config` value as the user typed it (for messages).

  Returns:
    The loaded config, or None when `argv` has no `--config`.
  """
  value = _flag_value(argv, _CONFIG_FLAG)
  if value is None:
    return None
  flag = f"{_CONFIG_FLAG}={shown or value}"
  path = value.partition(":")[0]
  if not os.path.isfile(path):
    raise errors.ConfigError(
        f"{flag}: no such config file {path!r}; pass a config file and "
        f"preset (e.g. configs/glow.py:tiny), or use {_MODEL_FLAG}")
  try:
    config = flag_values[_CONFIG_NAME].parser.parse(value)
  except Exception as error:  # pylint: disable=broad-except
    user_error = _user_error_in(error)
    if user_error is None:
      raise
    raise errors.ConfigError(f"{flag}: {user_error}") from None
  for arg in argv[1:]:
    if arg == "--":  # absl stops parsing flags here.
      break
    flag_name = arg.split("=", 1)[0]
    match = re.fullmatch(rf"--?(?:no)?{_CONFIG_NAME}\.(.*)", flag_name)
    if match:
      _check_override(config, match.group(1), flag_name)
  return config


def _check_override(config, key_path, flag_name):
  try:
    keys = config_path.split(key_path)
  except ValueError:
    raise errors.ConfigError(
        f"{flag_name}: not a config key path (e.g. "
        f"{_CONFIG_FLAG}.train.steps=100)") from None
  holder, walked = config, _CONFIG_NAME
  for key in keys:
    if isinstance(holder, ml_collections.ConfigDict):
      if key not in holder:
        raise errors.ConfigError(
            f"{flag_name}: no such key in {walked}; valid keys: "
            f"{', '.join(sorted(holder.keys()))}")
      holder, walked = holder[key], f"{walked}.{key}"
    elif holder is None or isinstance(holder, (bool, int, float, str)):
      raise errors.ConfigError(
          f"{flag_name}: {walked} is the value {holder!r}, not a section "
          f"with keys")
    else:
      return  # Tuples, dataclasses...: ml_collections checks these.


def _user_error_in(error):
  """The innermost `UserError` behind `error`, or None.

  ml_collections re-raises a config file's ValueError or TypeError as the
  same type with its traceback pasted into the message; the original, with
  the plain message, is the innermost one.
  """
  found, seen = None, set()
  while error is not None and id(error) not in seen:
    seen.add(id(error))
    if isinstance(error, errors.UserError):
      found = error
    error = error.__cause__ or error.__context__
  return found


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
  models.registry.family(family)  # A clear error for unknown families.
  return os.path.join(os.path.dirname(configs.__file__), f"{family}.py")


def rewrite_config_args(argv, log=log):
  """Prepares argv for `config_flags`: `--model` default, user-relative paths.

  Without `--config`, `--model=NAME` (default glow) selects NAME's default
  preset, and `--config.x=y` overrides still apply. With both, `--config` wins
  and this says so. A relative `--config` path that exists where the user ran
  bazel is made absolute; otherwise it is left for the runfiles folder
  (`configs/glow.py` ships with the tools).
  """
  given_model = _flag_value(argv, _MODEL_FLAG)
  model = given_model or "glow"
  config = _flag_value(argv, _CONFIG_FLAG)
  argv = list(argv)
  # `--config` must precede `--config.x=y`: parsing it defines those flags.
  if config is None:
    return argv[:1] + [f"{_CONFIG_FLAG}={preset_file(model)}:default"] + argv[1:]
  if given_model is not None:
    models.registry.family(given_model)  # A typo is an error even here.
    log(f"Both --model={model} and --config={config} given: --config wins.")
  path, _, preset = config.partition(":")
  candidate = user_path(path)
  if not os.path.isabs(path) and os.path.exists(candidate):
    argv = _without_flag(argv, _CONFIG_FLAG)
    argv.insert(1, f"{_CONFIG_FLAG}={candidate}" +
                (f":{preset}" if preset else ""))
  return argv


def apply_overrides(config, steps=None, dataset=None, data_dir=None):
  """The shortcut flags `--steps`, `--dataset`, `--data_dir`; then checks
  every value (`common.validate`), naming the flag."""
  if steps is not None:
    if steps < 1:
      raise errors.ConfigError(f"--steps={steps}: must be at least 1.")
    config.train.steps = int(steps)
  if dataset:
    config.data.dataset = _dataset_spec(dataset)
  if data_dir:
    config.data.data_dir = user_path(data_dir)
  return common.validate(config, flag_prefix=_CONFIG_FLAG + ".")


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
  """Runs `fn`; an `errors.UserError` exits with one line, `error: <message>`.

  These errors name the problem (and the fix) already; a traceback would bury
  it. Anything else, a plain ValueError or a TensorFlow error included, is a
  bug and propagates with its traceback.

  A run stopped by SIGTERM/SIGINT (`preemption.Interrupted`, after saving)
  prints its message and exits 128 + the signal's number, as a shell does;
  Ctrl-C anywhere else exits 130 with one line, not a traceback.
  """
  try:
    return fn(*args, **kwargs)
  except errors.UserError as error:
    raise SystemExit(f"error: {error}") from None
  except preemption.Interrupted as stop:
    print(stop, file=sys.stderr)
    raise SystemExit(stop.exit_code) from None
  except KeyboardInterrupt:
    print("Interrupted (Ctrl-C).", file=sys.stderr)
    raise SystemExit(130) from None
