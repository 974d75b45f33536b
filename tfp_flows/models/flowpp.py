"""Flow++ (Ho et al. 2019), assembled from the package's bijectors.

    logit preprocessing                                          [H, W, C]
    stage 1:  column split            4 x [Norm, Pointwise, coupling, flip]
    stage 2:  squeeze 2x2, channel split                  -> [H/2, W/2, 4C]
                                      2 x [Norm, Pointwise, coupling, flip]
    stage 3:  column split            3 x [Norm, Pointwise, coupling, flip]
              unsqueeze (nothing is factored out)

Couplings: mixture of K logistics CDF + affine (`coupling='affine'` drops
the CDF, K = 0); networks: gated residual convs with multi-head
self-attention (`attention=False` drops it). The counts of couplings per
stage are `config.couplings_per_stage`. `config.masked_conv_units` (one
count per stage) puts that many MaCow units (ActNorm, masked-conv flows
A, B, ActNorm, C, D, on the whole stage's image) before each coupling step:
Flow++ with masked convolutions, as the MaCow reviewers asked.

Variational dequantization, q(u | x) (`build_dequantizer`; Glow's and
RealNVP's CPU defaults use it too):

    context:  x / 2^n_bits - 0.5, column halves stacked on channels
              3x3 conv -> B x gated conv (3x3 gates)         [H, W/2, F_c]
    flow:     K x [Norm, Pointwise, coupling with context, flip] on eps
              sigmoid -> u in (0, 1)
"""

import tensorflow as tf

from tfp_flows import bijectors
from tfp_flows import dequantization
from tfp_flows import errors
from tfp_flows import nets
from tfp_flows.models import macow
from tfp_flows.models import shapes

COUPLINGS = ("mixture_logistic", "affine")


def check_event_shape(config, event_shape):
  del config  # The layout is fixed: one squeeze, column splits around it.
  shapes.check_even_width(event_shape, 0, "column split")
  shapes.check_halvings(event_shape, 1, "Flow++'s squeeze")
  shapes.check_even_width(event_shape, 1, "column split")


def coupling_transform(config):
  if config.coupling not in COUPLINGS:
    raise errors.ConfigError(
        f"Unknown coupling {config.coupling!r}; choose one of "
        f"{list(COUPLINGS)}.")
  return bijectors.MixtureLogisticTransform(
      config.num_components if config.coupling == "mixture_logistic" else 0)


def build_core(config, event_shape, scan_repeats=False):
  """The normalizing flow from preprocessed images to N(0, I) latents."""
  check_event_shape(config, event_shape)
  units = tuple(config.masked_conv_units)
  for key, counts in (("couplings_per_stage", config.couplings_per_stage),
                      ("masked_conv_units", units)):
    if len(counts) != 3:
      raise errors.ConfigError(
          f"{key} needs 3 counts (Flow++'s stages); got {tuple(counts)}.")
  network_fn = nets.network_builder(
      "flowpp", hidden_channels=config.hidden_channels,
      num_blocks=config.num_blocks, attention=config.attention,
      heads=config.heads, dropout=config.dropout, scan_blocks=scan_repeats)
  transform = coupling_transform(config)
  h, w, c = event_shape
  squeezed = (h // 2, w // 2, 4 * c)
  ones, twos, threes = config.couplings_per_stage

  def stage(index, shape, partition, count):
    name = f"stage_{index}"
    layers = []
    for k, step in enumerate(bijectors.steps.flowpp_steps(
        shape, partition, count, network_fn, transform, name=name,
        seed=100 * index)):
      for u in range(units[index - 1]):
        layers += macow.unit(shape, f"{name}_{k}_unit_{u}")
      layers.append(step)
    return bijectors.Sequential(layers, scan_repeats=scan_repeats, name=name)

  return bijectors.Sequential([
      stage(1, event_shape, "columns", ones),
      bijectors.Squeeze(),
      stage(2, squeezed, "channels", twos),
      stage(3, squeezed, "columns", threes),
      bijectors.Unsqueeze(),
  ], name="flowpp")


def build_dequantizer(config, event_shape, n_bits, scan_repeats=False):
  """Flow++'s q(u | x), sized by `config` (the model's `dequantizer` section)."""
  h, w, _ = event_shape
  columns = bijectors.get_partition("columns")
  network_fn = nets.network_builder(
      "flowpp", hidden_channels=config.hidden_channels,
      num_blocks=config.num_blocks, attention=config.attention,
      heads=config.heads, dropout=config.dropout, use_context=True,
      scan_blocks=scan_repeats)
  flow = bijectors.Sequential(
      bijectors.steps.flowpp_steps(
          event_shape, "columns", config.num_couplings, network_fn,
          bijectors.MixtureLogisticTransform(config.num_components),
          name="dequant", context_shape=(h, w // 2, config.context_channels))
      + [bijectors.Sigmoid()], scan_repeats=scan_repeats,
      name="dequantization_flow")
  with tf.name_scope("variational_dequantizer"):
    context_network = nets.ContextNet(
        config.context_channels, config.context_blocks, config.dropout,
        scan_blocks=scan_repeats, name="context")
  return dequantization.VariationalDequantizer(
      event_shape, context_network, flow, n_bits,
      context_inputs=lambda centred: tf.concat(columns.split(centred), -1))
