"""Runs the README's example of a tfp_flows bijector in a user's TFP model."""

import os
import re

import tensorflow as tf

_README = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                       "README.md")


def _python_blocks(text):
  return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


class ReadmeExampleTest(tf.test.TestCase):

  def test_example_runs_and_its_assertions_hold(self):
    with open(_README) as f:
      blocks = _python_blocks(f.read())
    self.assertNotEmpty(blocks, "README has no python example")
    for block in blocks:
      namespace = {}
      exec(compile(block, "README.md", "exec"), namespace)  # pylint: disable=exec-used
      self.assertIn("density", namespace)
      self.assertEqual(namespace["log_prob"].shape, (2,))


if __name__ == "__main__":
  tf.test.main()
