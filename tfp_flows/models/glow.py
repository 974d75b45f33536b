"""Glow (Kingma & Dhariwal 2018), assembled from the package's bijectors.

    level l (of L):  squeeze 2x2                      [H, W, C] -> [H/2, W/2, 4C]
                     K x step:  ActNorm (per channel)
                                invertible 1x1 conv (LU)
                                affine coupling, channel split, Glow net
                     if l < L:  half the channels leave to a conditional
                                Gaussian prior; level l+1 takes the rest
                     unsqueeze (so the level keeps its input's shape)
"""

from tfp_flows import bijectors
from tfp_flows import nets
from tfp_flows.models import shapes


def check_event_shape(config, event_shape):
  shapes.check_halvings(event_shape, config.num_levels, "num_levels")


def build_core(config, event_shape):
  """The normalizing flow from preprocessed images to N(0, I) latents."""
  check_event_shape(config, event_shape)
  network_fn = nets.network_builder(
      "glow", hidden_channels=config.hidden_channels)
  prior_fn = nets.network_builder("zero_conv")
  return _level(tuple(event_shape), 0, config, network_fn, prior_fn)


def _step(shape, name, network_fn, seed):
  return bijectors.Sequential([
      bijectors.ActNorm(shape),
      bijectors.InvertibleConv1x1(shape[-1], init="rotation", seed=seed),
      bijectors.Coupling(shape, "channels", network_fn,
                         transform=bijectors.AffineTransform("sigmoid")),
  ], name=name)


def _level(shape, index, config, network_fn, prior_fn):
  h, w, c = shape
  squeezed = (h // 2, w // 2, 4 * c)
  layers = [bijectors.Squeeze()]
  layers += [
      _step(squeezed, f"level_{index}_step_{k}", network_fn,
            seed=1000 * index + k)
      for k in range(config.steps_per_level)
  ]
  if index + 1 < config.num_levels:
    stay = (squeezed[0], squeezed[1], squeezed[2] // 2)
    layers.append(bijectors.FactorOut(
        squeezed, 0.5, prior_fn,
        inner=_level(stay, index + 1, config, network_fn, prior_fn),
        name=f"level_{index}_factor_out"))
  layers.append(bijectors.Unsqueeze())
  return bijectors.Sequential(layers, name=f"level_{index}")
