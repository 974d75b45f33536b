"""Tests for MaCow's masked convolutional flow in every orientation."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util as util
from tfp_flows.bijectors import flow_bijector
from tfp_flows.bijectors import masked_conv

# Not square, so a swapped height and width, or a transposed kernel, shows.
SHAPE = (5, 4, 2)
HIDDEN = 8
CONTEXT_CHANNELS = 3
ORIENTATIONS = ("A", "B", "C", "D")


def _mcf(orientation, additive=False, conditional=False, shape=SHAPE,
         kernel_size=(2, 3), validate_args=False):
  return masked_conv.MaskedConvFlow(
      shape, orientation, HIDDEN, kernel_size=kernel_size, additive=additive,
      context_channels=CONTEXT_CHANNELS if conditional else 0,
      validate_args=validate_args)


def _perturbed(test, orientation, additive=False, conditional=False,
               **kwargs):
  bijector = _mcf(orientation, additive, conditional, **kwargs)
  util.perturb_all_variables(test, bijector)
  return bijector


def _context(seed, batch=None, shape=SHAPE):
  size = tuple(shape[:2]) + (CONTEXT_CHANNELS,)
  if batch is not None:
    size = (batch,) + size
  return np.random.default_rng(seed).normal(size=size).astype(np.float32)


class _FixedContext(flow_bijector.FlowBijector):
  """A conditional bijector seen as an unconditional one: one context image,
  repeated over the batch, so the shared checks (which pass no context) apply.
  """

  def __init__(self, bijector, context):
    parameters = dict(locals())
    self.inner = bijector
    self._context = tf.constant(context)
    super().__init__(parameters=parameters, name="fixed_context")

  def _batch_context(self, x):
    return tf.repeat(self._context[None], tf.shape(x)[0], axis=0)

  def _forward_and_log_det(self, x, training, context=None):
    return self.inner.forward_and_log_det(
        x, training=training, context=self._batch_context(x))

  def _inverse_and_log_det(self, y, training, context=None):
    return self.inner.inverse_and_log_det(
        y, training=training, context=self._batch_context(y))


def _unconditional(bijector, seed=7):
  if not bijector.context_channels:
    return bijector
  return _FixedContext(bijector, _context(seed))


def _dense_jacobian(fn, image):
  """d fn(x) / dx of one image `[H, W, C]`, as a `[D, D]` float64 matrix."""
  x = util.fresh(np.asarray(image)[None])
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = fn(x)
  size = int(np.prod(image.shape))
  return np.reshape(np.asarray(tape.jacobian(y, x), np.float64),
                    [size, size])


def _visible_mask(orientation, shape, kernel_size):
  """`mask[i, j, r, c]`: may output pixel (i, j) depend on input (r, c)?

  Written from the definition of each orientation, not from the bijector's
  frame maps, so a wrong map cannot hide behind a matching wrong mask.
  """
  height, width = shape[:2]
  kernel_h, kernel_w = kernel_size
  half = kernel_w // 2
  i, j, r, c = np.meshgrid(np.arange(height), np.arange(width),
                           np.arange(height), np.arange(width),
                           indexing="ij")
  if orientation == "A":
    seen = (i - kernel_h <= r) & (r <= i - 1) & (np.abs(c - j) <= half)
  elif orientation == "B":
    seen = (i + 1 <= r) & (r <= i + kernel_h) & (np.abs(c - j) <= half)
  elif orientation == "C":
    seen = (j - kernel_h <= c) & (c <= j - 1) & (np.abs(r - i) <= half)
  else:
    seen = (j + 1 <= c) & (c <= j + kernel_h) & (np.abs(r - i) <= half)
  return seen | ((r == i) & (c == j))


def _decoding_order(orientation, shape):
  """Index tuples of the image lines, in the order the inverse recovers them."""
  height, width = shape[:2]
  if orientation in ("A", "B"):
    rows = range(height) if orientation == "A" else reversed(range(height))
    return [np.s_[:, i, :, :] for i in rows]
  cols = range(width) if orientation == "C" else reversed(range(width))
  return [np.s_[:, :, j, :] for j in cols]


def _naive_inverse(bijector, y, orientation, context=None):
  """Inverts line by line with two full forward passes per line.

  With the lines before line k recovered, `forward` is affine in line k:
  `y_k = x_k * scale + mu` where scale and mu depend on earlier lines only,
  so setting line k to 0 and then to 1 reads off mu and mu + scale.
  """
  y = np.asarray(y, np.float32)
  x = np.zeros_like(y)
  kwargs = {} if context is None else {"context": util.fresh(context)}
  for line in _decoding_order(orientation, y.shape[1:]):
    x[line] = 0.0
    mu = np.asarray(bijector.forward(util.fresh(x), **kwargs))[line]
    x[line] = 1.0
    scale = np.asarray(bijector.forward(util.fresh(x), **kwargs))[line] - mu
    x[line] = (y[line] - mu) / scale
  return x


def _traced_inverse_op_counts(bijector, shape):
  """Op counts of the traced inverse: the graph, then each library function."""
  fn = tf.function(lambda y: bijector.inverse_and_log_det(y))
  graph_def = fn.get_concrete_function(
      tf.TensorSpec((None,) + tuple(shape))).graph.as_graph_def()
  op_types = {node.op for node in graph_def.node}
  return (len(graph_def.node),
          sorted(len(f.node_def) for f in graph_def.library.function),
          op_types)


class MaskedConvFlowTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.product(orientation=ORIENTATIONS, additive=[False, True],
                         conditional=[False, True])
  def test_invertible_and_log_det_matches_autodiff(self, orientation,
                                                   additive, conditional):
    bijector = _perturbed(self, orientation, additive, conditional)
    checked = _unconditional(bijector)
    x = np.random.default_rng(0).normal(size=(3,) + SHAPE)
    util.assert_invertible(self, checked, x)
    log_det = util.assert_log_det_matches_autodiff(self, checked, x[:2])
    if additive:
      self.assertAllEqual(log_det, np.zeros(2))
    else:
      util.assert_log_det_varies(self, checked, x[:2])

  @parameterized.parameters(*ORIENTATIONS)
  def test_gradient_has_no_strided_writes(self, orientation):
    bijector = _unconditional(_perturbed(self, orientation))
    util.assert_gradient_has_no_strided_writes(
        self, bijector, np.zeros((2,) + SHAPE))

  @parameterized.product(orientation=ORIENTATIONS, conditional=[False, True])
  def test_inverse_jacobian_is_the_inverse_matrix(self, orientation,
                                                  conditional):
    bijector = _unconditional(_perturbed(self, orientation,
                                         conditional=conditional))
    x = np.random.default_rng(1).normal(size=SHAPE)
    y = np.asarray(bijector.forward(util.fresh(x[None])))[0]
    forward_jacobian = _dense_jacobian(bijector.forward, x)
    inverse_jacobian = _dense_jacobian(bijector.inverse, y)
    self.assertTrue(np.all(np.isfinite(inverse_jacobian)))
    self.assertAllClose(inverse_jacobian, np.linalg.inv(forward_jacobian),
                        atol=1e-4, rtol=1e-4)

  @parameterized.product(orientation=ORIENTATIONS,
                         kernel_size=[(2, 3), (1, 5), (3, 1)])
  def test_each_output_sees_exactly_its_receptive_field(self, orientation,
                                                        kernel_size):
    bijector = _perturbed(self, orientation, kernel_size=kernel_size)
    x = np.random.default_rng(2).normal(size=SHAPE)
    jacobian = np.reshape(_dense_jacobian(bijector.forward, x), SHAPE + SHAPE)
    per_pixel = np.abs(jacobian).sum(axis=(2, 5))
    mask = _visible_mask(orientation, SHAPE, kernel_size)
    self.assertAllEqual(per_pixel[~mask], np.zeros(np.sum(~mask)))
    self.assertTrue(np.all(per_pixel[mask] > 0),
                    msg=f"unseen pixels: {np.argwhere(mask & (per_pixel == 0))}")
    # A pixel's own channels pass through an elementwise map: diagonal block.
    for i in range(SHAPE[0]):
      for j in range(SHAPE[1]):
        block = jacobian[i, j, :, i, j, :]
        self.assertAllEqual(block - np.diag(np.diag(block)),
                            np.zeros_like(block))

  def test_conditioning_reaches_the_output_causally(self):
    """The context is not masked: a 3x3 neighbourhood of it feeds each pixel."""
    bijector = _perturbed(self, "C", conditional=True)
    x = util.fresh(np.random.default_rng(3).normal(size=(1,) + SHAPE))
    context = util.fresh(_context(4, batch=1))
    with tf.GradientTape() as tape:
      tape.watch(context)
      y = bijector.forward(x, context=context)
    jacobian = np.abs(np.asarray(tape.jacobian(y, context))[0, :, :, :, 0])
    per_pixel = jacobian.sum(axis=(2, 5))
    i, j, r, c = np.meshgrid(*(np.arange(d) for d in SHAPE[:2] * 2),
                             indexing="ij")
    near = (np.abs(r - i) <= 1) & (np.abs(c - j) <= 1)
    self.assertAllEqual(per_pixel[~near], np.zeros(np.sum(~near)))
    self.assertTrue(np.all(per_pixel[near] > 0))

  @parameterized.product(orientation=ORIENTATIONS, additive=[False, True],
                         conditional=[False, True])
  def test_windowed_inverse_equals_naive_inverse(self, orientation, additive,
                                                 conditional):
    bijector = _perturbed(self, orientation, additive, conditional)
    rng = np.random.default_rng(5)
    y = rng.normal(size=(2,) + SHAPE)
    context = _context(6, batch=2) if conditional else None
    kwargs = {} if context is None else {"context": util.fresh(context)}
    windowed = bijector.inverse(util.fresh(y), **kwargs)
    naive = _naive_inverse(bijector, y, orientation, context)
    self.assertAllClose(windowed, naive, atol=1e-5, rtol=1e-5)

  @parameterized.product(orientation=ORIENTATIONS, conditional=[False, True])
  def test_traced_inverse_does_not_grow_with_the_image(self, orientation,
                                                       conditional):
    counts = []
    for shape in [(8, 8, 2), (32, 8, 2), (8, 32, 2)]:
      bijector = _mcf(orientation, conditional=conditional, shape=shape)
      if conditional:
        bijector = _FixedContext(bijector, _context(0, shape=shape))
      counts.append(_traced_inverse_op_counts(bijector, shape))
    nodes, functions, op_types = counts[0]
    self.assertTrue(op_types & {"While", "StatelessWhile"})
    self.assertNotEmpty(functions)
    for other in counts[1:]:
      self.assertEqual((nodes, functions), other[:2])

  @parameterized.product(orientation=ORIENTATIONS, conditional=[False, True])
  def test_xla_and_unknown_batch_match_eager(self, orientation, conditional):
    bijector = _perturbed(self, orientation, conditional=conditional)
    rng = np.random.default_rng(8)
    x = rng.normal(size=(3,) + SHAPE)
    context = _context(9, batch=3) if conditional else None
    specs = [tf.TensorSpec((None,) + SHAPE)]
    if conditional:
      specs.append(tf.TensorSpec((None,) + SHAPE[:2] + (CONTEXT_CHANNELS,)))

    def both_ways(x, context=None):
      y, log_det = bijector.forward_and_log_det(x, context=context)
      x_back, inverse_log_det = bijector.inverse_and_log_det(
          y * 1.0, context=context)
      return y, log_det, x_back, inverse_log_det

    args = [util.fresh(x)] + ([util.fresh(context)] if conditional else [])
    eager = both_ways(*args)
    for jit_compile in (False, True):
      traced = tf.function(both_ways, input_signature=specs,
                           jit_compile=jit_compile)
      for got, want in zip(traced(*args), eager):
        self.assertAllClose(got, want, atol=1e-5, rtol=1e-5)
    self.assertAllClose(eager[2], x, atol=1e-4)

  @parameterized.parameters(False, True)
  def test_weights_exist_at_construction(self, conditional):
    bijector = _mcf("D", conditional=conditional)
    before = [(v.name, tuple(v.shape)) for v in bijector.trainable_variables]
    expected = {(2, 3, 2, HIDDEN), (HIDDEN,), (1, 1, HIDDEN, 4), (4,)}
    if conditional:
      expected.add((3, 3, CONTEXT_CHANNELS, HIDDEN))
    self.assertLen(before, 6 if conditional else 4)
    self.assertEqual({shape for _, shape in before}, expected)
    context = util.fresh(_context(0, batch=2)) if conditional else None
    y = bijector.forward(util.fresh(np.zeros((2,) + SHAPE)), context=context)
    bijector.inverse(y * 1.0, context=context)
    after = [(v.name, tuple(v.shape)) for v in bijector.trainable_variables]
    self.assertEqual(before, after)

  def test_every_weight_gets_a_gradient(self):
    bijector = _perturbed(self, "B", conditional=True)
    x = util.fresh(np.random.default_rng(10).normal(size=(2,) + SHAPE))
    context = util.fresh(_context(11, batch=2))
    with tf.GradientTape() as tape:
      y, log_det = bijector.forward_and_log_det(x, context=context)
      loss = tf.reduce_sum(y ** 2) - tf.reduce_sum(log_det)
    gradients = tape.gradient(loss, bijector.trainable_variables)
    for variable, gradient in zip(bijector.trainable_variables, gradients):
      self.assertIsNotNone(gradient, msg=variable.name)
      self.assertGreater(float(tf.reduce_max(tf.abs(gradient))), 0.0,
                         msg=variable.name)

  @parameterized.parameters(*ORIENTATIONS)
  def test_fresh_affine_flow_scales_by_sigmoid_of_two(self, orientation):
    bijector = _mcf(orientation)
    x = np.random.default_rng(12).normal(size=(2,) + SHAPE)
    y, log_det = bijector.forward_and_log_det(util.fresh(x))
    scale = 1.0 / (1.0 + np.exp(-2.0))
    self.assertAllClose(y, x * scale, atol=1e-6)
    self.assertAllClose(log_det, np.full(2, np.prod(SHAPE) * np.log(scale)),
                        atol=1e-4)
    x_back, inverse_log_det = bijector.inverse_and_log_det(util.fresh(y))
    self.assertAllClose(x_back, x, atol=1e-5)
    self.assertAllClose(inverse_log_det, -log_det, atol=1e-4)

  def test_additive_flow_has_zero_log_det(self):
    fresh = _mcf("A", additive=True)
    self.assertTrue(fresh.is_constant_jacobian)
    x = np.random.default_rng(13).normal(size=(2,) + SHAPE)
    y, log_det = fresh.forward_and_log_det(util.fresh(x))
    self.assertAllClose(y, x, atol=0.0)
    self.assertAllEqual(log_det, np.zeros(2))
    perturbed = _perturbed(self, "C", additive=True)
    y, log_det = perturbed.forward_and_log_det(util.fresh(x))
    self.assertNotAllClose(y, x)
    self.assertAllEqual(log_det, np.zeros(2))
    self.assertAllEqual(perturbed.inverse_and_log_det(util.fresh(y))[1],
                        np.zeros(2))

  def test_context_changes_the_output_per_batch_element(self):
    bijector = _perturbed(self, "A", conditional=True)
    x = np.random.default_rng(14).normal(size=(2,) + SHAPE)
    context = _context(15, batch=2)
    y = bijector.forward(util.fresh(x), context=util.fresh(context))
    for k in range(2):
      alone = bijector.forward(util.fresh(x[k:k + 1]),
                               context=util.fresh(context[k:k + 1]))
      self.assertAllClose(alone[0], y[k], atol=1e-6)
    other = bijector.forward(util.fresh(x), context=util.fresh(context[::-1]))
    self.assertNotAllClose(other, y)
    fused, _ = bijector.forward_and_log_det(util.fresh(x),
                                            context=util.fresh(context))
    self.assertAllClose(fused, y, atol=1e-6)

  def test_batch_dimensions_are_flattened_and_restored(self):
    bijector = _perturbed(self, "D")
    x = np.random.default_rng(16).normal(size=(2, 3) + SHAPE)
    y, log_det = bijector.forward_and_log_det(util.fresh(x))
    self.assertEqual(y.shape, x.shape)
    self.assertEqual(log_det.shape, (2, 3))
    x_back, _ = bijector.inverse_and_log_det(util.fresh(y))
    self.assertAllClose(x_back, x, atol=1e-4)

  def test_parameters_and_attributes(self):
    bijector = _mcf("C", additive=True, conditional=True, kernel_size=(2, 5))
    self.assertEqual(bijector.orientation, "C")
    self.assertEqual(bijector.kernel_size, (2, 5))
    self.assertEqual(bijector.hidden_channels, HIDDEN)
    self.assertTrue(bijector.additive)
    self.assertEqual(bijector.context_channels, CONTEXT_CHANNELS)
    self.assertEqual(bijector.parameters["orientation"], "C")
    self.assertEqual(bijector.parameters["event_shape"], SHAPE)

  def test_constructor_rejects_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "A, B, C, D.*'E'"):
      _mcf("E")
    with self.assertRaisesRegex(ValueError, "odd width.*\\(2, 2\\)"):
      _mcf("A", kernel_size=(2, 2))
    with self.assertRaisesRegex(ValueError, "positive"):
      _mcf("A", kernel_size=(0, 3))

  def test_validate_args_rejects_mismatched_shapes(self):
    strict = _mcf("B", conditional=True, validate_args=True)
    context = util.fresh(_context(0, batch=2))
    with self.assertRaisesRegex(ValueError,
                                r"expected event shape \(5, 4, 2\); got "
                                r"\(6, 4, 2\)"):
      strict.forward(util.fresh(np.zeros((2, 6, 4, 2))), context=context)
    with self.assertRaisesRegex(ValueError,
                                r"context of shape \[N, 5, 4, 3\]; got "
                                r"\(2, 5, 4, 1\)"):
      strict.inverse(util.fresh(np.zeros((2,) + SHAPE)),
                     context=util.fresh(np.zeros((2, 5, 4, 1))))
    with self.assertRaisesRegex(ValueError, r"context of shape \[N, 5, 4"):
      strict.forward(util.fresh(np.zeros((2,) + SHAPE)),
                     context=util.fresh(np.zeros((2, 4, 4, 3))))
    with self.assertRaisesRegex(ValueError, "no context was given"):
      strict.forward(util.fresh(np.zeros((2,) + SHAPE)))
    # An unconditional MCF ignores a context, as unconditional layers do.
    unconditional = _mcf("A")
    self.assertAllClose(
        unconditional.forward(util.fresh(np.ones((2,) + SHAPE)),
                              context=context),
        unconditional.forward(util.fresh(np.ones((2,) + SHAPE))))
    with self.assertRaisesRegex(ValueError, r"images \[N, H, W, 2\]"):
      _mcf("A").forward(util.fresh(np.zeros((2, 5, 4, 3))))

  def test_without_validate_args_any_image_size_inverts(self):
    bijector = _perturbed(self, "C")
    x = np.random.default_rng(17).normal(size=(2, 3, 6, 2))
    util.assert_invertible(self, bijector, x)


if __name__ == "__main__":
  tf.test.main()
