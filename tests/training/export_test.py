"""The exported SavedModel serves in a fresh process that has no tfp_flows."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util
from tfp_flows import data
from tfp_flows import models
from tfp_flows.training import export

_EVENT_SHAPE = (28, 28, 1)
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

_LOG_PROB_SEEDS = {"3": (7, 11), "5": (7, 12)}
_SAMPLE_SEED = (3, 4)
_OTHER_SAMPLE_SEED = (3, 5)
_NUM_SAMPLES = 4
_TEMPERATURE = 0.7

# Runs in the child process: loads the SavedModel and writes its outputs.
_CONSUMER = textwrap.dedent("""
    import importlib.util
    import os
    import sys

    import numpy as np
    import tensorflow as tf

    export_dir, inputs_path, outputs_path, repo = sys.argv[1:5]
    repo = os.path.realpath(repo)

    def below(path, root):
      return path == root or path.startswith(root + os.sep)

    def inside_repo(path):
      # The interpreter's own environment (a venv) may live in the checkout.
      path = os.path.realpath(path or os.getcwd())
      return below(path, repo) and not any(
          below(path, os.path.realpath(prefix))
          for prefix in (sys.prefix, sys.base_prefix))

    # Nothing of the repository can be imported from here. An editable
    # install (scripts/setup.sh) puts a checkout on sys.path through a .pth
    # file (under Bazel, not the runfiles copy `repo`); a serving host has no
    # tfp_flows at all, so every entry that provides it goes.
    assert "PYTHONPATH" not in os.environ, os.environ.get("PYTHONPATH")
    assert not inside_repo(os.getcwd()), os.getcwd()
    sys.path[:] = [p for p in sys.path if not inside_repo(p)
                   and not os.path.isdir(os.path.join(p or ".", "tfp_flows"))]
    assert importlib.util.find_spec("tfp_flows") is None

    loaded = tf.saved_model.load(export_dir)
    assert "tfp_flows" not in sys.modules
    from_repo = [name for name, module in list(sys.modules.items())
                 if inside_repo(getattr(module, "__file__", None) or "/")]
    assert not from_repo, from_repo

    inputs = np.load(inputs_path)
    out = {}
    for n in ("3", "5"):
      images = tf.constant(inputs["images_" + n], tf.uint8)
      seed = tf.constant(inputs["seed_" + n], tf.int64)
      out["log_prob_" + n] = loaded.log_prob(images, seed).numpy()
      out["bpd_" + n] = loaded.bits_per_dim(images, seed).numpy()
      out["signature_log_prob_" + n] = list(loaded.signatures["log_prob"](
          images=images, seed=seed).values())[0].numpy()
    num = tf.constant(int(inputs["num_samples"]), tf.int32)
    temperature = tf.constant(float(inputs["temperature"]), tf.float32)
    out["sample"] = loaded.sample(
        num, temperature, tf.constant(inputs["sample_seed"], tf.int64)).numpy()
    out["sample_again"] = loaded.sample(
        num, temperature, tf.constant(inputs["sample_seed"], tf.int64)).numpy()
    out["other_sample"] = loaded.sample(
        num, temperature,
        tf.constant(inputs["other_sample_seed"], tf.int64)).numpy()
    out["tfp_imported"] = np.array(
        "tensorflow_probability" in sys.modules)
    np.savez(outputs_path, **out)
    print("consumer done")
""")


def _child_env():
  """A minimal environment: no PYTHONPATH, TF kept quiet and single-threaded."""
  env = {key: os.environ[key] for key in ("PATH", "LANG", "LC_ALL", "TMPDIR")
         if key in os.environ}
  env["TF_USE_LEGACY_KERAS"] = "1"
  env["TF_CPP_MIN_LOG_LEVEL"] = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")
  for key in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
              "OMP_NUM_THREADS"):
    env[key] = os.environ.get(key, "1")
  return env


class ExportTest(tf.test.TestCase, parameterized.TestCase):

  def _trained_looking_model(self, family):
    dataset = data.load_dataset("embedded")
    model = models.build_model(models.get_config(family, "tiny"), _EVENT_SHAPE)
    model.build()
    model.initialize(next(iter(dataset.train(16, seed=1))))
    # Away from the zero-initialised identity couplings and zero priors.
    bijector_test_util.perturb_all_variables(self, model.normalizing_flow,
                                             seed=3)
    images = next(iter(dataset.test(8))).numpy()
    return model, images

  # Flow++'s sampling runs the mixture-CDF root search inside the SavedModel,
  # MaCow's the masked convs' row-by-row while loops.
  @parameterized.parameters("glow", "flowpp", "macow")
  def test_saved_model_serves_without_the_library(self, family):
    model, images = self._trained_looking_model(family)
    images_3, images_5 = images[:3], images[3:8]
    tmp = self.create_tempdir().full_path
    export_dir = export.export(model, os.path.join(tmp, "exported"))
    self.assertTrue(tf.saved_model.contains_saved_model(export_dir))

    inputs = os.path.join(tmp, "inputs.npz")
    outputs = os.path.join(tmp, "outputs.npz")
    np.savez(inputs, images_3=images_3, images_5=images_5,
             seed_3=np.array(_LOG_PROB_SEEDS["3"], np.int64),
             seed_5=np.array(_LOG_PROB_SEEDS["5"], np.int64),
             sample_seed=np.array(_SAMPLE_SEED, np.int64),
             other_sample_seed=np.array(_OTHER_SAMPLE_SEED, np.int64),
             num_samples=_NUM_SAMPLES, temperature=_TEMPERATURE)
    script = os.path.join(tmp, "consumer.py")
    with open(script, "w") as f:
      f.write(_CONSUMER)
    cwd = self.create_tempdir().full_path
    result = subprocess.run(
        [sys.executable, script, export_dir, inputs, outputs, _REPO],
        cwd=cwd, env=_child_env(), capture_output=True, text=True,
        timeout=300, check=False)
    self.assertEqual(result.returncode, 0,
                     msg=f"consumer failed:\n{result.stdout}\n{result.stderr}")
    self.assertIn("consumer done", result.stdout)
    served = np.load(outputs)
    # Serving needs neither tfp_flows nor TensorFlow Probability.
    self.assertFalse(bool(served["tfp_imported"]))

    for n, batch in (("3", images_3), ("5", images_5)):
      seed = tf.constant(_LOG_PROB_SEEDS[n], tf.int64)
      expected = model.log_prob(np.array(batch), seed=seed).numpy()
      self.assertEqual(served["log_prob_" + n].shape, (len(batch),))
      self.assertTrue(np.all(np.isfinite(expected)))
      # Eager vs the loaded graph: measured max abs difference 0.0 nats
      # (values here are about -6400 to -7500 nats per image).
      self.assertAllClose(served["log_prob_" + n], expected,
                          atol=1e-2, rtol=1e-5)
      self.assertAllClose(served["signature_log_prob_" + n], expected,
                          atol=1e-2, rtol=1e-5)
      self.assertAllClose(
          served["bpd_" + n],
          model.nats_to_bits_per_dim(-expected), atol=1e-5, rtol=1e-5)
    # The two batches must not be answered by a cached trace of one shape.
    self.assertNotAllClose(served["log_prob_3"], served["log_prob_5"][:3])

    expected_sample = model.sample(
        _NUM_SAMPLES, temperature=_TEMPERATURE,
        seed=tf.constant(_SAMPLE_SEED, tf.int64)).numpy()
    self.assertEqual(served["sample"].dtype, np.uint8)
    self.assertEqual(served["sample"].shape, (_NUM_SAMPLES,) + _EVENT_SHAPE)
    # Measured: identical. Exactness is not guaranteed in general (floor()
    # of a value that graph and eager round differently can move a pixel by
    # one level), so allow 1% of pixels off by one.
    diff = np.abs(served["sample"].astype(np.int32)
                  - expected_sample.astype(np.int32))
    self.assertLessEqual(int(diff.max()), 1)
    self.assertGreaterEqual(float(np.mean(diff == 0)), 0.99)
    self.assertAllEqual(served["sample"], served["sample_again"])
    # A different seed gives different images.
    self.assertGreater(
        float(np.mean(served["sample"] != served["other_sample"])), 0.1)


class ServingInputChecksTest(tf.test.TestCase, parameterized.TestCase):
  """Wrong shapes and dtypes fail with an error, through every entry point."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    model = models.build_model(models.get_config("glow", "tiny"), _EVENT_SHAPE)
    model.build()
    tmp = tempfile.mkdtemp()
    cls.addClassCleanup(shutil.rmtree, tmp)
    cls.export_dir = export.export(model, os.path.join(tmp, "exported"))

  def setUp(self):
    super().setUp()
    self.loaded = tf.saved_model.load(self.export_dir)
    self.seed = tf.constant([1, 2], tf.int64)

  # A signature runs with whatever shape it is fed: only the graph's own
  # check stands between these and a number.
  @parameterized.parameters((2, 32, 32, 1), (2, 8, 8, 1), (2, 28, 28, 3),
                            (2, 28, 28), (1, 2, 28, 28, 1))
  def test_log_prob_signature_refuses_wrong_shapes(self, *shape):
    images = tf.zeros(shape, tf.uint8)
    given = ",".join(map(str, shape))
    with self.assertRaisesRegex(
        tf.errors.InvalidArgumentError,
        rf"images \[{given}\] is not compatible with expected shape "
        r"\[\?,28,28,1\]"):
      self.loaded.signatures["log_prob"](images=images, seed=self.seed)

  @parameterized.parameters((2, 32, 32, 1), (2, 8, 8, 1), (2, 28, 28))
  def test_loaded_functions_refuse_wrong_shapes(self, *shape):
    images = tf.zeros(shape, tf.uint8)
    for call in (lambda: self.loaded.log_prob(images, self.seed),
                 lambda: self.loaded.bits_per_dim(images, self.seed),
                 lambda: self.loaded.encode(images),
                 lambda: self.loaded.decode(tf.cast(images, tf.float32))):
      # Refused when binding the arguments, naming both shapes.
      with self.assertRaisesRegex(
          TypeError, rf"shape={re.escape(str(shape))}.*None, 28, 28, 1"):
        call()

  @parameterized.named_parameters(
      ("seed", dict(seed=tf.constant([1, 2, 3], tf.int64)),
       r"seed \[3\] is not compatible with expected shape \[2\]"),
      ("num_samples", dict(num_samples=tf.constant([2, 3])),
       r"num_samples \[2\] is not compatible with expected shape \[\]"))
  def test_sample_signature_refuses_wrong_shapes(self, bad, message):
    inputs = dict(num_samples=tf.constant(2), temperature=tf.constant(1.0),
                  seed=self.seed)
    inputs.update(bad)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, message):
      self.loaded.signatures["sample"](**inputs)

  def test_wrong_dtype_is_refused(self):
    images = tf.zeros((2,) + _EVENT_SHAPE, tf.float32)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "expected to be a uint8 tensor"):
      self.loaded.signatures["log_prob"](images=images, seed=self.seed)
    with self.assertRaisesRegex(TypeError, "float32.*uint8"):
      self.loaded.log_prob(images, self.seed)

  def test_pixel_values_out_of_range_are_refused(self):
    config = models.get_config("glow", "tiny")
    config.data.n_bits = 5
    model = models.build_model(config, (4, 4, 1))
    model.build()
    loaded = tf.saved_model.load(export.export(
        model, os.path.join(self.create_tempdir().full_path, "exported")))
    images = tf.fill((1, 4, 4, 1), tf.constant(40, tf.uint8))
    for call in (lambda: loaded.signatures["log_prob"](images=images,
                                                       seed=self.seed),
                 lambda: loaded.log_prob(images, self.seed),
                 lambda: loaded.encode(images)):
      with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                  r"pixel values must lie in \[0, 2\^5\)"):
        call()

  def test_saved_model_cli_casts_float_inputs_silently(self):
    # The README's warning: saved_model_cli converts each input to the
    # signature's dtype with numpy, so floats are truncated, not refused.
    tmp = self.create_tempdir().full_path
    images = np.random.default_rng(0).integers(
        0, 255, size=(2,) + _EVENT_SHAPE).astype(np.uint8)
    served = {}
    for name, array in (("uint8", images),
                        ("float32", images.astype(np.float32) + 0.7)):
      path = os.path.join(tmp, name + ".npy")
      np.save(path, array)
      outdir = os.path.join(tmp, name)
      result = subprocess.run(
          [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli",
           "run", "--dir", self.export_dir, "--tag_set", "serve",
           "--signature_def", "log_prob", "--inputs", f"images={path}",
           "--input_exprs", "seed=[1,2]", "--outdir", outdir],
          env=_child_env(), capture_output=True, text=True, timeout=300,
          check=False)
      self.assertEqual(result.returncode, 0, msg=result.stderr[-3000:])
      served[name] = np.load(os.path.join(outdir, "output_0.npy"))
    self.assertAllEqual(served["float32"], served["uint8"])
    self.assertAllClose(served["uint8"], self.loaded.log_prob(images, self.seed))

  def test_right_shapes_still_serve(self):
    images = tf.zeros((3,) + _EVENT_SHAPE, tf.uint8)
    log_prob = self.loaded.signatures["log_prob"](images=images,
                                                  seed=self.seed)["output_0"]
    self.assertEqual(log_prob.shape, (3,))
    self.assertAllEqual(self.loaded.bits_per_dim(images, self.seed).shape, (3,))
    samples = self.loaded.signatures["sample"](
        num_samples=tf.constant(2), temperature=tf.constant(1.0),
        seed=self.seed)["output_0"]
    self.assertEqual(samples.shape, (2,) + _EVENT_SHAPE)


if __name__ == "__main__":
  tf.test.main()
