"""What `bin/evaluate`, `bin/sample` and `bin/export` do, given a workdir
(or, for `bin/sample`, a pretrained model's name)."""

import json
import os

from tfp_flows import errors
from tfp_flows.training import evaluation
from tfp_flows.training import export as export_lib
from tfp_flows.training import images as images_lib
from tfp_flows.training import pretrained
from tfp_flows.training import train
from tfp_flows.training import workdir as workdir_lib


def evaluate_workdir(workdir, num_dequant_samples=1, max_test_images=0,
                     batch_size=0, seed=0):
  """Test bits/dim of the run in `workdir` (EMA weights); writes eval JSON."""
  _check_at_least(1, num_dequant_samples=num_dequant_samples)
  _check_at_least(0, max_test_images=max_test_images, batch_size=batch_size)
  model = export_lib.load(workdir)
  config = workdir_lib.read_config(workdir)
  dataset = train.load_data(config)
  metrics = evaluation.evaluate(
      model, dataset, batch_size or config.eval.batch_size,
      num_dequant_samples=num_dequant_samples, seed=seed,
      max_images=max_test_images or None)
  metrics["baseline_bpd"] = evaluation.per_pixel_baseline(dataset)
  metrics["parameters"] = model.parameter_counts()
  path = os.path.join(workdir, f"eval_k{num_dequant_samples}.json")
  workdir_lib.write_json(path, metrics)
  return metrics, path


def sample_workdir(workdir, num_samples, temperatures, seed, output=None):
  """Writes a PNG grid of samples per temperature from the run in `workdir`.

  Returns `[(samples, path)]` in the order of `temperatures`. Without
  `output`, grid `T` goes to `<workdir>/samples_t<T>.png`; with several
  temperatures, `output` gets `_t<T>` before its extension.
  """
  temperatures = _check_sampling(num_samples, temperatures)
  return _write_grids(export_lib.load(workdir), num_samples, temperatures,
                      seed, output, default_dir=workdir)


def sample_pretrained(name, num_samples, temperatures, seed, output):
  """`sample_workdir` for the pretrained model `name`, into `output`."""
  temperatures = _check_sampling(num_samples, temperatures)
  return _write_grids(pretrained.load_pretrained(name), num_samples,
                      temperatures, seed, output)


def _check_sampling(num_samples, temperatures):
  temperatures = [float(t) for t in temperatures]
  _check_at_least(1, num_samples=num_samples)
  for temperature in temperatures:
    _check_at_least(0, temperature=temperature)
  return temperatures


def _write_grids(model, num_samples, temperatures, seed, output,
                 default_dir=None):
  """A grid per temperature: `output` (`_t<T>` added when there are several)
  or else `<default_dir>/samples_t<T>.png`."""
  written = []
  for temperature in temperatures:
    samples = model.sample(num_samples, temperature=temperature,
                           seed=(seed, 0)).numpy()
    if not output:
      path = os.path.join(default_dir, f"samples_t{temperature:g}.png")
    elif len(temperatures) > 1:
      stem, extension = os.path.splitext(output)
      path = f"{stem}_t{temperature:g}{extension or '.png'}"
    else:
      path = output
    images_lib.write_png(path, images_lib.grid(
        images_lib.to_eight_bits(samples, model.n_bits)))
    written.append((samples, path))
  return written


def export_workdir(workdir, export_dir=None):
  model = export_lib.load(workdir)
  return export_lib.export(
      model, export_dir or os.path.join(workdir, workdir_lib.EXPORT_DIR))


def _check_at_least(low, **values):
  """A `ConfigError` naming the flag of the first value below `low`."""
  for name, value in values.items():
    if value < low:
      raise errors.ConfigError(f"--{name}={value} must be at least {low}.")


def summarize(metrics):
  return json.dumps({k: (round(v, 4) if isinstance(v, float) else v)
                     for k, v in metrics.items()}, sort_keys=True)

