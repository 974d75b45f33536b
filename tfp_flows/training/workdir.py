"""What a run leaves in its workdir, and reading it back.

    workdir/
      config.json        the run's full config (evaluate/sample/export read it)
      run.json           the data's event shape and the dataset's name
      checkpoints/       tf.train.CheckpointManager files
      summaries/         TensorBoard events
      metrics.json       final evaluation (the whole test split)
      metrics.jsonl      evaluations during training, one JSON per line
      samples/           a sample grid per evaluation during training
      samples.png        a grid of samples (EMA weights)
      export/            SavedModel (bin/export)
"""

import json
import os

import ml_collections
import tensorflow as tf

from tfp_flows import errors

CONFIG_FILE = "config.json"
RUN_FILE = "run.json"
CHECKPOINT_DIR = "checkpoints"
SUMMARY_DIR = "summaries"
METRICS_FILE = "metrics.json"
SAMPLES_FILE = "samples.png"
EXPORT_DIR = "export"

# Sections whose change makes existing checkpoints meaningless for a resume.
_ARCHITECTURE_SECTIONS = ("model", "data")


# The workdir is missing, incomplete or holds an incompatible run (a
# ValueError); the name predates `tfp_flows.errors` and stays importable.
WorkdirError = errors.WorkdirError


def default_workdir(model_name):
  """A fixed path per model, so re-running the same command resumes."""
  root = os.environ.get("TFP_FLOWS_WORKDIR_ROOT") or os.path.join(
      os.path.expanduser("~"), "tfp_flows_runs")
  return os.path.join(root, model_name)


def read_config(workdir):
  path = os.path.join(workdir, CONFIG_FILE)
  if not os.path.isfile(path):
    raise WorkdirError(
        f"No {CONFIG_FILE} in {workdir!r}: not a tfp_flows workdir. Train "
        f"first with `bazel run //bin:train -- --workdir={workdir}`.")
  with open(path) as f:
    return ml_collections.ConfigDict(json.load(f))


def read_run_info(workdir):
  path = os.path.join(workdir, RUN_FILE)
  if not os.path.isfile(path):
    raise WorkdirError(f"No {RUN_FILE} in {workdir!r}; the run never started.")
  with open(path) as f:
    info = json.load(f)
  info["event_shape"] = tuple(info["event_shape"])
  return info


def check_compatible(workdir, config):
  """Raises if `workdir` holds a run whose model or data differ from `config`."""
  path = os.path.join(workdir, CONFIG_FILE)
  if not os.path.isfile(path):
    return
  saved = read_config(workdir)
  for section in _ARCHITECTURE_SECTIONS:
    # Through JSON both sides alike: a preset's tuple is a list once saved.
    before, now = (json.loads(json.dumps(c[section].to_dict()))
                   for c in (saved, config))
    if before != now:
      raise WorkdirError(
          f"{workdir!r} holds a run with a different `{section}` config "
          f"({_diff(before, now)}). Use another --workdir, or the same "
          f"settings to resume.")


def write_run(workdir, config, event_shape, dataset_name):
  os.makedirs(workdir, exist_ok=True)
  write_json(os.path.join(workdir, CONFIG_FILE), config.to_dict())
  write_json(os.path.join(workdir, RUN_FILE),
              {"event_shape": list(event_shape), "dataset": dataset_name})


def write_metrics(workdir, metrics):
  write_json(os.path.join(workdir, METRICS_FILE), metrics)


def write_json(path, payload):
  # Write then rename, so a crash never leaves a half-written file behind.
  tmp = path + ".tmp"
  with open(tmp, "w") as f:
    json.dump(payload, f, indent=2, sort_keys=True)
  os.replace(tmp, path)


def last_logged_step(workdir):
  """The highest step with a summary in `workdir/summaries`, or 0.

  A resumed run re-runs the steps after its checkpoint (bit-exactly); it
  logs only steps beyond this one, so TensorBoard never holds a step twice.
  A truncated event file (a kill mid-write) counts up to its last record.
  """
  pattern = os.path.join(workdir, SUMMARY_DIR, "events.out.tfevents.*")
  last = 0
  for path in tf.io.gfile.glob(pattern):
    try:
      for record in tf.data.TFRecordDataset(path):
        event = tf.compat.v1.Event.FromString(record.numpy())
        if event.HasField("summary"):
          last = max(last, int(event.step))
    except tf.errors.DataLossError:
      continue
  return last


def _diff(saved, new):
  keys = sorted(set(saved) | set(new))
  return ", ".join(f"{k}: {saved.get(k)!r} -> {new.get(k)!r}"
                   for k in keys if saved.get(k) != new.get(k))
