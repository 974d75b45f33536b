"""RealNVP presets (Dinh et al. 2017)."""

from tfp_flows.configs import common


def default():
  """A CPU-sized RealNVP for 28x28 digits: 2 scales, ResNets of 1 block x 32.

  With Flow++'s variational dequantization (a small q(u | x) without
  attention), as the Glow default. Sized to finish in under 15 minutes on a
  host with a 52 GFLOP/s matmul (docs/default_runs.md): 1,100 steps of 32
  images, the rate warmed up over 100 steps to 5e-3, then a cosine to 0.
  Test bits/dim on the embedded digits: 1.390 (2,000 steps at a constant
  2e-3 gave 1.352, but took about 20 minutes there; 3e-3 and 8e-3 peaks gave
  1.404 (1,300 steps) and 1.423, worse than 5e-3 at every evaluation after
  step 220).
  """
  config = common.base_config("realnvp")
  config.model.preprocessing = "logit"
  config.model.dequantization = "variational"
  config.model.dequantizer.attention = False
  config.model.num_scales = 2
  config.model.hidden_channels = 32
  config.model.num_blocks = 1
  config.train.batch_size = 32
  config.train.learning_rate = 5e-3
  config.train.warmup_steps = 100
  config.train.lr_decay = "cosine"
  config.train.ema_decay = 0.995
  config.train.steps = 1100
  config.train.log_every = 250
  return config


def cifar10():
  """The paper's CIFAR-10 model: 3 scales, ResNets of 8 blocks x 64 features.

  Logit preprocessing with uniform dequantization; Adam at 1e-3; batch 64.
  """
  config = common.base_config("realnvp")
  config.data.dataset = "cifar10"
  config.model.preprocessing = "logit"
  config.model.dequantization = "uniform"
  config.model.num_scales = 3
  config.model.hidden_channels = 64
  config.model.num_blocks = 8
  config.train.batch_size = 64
  config.train.learning_rate = 1e-3
  config.train.steps = 500_000
  config.train.warmup_steps = 5000
  config.train.checkpoint_every = 5000
  config.train.log_every = 500
  # Without XLA: measured on a 2-core CPU (batch 4), a step took
  # 1.21 s against 1.55 s, compiled in 120 s against 185 s with XLA.
  config.train.jit_compile = False
  return config


def tiny():
  """A seconds-long smoke run: 2 scales, width 8, 1 block."""
  config = common.tiny(default())
  # Smoke runs and tests of RealNVP's mechanics: the cheaper dequantizer.
  config.model.dequantization = "uniform"
  config.model.hidden_channels = 8
  config.model.num_blocks = 1
  return config


PRESETS = {"default": default, "cifar10": cifar10, "tiny": tiny}


def get_config(preset="default"):
  """Entry point for `ml_collections.config_flags`: `--config=<file>:<preset>`."""
  return common.preset(PRESETS, preset, family="realnvp")
