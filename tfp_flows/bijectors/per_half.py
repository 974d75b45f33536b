"""One bijector per half of a partition (Flow++'s layers on (x_a, x_b) pairs)."""

from tfp_flows.bijectors import flow_bijector
from tfp_flows.bijectors import partitions


class PerHalf(flow_bijector.FlowBijector):
  """`y = merge(first(x_a), second(x_b))` for `(x_a, x_b) = split(x)`.

  Flow++ keeps the image as a pair of halves through a stage and applies its
  "Pointwise" 1x1 convolution with a separate C x C matrix to each half; this
  is that construction for any pair of shape-preserving bijectors. The halves
  transform independently, so the Jacobian is block-diagonal and

      log|det J| = log|det J_first| + log|det J_second|.

  Args:
    partition: a `partitions.Partition` or its name.
    first, second: `FlowBijector`s on the first and second half (built for
      the half's shape, `partition.half_shapes(event_shape)`).
  """

  def __init__(self, partition, first, second, validate_args=False,
               name="per_half"):
    parameters = dict(locals())
    self._partition = partitions.get_partition(partition)
    self._first = first
    self._second = second
    super().__init__(parameters=parameters, name=name,
                     is_constant_jacobian=(first.is_constant_jacobian and
                                           second.is_constant_jacobian),
                     validate_args=validate_args)

  @property
  def partition(self):
    return self._partition

  def _apply(self, method, x, training, context):
    first, second = self._partition.split(x)
    first, first_log_det = getattr(self._first, method)(
        first, training=training, context=context)
    second, second_log_det = getattr(self._second, method)(
        second, training=training, context=context)
    return (self._partition.merge(first, second),
            first_log_det + second_log_det)

  def _forward_and_log_det(self, x, training, context=None):
    return self._apply("forward_and_log_det", x, training, context)

  def _inverse_and_log_det(self, y, training, context=None):
    return self._apply("inverse_and_log_det", y, training, context)

