"""Settings shared by every model family; presets override parts of them."""

import math

import ml_collections

from tfp_flows import errors


def base_config(model_name):
  """Training, data and evaluation settings sized for the 2-core CPU default."""
  config = ml_collections.ConfigDict()
  config.model = ml_collections.ConfigDict()
  config.model.name = model_name
  config.model.preprocessing = "centering"  # or "logit" (Flow++).
  config.model.dequantization = "uniform"  # or "variational" (Flow++).
  config.model.dequantizer = cpu_dequantizer()

  config.data = ml_collections.ConfigDict()
  config.data.dataset = "embedded"  # See tfp_flows.data.load_dataset.
  config.data.n_bits = 8
  config.data.data_dir = ""  # TFDS data_dir; "" = TFDS's default.
  config.data.image_size = 0  # For celeb_a and image folders; 0 = default.

  config.train = ml_collections.ConfigDict()
  config.train.steps = 2000
  config.train.batch_size = 64
  config.train.learning_rate = 1e-3
  config.train.warmup_steps = 200
  # After warm-up: "exponential" (by lr_decay_per_step; 1 keeps the rate
  # constant) or "cosine" (to 0 at the last step). See training/schedules.py.
  config.train.lr_decay = "exponential"
  config.train.lr_decay_per_step = 1.0
  config.train.grad_clip_norm = 100.0
  config.train.ema_decay = 0.999
  config.train.init_batch_size = 256
  config.train.seed = 0
  config.train.log_every = 100
  config.train.checkpoint_every = 500
  # Also save when this much time has passed since the last save, so a long
  # first interval does not lose everything.
  config.train.checkpoint_every_minutes = 10.0
  # After this many non-finite steps in a row (each one skipped), "restore"
  # the newest checkpoint and halve the learning rate, or "stop".
  config.train.max_consecutive_skips = 20
  config.train.on_divergence = "restore"
  config.train.jit_compile = True
  # Keep only each flow layer's input for the backward pass and recompute
  # its activations there: less memory for one more forward pass.
  config.train.recompute_gradients = False
  # Trace each run of identical steps of flow (and a network's identical
  # blocks) once, as a loop over their weights: a deep model's first step
  # compiles in about half the time (CIFAR-10 Glow 28 s vs 44, Flow++ 65 s
  # vs 133, no XLA), but each step copies the weights into the loop's stacks
  # and runs 9-36% slower; under XLA on a CPU far slower. For short runs.
  # Same variables and checkpoints either way; see tfp_flows/scanning.py.
  config.train.scan_repeats = False
  # Have grappler skip its memory and dependency optimisers and its second
  # round of passes on the step's graph (tfp_flows/training/graph_options.py):
  # the first call of MaCow's CIFAR-10 step is about a third shorter, Flow++'s
  # a fifth, and neither step is slower (bench:graph_options).
  config.train.lean_graph_optimization = True
  config.train.max_checkpoints = 3

  config.eval = ml_collections.ConfigDict()
  config.eval.batch_size = 500
  config.eval.num_dequant_samples = 1
  config.eval.num_samples = 64  # Images in the sample grid.
  config.eval.temperature = 1.0
  # During training: test bits/dim of the EMA weights on `subset_size`
  # held-out images (evenly spaced over the test split), and a sample grid,
  # every `every_steps` steps (0: a tenth of train.steps) and at the end.
  config.eval.every_steps = 0
  config.eval.subset_size = 200
  return config


def cpu_dequantizer():
  """Flow++'s q(u | x), CPU-sized; read when dequantization == "variational"."""
  return ml_collections.ConfigDict(dict(
      num_couplings=2, hidden_channels=16, num_blocks=1, num_components=4,
      attention=True, heads=4, dropout=0.0, context_channels=16,
      context_blocks=1))


def tiny(config):
  """Shrinks a config's training to a smoke run (with a tiny network)."""
  config.train.steps = 2
  config.train.batch_size = 8
  config.train.init_batch_size = 16
  config.train.warmup_steps = 1
  # A constant rate: tests run tiny presets for more steps than the preset
  # names, and a cosine would have reached 0 at its second step.
  config.train.lr_decay = "exponential"
  config.train.lr_decay_per_step = 1.0
  config.train.log_every = 1
  config.train.checkpoint_every = 2
  config.train.jit_compile = False
  config.eval.batch_size = 100
  config.eval.num_samples = 4
  # Smoke runs evaluate on the subset only at their last step.
  config.eval.every_steps = 1000
  config.eval.subset_size = 100
  return config


# Field -> (test, what it must be). Fields a preset lacks are not checked.
_VALID_VALUES = {
    "train.steps": (lambda v: v >= 1, "at least 1"),
    "train.batch_size": (lambda v: v >= 1, "at least 1"),
    "train.init_batch_size": (lambda v: v >= 1, "at least 1"),
    "train.learning_rate": (lambda v: 0.0 < v < math.inf, "positive"),
    "train.warmup_steps": (lambda v: v >= 0, "at least 0"),
    "train.lr_decay": (lambda v: v in ("exponential", "cosine"),
                       "'exponential' or 'cosine'"),
    "train.lr_decay_per_step": (lambda v: 0.0 < v <= 1.0, "in (0, 1]"),
    "train.grad_clip_norm": (lambda v: v > 0.0, "positive"),
    "train.ema_decay": (lambda v: 0.0 <= v < 1.0, "in [0, 1)"),
    "train.log_every": (lambda v: v >= 1, "at least 1"),
    "train.checkpoint_every": (lambda v: v >= 1, "at least 1"),
    "train.checkpoint_every_minutes": (lambda v: v > 0.0, "positive"),
    "train.max_checkpoints": (lambda v: v >= 1, "at least 1"),
    "train.max_consecutive_skips": (lambda v: v >= 1, "at least 1"),
    "train.on_divergence": (lambda v: v in ("restore", "stop"),
                            "'restore' or 'stop'"),
    "data.n_bits": (lambda v: 1 <= v <= 8, "in [1, 8]"),
    "eval.batch_size": (lambda v: v >= 1, "at least 1"),
    "eval.num_samples": (lambda v: v >= 1, "at least 1"),
    "eval.temperature": (lambda v: v >= 0.0, "at least 0"),
    "eval.every_steps": (lambda v: v >= 0, "at least 0 (0: a tenth of "
                         "train.steps)"),
    "eval.subset_size": (lambda v: v >= 1, "at least 1"),
}


def validate(config, flag_prefix="config."):
  """Raises a `ConfigError` naming the first field no run can use.

  Checked before anything is built or written; `flag_prefix` makes the
  message name the field as the user set it (`--config.` on the command
  line).
  """
  for field, (is_valid, requirement) in _VALID_VALUES.items():
    section, key = field.split(".")
    if section not in config or key not in config[section]:
      continue
    value = config[section][key]
    if not is_valid(value):
      raise errors.ConfigError(
          f"{flag_prefix}{field}={value!r}: must be {requirement}.")
  return config


def preset(presets, name, family=None):
  """`presets[name]()`, or a `ConfigError` naming the choices."""
  if name not in presets:
    of_family = f" of model {family!r}" if family else ""
    raise errors.ConfigError(
        f"Unknown preset {name!r}{of_family}; choose one of "
        f"{sorted(presets)}.")
  return presets[name]()
