"""Tests for the benchmark's memory cell (`suite_cells.memory`), run as the
benchmarks run it: in a process of its own (`cell_process`)."""

from absl.testing import absltest

from bench import cell_process


def _memory_cell(env):
  return cell_process.run(
      "memory", dict(family="glow", preset="tiny", shape=(8, 8, 1),
                     batch_size=2, recompute_gradients=False),
      steps=1, env=env)


class MemoryCellTest(absltest.TestCase):

  def test_the_bfc_allocator_adds_the_steps_tensor_bytes(self):
    figures = _memory_cell({"TF_CPU_ALLOCATOR_USE_BFC": "true"})
    self.assertNotIn("error", figures, figures.get("stderr_tail"))
    # Before the steps: the weights, Adam's slots and the EMA.
    self.assertGreater(figures["tensors_before_steps_gib"], 0.0)
    # During them, activations and gradients come on top.
    self.assertGreater(figures["tensors_steps_peak_gib"],
                       figures["tensors_before_steps_gib"])

  def test_the_default_allocator_gives_the_resident_set_alone(self):
    figures = _memory_cell({})
    self.assertNotIn("error", figures, figures.get("stderr_tail"))
    self.assertNotIn("tensors_steps_peak_gib", figures)
    self.assertGreaterEqual(figures["steps_peak_gib"], figures["built_gib"])


if __name__ == "__main__":
  absltest.main()
