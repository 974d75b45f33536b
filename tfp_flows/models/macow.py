"""MaCow (Ma et al. 2019), assembled from the package's bijectors.

    unit:    ActNorm, MCF-A, MCF-B, ActNorm, MCF-C, MCF-D
             (masked convolutional flows, kernel kH x kW, width 4C for
             C <= 96 channels, else min(2C, 512))
    step:    units_per_step x unit, then a Glow step: ActNorm, invertible
             1x1 conv, affine coupling over channels (the last C//2 change;
             3x3 conv -> ELU -> 1x1 conv -> ELU -> zero 3x3 conv of the
             level's width; scale sigmoid(h + 2))
    levels:  `levels = (4, (12, 12), (12, 12), 12)` (CIFAR-10):
             level 0:      no squeeze; 4 steps                    [H, W, C]
             level l > 0:  squeeze; an integer is that many steps; a list
                           is segments of steps, each followed by a split
                           that leaves C_l / split_factor channels (C_l:
                           the level's channels after its squeeze)
    split:   ActNorm, invertible 1x1 conv, then the leaving channels get a
             conditional Gaussian prior given the staying ones (the
             coupling's net shape; scale sigmoid(h + 2))

`additive=True` drops every scale (MCFs, couplings, priors): MaCow's
CelebA-HQ model, whose log-det is then constant in x. On a 1-channel image
(the level 0 of grey-scale digits) the Glow step is left out: a channel
coupling has nothing to condition on, so such steps are units only.

Variational dequantization (`build_dequantizer`): a small MaCow of the
same construction, conditioned on an encoding `s` of the image (a ResNet
that downsamples once and upsamples back, then a 1x1 conv to
`context_channels`); `s` is squeezed with the flow, every masked conv adds a
3x3 conv of it to its hidden layer and every coupling or prior net
concatenates it to its input; a sigmoid ends the flow.
"""

from tfp_flows import bijectors
from tfp_flows import dequantization
from tfp_flows import errors
from tfp_flows import nets
from tfp_flows.models import multiscale

ORIENTATIONS_PER_UNIT = (("A", "B"), ("C", "D"))


def masked_conv_width(channels):
  """MaCow's masked-conv width for a `channels`-channel input."""
  return 4 * channels if channels <= 96 else min(2 * channels, 512)


def stages(levels, channels, split_factor):
  """The flat list of `multiscale.Stage`s that `levels` describes."""
  result = []
  for level, steps in enumerate(levels):
    if level:
      channels *= 4
    segments = list(steps) if isinstance(steps, (list, tuple)) else [steps]
    leave = channels // split_factor if isinstance(steps, (list, tuple)) else 0
    if isinstance(steps, (list, tuple)) and not leave:
      raise errors.ConfigError(
          f"Level {level} has {channels} channels: a split of 1/"
          f"{split_factor} of them leaves none.")
    for j, count in enumerate(segments):
      result.append(multiscale.Stage(int(count), squeeze=bool(level) and not j,
                                     leave=leave, level=level))
      channels -= leave
  return result


def check_event_shape(config, event_shape):
  _check_widths(config)
  multiscale.check_event_shape(
      event_shape, stages(config.levels, event_shape[-1], config.split_factor))


def build_core(config, event_shape, scan_repeats=False):
  """The normalizing flow from preprocessed images to N(0, I) latents."""
  check_event_shape(config, event_shape)
  return macow_flow(event_shape, config, scan_repeats=scan_repeats)


def build_dequantizer(config, event_shape, n_bits, scan_repeats=False):
  """MaCow's q(u | x), sized by `config` (the model's `dequantizer` section)."""
  _check_widths(config)
  flow = macow_flow(event_shape, config,
                    context_channels=config.context_channels,
                    scan_repeats=scan_repeats)
  return dequantization.VariationalDequantizer(
      event_shape,
      nets.MacowEncoder(config.context_channels, config.encoder_channels,
                        name="encoder"),
      bijectors.Sequential([flow, bijectors.Sigmoid()],
                           name="dequantization_flow"),
      n_bits)


def unit(shape, name, kernel_size=(2, 3), additive=False,
         context_channels=0):
  """MaCow's unit: ActNorm, MCF-A, MCF-B, ActNorm, MCF-C, MCF-D (a list)."""
  layers = []
  for half, orientations in enumerate(ORIENTATIONS_PER_UNIT):
    layers.append(bijectors.ActNorm(shape, name=f"{name}_act_norm_{half}"))
    layers += [bijectors.MaskedConvFlow(
        shape, orientation, masked_conv_width(shape[-1]), kernel_size,
        additive=additive, context_channels=context_channels,
        name=f"{name}_mcf_{orientation}") for orientation in orientations]
  return layers


def macow_flow(event_shape, config, context_channels=0, scan_repeats=False):
  """The multi-scale MaCow flow of `config` (levels, widths, kernel, ...).

  With `context_channels`, every layer with a network is conditioned on a
  context `[N, H, W, context_channels]` on the image's grid.
  `scan_repeats`: identical units and steps run as one traced loop.
  """
  event_shape = tuple(int(d) for d in event_shape)
  kernel_size = tuple(config.kernel_size)
  additive = bool(config.additive)
  pixels = event_shape[0] * event_shape[1]

  def context_shape(shape):
    if not context_channels:
      return None
    return shape[:2] + (context_channels * pixels // (shape[0] * shape[1]),)

  def net(level):
    return nets.network_builder("macow",
                                hidden_channels=config.hidden_channels[level])

  def step(shape, name, stage, k):
    del k
    context = context_shape(shape)
    layers = []
    for u in range(config.units_per_step):
      layers += unit(shape, f"{name}_unit_{u}", kernel_size, additive,
                     context[-1] if context else 0)
    if shape[-1] > 1:
      layers += [
          bijectors.ActNorm(shape, name=f"{name}_act_norm"),
          bijectors.InvertibleConv1x1(shape[-1], name=f"{name}_conv_1x1"),
          bijectors.Coupling(
              shape, "channels", net(stage.level),
              transform=(bijectors.AdditiveTransform() if additive else
                         bijectors.AffineTransform("sigmoid")),
              context_shape=context_shape(shape), name=f"{name}_coupling")]
    return [bijectors.Sequential(layers, scan_repeats=scan_repeats,
                                 name=name)]

  def split(shape, leave, name, level):
    del leave
    return dict(
        prior_network_fn=net(level),
        mix=bijectors.Sequential([
            bijectors.ActNorm(shape, name=f"{name}_act_norm"),
            bijectors.InvertibleConv1x1(shape[-1], name=f"{name}_conv_1x1"),
        ], name=f"{name}_mix"),
        prior_scale="none" if additive else "sigmoid",
        context_shape=context_shape(shape))

  return multiscale.build(
      event_shape, stages(config.levels, event_shape[-1], config.split_factor),
      step, split, scan_repeats=scan_repeats)


def _check_widths(config):
  if len(config.hidden_channels) != len(config.levels):
    raise errors.ConfigError(
        f"hidden_channels needs one width per level: {len(config.levels)} "
        f"levels {tuple(config.levels)}, {len(config.hidden_channels)} widths "
        f"{tuple(config.hidden_channels)}.")
