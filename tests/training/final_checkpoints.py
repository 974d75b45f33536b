"""Comparing the newest checkpoints of two workdirs, for end-to-end tests."""

import os

import tensorflow as tf


def final_values(workdir):
  """`(path, {name: value})`: every float tensor of the newest checkpoint."""
  path = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
  reader = tf.train.load_checkpoint(path)
  dtypes = reader.get_variable_to_dtype_map()
  return path, {name: reader.get_tensor(name)
                for name, _ in tf.train.list_variables(path)
                if dtypes[name].is_floating}


def assert_same(test, expected_workdir, actual_workdir, atol=0.0, rtol=0.0):
  """Same newest checkpoint number and float tensors (exactly by default).

  Args:
    test: the `tf.test.TestCase` that asserts.
    expected_workdir: the reference run's workdir.
    actual_workdir: the workdir under test.
    atol: absolute tolerance per value.
    rtol: relative tolerance per value.
  """
  expected_path, expected = final_values(expected_workdir)
  actual_path, actual = final_values(actual_workdir)
  test.assertEqual(os.path.basename(actual_path),
                   os.path.basename(expected_path))
  test.assertEqual(sorted(actual), sorted(expected))
  for name, value in expected.items():
    test.assertAllClose(actual[name], value, atol=atol, rtol=rtol, msg=name)
