"""Flow++ presets (Ho et al. 2019)."""

import ml_collections

from tfp_flows.configs import common


def _paper_model(config):
  """The CIFAR-10 architecture of the paper (31,443,440 parameters)."""
  config.model.preprocessing = "logit"
  config.model.dequantization = "variational"
  config.model.coupling = "mixture_logistic"
  config.model.couplings_per_stage = (4, 2, 3)
  config.model.masked_conv_units = (0, 0, 0)  # MaCow units before couplings.
  config.model.hidden_channels = 96
  config.model.num_blocks = 10
  config.model.num_components = 32
  config.model.attention = True
  config.model.heads = 4
  config.model.dropout = 0.2
  config.model.dequantizer = ml_collections.ConfigDict(dict(
      num_couplings=4, hidden_channels=96, num_blocks=2, num_components=32,
      attention=True, heads=4, dropout=0.2, context_channels=32,
      context_blocks=3))
  config.train.batch_size = 64
  config.train.learning_rate = 3e-4
  config.train.warmup_steps = 2000
  config.train.grad_clip_norm = 1.0
  config.train.ema_decay = 0.999
  config.train.init_batch_size = 128
  config.train.steps = 1_000_000
  config.train.checkpoint_every = 5000
  config.train.log_every = 500
  return config


def default():
  """A CPU-sized Flow++ for 28x28 digits, every part of the paper's model.

  Variational dequantization, mixture-logistic couplings with attention,
  narrower and shallower than the paper's. Sized to finish in under 15
  minutes on a host with a 52 GFLOP/s matmul (docs/default_runs.md): 600
  steps of 32 images, the rate warmed up over 50 steps to 6e-3, then a
  cosine to 0; the dequantizer's couplings without attention (as Glow's and
  RealNVP's CPU defaults), which leaves more steps in the time. Test bits/dim
  1.525; the former 1,400 steps at a constant 2e-3 reached 1.310 but took
  over 30 minutes there. A peak of 3e-3 gave 1.582; 1e-2 was worse than
  6e-3 at each evaluation to step 480 (then stopped).
  """
  config = _paper_model(common.base_config("flowpp"))
  config.data.dataset = "embedded"
  config.model.couplings_per_stage = (2, 1, 2)
  config.model.hidden_channels = 32
  config.model.num_blocks = 1
  config.model.num_components = 8
  config.model.dropout = 0.0
  config.model.dequantizer = common.cpu_dequantizer()
  config.model.dequantizer.attention = False
  config.train.batch_size = 32
  config.train.learning_rate = 6e-3
  config.train.warmup_steps = 50
  config.train.lr_decay = "cosine"
  config.train.ema_decay = 0.99
  config.train.grad_clip_norm = 100.0
  config.train.init_batch_size = 256
  config.train.steps = 600
  config.train.checkpoint_every = 500
  config.train.log_every = 100
  return config


def hybrid():
  """The CPU default with one MaCow unit before every coupling step.

  Flow++ augmented with masked convolutions (the MaCow reviewers'
  question): the same couplings, plus per step an ActNorm and masked-conv
  flows A, B, then an ActNorm and C, D, on the stage's whole image.
  """
  config = default()
  config.model.masked_conv_units = (1, 1, 1)
  return config


def cifar10():
  """The paper's CIFAR-10 model: filters 96, 10 blocks, K = 32, dropout 0.2."""
  config = _paper_model(common.base_config("flowpp"))
  config.data.dataset = "cifar10"
  # Without XLA: on a 2-core CPU (batch 4) the first step compiled in 133 s
  # and a step took 1.97 s (matmul 371 GFLOP/s); with XLA 268 s and 2.35 s
  # in an earlier run (matmul 318 GFLOP/s).
  config.train.jit_compile = False
  return config


def cifar10_narrow():
  """The paper's CIFAR-10 layout, narrowed: what attention costs on a CPU.

  Stages (4, 2, 3), gated attention with 4 heads and dropout 0.2 as
  published; width 32, 2 blocks, K = 8; the dequantizer's 4 couplings of
  width 32, 2 blocks, K = 32, its context net 32 wide x 3 blocks; batch 16.
  The benchmark suite's `attention/flowpp` cells train it.
  """
  config = cifar10()
  config.model.hidden_channels = 32
  config.model.num_blocks = 2
  config.model.num_components = 8
  config.model.dequantizer.hidden_channels = 32
  config.train.batch_size = 16
  return config


def imagenet32():
  """ImageNet 32x32 (TFDS's resized ImageNet): filters 128, 20 blocks, K=32.

  The paper gives the width, depth, K, dropout 0 and lr 1e-3; the stage
  layout and the dequantizer are the CIFAR-10 ones.
  """
  config = cifar10()
  config.data.dataset = "imagenet_resized/32x32"
  config.model.hidden_channels = 128
  config.model.num_blocks = 20
  config.model.dropout = 0.0
  config.model.dequantizer.dropout = 0.0
  config.train.learning_rate = 1e-3
  return config


def imagenet64():
  """ImageNet 64x64 (TFDS's resized ImageNet): filters 96, 16 blocks, K = 4."""
  config = imagenet32()
  config.data.dataset = "imagenet_resized/64x64"
  config.model.hidden_channels = 96
  config.model.num_blocks = 16
  config.model.num_components = 4
  return config


def tiny():
  """A seconds-long smoke run: one coupling per stage, width 8."""
  config = common.tiny(default())
  config.model.couplings_per_stage = (1, 1, 1)
  config.model.hidden_channels = 8
  config.model.num_components = 2
  # The dequantizer keeps attention here, so the tests exercise it.
  config.model.dequantizer.update(dict(
      num_couplings=1, hidden_channels=8, num_components=2,
      context_channels=4, attention=True))
  return config


PRESETS = {"default": default, "cifar10": cifar10,
           "cifar10_narrow": cifar10_narrow, "hybrid": hybrid,
           "imagenet32": imagenet32, "imagenet64": imagenet64, "tiny": tiny}


def get_config(preset="default"):
  """Entry point for `ml_collections.config_flags`: `--config=<file>:<preset>`."""
  return common.preset(PRESETS, preset, family="flowpp")
