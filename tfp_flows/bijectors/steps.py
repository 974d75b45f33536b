"""Steps of flow: the fixed sequences of layers that papers repeat."""

from tfp_flows.bijectors import act_norm
from tfp_flows.bijectors import coupling
from tfp_flows.bijectors import invertible_conv
from tfp_flows.bijectors import partitions
from tfp_flows.bijectors import per_half
from tfp_flows.bijectors import sequential


def flowpp_steps(event_shape, partition, count, network_fn, transform,
                 name, seed=0, context_shape=None):
  """`count` Flow++ steps `[Norm, Pointwise, coupling, flip]`, as a list.

  Step k is named `<name>_<k>`; the flips alternate which half conditions
  (`swap = k % 2`). Flow++'s stages and its dequantization flow are such
  stacks.
  """
  return [flowpp_step(event_shape, partition, network_fn, transform,
                      swap=bool(k % 2), seed=seed + 2 * k,
                      context_shape=context_shape, name=f"{name}_{k}")
          for k in range(count)]


def flowpp_step(event_shape, partition, network_fn, transform, swap, seed=0,
                context_shape=None, name="flowpp_step"):
  """Flow++'s `[Norm, Pointwise, coupling]`, before a flip (`swap`).

  "Norm" is ActNorm with per-position scale and bias over the whole image
  (the same parameters as one per half); "Pointwise" is an invertible 1x1
  convolution with its own C x C matrix for each half of `partition`,
  initialised at the identity plus small noise.
  """
  event_shape = tuple(int(d) for d in event_shape)
  split = partitions.get_partition(partition)
  first_shape, second_shape = split.half_shapes(event_shape)
  return sequential.Sequential([
      act_norm.ActNorm(event_shape, per_position=True, name=f"{name}_norm"),
      per_half.PerHalf(
          split,
          invertible_conv.InvertibleConv1x1(
              first_shape[-1], init="identity", seed=seed,
              name=f"{name}_pointwise_a"),
          invertible_conv.InvertibleConv1x1(
              second_shape[-1], init="identity", seed=seed + 1,
              name=f"{name}_pointwise_b"),
          name=f"{name}_pointwise"),
      coupling.Coupling(event_shape, split.name, network_fn,
                        transform=transform, swap=swap,
                        context_shape=context_shape,
                        name=f"{name}_coupling"),
  ], name=name)
