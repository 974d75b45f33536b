"""Settings shared by every model family; presets override parts of them."""

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
  config.train.lr_decay_per_step = 1.0  # < 1: exponential decay after warm-up.
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
  config.train.log_every = 1
  config.train.checkpoint_every = 2
  config.train.jit_compile = False
  config.eval.batch_size = 100
  config.eval.num_samples = 4
  # Smoke runs evaluate on the subset only at their last step.
  config.eval.every_steps = 1000
  config.eval.subset_size = 100
  return config


def preset(presets, name, family=None):
  """`presets[name]()`, or a `ConfigError` naming the choices."""
  if name not in presets:
    of_family = f" of model {family!r}" if family else ""
    raise errors.ConfigError(
        f"Unknown preset {name!r}{of_family}; choose one of "
        f"{sorted(presets)}.")
  return presets[name]()
