"""RealNVP (Dinh et al. 2017), assembled from the package's bijectors.

    scale s (of S-1):  3 x [ActNorm, affine coupling, checkerboard]  [H, W, C]
                       squeeze 2x2                          -> [H/2, W/2, 4C]
                       3 x [ActNorm, affine coupling, channel split]
                       half the channels leave; scale s+1 takes the rest
    last scale:        4 x [ActNorm, affine coupling, checkerboard]

Couplings alternate which half conditions; the networks are ResNets. ActNorm
replaces the paper's batch norm (batch statistics would make an image's
density depend on its batch). The priors of the leaving halves are
zero-initialised 3x3 convs with an exp scale, as Glow's.
"""

from tfp_flows import bijectors
from tfp_flows import nets
from tfp_flows.models import multiscale
from tfp_flows.models import shapes


def stages(config, channels):
  """Per scale but the last: checkerboard steps, then squeezed channel steps
  that let half the channels leave; the last scale: checkerboard steps."""
  result = []
  for scale in range(config.num_scales - 1):
    channels *= 4
    result += [multiscale.Stage(3, level=scale, kind="checkerboard"),
               multiscale.Stage(3, squeeze=True, leave=channels // 2,
                                level=scale, kind="channels")]
    channels //= 2
  return result + [multiscale.Stage(4, level=config.num_scales - 1,
                                    kind="checkerboard")]


def check_event_shape(config, event_shape):
  multiscale.check_event_shape(event_shape, stages(config, event_shape[-1]))
  shapes.check_even_width(event_shape, config.num_scales - 1, "checkerboard")


def build_core(config, event_shape, scan_repeats=False):
  """The normalizing flow from preprocessed images to N(0, I) latents."""
  network_fn = nets.network_builder(
      "resnet", hidden_channels=config.hidden_channels,
      num_blocks=config.num_blocks, scan_blocks=scan_repeats)

  def step(shape, name, stage, k):
    return [bijectors.ActNorm(shape, name=f"{name}_act_norm"),
            bijectors.Coupling(
                shape, stage.kind, network_fn, swap=bool(k % 2),
                transform=bijectors.AffineTransform("exp_tanh"),
                name=f"{name}_coupling")]

  def split(*unused_shape_leave_name_level):
    return dict(prior_network_fn=nets.network_builder("zero_conv"))

  return multiscale.build(event_shape, stages(config, event_shape[-1]), step,
                          split, scan_repeats=scan_repeats)
