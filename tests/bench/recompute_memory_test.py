"""Tests for the 256x256 memory benchmark's fit (`recompute_memory._fit`)."""

from absl.testing import absltest

from bench import recompute_memory


def _cell(batch, activation_gib, built_gib=2.0, step_s=1.0):
  return {"batch_size": batch, "activation_gib": activation_gib,
          "built_gib": built_gib, "step_s_median": step_s * batch}


class FitTest(absltest.TestCase):

  def test_slope_intercept_and_extrapolated_batch(self):
    fit = recompute_memory._fit(
        [_cell(1, 0.9), _cell(2, 1.5), _cell(4, 2.7)], budget_gib=20.0)
    self.assertAlmostEqual(fit["activation_gib_per_image"], 0.6)
    self.assertAlmostEqual(fit["activation_gib_fixed"], 0.3)
    self.assertAlmostEqual(fit["step_s_per_image"], 1.0)
    # (20 - 2.0 built - 0.3 fixed) / 0.6 per image.
    self.assertEqual(fit["largest_batch_in_budget"], 29)
    self.assertEqual(fit["resident_after_build_gib"], 2.0)

  def test_memory_that_does_not_grow_is_an_error(self):
    # What an allocator that keeps freed buffers showed against the
    # resident set just before the steps.
    cells = [_cell(1, 0.04), _cell(2, 0.026)]
    with self.assertRaisesRegex(RuntimeError, "did not grow with the batch"):
      recompute_memory._fit(cells, budget_gib=20.0)

  def test_the_smoke_run_accepts_a_flat_line(self):
    fit = recompute_memory._fit([_cell(1, 0.0), _cell(2, 0.0)],
                                budget_gib=20.0, require_growth=False)
    self.assertIsNone(fit["largest_batch_in_budget"])


if __name__ == "__main__":
  absltest.main()
