"""Runs the README's example of a tfp_flows bijector in a user's TFP model.

In a fresh interpreter without TF_USE_LEGACY_KERAS in the environment, as a
user's script would start.
"""

import os
import re
import subprocess
import sys

import tensorflow as tf

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python_blocks(text):
  return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


class ReadmeExampleTest(tf.test.TestCase):

  def test_example_runs_and_its_assertions_hold(self):
    with open(os.path.join(_ROOT, "README.md")) as f:
      blocks = _python_blocks(f.read())
    self.assertNotEmpty(blocks, "README has no python example")
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env["PYTHONPATH"] = _ROOT
    for block in blocks:
      script = block + "\nprint('README example OK', log_prob.shape)\n"
      result = subprocess.run([sys.executable, "-c", script], env=env,
                              cwd=self.get_temp_dir(), capture_output=True,
                              text=True, timeout=600, check=False)
      self.assertEqual(result.returncode, 0, result.stderr[-3000:])
      self.assertIn("README example OK (2,)", result.stdout)

  def test_the_set_up_venv_imports_tfp_flows_without_pythonpath(self):
    # The README: after scripts/setup.sh, `.venv/bin/python3 my_script.py`
    # imports tfp_flows from anywhere (set-up installs it editable).
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "TF_USE_LEGACY_KERAS")}
    result = subprocess.run(
        [sys.executable, "-c",
         "import tfp_flows; print(tfp_flows.bijectors.Coupling.__name__)"],
        env=env, cwd=self.get_temp_dir(), capture_output=True, text=True,
        timeout=300, check=False)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertIn("Coupling", result.stdout)


if __name__ == "__main__":
  tf.test.main()
