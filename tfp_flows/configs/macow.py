"""MaCow presets (Ma et al. 2019): the official configurations and CPU sizes.

`model.levels` lists the steps per level (a list: segments, each followed by
a split of `1 / split_factor` of the level's channels); `hidden_channels`
the coupling and prior width per level; `kernel_size` the masked convs'
`(kH, kW)`. The `dequantizer` section is MaCow's q(u | x) in the same terms.
"""

import ml_collections

from tfp_flows.configs import common


def _macow(levels, hidden_channels, kernel_size, additive=False,
           split_factor=4):
  return dict(levels=levels, hidden_channels=hidden_channels,
              kernel_size=kernel_size, units_per_step=2, additive=additive,
              split_factor=split_factor)


def _dequantizer(levels, hidden_channels, split_factor=2):
  return ml_collections.ConfigDict(dict(
      _macow(levels, hidden_channels, (2, 3), split_factor=split_factor),
      context_channels=4, encoder_channels=(32, 64)))


def _official(dataset):
  """What every official configuration shares: the training recipe."""
  config = common.base_config("macow")
  config.data.dataset = dataset
  config.model.preprocessing = "centering"
  config.model.dequantization = "variational"
  config.train.batch_size = 512
  config.train.init_batch_size = 512
  config.train.learning_rate = 1e-3
  config.train.warmup_steps = 50
  config.train.lr_decay_per_step = 0.999997
  config.train.ema_decay = 0.999
  config.train.steps = 500_000
  config.train.checkpoint_every = 5000
  config.train.log_every = 500
  # Without XLA: XLA's compile of the CIFAR-10 flow's first step ran for
  # over 9 minutes on a 2-core CPU without finishing; see bench:suite's
  # compile cells for the time without it.
  config.train.jit_compile = False
  config.eval.temperature = 0.7
  return config


def cifar10():
  """The official CIFAR-10 model: flow 37.2M, dequantizer 1.2M parameters."""
  config = _official("cifar10")
  config.model.update(_macow(levels=(4, (12, 12), (12, 12), 12),
                             hidden_channels=(24, 512, 512, 512),
                             kernel_size=(2, 3)))
  config.model.dequantizer = _dequantizer(levels=(4, 4),
                                          hidden_channels=(24, 256))
  return config


def imagenet64():
  """The official ImageNet 64x64 model (TFDS's resized ImageNet here)."""
  config = _official("imagenet_resized/64x64")
  config.model.update(_macow(levels=(4, (16, 16), (16, 16), (12, 12), 12),
                             hidden_channels=(24, 512, 512, 512, 512),
                             kernel_size=(2, 5)))
  config.model.dequantizer = _dequantizer(levels=(6, (6,), 4),
                                          hidden_channels=(24, 256, 256))
  return config


def celeba256():
  """The official CelebA-HQ 256x256 model: 5 bits, additive (no scales)."""
  config = _official("celeb_a")
  config.data.image_size = 256
  config.data.n_bits = 5
  config.model.update(_macow(
      levels=(4, (24, 24), (16, 16), (16, 16), (8, 8), (4, 4), 2),
      hidden_channels=(24, 256, 256, 256, 256, 256, 512), kernel_size=(2, 5),
      additive=True))
  config.model.dequantizer = _dequantizer(levels=(2, (4,), 4),
                                          hidden_channels=(24, 256, 256))
  return config


def default():
  """A CPU-sized MaCow for 28x28 digits: 3 levels, 2 units per step.

  Level 0 (28x28x1, one channel) is one step of units only (a channel
  coupling has nothing to condition on); level 1 (14x14x4) lets one channel
  leave after each of its two steps; level 2 (7x7x8) is one step. A 2-level
  dequantizer q(u | x), one unit per step. Logit preprocessing, as Glow's
  and RealNVP's CPU defaults (digits are mostly exact zeros).

  Sized to finish in under 15 minutes on a host with a 52 GFLOP/s matmul
  (docs/default_runs.md): 2,400 steps of 32 images, the rate warmed up over
  100 steps to 1e-2, then a cosine to 0. Test bits/dim 1.424 (2,600 steps
  of the same schedule: 1.416, 1,900 steps: 1.463; the former 2,500 steps
  at a constant 2e-3: 1.515; 3,000 steps: 1.394, but about 18 minutes on
  such a host). Peaks of 3e-3 and 6e-3 gave 1.570 and 1.490 at 1,900
  steps, and 2e-2 had reached only 16 bits/dim by step 380 (then stopped).
  """
  config = common.base_config("macow")
  config.model.preprocessing = "logit"
  config.model.dequantization = "variational"
  config.model.update(_macow(levels=(1, (1, 1), 1),
                             hidden_channels=(16, 64, 64), kernel_size=(2, 3)))
  config.model.dequantizer = _dequantizer(levels=(1, 1),
                                          hidden_channels=(8, 16))
  config.model.dequantizer.units_per_step = 1
  config.model.dequantizer.encoder_channels = (8, 16)
  config.train.batch_size = 32
  config.train.learning_rate = 1e-2
  config.train.warmup_steps = 100
  config.train.lr_decay = "cosine"
  config.train.ema_decay = 0.995
  config.train.steps = 2400
  config.train.log_every = 250
  config.eval.temperature = 0.7
  return config


def tiny():
  """A seconds-long smoke run: one step per level segment, width 8."""
  config = common.tiny(default())
  config.model.dequantization = "uniform"
  config.model.update(levels=(1, (1, 1), 1), hidden_channels=(8, 8, 8),
                      units_per_step=1)
  return config


PRESETS = {"default": default, "cifar10": cifar10, "imagenet64": imagenet64,
           "celeba256": celeba256, "tiny": tiny}


def get_config(preset="default"):
  """Entry point for `ml_collections.config_flags`: `--config=<file>:<preset>`."""
  return common.preset(PRESETS, preset, family="macow")
