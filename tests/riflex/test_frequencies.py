"""Frequencies, periods, repetitions and identify_k against the paper's formulas, computed
here with plain Python floats (not with the code under test)."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from riflex import axis_frequencies, identify_k, periods, repeating_components, repetitions


def formula_freqs(base: float, dim: int) -> list[float]:
    return [base ** (-2 * (j - 1) / dim) for j in range(1, dim // 2 + 1)]


@pytest.mark.parametrize("base,dim", [(256, 16), (10000, 44), (10000, 16), (10000, 42), (256, 56)])
def test_axis_frequencies_match_the_formula(base, dim):
    got = axis_frequencies(base, dim)
    assert got.dtype == torch.float64
    assert got.tolist() == pytest.approx(formula_freqs(base, dim), rel=1e-14)


def test_known_periods_from_shared_models_table():
    # HunyuanVideo (256, d_t 16): 6.3, 12.6, 25.1, 50.3, 100.5; Wan (10000, 44): j=4 22.1, j=6 51.0
    hunyuan = periods(axis_frequencies(256, 16)).tolist()
    assert [round(p, 1) for p in hunyuan[:5]] == [6.3, 12.6, 25.1, 50.3, 100.5]
    wan = periods(axis_frequencies(10000, 44)).tolist()
    assert round(wan[3], 1) == 22.1 and round(wan[5], 1) == 51.0


def test_repetitions_are_length_over_period():
    freqs = axis_frequencies(256, 16)
    assert repetitions(freqs, 33).tolist() == pytest.approx([33 * f / (2 * math.pi) for f in formula_freqs(256, 16)])


def test_check_non_repetition_counts_the_span_covered():
    # one component with period exactly 10 positions: 10 frames (0..9) do not complete a turn, 11 do
    freqs = torch.tensor([2 * math.pi / 10], dtype=torch.float64)
    assert repeating_components(freqs, 10) == []
    assert repeating_components(freqs, 11) == [1]


def test_rejects_bad_axis():
    with pytest.raises(ValueError, match="RIFLEx: axis dim"):
        axis_frequencies(10000, 7)
    with pytest.raises(ValueError, match="RIFLEx: RoPE base"):
        axis_frequencies(1.0, 16)


@pytest.mark.parametrize("base", [256, 10000, 1e6])
@pytest.mark.parametrize("dim", [16, 44, 64])
@pytest.mark.parametrize("first_repeat", [3, 7.5, 20, 33, 50, 51, 100, 500, 5000])
def test_identify_k_is_argmin_of_period_distance(base, dim, first_repeat):
    periods_formula = [2 * math.pi / f for f in formula_freqs(base, dim)]
    distances = [abs(p - first_repeat) for p in periods_formula]
    assert identify_k(base, dim, first_repeat) == distances.index(min(distances)) + 1


def test_identify_k_on_the_papers_models():
    assert identify_k(256, 16, 50) == 4  # HunyuanVideo, paper Sec. 3.2
    assert identify_k(10000, 16, 20) == 2  # CogVideoX-5B
    assert identify_k(10000, 44, 51) == 6  # Wan, loop seen at ~201 px = 51 latent


def test_identify_k_rejects_non_positive_frame():
    with pytest.raises(ValueError, match="first_repeat_frame"):
        identify_k(256, 16, 0)


@given(
    base=st.floats(min_value=2.0, max_value=1e6),
    half=st.integers(min_value=1, max_value=64),
    length=st.integers(min_value=1, max_value=4000),
)
def test_non_repetition_matches_its_definition(base, half, length):
    freqs = axis_frequencies(base, 2 * half)
    expected = [j + 1 for j, f in enumerate(freqs.tolist()) if f * (length - 1) >= 2 * math.pi]
    assert repeating_components(freqs, length) == expected
