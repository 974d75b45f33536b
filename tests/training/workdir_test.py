"""Tests for the run folder's config check (resuming)."""

import tensorflow as tf

from tfp_flows import errors
from tfp_flows import models
from tfp_flows.training import workdir as workdir_lib


class CheckCompatibleTest(tf.test.TestCase):

  def test_a_preset_with_tuples_resumes(self):
    # Flow++'s couplings_per_stage is a tuple; config.json holds a list.
    workdir = self.get_temp_dir()
    config = models.get_config("flowpp", "tiny")
    workdir_lib.write_run(workdir, config, (28, 28, 1), "embedded")
    workdir_lib.check_compatible(workdir, models.get_config("flowpp", "tiny"))

  def test_a_different_model_is_refused(self):
    workdir = self.get_temp_dir()
    workdir_lib.write_run(workdir, models.get_config("flowpp", "tiny"),
                          (28, 28, 1), "embedded")
    other = models.get_config("flowpp", "tiny")
    other.model.couplings_per_stage = (2, 1, 1)
    with self.assertRaisesRegex(errors.WorkdirError, "couplings_per_stage"):
      workdir_lib.check_compatible(workdir, other)


if __name__ == "__main__":
  tf.test.main()
