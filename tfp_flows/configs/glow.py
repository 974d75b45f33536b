"""Glow presets (Kingma & Dhariwal 2018)."""

from tfp_flows.configs import common


def default():
  """A CPU-sized Glow for 28x28 digits: 2 levels x 8 steps, width 48.

  Two of Flow++'s parts, each of which measurably helped on digits (most
  pixels are exactly 0, a box that a uniform-dequantized density must
  match): the logit preprocessing, and variational dequantization with a
  small q(u | x) without attention (training loss 1.47 bits/dim at step
  3250 with it, 1.63 with uniform dequantization).

  Sized to finish in under 15 minutes on a host with a 52 GFLOP/s matmul
  (docs/default_runs.md): 2,600 steps of 32 images, the rate warmed up over
  100 steps to 3e-3, then a cosine to 0. At 2,400 steps that schedule gave
  test 1.480 bits/dim against 1.491 for the former constant 2e-3 at the
  same step; peaks of 2e-3 and 6e-3 were worse at each of the first four
  evaluations (then stopped), width 96 (1,800 steps: 1.477) cost about
  twice the time per step, and batch 64 at 4e-3 learned less per image
  (1.84 on the held-out subset after 38k images, against 1.57).
  """
  config = common.base_config("glow")
  config.model.preprocessing = "logit"
  config.model.dequantization = "variational"
  config.model.dequantizer.attention = False
  config.model.num_levels = 2
  config.model.steps_per_level = 8
  config.model.hidden_channels = 48
  config.train.batch_size = 32
  config.train.learning_rate = 3e-3
  config.train.warmup_steps = 100
  config.train.lr_decay = "cosine"
  config.train.ema_decay = 0.995
  config.train.steps = 2600
  config.train.log_every = 250
  return config


def cifar10():
  """The paper's CIFAR-10 model: 3 levels x 32 steps, width 512.

  `x / 256 - 0.5` with uniform dequantization; Adam at 1e-3 after a linear
  warm-up; batch 64.
  """
  config = common.base_config("glow")
  config.data.dataset = "cifar10"
  config.model.preprocessing = "centering"
  config.model.dequantization = "uniform"
  config.model.num_levels = 3
  config.model.steps_per_level = 32
  config.model.hidden_channels = 512
  config.train.batch_size = 64
  config.train.learning_rate = 1e-3
  config.train.steps = 500_000
  config.train.warmup_steps = 5000
  config.train.checkpoint_every = 5000
  config.train.log_every = 500
  # Without XLA: measured on a 2-core CPU (batch 4), a step took
  # 2.29 s against 2.82 s, compiled in 199 s against 297 s with XLA.
  config.train.jit_compile = False
  return config


def tiny():
  """A seconds-long smoke run: 2 levels x 1 step, width 8."""
  config = common.tiny(default())
  # Smoke runs and tests of Glow's mechanics: the cheaper dequantizer.
  config.model.dequantization = "uniform"
  config.model.steps_per_level = 1
  config.model.hidden_channels = 8
  return config


PRESETS = {"default": default, "cifar10": cifar10, "tiny": tiny}


def get_config(preset="default"):
  """Entry point for `ml_collections.config_flags`: `--config=<file>:<preset>`."""
  return common.preset(PRESETS, preset, family="glow")
