"""Tests for the tools' shared code: where `bin/sample` writes its grids."""

import os
from unittest import mock

import tensorflow as tf

from tfp_flows import errors
from tfp_flows.training import pretrained
from tfp_flows.training import tools


class SampleTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    # Any trained model will do; the shipped MaCow needs no training here.
    model = pretrained.load_pretrained("macow")
    patcher = mock.patch.object(tools.export_lib, "load", return_value=model)
    self.load = patcher.start()
    self.addCleanup(patcher.stop)

  def _written(self, *args, **kwargs):
    return [path for _, path in tools.sample_workdir(*args, **kwargs)]

  def test_grids_go_to_the_workdir_one_per_temperature(self):
    workdir = self.create_tempdir().full_path
    self.assertEqual(self._written(workdir, 4, [0.7, 1.0], 0),
                     [os.path.join(workdir, "samples_t0.7.png"),
                      os.path.join(workdir, "samples_t1.png")])
    self.assertCountEqual(os.listdir(workdir),
                          ["samples_t0.7.png", "samples_t1.png"])

  def test_output_is_used_as_given_or_suffixed_per_temperature(self):
    directory = self.create_tempdir().full_path
    output = os.path.join(directory, "grid.png")
    self.assertEqual(self._written("/unused", 4, [1.0], 0, output), [output])
    self.assertEqual(self._written("/unused", 4, [0.5, 0.9], 0, output),
                     [os.path.join(directory, "grid_t0.5.png"),
                      os.path.join(directory, "grid_t0.9.png")])

  def test_bad_values_are_refused_before_the_model_is_loaded(self):
    for num_samples, temperatures, flag in ((0, [1.0], "--num_samples=0"),
                                            (4, [1.0, -1.0],
                                             "--temperature=-1.0")):
      with self.assertRaisesRegex(errors.ConfigError, flag):
        tools.sample_workdir("/unused", num_samples, temperatures, 0)
    self.load.assert_not_called()


if __name__ == "__main__":
  tf.test.main()
