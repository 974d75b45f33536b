"""Glow (Kingma & Dhariwal 2018), assembled from the package's bijectors.

    level l (of L):  squeeze 2x2                      [H, W, C] -> [H/2, W/2, 4C]
                     K x step:  ActNorm (per channel)
                                invertible 1x1 conv (LU)
                                affine coupling, channel split, Glow net
                     if l < L:  half the channels leave to a conditional
                                Gaussian prior (zero-initialised 3x3 conv,
                                exp scale); level l+1 takes the rest
"""

from tfp_flows import bijectors
from tfp_flows import nets
from tfp_flows.models import multiscale


def stages(config, channels):
  """`[Stage(K, squeeze, leave half)] * (L - 1) + [Stage(K, squeeze)]`."""
  result = []
  for level in range(config.num_levels):
    channels *= 4
    last = level + 1 == config.num_levels
    result.append(multiscale.Stage(config.steps_per_level, squeeze=True,
                                   leave=0 if last else channels // 2,
                                   level=level))
    channels -= result[-1].leave
  return result


def check_event_shape(config, event_shape):
  multiscale.check_event_shape(event_shape, stages(config, event_shape[-1]))


def build_core(config, event_shape, scan_repeats=False):
  """The normalizing flow from preprocessed images to N(0, I) latents."""
  network_fn = nets.network_builder(
      "glow", hidden_channels=config.hidden_channels)

  def step(shape, name, stage, k):
    return [bijectors.Sequential([
        bijectors.ActNorm(shape),
        bijectors.InvertibleConv1x1(shape[-1], init="rotation",
                                    seed=1000 * stage.level + k),
        bijectors.Coupling(shape, "channels", network_fn,
                           transform=bijectors.AffineTransform("sigmoid")),
    ], name=name)]

  def split(*unused_shape_leave_name_level):
    return dict(prior_network_fn=nets.network_builder("zero_conv"))

  return multiscale.build(event_shape, stages(config, event_shape[-1]),
                          step, split, scan_repeats=scan_repeats)
