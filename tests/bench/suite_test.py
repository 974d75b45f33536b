"""Tests for the benchmark suite's cell selection (`--cells`)."""

from absl.testing import absltest

from bench import suite


class CellSelectionTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.cells = suite.cells()

  def test_a_full_name_selects_that_cell_alone(self):
    self.assertIn("compile/glow/scanned", self.cells)
    self.assertEqual(suite._selected(self.cells, ["compile/glow"]),
                     ["compile/glow"])

  def test_a_prefix_selects_every_cell_it_starts(self):
    self.assertEqual(suite._selected(self.cells, ["vs_tfp/a/xla"]),
                     ["vs_tfp/a/xla/tfp_flows", "vs_tfp/a/xla/tfp"])
    self.assertLen(suite._selected(self.cells, ["compile"]), 8)

  def test_selection_keeps_the_suite_order(self):
    self.assertEqual(
        suite._selected(self.cells, ["compile/macow", "train/glow/xla"]),
        ["train/glow/xla", "compile/macow"])

  def test_no_match_is_a_usage_error(self):
    with self.assertRaisesRegex(suite.app.UsageError, "matches no cell"):
      suite._selected(self.cells, ["nope"])

  def test_no_selection_is_every_cell_but_the_scanned_ones(self):
    selected = suite._selected(self.cells, [])
    self.assertEqual(
        selected, [n for n in self.cells if not n.endswith("/scanned")])
    self.assertIn("compile/macow", selected)
    self.assertIn("attention/flowpp/xla", selected)


if __name__ == "__main__":
  absltest.main()
