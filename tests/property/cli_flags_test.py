"""Properties of the tools' flag handling: every bad flag is a ConfigError.

Each example parses a command line the way `cli.run` does (`parse_flags`,
then `apply_overrides`) into fresh flags shaped like bin/train's, and checks
that a bad value or key stops it with a `ConfigError` naming the flag.
"""

import re
import string

from absl import flags
import hypothesis
from hypothesis import strategies as st
import ml_collections
from ml_collections import config_flags
import tensorflow as tf

from tests.property import strategies
from tfp_flows import errors
from tfp_flows import models
from tfp_flows.training import cli

# Flags and config keys by the parser of their values.
INTEGER_FLAGS = ("--steps", "--config.train.steps", "--config.train.batch_size",
                 "--config.train.init_batch_size", "--config.train.seed",
                 "--config.data.n_bits", "--config.eval.batch_size")
FLOAT_FLAGS = ("--config.train.learning_rate", "--config.train.ema_decay",
               "--config.train.grad_clip_norm")
BOOLEAN_FLAGS = ("--config.train.jit_compile",)
PARSERS = {**{f: flags.IntegerParser() for f in INTEGER_FLAGS},
           **{f: flags.FloatParser() for f in FLOAT_FLAGS},
           **{f: flags.BooleanParser() for f in BOOLEAN_FLAGS}}
# Values that parse but that no run can use, by flag.
OUT_OF_RANGE = {
    "--steps": st.integers(max_value=0),
    "--config.train.steps": st.integers(max_value=0),
    "--config.train.batch_size": st.integers(max_value=0),
    "--config.train.init_batch_size": st.integers(max_value=0),
    "--config.eval.batch_size": st.integers(max_value=0),
    "--config.data.n_bits": st.integers().filter(lambda n: not 1 <= n <= 8),
    "--config.train.learning_rate": st.floats(max_value=0.0) | st.just(
        float("nan")),
}
KEY = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
_CONFIG = models.get_config("glow")


def _sections(config, path=()):
  """`(key path, section)` of `config`'s ConfigDicts, itself first."""
  yield path, config
  for key, value in config.items():
    if isinstance(value, ml_collections.ConfigDict):
      yield from _sections(value, path + (key,))


SECTIONS = list(_sections(_CONFIG))


def _train_flags():
  """Fresh flags shaped like bin/train's."""
  flag_values = flags.FlagValues()
  flags.DEFINE_string("model", None, "Model family.", flag_values=flag_values)
  config_flags.DEFINE_config_file("config", None, "Config file and preset.",
                                  flag_values=flag_values)
  flags.DEFINE_integer("steps", None, "Overrides config.train.steps.",
                       flag_values=flag_values)
  return flag_values


def _parse(*args):
  """The config `cli.run` would hand to the tool's main."""
  flag_values = _train_flags()
  cli.parse_flags(["train", *args], flag_values=flag_values)
  return cli.apply_overrides(flag_values.config, steps=flag_values.steps)


def _does_not_parse(flag):
  def check(value):
    try:
      PARSERS[flag].parse(value)
    except ValueError:
      return True
    return False
  return check


class CliFlagsPropertyTest(tf.test.TestCase):

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_a_value_of_the_wrong_type_is_a_config_error(self, data):
    flag = data.draw(st.sampled_from(sorted(PARSERS)), label="flag")
    value = data.draw(st.text(string.ascii_letters + string.punctuation + " ",
                              max_size=12).filter(_does_not_parse(flag)),
                      label="value")
    with self.assertRaisesRegex(errors.ConfigError,
                                f"^flag {re.escape(flag)}="):
      _parse(f"{flag}={value}")

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_a_key_the_config_lacks_is_a_config_error(self, data):
    path, section = data.draw(st.sampled_from(SECTIONS), label="section")
    key = data.draw(KEY.filter(lambda k: k not in section), label="key")
    flag = ".".join(("--config",) + path + (key,))
    with self.assertRaisesRegex(errors.ConfigError,
                                f"^{re.escape(flag)}: no such key"):
      _parse(f"{flag}=1")

  @strategies.SETTINGS
  @hypothesis.given(KEY.filter(lambda m: m not in models.family_names()))
  def test_an_unknown_model_is_a_config_error(self, model):
    with self.assertRaisesRegex(errors.ConfigError, f"Unknown model '{model}'"):
      _parse(f"--model={model}")

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_an_out_of_range_value_is_a_config_error(self, data):
    flag = data.draw(st.sampled_from(sorted(OUT_OF_RANGE)), label="flag")
    value = data.draw(OUT_OF_RANGE[flag], label="value")
    with self.assertRaisesRegex(errors.ConfigError, re.escape(flag)):
      _parse(f"{flag}={value}")


if __name__ == "__main__":
  tf.test.main()
