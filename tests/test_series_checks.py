"""Before training: a constant series is refused with a reason; extreme magnitudes get a unit that keeps errors true."""
import numpy as np

from explorer.tasks.series.checks import check_series


def test_a_constant_series_is_refused_with_a_reason():
    c = check_series(np.full(80, 5.0))
    assert c.problem.startswith("The series is constant: all 80 values are 5.")
    assert "gradients would show nothing" in c.problem


def test_huge_and_tiny_values_are_modelled_in_a_power_of_ten_unit():
    big = check_series(np.array([1e300, 2e300, -3e300, 1.5e300]))
    assert big.problem is None and big.unit_exponent == 300 and big.unit == " (×10^300)"
    np.testing.assert_allclose(big.values, [1, 2, -3, 1.5])
    assert np.isfinite(np.mean(np.diff(big.values) ** 2))  # squared errors stay in range
    assert "units of 10^300" in big.notes[0]
    tiny = check_series(np.array([1e-300, 3e-300, 2e-300]))
    assert tiny.unit_exponent == -300 and np.allclose(tiny.values, [1, 3, 2])
    plain = check_series(np.arange(5.0))
    assert plain.unit_exponent == 0 and plain.problem is None and not plain.notes
