"""Tests for the 256x256 memory benchmark's fit (`recompute_memory._fit`)."""

from absl.testing import absltest

from bench import recompute_memory


def _cell(batch, activation_gib, built_gib=2.0, step_s=1.0):
  return {"batch_size": batch, "activation_gib": activation_gib,
          "built_gib": built_gib, "step_s_median": step_s * batch,
          "parameters": 1000, "before_steps_gib": built_gib + 1.0,
          "steps_peak_gib": built_gib + activation_gib}


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


  def test_one_batch_is_its_activation_fixed_part_included(self):
    fit = recompute_memory._fit([_cell(1, 12.96, built_gib=3.0)],
                                budget_gib=20.0)
    self.assertAlmostEqual(fit["activation_gib_per_image"], 12.96)
    self.assertEqual(fit["activation_gib_fixed"], 0.0)
    self.assertTrue(fit["single_batch"])
    self.assertEqual(fit["largest_batch_in_budget"], 1)


class PredictedPeakTest(absltest.TestCase):

  def test_nothing_measured_predicts_nothing(self):
    self.assertIsNone(recompute_memory._predicted_peak_gib([], 4))

  def test_one_cell_scales_its_whole_activation(self):
    cells = [_cell(1, 12.96, built_gib=3.0)]
    self.assertAlmostEqual(recompute_memory._predicted_peak_gib(cells, 2),
                           3.0 + 2 * 12.96)

  def test_more_cells_follow_their_line(self):
    cells = [_cell(1, 0.9), _cell(2, 1.5)]
    # built 2.0 + fixed 0.3 + 4 x 0.6.
    self.assertAlmostEqual(recompute_memory._predicted_peak_gib(cells, 4),
                           4.7)


class RatiosTest(absltest.TestCase):

  def _ratios(self, plain_cells, recompute_cells):
    return recompute_memory._ratios(
        plain_cells, recompute_cells,
        recompute_memory._fit(plain_cells, 20.0),
        recompute_memory._fit(recompute_cells, 20.0))

  def test_slopes_when_both_modes_ran_several_batches(self):
    memory, basis, time, batch = self._ratios(
        [_cell(1, 1.0), _cell(2, 2.0), _cell(4, 4.0, step_s=1.0)],
        [_cell(1, 0.7), _cell(2, 0.9), _cell(4, 1.3, step_s=1.25)])
    self.assertAlmostEqual(memory, 1.0 / 0.2)
    self.assertEqual(basis, "slopes")
    self.assertAlmostEqual(time, 1.25)
    self.assertEqual(batch, 4)

  def test_the_smallest_batch_when_one_mode_ran_one(self):
    # Plain fit batch 1 only; time is compared at batch 1, not at the
    # recomputing run's batch 4 where its fixed costs weigh less.
    memory, basis, time, batch = self._ratios(
        [_cell(1, 12.0, step_s=30.0)],
        [_cell(1, 3.0, step_s=40.0), _cell(2, 4.0), _cell(4, 6.0)])
    self.assertAlmostEqual(memory, 4.0)
    self.assertEqual(basis, "batch 1")
    self.assertAlmostEqual(time, 40.0 / 30.0)
    self.assertEqual(batch, 1)


class MarkdownTest(absltest.TestCase):

  def test_a_skipped_batch_is_named(self):
    plain_cells = [_cell(1, 12.0)]
    recompute_cells = [_cell(1, 3.0), _cell(2, 4.0)]
    model = {"matmul_gflops": 400.0, "plain_cells": plain_cells,
             "plain_skipped": [2], "recompute_cells": recompute_cells,
             "recompute_skipped": [],
             "plain": recompute_memory._fit(plain_cells, 20.0),
             "recompute": recompute_memory._fit(recompute_cells, 20.0)}
    (model["memory_ratio"], model["memory_ratio_basis"], model["time_ratio"],
     model["time_ratio_batch"]) = recompute_memory._ratios(
         plain_cells, recompute_cells, model["plain"], model["recompute"])
    table = recompute_memory._markdown({"budget_gib": 20.0,
                                        "models": {"m": model}})
    self.assertIn("| m | no | 1 (2 would not fit) | 12.00 |", table)
    self.assertIn("4.0x less (batch 1)", table)
    self.assertIn("m: one batch per mode", table)

  def test_no_note_when_every_mode_ran_several_batches(self):
    cells = [_cell(1, 1.0), _cell(2, 2.0)]
    fit = recompute_memory._fit(cells, 20.0)
    model = {"matmul_gflops": 400.0, "plain_cells": cells,
             "recompute_cells": cells, "plain": fit, "recompute": fit,
             "memory_ratio": 1.0, "memory_ratio_basis": "slopes",
             "time_ratio": 1.0, "time_ratio_batch": 2}
    table = recompute_memory._markdown({"budget_gib": 20.0,
                                        "models": {"m": model}})
    self.assertNotIn("one batch per mode", table)


if __name__ == "__main__":
  absltest.main()
