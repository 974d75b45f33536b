"""RealNVP (Dinh et al. 2017), assembled from the package's bijectors.

    scale s (of S-1):  3 x [ActNorm, affine coupling, checkerboard]  [H, W, C]
                       squeeze 2x2                          -> [H/2, W/2, 4C]
                       3 x [ActNorm, affine coupling, channel split]
                       half the channels leave; scale s+1 takes the rest
                       unsqueeze
    last scale:        4 x [ActNorm, affine coupling, checkerboard]

Couplings alternate which half conditions; the networks are ResNets. ActNorm
replaces the paper's batch norm (batch statistics would make an image's
density depend on its batch).
"""

from tfp_flows import bijectors
from tfp_flows import nets
from tfp_flows.models import shapes


def check_event_shape(config, event_shape):
  shapes.check_halvings(event_shape, config.num_scales - 1, "num_scales - 1")
  shapes.check_even_width(event_shape, config.num_scales - 1, "checkerboard")


def build_core(config, event_shape):
  """The normalizing flow from preprocessed images to N(0, I) latents."""
  check_event_shape(config, event_shape)
  network_fn = nets.network_builder(
      "resnet", hidden_channels=config.hidden_channels,
      num_blocks=config.num_blocks)
  prior_fn = nets.network_builder("zero_conv")
  return _scale(tuple(event_shape), 0, config, network_fn, prior_fn)


def _couplings(shape, partition, count, prefix, network_fn):
  layers = []
  for k in range(count):
    layers.append(bijectors.ActNorm(shape, name=f"{prefix}_{k}_act_norm"))
    layers.append(bijectors.Coupling(
        shape, partition, network_fn, swap=bool(k % 2),
        transform=bijectors.AffineTransform("exp_tanh"),
        name=f"{prefix}_{k}_coupling"))
  return layers


def _scale(shape, index, config, network_fn, prior_fn):
  prefix = f"scale_{index}"
  if index + 1 == config.num_scales:
    return bijectors.Sequential(
        _couplings(shape, "checkerboard", 4, f"{prefix}_checkerboard",
                   network_fn), name=prefix)
  h, w, c = shape
  squeezed = (h // 2, w // 2, 4 * c)
  stay = (h // 2, w // 2, 2 * c)
  layers = _couplings(shape, "checkerboard", 3, f"{prefix}_checkerboard",
                      network_fn)
  layers.append(bijectors.Squeeze())
  layers += _couplings(squeezed, "channels", 3, f"{prefix}_channels",
                       network_fn)
  layers.append(bijectors.FactorOut(
      squeezed, 0.5, prior_fn,
      inner=_scale(stay, index + 1, config, network_fn, prior_fn),
      name=f"{prefix}_factor_out"))
  layers.append(bijectors.Unsqueeze())
  return bijectors.Sequential(layers, name=prefix)
