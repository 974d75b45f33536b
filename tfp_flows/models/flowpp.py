"""Flow++ (Ho et al. 2019), assembled from the package's bijectors.

    logit preprocessing                                          [H, W, C]
    stage 1:  column split            4 x [Norm, Pointwise, coupling, flip]
    stage 2:  squeeze 2x2, channel split                  -> [H/2, W/2, 4C]
                                      2 x [Norm, Pointwise, coupling, flip]
    stage 3:  column split            3 x [Norm, Pointwise, coupling, flip]
              unsqueeze (nothing is factored out)

Couplings: mixture of K logistics CDF + affine (`coupling='affine'` drops
the CDF, K = 0); networks: gated residual convs with multi-head
self-attention (`attention=False` drops it). Dequantization: variational
(`tfp_flows.dequantization.VariationalDequantizer`) or uniform. The counts of
couplings per stage are `config.couplings_per_stage`.
"""

from tfp_flows import bijectors
from tfp_flows import nets
from tfp_flows.models import shapes

COUPLINGS = ("mixture_logistic", "affine")


def check_event_shape(config, event_shape):
  del config  # The layout is fixed: one squeeze, column splits around it.
  shapes.check_even_width(event_shape, 0, "column split")
  shapes.check_halvings(event_shape, 1, "Flow++'s squeeze")
  shapes.check_even_width(event_shape, 1, "column split")


def coupling_transform(config):
  if config.coupling not in COUPLINGS:
    raise ValueError(
        f"Unknown coupling {config.coupling!r}; choose one of "
        f"{list(COUPLINGS)}.")
  return bijectors.MixtureLogisticTransform(
      config.num_components if config.coupling == "mixture_logistic" else 0)


def build_core(config, event_shape):
  """The normalizing flow from preprocessed images to N(0, I) latents."""
  check_event_shape(config, event_shape)
  if len(config.couplings_per_stage) != 3:
    raise ValueError(
        f"couplings_per_stage needs 3 counts (Flow++'s stages); got "
        f"{tuple(config.couplings_per_stage)}.")
  network_fn = nets.network_builder(
      "flowpp", hidden_channels=config.hidden_channels,
      num_blocks=config.num_blocks, attention=config.attention,
      heads=config.heads, dropout=config.dropout)
  transform = coupling_transform(config)
  h, w, c = event_shape
  squeezed = (h // 2, w // 2, 4 * c)
  ones, twos, threes = config.couplings_per_stage

  def stage(index, shape, partition, count):
    name = f"stage_{index}"
    return bijectors.Sequential(
        [bijectors.steps.flowpp_step(
            shape, partition, network_fn, transform, swap=bool(k % 2),
            seed=100 * index + 2 * k, name=f"{name}_{k}")
         for k in range(count)], name=name)

  return bijectors.Sequential([
      stage(1, event_shape, "columns", ones),
      bijectors.Squeeze(),
      stage(2, squeezed, "channels", twos),
      stage(3, squeezed, "columns", threes),
      bijectors.Unsqueeze(),
  ], name="flowpp")
