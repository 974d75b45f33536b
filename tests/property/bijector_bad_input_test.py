"""Properties of every bijector on invalid input: the project's errors.

A wrong event shape, a wrong rank and a wrong dtype are found statically:
each is a `ShapeError` or an `InputTypeError` on every path, eager or traced,
before any work. With `validate_args=True`, values outside the domain (NaN
and infinities everywhere, out-of-range pixels for the preprocessings, the
sigmoid's inverse outside (0, 1)) are a `DataError` eagerly and a failed
assertion in a graph: never a silent NaN.
"""


import hypothesis
from hypothesis import strategies as st
import numpy as np
import tensorflow as tf

from tests.bijector_test_util import fresh
from tests.property import bijector_cases as cases
from tests.property import strategies
from tfp_flows import bijectors
from tfp_flows import errors

ALL_METHODS = cases.FUSED + cases.TFP_API
WRONG_DTYPES = (tf.float64, tf.float16, tf.bfloat16, tf.int32, tf.int64,
                tf.uint8, tf.bool)
NON_FINITE = (np.nan, np.inf, -np.inf)
# The cases that refuse some event shapes.
SHAPED = cases.WEIGHTED + ["squeeze", "unsqueeze"]
# (case, direction, a value outside its domain) for the range checks.
OUT_OF_RANGE = (("centering", "forward_and_log_det", (-1.0, 32.5)),
                ("logit_preprocess", "forward_and_log_det", (-0.5, 256.5)),
                ("sigmoid", "inverse_and_log_det", (0.0, 1.0, 1.5)))


class BijectorBadInputTest(tf.test.TestCase):

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_a_shape_it_was_not_built_for_is_a_shape_error(self, data):
    name = data.draw(st.sampled_from(SHAPED), label="case")
    case = cases.CASES[name]
    built = data.draw(case.shapes, label="built for")
    shape = data.draw(strategies.event_shapes().filter(
        lambda s: not case.takes(built, s)), label="event shape")
    method = data.draw(st.sampled_from(cases.methods(name, ALL_METHODS)),
                       label="method")
    x = np.zeros((data.draw(strategies.batch_sizes),) + shape, np.float32)
    with self.assertRaisesRegex(errors.ShapeError, "shape"):
      cases.call(cases.bijector(name, built), method, fresh(x))

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_fewer_than_three_dimensions_is_a_shape_error(self, data):
    name = data.draw(st.sampled_from(sorted(cases.CASES)), label="case")
    built = data.draw(cases.CASES[name].shapes, label="built for")
    shape = tuple(data.draw(st.lists(st.integers(1, 8), max_size=2),
                            label="input shape"))
    method = data.draw(st.sampled_from(ALL_METHODS), label="method")
    with self.assertRaisesRegex(errors.ShapeError, r"\[\.\.\., H, W, C\]"):
      cases.call(cases.bijector(name, built), method,
            fresh(np.zeros(shape, np.float32)))

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_a_tensor_of_another_dtype_is_an_input_type_error(self, data):
    name = data.draw(st.sampled_from(sorted(cases.CASES)), label="case")
    shape = data.draw(cases.CASES[name].shapes, label="event shape")
    dtype = data.draw(st.sampled_from(WRONG_DTYPES), label="dtype")
    method = data.draw(st.sampled_from(cases.methods(name, ALL_METHODS)),
                       label="method")
    flow = cases.bijector(name, shape)
    x = tf.zeros((data.draw(strategies.batch_sizes),) + shape, dtype)
    with self.assertRaisesRegex(errors.InputTypeError, dtype.name):
      cases.call(flow, method, x)
    # Traced for `x`'s dtype: the check fails while tracing.
    traced = tf.function(lambda t: cases.call(flow, method, t),
                         autograph=False)
    with self.assertRaisesRegex(errors.InputTypeError, dtype.name):
      traced(x)

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_non_finite_values_fail_with_validate_args(self, data):
    name = data.draw(st.sampled_from(sorted(cases.CASES)), label="case")
    case = cases.CASES[name]
    shape = data.draw(case.shapes, label="event shape")
    x = strategies.uniform(data.draw(strategies.seeds),
                           (data.draw(strategies.batch_sizes),) + shape,
                           case.low, case.high)
    x.flat[data.draw(st.integers(0, x.size - 1))] = data.draw(
        st.sampled_from(NON_FINITE), label="bad value")
    method = data.draw(st.sampled_from(cases.methods(name, cases.FUSED)),
                       label="method")
    self._check_rejected(data, name, shape, method, x, "finite")

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_values_outside_the_domain_fail_with_validate_args(self, data):
    name, method, bad_values = data.draw(st.sampled_from(OUT_OF_RANGE),
                                         label="case")
    case = cases.CASES[name]
    shape = data.draw(case.shapes, label="event shape")
    x = strategies.uniform(data.draw(strategies.seeds),
                           (data.draw(strategies.batch_sizes),) + shape,
                           0.01, 0.99)
    x.flat[data.draw(st.integers(0, x.size - 1))] = data.draw(
        st.sampled_from(bad_values), label="bad value")
    self._check_rejected(data, name, shape, method, x, r"in [\[(]")

  @strategies.SETTINGS
  @hypothesis.given(st.sampled_from(("forward", "inverse")),
                    st.sampled_from(WRONG_DTYPES + (None,)))
  def test_logit_mixture_logistic_cdf_rejects_bad_input(self, method, dtype):
    parameters = [tf.zeros((2, 3))] * 3
    flow = bijectors.LogitMixtureLogisticCDF(*parameters, validate_args=True)
    if dtype is None:
      with self.assertRaises(errors.DataError):
        getattr(flow, method)(tf.constant([np.nan, 0.0]))
    else:
      with self.assertRaises(errors.InputTypeError):
        getattr(flow, method)(tf.zeros([2], dtype))

  def _check_rejected(self, data, name, shape, method, x, requirement):
    """Eagerly a DataError; traced, a failed assertion; never an output."""
    flow = cases.bijector(name, shape, validate_args=True)
    message = f"{flow.name}: input values must be {requirement}"
    if data.draw(st.booleans(), label="traced"):
      with self.assertRaisesRegex(tf.errors.InvalidArgumentError, message):
        cases.traced_method(name, shape, method, validate_args=True)(
            fresh(x))
    else:
      with self.assertRaisesRegex(errors.DataError, message):
        cases.call(flow, method, fresh(x))


if __name__ == "__main__":
  tf.test.main()
